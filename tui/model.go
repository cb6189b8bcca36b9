package tui

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"
)

// Defaults of [Options].
const (
	// DefaultTimeout bounds one call to the Source (Options.Timeout, `--timeout`).
	DefaultTimeout = 5 * time.Second
	// DefaultMaxRecords is how many records a records screen keeps (Options.MaxRecords).
	DefaultMaxRecords = 5000
	// DefaultRefresh is the reload period of the list and detail screens (Options.Refresh).
	DefaultRefresh = 2 * time.Second
	// pollMax and pollWait bound one Poll of a records screen.
	pollMax  = 500
	pollWait = 200 * time.Millisecond
)

// Options configure a [Model]. The zero value is usable: every field says its default.
type Options struct {
	// Brokers is what the header says the model is connected to (e.g. "127.0.0.1:9092").
	Brokers string
	// Timeout bounds every call to the Source (default 5 s; `--timeout`).
	Timeout time.Duration
	// Refresh is how often the topics, groups and detail screens reload while visible
	// (default 2 s).
	Refresh time.Duration
	// MaxRecords is how many records a records screen keeps; older ones are dropped
	// (default 5,000).
	MaxRecords int
	// Clock tells the time for ages ("3s" ago) and relative start times (default time.Now).
	Clock func() time.Time
	// Location is the time zone records' timestamps are shown in (default time.Local).
	Location *time.Location
	// Renderer renders the styles (default: a renderer with the Ascii profile, plain text).
	Renderer *lipgloss.Renderer
	// Clipboard receives the OSC 52 sequence of `c` on a record (the terminal's output);
	// nil: copying says it has nowhere to write.
	Clipboard io.Writer
	// Dir is where `w` writes record files (default ".").
	Dir string
	// Tick returns a command that delivers msg after d (default tea.Tick). Tests replace it
	// to hold timers and fire them by hand.
	Tick func(d time.Duration, msg tea.Msg) tea.Cmd
	// Context is the parent of every call's context; Close cancels the model's own child
	// of it (default context.Background()).
	Context context.Context
	// Logger receives debug logs (default: discarded; the terminal is the screen's).
	Logger *slog.Logger
}

func (o *Options) fill() {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Refresh <= 0 {
		o.Refresh = DefaultRefresh
	}
	if o.MaxRecords <= 0 {
		o.MaxRecords = DefaultMaxRecords
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.Renderer == nil {
		o.Renderer = asciiRenderer()
	}
	if o.Dir == "" {
		o.Dir = "."
	}
	if o.Tick == nil {
		o.Tick = func(d time.Duration, msg tea.Msg) tea.Cmd {
			return tea.Tick(d, func(time.Time) tea.Msg { return msg })
		}
	}
	if o.Context == nil {
		o.Context = context.Background()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Model is the browser: a stack of screens over a Source. It implements tea.Model; use it
// through a *Model, from the program's goroutine only.
type Model struct {
	src    Source
	opts   Options
	st     styles
	ctx    context.Context
	cancel context.CancelFunc
	log    *slog.Logger

	width, height int
	stack         []screen
	nextID        int

	status string   // a one-shot message on the second line, cleared by the next key
	fail   *failure // the error line, nil when the last call succeeded
	help   bool     // the help overlay is open
	cmd    *cmdLine // the `:` command line, nil when closed

	// What the lists last showed, for the command line's completion.
	knownTopics []string
	knownGroups []string
	// lagTrend keeps the last trendLen total-lag samples of each group.
	lagTrend map[string][]int64
	// readers are the readers opened for records screens and not yet seen closed; Close
	// closes them, including those whose screen's close command never ran.
	readers []*readerHandle
}

// failure is what the error line shows.
type failure struct {
	screen int    // the screen whose call failed
	text   string // the error, one line
	hint   string // "retrying in 2s, r to retry now", or ""
	retry  func() tea.Cmd
}

// New returns a model over src showing the topics screen.
func New(src Source, opts Options) *Model {
	opts.fill()
	ctx, cancel := context.WithCancel(opts.Context)
	m := &Model{
		src:      src,
		opts:     opts,
		st:       newStyles(opts.Renderer),
		ctx:      ctx,
		cancel:   cancel,
		log:      opts.Logger,
		width:    80,
		height:   24,
		lagTrend: map[string][]int64{},
	}
	return m
}

// Init starts the topics screen.
func (m *Model) Init() tea.Cmd {
	if len(m.stack) > 0 {
		return nil
	}
	return m.push(newTopicsScreen(m))
}

// Close closes the readers of the records screens still open and cancels the calls in
// flight. Run it after the program has ended.
func (m *Model) Close() {
	for _, h := range m.readers {
		h.close()
	}
	m.readers = nil
	m.cancel()
}

// track remembers a reader for Close, forgetting those already closed.
func (m *Model) track(h *readerHandle) {
	open := m.readers[:0]
	for _, o := range m.readers {
		if !o.isClosed() {
			open = append(open, o)
		}
	}
	m.readers = append(open, h)
}

// Screen is the name of the screen on top of the stack ("topics", "records", ...).
func (m *Model) Screen() string {
	if len(m.stack) == 0 {
		return ""
	}
	return m.top().name()
}

// reply is the answer to a call a screen made: to is the screen, kind and seq say which
// request it answers so the screen can drop stale ones.
type reply struct {
	to   int
	kind string
	seq  uint64
	body any
}

// tick is a timer a screen set; gen lets the screen ignore timers it has since replaced.
type tick struct {
	to   int
	kind string
	gen  uint64
}

// discarder is a reply body that owns a resource to release when its screen is gone.
type discarder interface{ discard() }

// call runs f in a command with the model's timeout and delivers its result to s.
func (m *Model) call(s screen, kind string, seq uint64, f func(ctx context.Context) any) tea.Cmd {
	to, parent, timeout := s.id(), m.ctx, m.opts.Timeout
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(parent, timeout)
		defer cancel()
		return reply{to: to, kind: kind, seq: seq, body: f(ctx)}
	}
}

// after delivers a tick to s after d.
func (m *Model) after(s screen, d time.Duration, kind string, gen uint64) tea.Cmd {
	return m.opts.Tick(d, tick{to: s.id(), kind: kind, gen: gen})
}

func (m *Model) top() screen { return m.stack[len(m.stack)-1] }

func (m *Model) isTop(s screen) bool { return len(m.stack) > 0 && m.top() == s }

func (m *Model) find(id int) screen {
	for _, s := range m.stack {
		if s.id() == id {
			return s
		}
	}
	return nil
}

// push opens s on top of the stack.
func (m *Model) push(s screen) tea.Cmd {
	m.nextID++
	s.setID(m.nextID)
	m.stack = append(m.stack, s)
	m.screenChanged()
	return s.start(m)
}

// pop closes the top screen and resumes the one under it; at the root it quits.
func (m *Model) pop() tea.Cmd {
	if len(m.stack) <= 1 {
		return tea.Quit
	}
	old := m.top()
	m.stack = m.stack[:len(m.stack)-1]
	m.screenChanged()
	return tea.Batch(old.stop(), m.top().start(m))
}

// replaceTop closes the top screen and opens s in its place.
func (m *Model) replaceTop(s screen) tea.Cmd {
	old := m.top()
	m.stack = m.stack[:len(m.stack)-1]
	return tea.Batch(old.stop(), m.push(s))
}

// switchTo closes every screen above the root (the topics screen) and opens ss above it,
// the last on top; only the top starts now, the others when they are resumed. With no ss
// the root is resumed.
func (m *Model) switchTo(ss ...screen) tea.Cmd {
	var cmds []tea.Cmd
	for len(m.stack) > 1 {
		cmds = append(cmds, m.top().stop())
		m.stack = m.stack[:len(m.stack)-1]
	}
	if len(ss) == 0 {
		m.screenChanged()
		return tea.Batch(append(cmds, m.top().start(m))...)
	}
	for _, s := range ss[:len(ss)-1] {
		m.nextID++
		s.setID(m.nextID)
		m.stack = append(m.stack, s)
	}
	cmds = append(cmds, m.push(ss[len(ss)-1]))
	return tea.Batch(cmds...)
}

func (m *Model) screenChanged() {
	m.fail = nil
	m.help = false
}

// failed shows err on the error line for screen s; with retry set, it says the call is
// retried after d and that `r` retries now.
func (m *Model) failed(s screen, err error, d time.Duration, retry func() tea.Cmd) {
	m.log.Debug("tui: call failed", "screen", s.name(), "err", err, "retry_in", d)
	f := &failure{screen: s.id(), text: describeError(err), retry: retry}
	if retry != nil {
		f.hint = "retrying in " + formatDuration(d) + ", r to retry now"
	}
	m.fail = f
}

// actionFailed shows the error of a one-shot action (produce, create, delete, reset).
func (m *Model) actionFailed(s screen, what string, err error) {
	m.fail = &failure{screen: s.id(), text: what + ": " + describeError(err)}
}

// recovered clears the error line if s put it there.
func (m *Model) recovered(s screen) {
	if m.fail != nil && m.fail.screen == s.id() {
		m.fail = nil
	}
}

// Update handles a message. It never blocks: calls run in the commands it returns.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if len(m.stack) == 0 {
		cmd := m.Init()
		_, more := m.Update(msg)
		return m, tea.Batch(cmd, more)
	}
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		return m, nil
	case reply:
		if s := m.find(msg.to); s != nil {
			return m, s.update(m, msg)
		}
		if d, ok := msg.body.(discarder); ok {
			return m, func() tea.Msg { d.discard(); return nil }
		}
		return m, nil
	case tick:
		if s := m.find(msg.to); s != nil {
			return m, s.update(m, msg)
		}
		return m, nil
	case tea.KeyMsg:
		// A terminal read can carry several typed characters at once (fast typing, tmux
		// send-keys): they are keys one by one, except a paste into a focused input.
		if msg.Type == tea.KeyRunes && len(msg.Runes) > 1 && !(msg.Paste && m.typing()) {
			var cmds []tea.Cmd
			for _, r := range msg.Runes {
				cmds = append(cmds, m.key(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}, Alt: msg.Alt}))
			}
			return m, tea.Batch(cmds...)
		}
		return m, m.key(msg)
	}
	// Anything else (a text input's own messages) goes to the top screen.
	return m, m.top().update(m, msg)
}

// key routes a key press: ctrl-c always quits; the help overlay and the command line take
// keys while open; a screen with a focused input takes them all; then the global keys;
// then the screen's own.
func (m *Model) key(k tea.KeyMsg) tea.Cmd {
	ks := k.String()
	if ks == "ctrl+c" {
		return tea.Quit
	}
	m.status = ""
	if m.help {
		switch ks {
		case "esc", "?", "q", "enter":
			m.help = false
		}
		return nil
	}
	if m.cmd != nil {
		return m.cmdKey(k)
	}
	s := m.top()
	if s.capturesKeys() {
		return s.update(m, k)
	}
	switch ks {
	case ":":
		m.openCmdLine()
		return nil
	case "?":
		m.help = true
		return nil
	case "q":
		return m.pop()
	case "esc":
		if e, ok := s.(escaper); ok && e.escape(m) {
			return nil
		}
		if len(m.stack) == 1 {
			return nil
		}
		return m.pop()
	case "r":
		if m.fail != nil && m.fail.retry != nil {
			retry := m.fail.retry
			m.fail.hint = "retrying now"
			m.fail.retry = nil
			return retry()
		}
	}
	return s.update(m, k)
}

// typing reports whether keys go to a text input: the command line or a screen's.
func (m *Model) typing() bool {
	return !m.help && (m.cmd != nil || m.top().capturesKeys())
}

// escaper is a screen that uses esc itself (to clear a filter) before esc goes back.
type escaper interface {
	escape(m *Model) bool
}

// View draws the screen: a header, the error or status line, the top screen's body, and a
// footer with its keys (or the command line). It is exactly the window's height and never
// wider than its width.
func (m *Model) View() string {
	w, h := m.width, m.height
	if w <= 0 || h <= 0 || len(m.stack) == 0 {
		return ""
	}
	s := m.top()
	lines := make([]string, 0, h)
	lines = append(lines, m.headerLine(s, w))
	if h > 1 {
		lines = append(lines, m.messageLine(w))
	}
	if h > 2 {
		bodyH := h - 3
		var body []string
		if m.help {
			body = m.helpView(s, w, bodyH)
		} else if bodyH > 0 {
			// The screen's own header (counts, sort, follow state) opens its body.
			if i := s.info(m); i != "" {
				body = append(body, m.st.title.Render(fit(i, w)))
				bodyH--
			}
			if bodyH > 0 {
				body = append(body, s.view(m, w, bodyH)...)
			}
			bodyH = h - 3
		}
		for i := 0; i < bodyH; i++ {
			if i < len(body) {
				lines = append(lines, strings.TrimRight(fit(body[i], w), " "))
			} else {
				lines = append(lines, "")
			}
		}
		lines = append(lines, m.footerLine(s, w))
	}
	return strings.Join(lines, "\n")
}

func (m *Model) headerLine(s screen, w int) string {
	var b strings.Builder
	b.WriteString("streamlite tui")
	if m.opts.Brokers != "" {
		b.WriteString(" │ ")
		b.WriteString(m.opts.Brokers)
	}
	b.WriteString(" │ ")
	b.WriteString(s.name())
	if t := s.title(); t != "" {
		b.WriteString(" ")
		b.WriteString(t)
	}
	return m.st.header.Render(fit(b.String(), w))
}

func (m *Model) messageLine(w int) string {
	switch {
	case m.fail != nil:
		t := m.fail.text
		if m.fail.hint != "" {
			// The hint stays whole; the error gives way.
			hint := " — " + m.fail.hint
			t = fit(t, max(w-ansi.StringWidth(hint), w/3)) + hint
		}
		return m.st.err.Render(fit(t, w))
	case m.status != "":
		return m.st.status.Render(fit(m.status, w))
	}
	return ""
}

// fit cuts s to w cells, ending it with "…" when it was longer.
func fit(s string, w int) string {
	if w <= 0 {
		return ""
	}
	if ansi.StringWidth(s) <= w {
		return s
	}
	return ansi.Truncate(s, w, "…")
}

// describeError says what went wrong in one line, as briefly as the cause allows: a
// connection that could not be made is "broker ADDR: connection refused" (the spec's
// example), a deadline is "no answer in time"; anything else is the error's text.
func describeError(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" && op.Addr != nil {
		cause := op.Err
		var sys *os.SyscallError
		if errors.As(cause, &sys) {
			cause = sys.Err
		}
		return "broker " + op.Addr.String() + ": " + oneLine(cause.Error())
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return oneLine(strings.TrimSuffix(err.Error(), context.DeadlineExceeded.Error()) + "no answer in time")
	}
	return oneLine(err.Error())
}

// oneLine joins the lines of s with spaces.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n\t") {
		return s
	}
	return strings.Join(strings.Fields(s), " ")
}
