// Package s3test runs a real S3-compatible server for tests: versitygw
// (github.com/versity/versitygw, posix backend) on 127.0.0.1, one process
// per Start, with its data in the test's temporary directory.
//
// A test gets a server, a fresh bucket and an objstore.S3Store on it:
//
//	srv := s3test.Start(t)
//	st := srv.Store(t, srv.Bucket(t), "topics")
//
// Because the server is a separate process, a test can take it away and
// bring it back to see what an outage does (say, an upload in flight):
//
//	srv.Kill()    // SIGKILL: in-flight requests fail, connections reset
//	...           // keep producing; uploads must retry, nothing is lost
//	srv.Restart() // same address, same data directory
//
// The binary is found on PATH. If it is missing the test is skipped with
// the install command, except under CI (environment variable CI
// non-empty), where the test fails instead. CI installs it (.ci/run);
// elsewhere run
//
//	GOBIN=/usr/local/bin go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
//
// The server's output is kept (its last 256 KiB) and logged when the test
// fails. One quirk to know: versitygw maps keys to files, so an object "x"
// and an object "x/y" cannot both exist (real S3 allows it; objstore.Store
// rules it out).
package s3test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/streamlite/streamlite/tiered/objstore"
)

// InstallCommand installs the versitygw version this package is tested
// with; Start's skip and failure messages quote it.
const InstallCommand = "GOBIN=/usr/local/bin go install github.com/versity/versitygw/cmd/versitygw@v1.8.0"

// Region is the region the server answers for and Store's clients use.
const Region = "us-east-1"

// readyTimeout bounds how long Start and Restart wait for the server to
// answer a signed ListBuckets.
const readyTimeout = 10 * time.Second

// outputLimit is how much of the server's output is kept.
const outputLimit = 256 << 10

// Server is a running versitygw. Its fields are fixed for its life,
// Restart included; do not change them. Kill is safe from any goroutine;
// Start, Restart, Bucket and Store report failures with tb.Fatal, so call
// them from the test's own goroutine.
type Server struct {
	// Endpoint is the server's base URL, "http://127.0.0.1:PORT".
	Endpoint string
	// AccessKey and SecretKey are the root credentials it accepts.
	AccessKey, SecretKey string
	// Dir is its data directory: one subdirectory per bucket, one file
	// per object.
	Dir string

	tb      testing.TB
	bin     string
	addr    string // 127.0.0.1:PORT
	out     *tailBuffer
	client  *s3.Client
	buckets atomic.Int64

	// mu guards proc and serializes Kill and spawn. Lock order: mu, then
	// out's lock (spawn writes the command line to out holding mu).
	mu   sync.Mutex
	proc *process // nil when killed
}

// process is one run of the binary. Its waiter goroutine, owned by the
// Server, ends when the process exits; Kill waits for it.
type process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited and been reaped
	err  error         // cmd.Wait's result, set before done is closed
}

// Start runs versitygw on a free 127.0.0.1 port with an empty data
// directory in tb.TempDir() and returns once it answers a signed
// ListBuckets. tb.Cleanup kills it.
func Start(tb testing.TB) *Server {
	tb.Helper()
	bin, err := exec.LookPath("versitygw")
	if err != nil {
		msg := fmt.Sprintf("s3test: versitygw not found on PATH (%v); install it with: %s", err, InstallCommand)
		if os.Getenv("CI") != "" {
			tb.Fatal(msg)
		}
		tb.Skip(msg)
	}
	s := &Server{
		AccessKey: "streamlite",
		SecretKey: "streamlite-secret",
		Dir:       tb.TempDir(),
		tb:        tb,
		bin:       bin,
		out:       &tailBuffer{limit: outputLimit},
	}
	tb.Cleanup(func() {
		s.Kill()
		if tb.Failed() {
			tb.Logf("s3test: versitygw output (%s):\n%s", s.addr, s.out)
		}
	})
	// The free port is found by listening and closing, so another process
	// may take it before versitygw binds it; try a few ports.
	var lastErr error
	for range 3 {
		s.addr, err = freeAddr()
		if err != nil {
			tb.Fatalf("s3test: %v", err)
		}
		s.Endpoint = "http://" + s.addr
		s.client = s3.New(s3.Options{
			BaseEndpoint: aws.String(s.Endpoint),
			Region:       Region,
			UsePathStyle: true,
			Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
			Retryer:      aws.NopRetryer{},
		})
		if lastErr = s.start(); lastErr == nil {
			return s
		}
		s.Kill()
	}
	tb.Fatalf("s3test: %v\nversitygw output:\n%s", lastErr, s.out)
	return nil
}

// Kill stops the server with SIGKILL, as a crash would, and waits until
// it has exited. Objects whose PUT completed stay in Dir; a PUT in flight
// leaves nothing. It does nothing if the server is not running.
func (s *Server) Kill() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return
	}
	_ = s.proc.cmd.Process.Kill() // fails only if it has exited already
	<-s.proc.done
	s.proc = nil
}

// Restart kills the server if it is running and starts it again on the
// same address and data directory, returning once it answers. It reports
// failure with Fatal on the tb given to Start, so call it from that
// test's goroutine.
func (s *Server) Restart() {
	s.tb.Helper()
	s.Kill()
	if err := s.start(); err != nil {
		s.tb.Fatalf("s3test: restart: %v\nversitygw output:\n%s", err, s.out)
	}
}

// Bucket creates a bucket with a name no other Bucket call on s has
// returned and returns the name.
func (s *Server) Bucket(tb testing.TB) string {
	tb.Helper()
	name := fmt.Sprintf("%s-%d", bucketName(tb.Name()), s.buckets.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	if _, err := s.client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		tb.Fatalf("s3test: creating bucket %s: %v", name, err)
	}
	return name
}

// Store returns an objstore.S3Store on bucket under prefix, talking to s
// with path-style addressing and s's credentials.
func (s *Server) Store(tb testing.TB, bucket, prefix string) *objstore.S3Store {
	tb.Helper()
	st, err := objstore.NewS3Store(context.Background(), objstore.S3Options{
		Bucket:    bucket,
		Prefix:    prefix,
		Endpoint:  s.Endpoint,
		Region:    Region,
		AccessKey: s.AccessKey,
		SecretKey: s.SecretKey,
		PathStyle: true,
	})
	if err != nil {
		tb.Fatalf("s3test: %v", err)
	}
	return st
}

// start runs the binary on s.addr and waits until it answers. It does
// not hold mu while it waits, so a Kill meanwhile ends the wait.
func (s *Server) start() error {
	p, err := s.spawn()
	if err != nil {
		return err
	}
	return s.waitReady(p)
}

// spawn starts the process and its waiter goroutine.
func (s *Server) spawn() (*process, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		return nil, errors.New("already running")
	}
	cmd := exec.Command(s.bin, "--port", s.addr, "--quiet", "--keep-alive", "posix", s.Dir)
	// A clean environment: versitygw reads many VGW_* and other variables
	// that must not leak in from the developer's shell.
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"ROOT_ACCESS_KEY=" + s.AccessKey,
		"ROOT_SECRET_KEY=" + s.SecretKey,
	}
	cmd.Stdout = s.out
	cmd.Stderr = s.out
	fmt.Fprintf(s.out, "--- s3test: %s\n", strings.Join(cmd.Args, " "))
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting versitygw: %w", err)
	}
	p := &process{cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	s.proc = p
	return p, nil
}

// waitReady polls a signed ListBuckets until it succeeds, the process
// exits or readyTimeout passes.
func (s *Server) waitReady(p *process) error {
	deadline := time.Now().Add(readyTimeout)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := s.client.ListBuckets(ctx, &s3.ListBucketsInput{})
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("versitygw on %s not ready after %v: %w", s.addr, readyTimeout, err)
		}
		select {
		case <-p.done:
			return fmt.Errorf("versitygw on %s exited before it was ready: %v", s.addr, p.err)
		case <-tick.C:
		}
	}
}

// freeAddr returns a 127.0.0.1 address with a port nothing listens on.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	return addr, nil
}

// bucketName turns a test name into the start of a valid bucket name:
// lower-case letters, digits and '-', starting with a letter, short
// enough to leave room for a counter.
func bucketName(test string) string {
	var b strings.Builder
	b.WriteString("t-")
	dash := true
	for _, r := range strings.ToLower(test) {
		if b.Len() >= 48 {
			break
		}
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// tailBuffer keeps the last limit bytes written to it; safe for
// concurrent use (the process writes, the test reads).
type tailBuffer struct {
	mu      sync.Mutex
	limit   int
	buf     []byte
	dropped int64
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.limit; over > 0 {
		t.dropped += int64(over)
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.dropped > 0 {
		return "[" + strconv.FormatInt(t.dropped, 10) + " earlier bytes dropped]\n" + string(t.buf)
	}
	return string(t.buf)
}
