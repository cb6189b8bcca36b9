package crashtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestGracefulRestart checks that SIGTERM stops the broker cleanly (exit status 0 within a
// few seconds, nothing for the next start to repair) and that what was acknowledged before
// is all there after the restart.
func TestGracefulRestart(t *testing.T) {
	const (
		topic      = "graceful"
		partitions = 3
		records    = 3000
	)
	b := newBroker(t)
	b.start()
	defer func() {
		if t.Failed() {
			t.Log(b.logTail())
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	cl := newClient(t, b.addr)
	if resp, err := kadm.NewClient(cl).CreateTopic(ctx, partitions, 1, nil, topic); err != nil || resp.Err != nil {
		t.Fatalf("creating topic: %v %v", err, resp.Err)
	}
	want := make(map[string]bool, records)
	recs := make([]*kgo.Record, records)
	for i := range recs {
		v := fmt.Sprintf("record %d", i)
		want[v] = true
		recs[i] = &kgo.Record{Topic: topic, Key: []byte(strconv.Itoa(i % 7)), Value: []byte(v)}
	}
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("producing: %v", err)
	}
	cl.Close()

	began := time.Now()
	if err := b.stop(5 * time.Second); err != nil {
		t.Fatalf("after SIGTERM the broker exited with %v, want status 0", err)
	}
	t.Logf("stopped %s after SIGTERM", time.Since(began).Round(time.Millisecond))
	if !strings.Contains(b.log(), "stopped") {
		t.Errorf("no \"stopped\" line after SIGTERM")
	}

	b.start()
	got := consumeAll(ctx, t, b.addr, topic)
	for v := range want {
		if got[v] != 1 {
			t.Errorf("after restart, %q is there %d times, want 1", v, got[v])
		}
	}
	if len(got) != len(want) {
		t.Errorf("after restart, %d distinct values, want %d", len(got), len(want))
	}
	// At --log-level warn a clean start says nothing: a warning means recovery found a torn
	// tail or missing indexes, which a graceful stop must not leave.
	if err := b.stop(5 * time.Second); err != nil {
		t.Fatalf("second SIGTERM: exit %v", err)
	}
	for _, line := range strings.Split(b.log(), "\n") {
		if strings.Contains(line, "level=WARN") || strings.Contains(line, "level=ERROR") {
			t.Errorf("broker logged after a graceful stop: %s", line)
		}
	}
}

// TestSecondUpSameDataDir checks that a second `up` on a data directory in use fails at once
// with one line naming the directory, and leaves the first broker serving.
func TestSecondUpSameDataDir(t *testing.T) {
	b := newBroker(t)
	b.start()
	stderr, took := upMustFail(t, b.bin, "--data-dir", b.dataDir, "--kafka-addr", freeAddr(t))
	line := oneLine(t, stderr)
	for _, want := range []string{b.dataDir, "--data-dir"} {
		if !strings.Contains(line, want) {
			t.Errorf("error %q does not name %q", line, want)
		}
	}
	t.Logf("failed in %s: %s", took.Round(time.Millisecond), line)
	stillServing(t, b)
}

// TestSecondUpSamePort checks that a second `up` on a Kafka address in use fails at once with
// one line naming --kafka-addr and --any-port, and leaves the first broker serving.
func TestSecondUpSamePort(t *testing.T) {
	b := newBroker(t)
	b.start()
	stderr, took := upMustFail(t, b.bin, "--data-dir", filepath.Join(t.TempDir(), "other"), "--kafka-addr", b.addr)
	line := oneLine(t, stderr)
	for _, want := range []string{b.addr, "--kafka-addr", "--any-port"} {
		if !strings.Contains(line, want) {
			t.Errorf("error %q does not name %q", line, want)
		}
	}
	t.Logf("failed in %s: %s", took.Round(time.Millisecond), line)
	stillServing(t, b)
}

// TestUpSchemaRegistryAddrInUse checks that `up` on a schema registry address in use fails at
// once with one line naming the address, --schema-registry-addr and --any-port (issue 7).
func TestUpSchemaRegistryAddrInUse(t *testing.T) {
	bin := buildBinary(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	taken := ln.Addr().String()
	stderr, took := upMustFail(t, bin, "--memory", "--kafka-addr", freeAddr(t), "--admin-addr", "127.0.0.1:0", "--schema-registry-addr", taken)
	line := oneLine(t, stderr)
	for _, want := range []string{taken, "--schema-registry-addr", "--any-port"} {
		if !strings.Contains(line, want) {
			t.Errorf("error %q does not name %q", line, want)
		}
	}
	t.Logf("failed in %s: %s", took.Round(time.Millisecond), line)
}

// upMustFail runs `streamlite up args...` with the default log level and checks that it
// exits with status 1 within five seconds; it returns the stderr and how long it took.
func upMustFail(t *testing.T, bin string, args ...string) (string, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	began := time.Now()
	stderr, err := runUp(ctx, bin, args...)
	took := time.Since(began)
	if ctx.Err() != nil {
		t.Fatalf("second up still running after 5 s; stderr:\n%s", stderr)
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("second up: %v, want exit status 1; stderr:\n%s", err, stderr)
	}
	return stderr, took
}

// oneLine checks that s is exactly one line starting with "error: " and returns it.
func oneLine(t *testing.T, s string) string {
	t.Helper()
	line := strings.TrimSuffix(s, "\n")
	if line == "" || strings.Contains(line, "\n") || !strings.HasPrefix(line, "error: ") {
		t.Errorf("want one line starting with \"error: \", got:\n%s", s)
	}
	return line
}

// stillServing checks that b's process runs and answers a metadata request.
func stillServing(t *testing.T, b *broker) {
	t.Helper()
	if !b.running() {
		t.Fatalf("the first broker exited\n%s", b.logTail())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cl := newClient(t, b.addr)
	defer cl.Close()
	if _, err := kadm.NewClient(cl).BrokerMetadata(ctx); err != nil {
		t.Fatalf("the first broker does not answer: %v", err)
	}
}

// newClient returns a franz-go client for addr, closed with the test.
func newClient(t *testing.T, addr string, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// consumeAll reads topic from the start to its end offsets and counts each value.
func consumeAll(ctx context.Context, t *testing.T, addr, topic string) map[string]int {
	t.Helper()
	cl := newClient(t, addr, kgo.ConsumeTopics(topic), kgo.FetchMaxWait(100*time.Millisecond))
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		t.Fatalf("listing end offsets: %v", err)
	}
	left := make(map[int32]int64)
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			left[o.Partition] = o.Offset
		}
	})
	got := make(map[string]int)
	for len(left) > 0 {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consuming %s: still waiting for %v", topic, left)
		}
		fs.EachRecord(func(r *kgo.Record) {
			got[string(r.Value)]++
			if end, ok := left[r.Partition]; ok && r.Offset+1 >= end {
				delete(left, r.Partition)
			}
		})
	}
	return got
}
