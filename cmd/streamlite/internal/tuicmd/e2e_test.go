package tuicmd

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// buildStreamlite builds ./cmd/streamlite from the module root into a temporary directory.
func buildStreamlite(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatalf("go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		t.Fatal("go env GOMOD: not inside a module")
	}
	bin := filepath.Join(t.TempDir(), "streamlite")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/streamlite")
	cmd.Dir = filepath.Dir(gomod)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/streamlite: %v\n%s", err, out)
	}
	return bin
}

// freeAddr returns a loopback address whose port was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// upProcess is `streamlite up` on fixed ports and a data directory, restartable.
type upProcess struct {
	t                       *testing.T
	bin, dir, log           string
	kafka, registry, sqlSrv string
	cmd                     *exec.Cmd
	exited                  chan struct{}
}

func (u *upProcess) start() {
	u.t.Helper()
	lf, err := os.OpenFile(u.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		u.t.Fatal(err)
	}
	defer lf.Close()
	u.cmd = exec.Command(u.bin, "up", "--data-dir", u.dir, "--kafka-addr", u.kafka,
		"--schema-registry-addr", u.registry, "--sql-addr", u.sqlSrv, "--admin-addr", "127.0.0.1:0", "--log-level", "warn")
	u.cmd.Stdout, u.cmd.Stderr = lf, lf
	if err := u.cmd.Start(); err != nil {
		u.t.Fatalf("starting streamlite up: %v", err)
	}
	u.exited = make(chan struct{})
	go func(c *exec.Cmd, done chan struct{}) { _ = c.Wait(); close(done) }(u.cmd, u.exited)
	deadline := time.Now().Add(time.Minute)
	for {
		c, err := net.DialTimeout("tcp", u.kafka, time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-u.exited:
			b, _ := os.ReadFile(u.log)
			u.t.Fatalf("streamlite up exited before listening:\n%s", b)
		default:
		}
		if time.Now().After(deadline) {
			u.t.Fatalf("streamlite up not listening on %s after a minute", u.kafka)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// kill ends the broker with SIGKILL, as a crash would, and waits for it.
func (u *upProcess) kill() {
	if u.cmd == nil {
		return
	}
	_ = u.cmd.Process.Kill()
	<-u.exited
	u.cmd = nil
}

// tmuxSession runs a command in a detached tmux session on its own server socket.
type tmuxSession struct {
	t      *testing.T
	socket string
}

func (s *tmuxSession) tmux(args ...string) (string, error) {
	out, err := exec.Command("tmux", append([]string{"-L", s.socket}, args...)...).CombinedOutput()
	return string(out), err
}

// send types keys: each argument is a tmux key name (Enter, Escape) or, with literal,
// text typed as is.
func (s *tmuxSession) send(literal bool, keys ...string) {
	s.t.Helper()
	s.sendNow(literal, keys...)
	// Let the program read the keys before the next ones: text typed right after an
	// escape would be read as alt-keys.
	time.Sleep(100 * time.Millisecond)
}

// sendNow is send without the pause after the keys.
func (s *tmuxSession) sendNow(literal bool, keys ...string) {
	s.t.Helper()
	args := []string{"send-keys", "-t", "tui"}
	if literal {
		args = append(args, "-l")
	}
	if out, err := s.tmux(append(args, keys...)...); err != nil {
		s.t.Fatalf("tmux send-keys %v: %v: %s", keys, err, out)
	}
}

func (s *tmuxSession) capture() string {
	out, err := s.tmux("capture-pane", "-p", "-t", "tui")
	if err != nil {
		return "capture-pane failed: " + err.Error() + ": " + out
	}
	return out
}

// waitFor polls the pane until cond holds on it, failing after timeout.
func (s *tmuxSession) waitFor(what string, timeout time.Duration, cond func(screen string) bool) string {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		screen := s.capture()
		if cond(screen) {
			return screen
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("waiting for %s: timed out; the screen:\n%s", what, screen)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *tmuxSession) waitShows(text string, timeout time.Duration) string {
	s.t.Helper()
	return s.waitFor(fmt.Sprintf("%q on the screen", text), timeout, func(screen string) bool {
		return strings.Contains(screen, text)
	})
}

// requireTmux skips the test when tmux is missing, except in CI where it fails.
func requireTmux(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("tmux is not installed; the end-to-end TUI test needs it in CI")
		}
		t.Skip("tmux is not installed")
	}
}

// startUp starts `streamlite up` on free ports and a fresh data directory, killed when the
// test ends; its log is shown if the test failed.
func startUp(t *testing.T, bin string) *upProcess {
	t.Helper()
	tmp := t.TempDir()
	up := &upProcess{t: t, bin: bin, dir: filepath.Join(tmp, "data"), log: filepath.Join(tmp, "up.log"),
		kafka: freeAddr(t), registry: freeAddr(t), sqlSrv: freeAddr(t)}
	up.start()
	t.Cleanup(up.kill)
	t.Cleanup(func() {
		if t.Failed() {
			b, _ := os.ReadFile(up.log)
			t.Logf("streamlite up's log:\n%s", b)
		}
	})
	return up
}

// startTUI runs `streamlite tui` against up in a 100x30 tmux pane (session "tui", on a
// server of its own killed when the test ends), with env (NAME=value) added to its
// environment. The program is exec'd, so the pane's pid is the TUI's.
func startTUI(t *testing.T, bin string, up *upProcess, env []string) *tmuxSession {
	t.Helper()
	s := &tmuxSession{t: t, socket: fmt.Sprintf("streamlite-tui-test-%d", os.Getpid())}
	command := fmt.Sprintf("exec %s tui --brokers %s --registry http://%s --sql-server http://%s", bin, up.kafka, up.registry, up.sqlSrv)
	args := []string{"new-session", "-d", "-s", "tui", "-x", "100", "-y", "30"}
	for _, e := range env {
		args = append(args, "-e", e)
	}
	if out, err := s.tmux(append(args, command)...); err != nil {
		t.Fatalf("tmux new-session: %v: %s", err, out)
	}
	t.Cleanup(func() { _, _ = s.tmux("kill-server") })
	return s
}

// line returns the n-th line (0-based) of a captured screen.
func line(screen string, n int) string {
	ls := strings.Split(screen, "\n")
	if n < len(ls) {
		return ls[n]
	}
	return ""
}

// TestTmuxEndToEnd runs `streamlite up` and `streamlite tui` in a tmux pane (100x30) and
// drives the TUI with send-keys, reading the screen with capture-pane (issue 11, must-show
// 2 and 4): navigate to a topic, open its records in follow mode, see a record produced
// afterwards appear, switch to groups with :groups and see the lag of a group that is
// behind, kill the broker and see the error line, restart it and see the screen recover.
func TestTmuxEndToEnd(t *testing.T) {
	requireTmux(t)
	bin := buildStreamlite(t)
	up := startUp(t, bin)

	// A topic with records, and a group 6 records behind on it.
	cl, err := kgo.NewClient(kgo.SeedBrokers(up.kafka), kgo.DefaultProduceTopic("orders"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, "orders"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		if err := cl.ProduceSync(ctx, &kgo.Record{Key: fmt.Appendf(nil, "k%d", i), Value: fmt.Appendf(nil, `{"n":%d}`, i)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	var offs kadm.Offsets
	offs.Add(kadm.Offset{Topic: "orders", Partition: 0, At: 4, LeaderEpoch: -1})
	if resp, err := adm.CommitOffsets(ctx, "lagging", offs); err != nil || resp.Error() != nil {
		t.Fatalf("committing: %v %v", err, resp.Error())
	}

	s := startTUI(t, bin, up, nil)

	s.waitShows("orders", 30*time.Second)
	// Navigate: filter the topics by name, open the topic, open its records from the end.
	s.send(true, "/")
	s.send(true, "ord")
	s.send(false, "Enter")
	s.send(false, "Enter")
	s.waitShows("LOCAL START", 10*time.Second)
	s.send(true, "r")
	s.waitShows("following", 10*time.Second)
	s.waitShows(`{ "n": 9 }`, 10*time.Second)

	// A record produced now shows up in the live tail.
	if err := cl.ProduceSync(ctx, &kgo.Record{Key: []byte("tmux-key"), Value: []byte(`{"hello":"tmux"}`)}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	screen := s.waitShows("tmux-key", 10*time.Second)
	if !strings.Contains(screen, "> 0      10") {
		t.Fatalf("follow mode did not select the new record:\n%s", screen)
	}

	// :groups shows the group's lag: 10 records, 4 committed.
	s.send(true, ":groups")
	s.send(false, "Enter")
	s.waitShows("lagging", 10*time.Second)
	s.waitFor("the lag of group lagging", 10*time.Second, func(screen string) bool {
		for _, l := range strings.Split(screen, "\n") {
			// "> lagging  Empty  0  7 ..." or without the marker: 11 records now, 4 committed.
			f := strings.Fields(strings.TrimPrefix(l, "> "))
			if len(f) >= 4 && f[0] == "lagging" && f[3] == "7" {
				return true
			}
		}
		return false
	})

	// Kill the broker: the error line says so and offers a retry.
	up.kill()
	screen = s.waitFor("the error line", 30*time.Second, func(screen string) bool {
		l := line(screen, 1)
		return strings.Contains(l, up.kafka) && strings.Contains(l, "retrying in")
	})
	t.Logf("with the broker down:\n%s", screen)

	// Restart it on the same address and data: the screen recovers by itself.
	up.start()
	s.waitFor("the screen to recover", 60*time.Second, func(screen string) bool {
		return strings.TrimSpace(line(screen, 1)) == "" && strings.Contains(screen, "lagging")
	})

	// q goes back to the topics, q again quits.
	s.send(true, "q")
	s.waitShows("sort: name", 10*time.Second)
	s.send(true, "q")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := s.tmux("has-session", "-t", "tui"); err != nil {
			break // the session ended with the program
		}
		if time.Now().After(deadline) {
			t.Fatalf("the TUI did not quit on q:\n%s", s.capture())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
