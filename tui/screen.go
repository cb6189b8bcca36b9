package tui

import (
	"context"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// screen is one page of the stack. Its methods run on the program's goroutine.
type screen interface {
	id() int
	setID(id int)
	// name is the screen's kind as `:` knows it ("topics", "records"); title says which
	// one ("orders"); info is the rest of the header (counts, sort, follow state).
	name() string
	title() string
	info(m *Model) string
	// start runs when the screen is pushed and again when it is back on top.
	start(m *Model) tea.Cmd
	// update gets the replies and ticks addressed to the screen, wherever it is in the
	// stack, and keys and other messages when it is on top.
	update(m *Model, msg tea.Msg) tea.Cmd
	// view draws the body: at most h lines of at most w cells.
	view(m *Model, w, h int) []string
	// bindings are the screen's keys, for the footer and help, most important first.
	bindings() []binding
	// stop runs when the screen leaves the stack; it releases what the screen holds.
	stop() tea.Cmd
	// capturesKeys is true while a text input of the screen has focus: then q, r, :, ?
	// and the other letters are typed, not commands.
	capturesKeys() bool
}

// screenBase gives a screen its id and the defaults of the optional methods.
type screenBase struct{ sid int }

func (b *screenBase) id() int              { return b.sid }
func (b *screenBase) setID(id int)         { b.sid = id }
func (b *screenBase) title() string        { return "" }
func (b *screenBase) info(*Model) string   { return "" }
func (b *screenBase) start(*Model) tea.Cmd { return nil }
func (b *screenBase) stop() tea.Cmd        { return nil }
func (b *screenBase) capturesKeys() bool   { return false }

// binding is one key of the footer and help: prio orders what the footer drops first
// (higher goes first).
type binding struct {
	keys string
	help string
	prio int
}

// backoff is the retry delay after failed refreshes: 1 s, 2 s, 4 s, 8 s, then 10 s.
type backoff struct{ n int }

const maxBackoff = 10 * time.Second

func (b *backoff) next() time.Duration {
	d := time.Second << b.n
	if d >= maxBackoff {
		return maxBackoff
	}
	b.n++
	return d
}

func (b *backoff) reset() { b.n = 0 }

// loaded is the body of a loader's reply.
type loaded struct {
	v   any
	err error
}

// loader runs one kind of load for a screen: one request in flight at most, stale answers
// dropped by sequence, reloads every `every` while the screen is on top (never when 0),
// and retries with backoff on errors, showing them on the error line.
type loader struct {
	kind  string
	every time.Duration
	load  func(ctx context.Context) (any, error)

	inflight bool
	seq      uint64 // of the request in flight or last answered
	gen      uint64 // of the one timer that counts
	bo       backoff
	done     bool // a load has succeeded
	err      error
}

// fetch starts a load unless one is in flight; it cancels the pending timer.
func (l *loader) fetch(m *Model, s screen) tea.Cmd {
	if l.inflight {
		return nil
	}
	l.inflight = true
	l.seq++
	l.gen++
	f := l.load
	return m.call(s, l.kind, l.seq, func(ctx context.Context) any {
		v, err := f(ctx)
		return loaded{v: v, err: err}
	})
}

// answer takes a reply for this loader: ok is false for a stale one or an error (which
// it has shown and scheduled a retry for); cmd is the next timer.
func (l *loader) answer(m *Model, s screen, r reply) (v any, ok bool, cmd tea.Cmd) {
	if r.kind != l.kind || r.seq != l.seq || !l.inflight {
		return nil, false, nil
	}
	l.inflight = false
	l.gen++
	res, _ := r.body.(loaded)
	l.err = res.err
	if res.err != nil {
		d := l.bo.next()
		m.failed(s, res.err, d, func() tea.Cmd { return l.fetch(m, s) })
		return nil, false, m.after(s, d, l.kind, l.gen)
	}
	l.bo.reset()
	l.done = true
	m.recovered(s)
	if l.every > 0 {
		cmd = m.after(s, l.every, l.kind, l.gen)
	}
	return res.v, true, cmd
}

// onTick reloads on the current timer if the screen is on top; a screen under another
// reloads when it is resumed.
func (l *loader) onTick(m *Model, s screen, t tick) tea.Cmd {
	if t.kind != l.kind || t.gen != l.gen || !m.isTop(s) {
		return nil
	}
	return l.fetch(m, s)
}
