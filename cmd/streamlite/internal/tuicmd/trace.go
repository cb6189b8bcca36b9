package tuicmd

import (
	"fmt"
	"os"
	"runtime/pprof"
	"sync"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// Hidden variables for measuring the program (TestLiveTailLoad in load_test.go uses them);
// neither is part of the command's interface.
const (
	// envTrace names a file the program appends key-to-redraw timings to, one line per
	// event, times in Unix nanoseconds:
	//
	//	key <t> <key>    Update received the key
	//	view <t>         the first View after it returned (the frame is ready)
	//	write <t> <n>    the first terminal write begun after that View ended (n bytes)
	envTrace = "STREAMLITE_TUI_TRACE"
	// envCPUProfile names a file the program writes a CPU profile of its whole run to.
	envCPUProfile = "STREAMLITE_TUI_CPUPROFILE"
)

// tracer writes the envTrace lines. Update and View run on the program's goroutine, writes
// on the renderer's, hence the lock.
type tracer struct {
	mu       sync.Mutex
	f        *os.File
	wantView bool      // a key was handled, its View not yet seen
	viewAt   time.Time // when that View returned; zero once its write is seen
}

func (tr *tracer) logf(format string, args ...any) {
	_, _ = fmt.Fprintf(tr.f, format, args...)
}

// tracedModel is the model with its keys and the views after them traced.
type tracedModel struct {
	tea.Model
	tr *tracer
}

func (m tracedModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyMsg); ok {
		m.tr.mu.Lock()
		m.tr.logf("key %d %s\n", time.Now().UnixNano(), k.String())
		m.tr.wantView = true
		m.tr.mu.Unlock()
	}
	var cmd tea.Cmd
	m.Model, cmd = m.Model.Update(msg)
	return m, cmd
}

func (m tracedModel) View() string {
	v := m.Model.View()
	m.tr.mu.Lock()
	if m.tr.wantView {
		now := time.Now()
		m.tr.logf("view %d\n", now.UnixNano())
		m.tr.wantView, m.tr.viewAt = false, now
	}
	m.tr.mu.Unlock()
	return v
}

// tracedOutput is the terminal with the first write after a traced View timed. It stays
// an *os.File to bubbletea (Fd), so the program still sizes and resizes with the terminal.
type tracedOutput struct {
	*os.File
	tr *tracer
}

func (o tracedOutput) Write(b []byte) (int, error) {
	start := time.Now()
	n, err := o.File.Write(b)
	o.tr.mu.Lock()
	if !o.tr.viewAt.IsZero() && !start.Before(o.tr.viewAt) {
		o.tr.logf("write %d %d\n", time.Now().UnixNano(), n)
		o.tr.viewAt = time.Time{}
	}
	o.tr.mu.Unlock()
	return n, err
}

// instrument applies envTrace and envCPUProfile to the program's model and output; the
// returned stop ends the profile and closes the trace.
func instrument(m tea.Model, out *os.File) (tea.Model, tea.ProgramOption, func(), error) {
	var stops []func()
	stop := func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	opt := tea.WithOutput(out)
	if path := os.Getenv(envCPUProfile); path != "" {
		f, err := os.Create(path)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("%s: %w", envCPUProfile, err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, nil, nil, fmt.Errorf("%s: %w", envCPUProfile, err)
		}
		stops = append(stops, func() { pprof.StopCPUProfile(); f.Close() })
	}
	if path := os.Getenv(envTrace); path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			stop()
			return nil, nil, nil, fmt.Errorf("%s: %w", envTrace, err)
		}
		tr := &tracer{f: f}
		m = tracedModel{Model: m, tr: tr}
		opt = tea.WithOutput(tracedOutput{File: out, tr: tr})
		stops = append(stops, func() { f.Close() })
	}
	return m, opt, stop, nil
}
