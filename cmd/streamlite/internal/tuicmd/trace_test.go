package tuicmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"
)

// stubModel is a model whose view is its text.
type stubModel struct{ text string }

func (m stubModel) Init() tea.Cmd                       { return nil }
func (m stubModel) Update(tea.Msg) (tea.Model, tea.Cmd) { return m, nil }
func (m stubModel) View() string                        { return m.text }

func traceFields(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]string
	for _, l := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if l != "" {
			out = append(out, strings.Fields(l))
		}
	}
	return out
}

func TestInstrumentWithoutVariablesChangesNothing(t *testing.T) {
	t.Setenv(envTrace, "")
	t.Setenv(envCPUProfile, "")
	m := stubModel{text: "x"}
	got, opt, stop, err := instrument(m, os.Stdout)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if got != tea.Model(m) || opt == nil {
		t.Fatalf("instrument without variables: model %T, option %v", got, opt)
	}
}

// TestTraceKeyViewWrite: a key, the View after it and the first write begun after that View
// are traced once each; views and writes without a key before them are not.
func TestTraceKeyViewWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "trace")
	t.Setenv(envTrace, path)
	t.Setenv(envCPUProfile, "")
	term, err := os.Create(filepath.Join(dir, "terminal"))
	if err != nil {
		t.Fatal(err)
	}
	defer term.Close()
	m, _, stop, err := instrument(stubModel{text: "frame"}, term)
	if err != nil {
		t.Fatal(err)
	}
	out := tracedOutput{File: term, tr: m.(tracedModel).tr}

	m.View()
	out.Write([]byte("before any key"))
	m, _ = m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'?'}})
	m, _ = m.Update(tea.WindowSizeMsg{Width: 1, Height: 1}) // not a key: not traced
	m.View()
	m.View()
	out.Write([]byte("frame"))
	out.Write([]byte("again"))
	stop()

	var kinds []string
	for _, f := range traceFields(t, path) {
		kinds = append(kinds, f[0])
	}
	if got, want := strings.Join(kinds, " "), "key view write"; got != want {
		t.Fatalf("traced %q, want %q", got, want)
	}
	lines := traceFields(t, path)
	if len(lines[0]) != 3 || lines[0][2] != "?" {
		t.Errorf("key line %v: want the key", lines[0])
	}
	if len(lines[2]) != 3 || lines[2][2] != "5" {
		t.Errorf("write line %v: want the 5 bytes of the frame", lines[2])
	}
	if b, _ := os.ReadFile(term.Name()); string(b) != "before any keyframeagain" {
		t.Errorf("the terminal got %q", b)
	}
}

func TestCPUProfileWrittenOnStop(t *testing.T) {
	path := filepath.Join(t.TempDir(), "cpu.pprof")
	t.Setenv(envTrace, "")
	t.Setenv(envCPUProfile, path)
	_, _, stop, err := instrument(stubModel{}, os.Stdout)
	if err != nil {
		t.Fatal(err)
	}
	stop()
	if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		t.Fatalf("the profile: %v, %v", st, err)
	}
}
