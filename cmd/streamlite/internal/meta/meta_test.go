package meta_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clitest"
	"github.com/streamlite/streamlite/cmd/streamlite/internal/meta"
	"github.com/streamlite/streamlite/engine/admin"
)

// fixtureTopic stands in for __cluster_metadata on kfake, which has none.
const fixtureTopic = "meta-fixture"

// record is one fixture record: key and value as the broker writes them.
type record struct{ key, value string }

var fixture = []record{
	{"TopicCreated", `{"index":1,"type":"TopicCreated","record":{"name":"orders","topicId":"AAAAAAAAAAAAAAAAAAAAAg","partitions":3,"configs":{"retention.ms":"1000"}}}`},
	{"PartitionsAdded", `{"index":2,"type":"PartitionsAdded","record":{"name":"orders","topicId":"AAAAAAAAAAAAAAAAAAAAAg","partitions":6}}`},
	{"ConfigChanged", `{"index":3,"type":"ConfigChanged","record":{"name":"orders","topicId":"AAAAAAAAAAAAAAAAAAAAAg","set":{"retention.ms":"5"},"delete":["x"]}}`},
	{"ProducerIDBlock", `{"index":4,"type":"ProducerIDBlock","record":{"nextProducerId":2000}}`},
	{"AclCreated", `{"index":5,"type":"AclCreated","record":{"principal":"User:alice"}}`},
	{"TopicDeleted", `{"index":6,"type":"TopicDeleted","record":{"name":"orders","topicId":"AAAAAAAAAAAAAAAAAAAAAg"}}`},
}

var fixtureText = []string{
	"1        TopicCreated     topic orders created (3 partitions, retention.ms=1000)",
	"2        PartitionsAdded  topic orders grown to 6 partitions",
	"3        ConfigChanged    topic orders config set retention.ms=5 deleted x",
	"4        ProducerIDBlock  producer ids below 2000 allocated",
	`5        AclCreated       {"principal":"User:alice"}`,
	"6        TopicDeleted     topic orders deleted",
}

// fill produces rs to the fixture topic, in order.
func fill(t *testing.T, addr string, rs ...record) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic(fixtureTopic))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var krs []*kgo.Record
	for _, r := range rs {
		krs = append(krs, &kgo.Record{Key: []byte(r.key), Value: []byte(r.value)})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, krs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// fixtureCluster starts kfake with the fixture topic and points `meta
// log` at it.
func fixtureCluster(t *testing.T) string {
	t.Helper()
	_, addr := clitest.Cluster(t, kfake.SeedTopics(1, fixtureTopic))
	meta.UseTopic(t, fixtureTopic)
	return addr
}

func lines(s string) []string { return strings.Split(strings.TrimSuffix(s, "\n"), "\n") }

func TestLogText(t *testing.T) {
	addr := fixtureCluster(t)

	// An empty log prints nothing and ends at once.
	if out := clitest.MustRun(t, meta.NewCommand(), "", "log", "-b", addr).Stdout; out != "" {
		t.Fatalf("empty log printed %q", out)
	}

	fill(t, addr, fixture...)
	out := clitest.MustRun(t, meta.NewCommand(), "", "log", "-b", addr).Stdout
	if got, want := strings.Join(lines(out), "\n"), strings.Join(fixtureText, "\n"); got != want {
		t.Fatalf("meta log:\n%s\nwant:\n%s", got, want)
	}
}

func TestLogJSON(t *testing.T) {
	addr := fixtureCluster(t)
	// A pretty-printed value still takes one line.
	pretty := record{"TopicDeleted", "{\n  \"index\": 7,\n  \"type\": \"TopicDeleted\",\n  \"record\": {\"name\": \"a\"}\n}"}
	fill(t, addr, append(fixture, pretty)...)

	out := clitest.MustRun(t, meta.NewCommand(), "", "log", "-o", "json", "-b", addr).Stdout
	got := lines(out)
	if len(got) != len(fixture)+1 {
		t.Fatalf("meta log -o json: %d lines, want %d:\n%s", len(got), len(fixture)+1, out)
	}
	for i, r := range fixture {
		if got[i] != r.value {
			t.Errorf("line %d: %s\nwant %s", i, got[i], r.value)
		}
	}
	if want := `{"index":7,"type":"TopicDeleted","record":{"name":"a"}}`; got[len(fixture)] != want {
		t.Errorf("pretty value: %s\nwant %s", got[len(fixture)], want)
	}
	if r := clitest.Run(t, meta.NewCommand(), "", "log", "-o", "yaml", "-b", addr); r.Err == nil {
		t.Error("-o yaml: no error")
	}
}

// Without --follow, log stops at the end it saw when it started, at once:
// not when clitest's one-minute context ends.
func TestLogStopsAtStartEnd(t *testing.T) {
	addr := fixtureCluster(t)
	fill(t, addr, fixture[:2]...)
	start := time.Now()
	out := clitest.MustRun(t, meta.NewCommand(), "", "log", "-b", addr).Stdout
	if got := lines(out); len(got) != 2 || got[1] != fixtureText[1] {
		t.Fatalf("meta log after 2 records:\n%s", out)
	}
	if took := time.Since(start); took > 20*time.Second {
		t.Fatalf("meta log took %s to stop at the end", took)
	}
}

func TestLogNoTopic(t *testing.T) {
	_, addr := clitest.Cluster(t)
	meta.UseTopic(t, "no-such-metadata")
	r := clitest.Run(t, meta.NewCommand(), "", "log", "-b", addr)
	if r.Err == nil || !strings.Contains(r.Err.Error(), "has no topic no-such-metadata") {
		t.Fatalf("log without the topic: %v", r.Err)
	}
}

// syncBuffer is a bytes.Buffer safe to write from the command and read
// from the test at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// follow runs `meta log --follow ARGS` until the returned stop is called;
// stop returns the command's error.
func follow(t *testing.T, args ...string) (out *syncBuffer, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := meta.NewCommand()
	out = &syncBuffer{}
	cmd.SetOut(out)
	cmd.SetErr(out)
	cmd.SetArgs(append([]string{"log", "--follow"}, args...))
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				err = errors.New("log --follow did not stop within 10s of its context ending")
			}
		})
		return err
	}
	t.Cleanup(func() { _ = stop() })
	return out, stop
}

// waitFor polls until out has n lines, and returns them.
func waitFor(t *testing.T, out *syncBuffer, n int) []string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		s := out.String()
		if got := lines(s); s != "" && len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 15s for %d lines; have:\n%s", n, s)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestLogFollow(t *testing.T) {
	addr := fixtureCluster(t)
	fill(t, addr, fixture[:3]...)

	out, stop := follow(t, "-b", addr)
	if got := waitFor(t, out, 3); strings.Join(got, "\n") != strings.Join(fixtureText[:3], "\n") {
		t.Fatalf("before new changes:\n%s", out)
	}
	// Changes made while following show up, in order.
	fill(t, addr, fixture[3:]...)
	got := waitFor(t, out, len(fixture))
	if strings.Join(got, "\n") != strings.Join(fixtureText, "\n") {
		t.Fatalf("after new changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(fixtureText, "\n"))
	}
	// An interrupt ends it without an error.
	if err := stop(); err != nil {
		t.Fatalf("stopping: %v", err)
	}
}

// An empty log is followed too: it waits for the first change.
func TestLogFollowEmpty(t *testing.T) {
	addr := fixtureCluster(t)
	out, stop := follow(t, "-b", addr, "-o", "json")
	fill(t, addr, fixture[0])
	if got := waitFor(t, out, 1); got[0] != fixture[0].value {
		t.Fatalf("followed: %q", got)
	}
	if err := stop(); err != nil {
		t.Fatalf("stopping: %v", err)
	}
}

// fakeMetadata is admin.Metadata with fixed answers.
type fakeMetadata struct {
	mu    sync.Mutex
	stats any
	index uint64
	err   error
	calls int
}

func (m *fakeMetadata) MetadataStats() any {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stats
}

func (m *fakeMetadata) Snapshot() (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls++
	return m.index, m.err
}

// adminServer serves the real admin handler over md (nil: none) and
// returns its host:port.
func adminServer(t *testing.T, md admin.Metadata) string {
	t.Helper()
	cfg := admin.Config{}
	if md != nil {
		cfg.Metadata = md
	}
	srv := httptest.NewServer(admin.New(cfg))
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

func TestSnapshot(t *testing.T) {
	md := &fakeMetadata{index: 42}
	addr := adminServer(t, md)

	r := clitest.MustRun(t, meta.NewCommand(), "", "snapshot", "--admin-addr", addr)
	if r.Stdout != "snapshot at index 42\n" || md.calls != 1 {
		t.Fatalf("snapshot: %q after %d calls", r.Stdout, md.calls)
	}
	// From the environment, and as a URL.
	t.Setenv("STREAMLITE_ADMIN_ADDR", "http://"+addr+"/")
	md.index = 43
	if r := clitest.MustRun(t, meta.NewCommand(), "", "snapshot"); r.Stdout != "snapshot at index 43\n" {
		t.Fatalf("snapshot with STREAMLITE_ADMIN_ADDR: %q", r.Stdout)
	}

	md.err = errors.New("disk full")
	r = clitest.Run(t, meta.NewCommand(), "", "snapshot")
	if r.Err == nil || !strings.Contains(r.Err.Error(), "500") || !strings.Contains(r.Err.Error(), "disk full") {
		t.Fatalf("failing snapshot: %v", r.Err)
	}
	if r.Stdout != "" {
		t.Errorf("failing snapshot printed %q", r.Stdout)
	}
}

func TestAdminErrors(t *testing.T) {
	// A broker without a metadata log answers 404 with its message.
	addr := adminServer(t, nil)
	for _, verb := range []string{"snapshot", "describe"} {
		r := clitest.Run(t, meta.NewCommand(), "", verb, "--admin-addr", addr)
		if r.Err == nil || !strings.Contains(r.Err.Error(), "no metadata log") {
			t.Errorf("%s without a metadata log: %v", verb, r.Err)
		}
	}
	// Nobody listening: the error says where to look.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	for _, verb := range []string{"snapshot", "describe"} {
		r := clitest.Run(t, meta.NewCommand(), "", verb, "--admin-addr", closed)
		if r.Err == nil || !strings.Contains(r.Err.Error(), "--admin-addr") {
			t.Errorf("%s with nobody listening: %v", verb, r.Err)
		}
	}
}

func TestDescribe(t *testing.T) {
	type snap struct {
		Index uint64 `json:"index"`
		Bytes int64  `json:"bytes"`
	}
	stats := struct {
		LastIndex   uint64 `json:"last_index"`
		FirstIndex  uint64 `json:"first_index"`
		Snapshot    snap   `json:"snapshot"`
		Topics      int    `json:"topics"`
		LastSnapped string `json:"last_snapshot_time"`
	}{120, 101, snap{100, 4096}, 7, "2026-11-22T10:00:00Z"}
	addr := adminServer(t, &fakeMetadata{stats: stats})

	out := clitest.MustRun(t, meta.NewCommand(), "", "describe", "--admin-addr", addr).Stdout
	want := `last_index          120
first_index         101
snapshot.index      100
snapshot.bytes      4096
topics              7
last_snapshot_time  2026-11-22T10:00:00Z
`
	if out != want {
		t.Fatalf("describe:\n%s\nwant:\n%s", out, want)
	}

	out = clitest.MustRun(t, meta.NewCommand(), "", "describe", "-o", "json", "--admin-addr", addr).Stdout
	b, _ := json.Marshal(stats)
	if out != string(b)+"\n" {
		t.Fatalf("describe -o json: %q, want %q", out, fmt.Sprintf("%s\n", b))
	}
}
