package sqlcli

import (
	"bufio"
	"errors"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/chzyer/readline"
)

// The shell's two ways of reading input: readline on a terminal (line
// editing, history, completion), and plain lines from a pipe or a test.

// errPromptInterrupt is what lineReader.readLine returns when the user
// pressed Ctrl-C at the prompt: the shell drops the statement being typed.
var errPromptInterrupt = errors.New("sqlcli: interrupted at the prompt")

// lineReader reads the user's input a line at a time. The shell's goroutine
// calls readLine, saveHistory and close; stop may come from any goroutine (a
// signal).
type lineReader interface {
	// readLine shows prompt and returns the next line without its newline,
	// errPromptInterrupt after Ctrl-C, io.EOF at the end of input (Ctrl-D)
	// or after stop.
	readLine(prompt string) (string, error)
	// saveHistory adds an entry to the history (and its file).
	saveHistory(entry string)
	// stop makes a pending and every later readLine return io.EOF.
	stop()
	// close releases the terminal; call it once readLine has returned.
	close() error
}

// readlineReader reads from the terminal with chzyer/readline.
//
// readline's own Close is not safe while Readline runs on another goroutine
// (it waits for its reader, which is blocked on stdin, and races on a
// WaitGroup), so stop only closes the cancelable stdin given to readline:
// its reader then sees EOF, and Readline returns io.EOF.
type readlineReader struct {
	rl    *readline.Instance
	stdin *readline.CancelableStdin
}

// newReadlineReader opens readline on the process's terminal (stdin and
// stdout: readline puts stdin in raw mode while a line is edited), with
// history in historyFile ("" for none) and completion by comp. readline
// keeps no history when it cannot open the file.
func newReadlineReader(historyFile string, comp readline.AutoCompleter, out io.Writer) (*readlineReader, error) {
	stdin := readline.NewCancelableStdin(os.Stdin)
	rl, err := readline.NewEx(&readline.Config{
		Stdin:                  stdin,
		Prompt:                 "ksql> ",
		HistoryFile:            historyFile,
		HistoryLimit:           1000,
		DisableAutoSaveHistory: true, // the shell saves whole statements, not lines
		HistorySearchFold:      true,
		AutoComplete:           comp,
		Stdout:                 out,
	})
	if err != nil {
		stdin.Close()
		return nil, err
	}
	return &readlineReader{rl: rl, stdin: stdin}, nil
}

func (r *readlineReader) readLine(prompt string) (string, error) {
	r.rl.SetPrompt(prompt)
	line, err := r.rl.Readline()
	if errors.Is(err, readline.ErrInterrupt) {
		return "", errPromptInterrupt
	}
	return line, err
}

func (r *readlineReader) saveHistory(entry string) { _ = r.rl.SaveHistory(entry) }

func (r *readlineReader) stop() { r.stdin.Close() }

func (r *readlineReader) close() error {
	err := r.rl.Close()
	r.stdin.Close()
	return err
}

// plainReader reads lines from a pipe, a file or a test: no prompt, no
// history, no completion.
type plainReader struct {
	r *bufio.Reader
}

func (p *plainReader) readLine(string) (string, error) {
	line, err := p.r.ReadString('\n')
	if err != nil && (line == "" || !errors.Is(err, io.EOF)) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func (p *plainReader) saveHistory(string) {}
func (p *plainReader) stop()              {}
func (p *plainReader) close() error       { return nil }

// historyPath is where the shell keeps its history: $STREAMLITE_SQL_HISTORY
// when set, else ~/.streamlite/sql_history; "" when there is no home
// directory.
func historyPath() string {
	if p := os.Getenv("STREAMLITE_SQL_HISTORY"); p != "" {
		return p
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".streamlite", "sql_history")
}

// handleSignals routes the process's signals to the shell while it runs on a
// terminal: SIGINT (Ctrl-C outside line editing, that is while a statement
// runs) interrupts the running statement, SIGTERM ends the shell. The returned
// stop ends the routing and waits for its goroutine.
//
// streamlite's main also catches both signals (its context ends on the first
// one); since this channel stays registered, Ctrl-C never reaches Go's default
// handler, and the shell runs on a context without that cancellation.
func (s *Shell) handleSignals() (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case sig := <-ch:
				if sig == os.Interrupt {
					s.Interrupt()
				} else {
					s.Quit()
				}
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
		wg.Wait()
	}
}
