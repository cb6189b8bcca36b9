package sqlcli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// The shell driven through a pseudo-terminal, as a user types into it: the
// shell runs in a child process whose terminal is the pty, so readline's raw
// mode, Ctrl-C as SIGINT and the history file are the real ones.
//
// The child is this test binary re-run with shellChildEnv set (TestMain then
// runs `streamlite sql` with main's signal set-up), or, with
// STREAMLITE_PTY_BUILD=1, the streamlite binary built into a temporary
// directory.

const shellChildEnv = "SQLCLI_TEST_SHELL_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(shellChildEnv) == "1" {
		os.Exit(shellChild())
	}
	os.Exit(m.Run())
}

// shellChild is `streamlite sql ARGS` set up as cmd/streamlite's main does
// (a context that ends on the first SIGINT or SIGTERM).
func shellChild() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	cmd := NewCommand()
	cmd.SetArgs(os.Args[1:])
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintf(os.Stderr, "error: %v\n", err)
		return 1
	}
	return 0
}

// shellBinary returns the command line that starts `streamlite sql`.
func shellBinary(t *testing.T) []string {
	t.Helper()
	if os.Getenv("STREAMLITE_PTY_BUILD") != "1" {
		return []string{os.Args[0]}
	}
	bin := filepath.Join(t.TempDir(), "streamlite")
	out, err := exec.Command("go", "build", "-o", bin, "../..").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return []string{bin, "sql"}
}

// ptySession is one run of the shell on a pty.
type ptySession struct {
	t    *testing.T
	cmd  *exec.Cmd
	pty  *os.File
	read chan struct{} // closed when the pty's output ends

	mu   sync.Mutex
	out  bytes.Buffer // everything the shell wrote
	seen int          // expect matched up to here, in the plain text
}

func startPTY(t *testing.T, argv []string, env ...string) *ptySession {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = append(os.Environ(), env...)
	if argv[0] == os.Args[0] {
		cmd.Env = append(cmd.Env, shellChildEnv+"=1")
	}
	f, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 50, Cols: 160})
	if err != nil {
		t.Fatal(err)
	}
	p := &ptySession{t: t, cmd: cmd, pty: f, read: make(chan struct{})}
	go func() {
		defer close(p.read)
		buf := make([]byte, 4096)
		for {
			n, err := f.Read(buf)
			p.mu.Lock()
			p.out.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
		f.Close()
		<-p.read
	})
	return p
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]|\r`)

// plain is the shell's output without terminal control sequences.
func (p *ptySession) plain() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return ansi.ReplaceAllString(p.out.String(), "")
}

// expect waits until s appears in the output after what earlier expects
// matched.
func (p *ptySession) expect(s string) {
	p.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		text := p.plain()
		if i := strings.Index(text[min(p.seen, len(text)):], s); i >= 0 {
			p.seen += i + len(s)
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("timed out waiting for %q; the shell wrote after the last match:\n%s", s, text[min(p.seen, len(text)):])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// send types s.
func (p *ptySession) send(s string) {
	p.t.Helper()
	if _, err := io.WriteString(p.pty, s); err != nil {
		p.t.Fatal(err)
	}
}

// exited waits for the shell to end and checks it ended well.
func (p *ptySession) exited() {
	p.t.Helper()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			p.t.Fatalf("the shell ended with %v; it wrote:\n%s", err, p.plain())
		}
	case <-time.After(15 * time.Second):
		p.t.Fatalf("the shell did not end; it wrote:\n%s", p.plain())
	}
}

func TestShellOnPTY(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the shell in a child process on a pty")
	}
	f := newFakeServer(t)
	f.setPull(`["alice"]`)
	argv := append(shellBinary(t), "--server", f.URL)
	home := t.TempDir()
	history := filepath.Join(home, "history")
	env := []string{"HOME=" + home, "STREAMLITE_SQL_HISTORY=" + history, "TERM=xterm", "STREAMLITE_SERVER="}

	p := startPTY(t, argv, env...)
	p.expect("streamlite SQL")
	p.expect("Server v0.29.0 located at " + f.URL)
	p.expect("auto.offset.reset is 'earliest'")
	p.expect("ksql> ")

	// A statement over two lines: the continuation prompt, then the message.
	p.send("CREATE STREAM s (id INT KEY, name STRING)\r")
	p.expect(">     ")
	p.send("WITH (kafka_topic='s', value_format='json', partitions=1);\r")
	p.expect("Stream created")
	p.expect("ksql> ")

	// A push query prints rows as the server streams them; Ctrl-C stops it.
	p.send("SELECT * FROM s EMIT CHANGES;\r")
	id := waitFor(t, f.opened, "the push query")
	p.expect("|ID         |NAME                |")
	f.push <- `[1,"alice"]`
	p.expect("|1          |alice               |")
	f.push <- `[2,"bob"]`
	p.expect("|2          |bob                 |")
	p.send("\x03")
	if ended := waitFor(t, f.ended, "the push query's end"); !strings.HasSuffix(ended, id) {
		t.Errorf("ended %q, want query %s", ended, id)
	}
	p.expect("Query terminated (2 rows)")
	p.expect("ksql> ")

	// TAB completes a column name from the catalog; the pull query runs.
	p.send("SELECT NA\t")
	p.expect("SELECT NAME")
	p.send(" FROM s;\r")
	p.expect("|alice|")
	p.expect("(1 row)")
	p.expect("ksql> ")
	p.send("exit\r")
	p.exited()

	// History survives a restart: Up recalls the last statement, Enter runs it.
	p = startPTY(t, argv, env...)
	p.expect("ksql> ")
	p.send("\x1b[A")
	p.expect("SELECT NAME FROM s;")
	p.send("\r")
	p.expect("(1 row)")
	p.expect("ksql> ")
	// Ctrl-C at a continuation prompt drops the unfinished statement.
	p.send("SELECT *\r")
	p.expect(">     ")
	p.send("\x03")
	p.expect("ksql> ")
	p.send("SHOW STREAMS;\r")
	p.expect("Stream Name")
	p.expect("ksql> ")
	p.send("\x04") // Ctrl-D
	p.expect("Exiting")
	p.exited()

	// SIGTERM ends the shell at its prompt.
	p = startPTY(t, argv, env...)
	p.expect("ksql> ")
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	p.exited()

	b, err := os.ReadFile(history)
	if err != nil {
		t.Fatal(err)
	}
	want := "CREATE STREAM s (id INT KEY, name STRING) WITH (kafka_topic='s', value_format='json', partitions=1);\n" +
		"SELECT * FROM s EMIT CHANGES;\nSELECT NAME FROM s;\nSHOW STREAMS;\n" // one of two equal entries in a row
	if string(b) != want {
		t.Errorf("history file:\n%s\nwant:\n%s", b, want)
	}
}
