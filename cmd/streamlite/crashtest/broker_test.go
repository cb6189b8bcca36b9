package crashtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// binary is the streamlite binary built once per test process by buildBinary.
var binary struct {
	once sync.Once
	dir  string // temporary directory holding it, removed by TestMain
	path string
	err  error
}

// TestMain removes the binary built for the tests when they end.
func TestMain(m *testing.M) {
	code := m.Run()
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
	os.Exit(code)
}

// buildBinary builds ./cmd/streamlite from the module root (found with `go env GOMOD`) once,
// and returns its path. It skips the test under -short, so short runs build nothing.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the streamlite binary; skipped with -short")
	}
	binary.once.Do(func() {
		out, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			binary.err = fmt.Errorf("go env GOMOD: %w", err)
			return
		}
		gomod := strings.TrimSpace(string(out))
		if gomod == "" || gomod == os.DevNull {
			binary.err = errors.New("go env GOMOD: not inside a module")
			return
		}
		if binary.dir, err = os.MkdirTemp("", "streamlite-crashtest-"); err != nil {
			binary.err = err
			return
		}
		binary.path = filepath.Join(binary.dir, "streamlite")
		cmd := exec.Command("go", "build", "-o", binary.path, "./cmd/streamlite")
		cmd.Dir = filepath.Dir(gomod)
		if out, err := cmd.CombinedOutput(); err != nil {
			binary.err = fmt.Errorf("go build ./cmd/streamlite: %w\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

// freeAddr returns a loopback address with a port that was free a moment ago: it listens on
// port 0 and closes the listener. The broker keeps this address across restarts.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// broker runs `streamlite up` as a child process, restartable on the same data directory
// and Kafka address. Its stdout and stderr, over every run, go to one log file in the test's
// temporary directory, which fail prints.
type broker struct {
	t       *testing.T
	bin     string
	dataDir string
	addr    string
	logPath string
	extra   []string // more flags for up

	runs int
	cmd  *exec.Cmd
	exit chan struct{} // closed when cmd has been waited for
	err  error         // cmd.Wait's result, set before exit is closed
}

// newBroker prepares (but does not start) a broker on a fresh data directory and a free
// address. It kills a still-running process when the test ends.
func newBroker(t *testing.T, extra ...string) *broker {
	t.Helper()
	tmp := t.TempDir()
	b := &broker{
		t:       t,
		bin:     buildBinary(t),
		dataDir: filepath.Join(tmp, "data"),
		addr:    freeAddr(t),
		logPath: filepath.Join(tmp, "broker.log"),
		extra:   extra,
	}
	t.Cleanup(func() {
		if b.running() {
			b.cmd.Process.Kill()
			<-b.exit
		}
	})
	return b
}

// args is the command line of `up` for this broker.
func (b *broker) args() []string {
	return append([]string{"up", "--data-dir", b.dataDir, "--kafka-addr", b.addr, "--log-level", "warn", "--admin-addr", "127.0.0.1:0", "--schema-registry-addr", "127.0.0.1:0", "--sql-addr", "off"}, b.extra...)
}

// start starts the process and returns once its Kafka port accepts connections (the
// listener opens after recovery), failing the test if the process exits first or is not
// ready within a minute.
func (b *broker) start() {
	b.t.Helper()
	if b.running() {
		b.t.Fatal("broker: start while running")
	}
	b.runs++
	lf, err := os.OpenFile(b.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		b.t.Fatal(err)
	}
	fmt.Fprintf(lf, "=== run %d at %s: streamlite %s\n", b.runs, time.Now().Format(time.RFC3339Nano), strings.Join(b.args(), " "))
	cmd := exec.Command(b.bin, b.args()...)
	cmd.Stdout, cmd.Stderr = lf, lf
	if err := cmd.Start(); err != nil {
		lf.Close()
		b.t.Fatalf("starting broker: %v", err)
	}
	lf.Close() // the child has its own copy
	b.cmd, b.exit, b.err = cmd, make(chan struct{}), nil
	exit := b.exit
	go func() {
		b.err = cmd.Wait()
		close(exit)
	}()

	deadline := time.Now().Add(time.Minute)
	for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		c, err := net.DialTimeout("tcp", b.addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-exit:
			b.t.Fatalf("broker exited before it was ready: %v\n%s", b.err, b.logTail())
		case <-time.After(wait):
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("broker not ready on %s after a minute: %v\n%s", b.addr, err, b.logTail())
		}
	}
}

// running reports whether the process is started and has not exited.
func (b *broker) running() bool {
	if b.cmd == nil {
		return false
	}
	select {
	case <-b.exit:
		return false
	default:
		return true
	}
}

// kill sends SIGKILL and waits for the process to be gone.
func (b *broker) kill() {
	b.t.Helper()
	if err := b.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		b.t.Fatalf("kill -9: %v", err)
	}
	<-b.exit
}

// stop sends SIGTERM and returns the process's exit error (nil for status 0), or fails the
// test if the process does not exit within timeout.
func (b *broker) stop(timeout time.Duration) error {
	b.t.Helper()
	if err := b.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		b.t.Fatalf("SIGTERM: %v", err)
	}
	select {
	case <-b.exit:
		return b.err
	case <-time.After(timeout):
		b.t.Fatalf("broker did not exit within %s of SIGTERM\n%s", timeout, b.logTail())
		return nil
	}
}

// log returns everything the broker wrote so far.
func (b *broker) log() string {
	out, _ := os.ReadFile(b.logPath)
	return string(out)
}

// logTail returns the last 8 KiB of the broker's output, for failure messages.
func (b *broker) logTail() string {
	s := b.log()
	if len(s) > 8<<10 {
		s = "...\n" + s[len(s)-8<<10:]
	}
	return "broker output (" + b.logPath + "):\n" + s
}

// runUp runs `streamlite up args...` to completion (at most ctx), for commands expected to
// fail at once, and returns its stderr and exit error.
func runUp(ctx context.Context, bin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, append([]string{"up"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	return stderr.String(), err
}
