package tui

import (
	"reflect"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
)

// harness drives a Model the way a tea.Program would, but on the test's goroutine: it
// runs the commands Update returns synchronously (bounded), unpacks batches and
// sequences, and holds timers (Options.Tick) until the test fires them.
type harness struct {
	t      testing.TB
	m      *Model
	timers []timerMsg
	quit   bool
}

// timerMsg is what the harness's Tick returns instead of waiting.
type timerMsg struct {
	d   time.Duration
	msg tea.Msg
}

// fixedNow is the harness's clock: every golden screen is drawn at this instant.
var fixedNow = time.Date(2030, 5, 1, 12, 5, 0, 0, time.UTC)

func newHarness(t testing.TB, src Source, opts Options) *harness {
	t.Helper()
	h := &harness{t: t}
	opts.Tick = func(d time.Duration, msg tea.Msg) tea.Cmd {
		return func() tea.Msg { return timerMsg{d: d, msg: msg} }
	}
	if opts.Clock == nil {
		opts.Clock = func() time.Time { return fixedNow }
	}
	if opts.Location == nil {
		opts.Location = time.UTC
	}
	if opts.Brokers == "" {
		opts.Brokers = "127.0.0.1:9092"
	}
	if opts.Dir == "" {
		opts.Dir = t.TempDir()
	}
	h.m = New(src, opts)
	t.Cleanup(h.m.Close)
	h.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	h.run(h.m.Init())
	return h
}

// maxSteps bounds the commands one run executes, so a command loop fails the test
// instead of hanging it.
const maxSteps = 10000

func (h *harness) send(msg tea.Msg) {
	h.t.Helper()
	_, cmd := h.m.Update(msg)
	h.run(cmd)
}

func (h *harness) run(cmd tea.Cmd) {
	h.t.Helper()
	queue := []tea.Cmd{cmd}
	for steps := 0; len(queue) > 0; steps++ {
		if steps > maxSteps {
			h.t.Fatalf("harness: more than %d commands in one run", maxSteps)
		}
		c := queue[0]
		queue = queue[1:]
		if c == nil {
			continue
		}
		msg := c()
		switch msg := msg.(type) {
		case nil:
		case tea.BatchMsg:
			queue = append(queue, msg...)
		case timerMsg:
			h.timers = append(h.timers, msg)
		case tea.QuitMsg:
			h.quit = true
		default:
			// tea.Sequence's message is an unexported []tea.Cmd.
			if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeFor[tea.Cmd]() {
				for i := 0; i < v.Len(); i++ {
					queue = append(queue, v.Index(i).Interface().(tea.Cmd))
				}
				continue
			}
			_, next := h.m.Update(msg)
			queue = append(queue, next)
		}
	}
}

// fire delivers the timers pending now (not those they set in turn) and reports how many
// there were.
func (h *harness) fire() int {
	h.t.Helper()
	ts := h.timers
	h.timers = nil
	for _, t := range ts {
		h.send(t.msg)
	}
	return len(ts)
}

// pending is the delays of the timers held.
func (h *harness) pending() []time.Duration {
	var ds []time.Duration
	for _, t := range h.timers {
		ds = append(ds, t.d)
	}
	return ds
}

// until fires timers until cond holds, failing the test after a deadline.
func (h *harness) until(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			h.t.Fatalf("timed out waiting for %s; screen:\n%s", what, h.m.View())
		}
		if h.fire() == 0 {
			time.Sleep(5 * time.Millisecond) // nothing scheduled: let the broker catch up
		}
	}
}

// untilShows fires timers until the view contains s.
func (h *harness) untilShows(s string) {
	h.t.Helper()
	h.until("the screen to show "+s, func() bool { return strings.Contains(h.m.View(), s) })
}

// keyNames maps the names the tests use to bubbletea key types.
var keyNames = map[string]tea.KeyType{
	"enter": tea.KeyEnter, "esc": tea.KeyEsc, "tab": tea.KeyTab, "shift+tab": tea.KeyShiftTab,
	"up": tea.KeyUp, "down": tea.KeyDown, "left": tea.KeyLeft, "right": tea.KeyRight,
	"pgup": tea.KeyPgUp, "pgdown": tea.KeyPgDown, "home": tea.KeyHome, "end": tea.KeyEnd,
	"backspace": tea.KeyBackspace, "space": tea.KeySpace,
	"ctrl+c": tea.KeyCtrlC, "ctrl+d": tea.KeyCtrlD, "ctrl+s": tea.KeyCtrlS, "ctrl+u": tea.KeyCtrlU,
	"ctrl+w": tea.KeyCtrlW,
}

func keyMsg(name string) tea.KeyMsg {
	if t, ok := keyNames[name]; ok {
		return tea.KeyMsg{Type: t}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(name)}
}

// keys presses each named key ("enter", "ctrl+d") or single character.
func (h *harness) keys(names ...string) {
	h.t.Helper()
	for _, n := range names {
		h.send(keyMsg(n))
	}
}

// typeText types s one character at a time.
func (h *harness) typeText(s string) {
	h.t.Helper()
	for _, r := range s {
		if r == ' ' {
			h.send(tea.KeyMsg{Type: tea.KeySpace, Runes: []rune{' '}})
			continue
		}
		h.send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

// view returns the screen, checking that it fills the window exactly and never writes
// past its width.
func (h *harness) view() string {
	h.t.Helper()
	v := h.m.View()
	lines := strings.Split(v, "\n")
	if len(lines) != h.m.height {
		h.t.Errorf("view has %d lines, want the window's %d", len(lines), h.m.height)
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > h.m.width {
			h.t.Errorf("line %d is %d cells wide, more than the window's %d: %q", i+1, w, h.m.width, l)
		}
	}
	return v
}
