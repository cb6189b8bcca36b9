package tui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/bubbles/cursor"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/muesli/termenv"
)

// TestInputsDoNotBlink: the inputs' cursors are static, so focusing or typing into them
// starts no timer.
func TestInputsDoNotBlink(t *testing.T) {
	st := newStyles(asciiRenderer())
	in := newTextInput(&st, "> ", "")
	if in.Cursor.Mode() != cursor.CursorStatic {
		t.Fatalf("textinput cursor mode %v, want static", in.Cursor.Mode())
	}
	if cmd := in.Focus(); cmd != nil {
		t.Fatal("focusing a textinput returned a command")
	}
	if cmd, changed := updateInput(in, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("a")}); cmd != nil || !changed {
		t.Fatalf("typing into a textinput: cmd %v, changed %v", cmd, changed)
	}
	ta := newTextArea(&st, "")
	if ta.Cursor.Mode() != cursor.CursorStatic {
		t.Fatalf("textarea cursor mode %v, want static", ta.Cursor.Mode())
	}
	if cmd := ta.Focus(); cmd != nil {
		t.Fatal("focusing a textarea returned a command")
	}
	if cmd := updateArea(ta, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("a")}); cmd != nil {
		t.Fatal("typing into a textarea returned a command")
	}
	if cmd := updateArea(ta, tea.KeyMsg{Type: tea.KeySpace}); cmd != nil || ta.Value() != "a " {
		t.Fatalf("space into a textarea: %q", ta.Value())
	}
}

// TestInputsUseTheModelsRenderer: with a colour profile the cursor is reversed and the
// placeholder and completion dimmed, by the model's renderer.
func TestInputsUseTheModelsRenderer(t *testing.T) {
	r := asciiRenderer()
	r.SetColorProfile(termenv.ANSI256)
	h := newHarness(t, newFakeSource(), Options{Renderer: r})
	h.keys("/")
	line := strings.Split(h.m.View(), "\n")[3]
	if !strings.Contains(line, "\x1b[7mn") || !strings.Contains(line, "\x1b[90mame contains") {
		t.Fatalf("filter line %q: want the cursor reversed and the placeholder dimmed", line)
	}
	h.keys("esc", ":")
	h.typeText("sch")
	lines := strings.Split(h.m.View(), "\n")
	if got := lines[len(lines)-1]; !strings.Contains(got, ":sch\x1b[7me") || !strings.Contains(got, "mas") {
		t.Fatalf("command line %q: want the completion shown", got)
	}
}

// TestCommandLineChosenCompletion: up/down choose the completion shown, and tab takes it.
func TestCommandLineChosenCompletion(t *testing.T) {
	h := newHarness(t, newFakeSource(), Options{})
	h.keys(":")
	h.typeText("to")
	ms := h.m.cmd.in.MatchedSuggestions()
	if len(ms) < 2 || ms[0] != "topics" {
		t.Fatalf("completions of to: %q", ms)
	}
	h.keys("down", "tab")
	if got := h.m.cmd.in.Value(); got != ms[1] {
		t.Fatalf("tab after down: %q, want %q", got, ms[1])
	}
	// Without a choice, tab extends to what the completions share.
	h.keys("esc", ":")
	h.typeText("to")
	h.keys("tab")
	if got := h.m.cmd.in.Value(); got != "topic" {
		t.Fatalf("tab: %q, want topic", got)
	}
}
