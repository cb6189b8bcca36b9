package topic_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clitest"
	"github.com/streamlite/streamlite/cmd/streamlite/internal/produce"
	"github.com/streamlite/streamlite/cmd/streamlite/internal/topic"
	"github.com/streamlite/streamlite/engine/enginetest"
)

// run executes `topic ARGS... -b addr` and fails the test on error.
func run(t *testing.T, addr string, args ...string) string {
	t.Helper()
	return clitest.MustRun(t, topic.NewCommand(), "", append(args, "-b", addr)...).Stdout
}

// configLine returns the describe line of config key, with runs of spaces
// collapsed.
func configLine(out, key string) string {
	for _, l := range strings.Split(out, "\n") {
		if f := strings.Fields(l); len(f) > 0 && f[0] == key {
			return strings.Join(f, " ")
		}
	}
	return ""
}

func TestTopicLifecycle(t *testing.T) {
	_, addr := clitest.Cluster(t)

	out := run(t, addr, "create", "orders", "-p", "3", "-r", "1", "-c", "retention.ms=1000", "-c", "cleanup.policy=compact")
	if want := "TOPIC   PARTITIONS  REPLICAS  STATUS\norders  3           1         OK\n"; out != want {
		t.Fatalf("create:\n%s\nwant:\n%s", out, want)
	}
	r := clitest.Run(t, topic.NewCommand(), "", "create", "orders", "-b", addr)
	if r.Err == nil || !strings.Contains(r.Err.Error(), "TOPIC_ALREADY_EXISTS") {
		t.Fatalf("create again: got %v, want TOPIC_ALREADY_EXISTS", r.Err)
	}
	run(t, addr, "create", "audit")

	out = run(t, addr, "list")
	if want := "NAME    PARTITIONS  REPLICAS\naudit   1           1\norders  3           1\n"; out != want {
		t.Fatalf("list:\n%s\nwant:\n%s", out, want)
	}

	clitest.MustRun(t, produce.NewCommand(), "a\nb\n", "orders", "-b", addr, "-p", "1")
	out = run(t, addr, "describe", "orders")
	for _, want := range []string{
		"NAME        orders\n",
		"PARTITIONS  3\n",
		"REPLICAS    1\n",
		"PARTITION  LEADER  EPOCH  REPLICAS  ISR  START  END\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("describe: missing %q in\n%s", want, out)
		}
	}
	if got, want := partitionLine(out, "1"), "1 0 0 [0] [0] 0 2"; got != want {
		t.Errorf("describe partition 1: got %q, want %q", got, want)
	}
	if got, want := configLine(out, "retention.ms"), "retention.ms 1000 DYNAMIC_TOPIC_CONFIG"; got != want {
		t.Errorf("describe retention.ms: got %q, want %q", got, want)
	}
	if got, want := configLine(out, "cleanup.policy"), "cleanup.policy compact DYNAMIC_TOPIC_CONFIG"; got != want {
		t.Errorf("describe cleanup.policy: got %q, want %q", got, want)
	}

	out = run(t, addr, "alter-config", "orders", "--set", "retention.ms=2000", "--delete", "cleanup.policy")
	if want := "altered configs of orders\n"; out != want {
		t.Fatalf("alter-config: got %q, want %q", out, want)
	}
	out = run(t, addr, "describe", "orders")
	if got, want := configLine(out, "retention.ms"), "retention.ms 2000 DYNAMIC_TOPIC_CONFIG"; got != want {
		t.Errorf("after alter, retention.ms: got %q, want %q", got, want)
	}
	if got := configLine(out, "cleanup.policy"); strings.Contains(got, "DYNAMIC_TOPIC_CONFIG") {
		t.Errorf("after alter, cleanup.policy still set: %q", got)
	}

	out = run(t, addr, "delete", "orders", "audit")
	if want := "deleted topic orders\ndeleted topic audit\n"; out != want { // in the order given
		t.Fatalf("delete: got %q, want %q", out, want)
	}
	if out = run(t, addr, "list"); out != "NAME  PARTITIONS  REPLICAS\n" {
		t.Fatalf("list after delete:\n%s", out)
	}
	for _, args := range [][]string{
		{"describe", "orders"},
		{"delete", "orders"},
		{"alter-config", "orders", "--set", "retention.ms=1"},
	} {
		r := clitest.Run(t, topic.NewCommand(), "", append(args, "-b", addr)...)
		if r.Err == nil || !strings.Contains(r.Err.Error(), "UNKNOWN_TOPIC_OR_PARTITION") {
			t.Errorf("%v on a deleted topic: got %v, want UNKNOWN_TOPIC_OR_PARTITION", args, r.Err)
		}
	}
}

func partitionLine(out, p string) string {
	inTable := false
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) > 0 && f[0] == "PARTITION" {
			inTable = true
			continue
		}
		if inTable && len(f) > 0 && f[0] == p {
			return strings.Join(f, " ")
		}
	}
	return ""
}

func TestTopicBadInput(t *testing.T) {
	_, addr := clitest.Cluster(t)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"create", "x", "-c", "novalue"}, "want key=value"},
		{[]string{"alter-config", "x"}, "nothing to alter"},
		{[]string{"create", "bad", "-r", "3"}, "INVALID_REPLICATION_FACTOR"},
		{[]string{"create", "neg", "-p", "0"}, "INVALID_PARTITIONS"},
	} {
		r := clitest.Run(t, topic.NewCommand(), "", append(tc.args, "-b", addr)...)
		if r.Err == nil || !strings.Contains(r.Err.Error(), tc.want) {
			t.Errorf("%v: got %v, want an error containing %q", tc.args, r.Err, tc.want)
		}
	}
}

func TestBrokersFromEnv(t *testing.T) {
	_, addr := clitest.Cluster(t)
	t.Setenv("STREAMLITE_BROKERS", addr)
	clitest.MustRun(t, topic.NewCommand(), "", "create", "envtopic")
	out := clitest.MustRun(t, topic.NewCommand(), "", "list").Stdout
	if !strings.Contains(out, "envtopic") {
		t.Fatalf("list with STREAMLITE_BROKERS: %q", out)
	}
	// The flag wins over the environment.
	t.Setenv("STREAMLITE_BROKERS", "127.0.0.1:1")
	out = clitest.MustRun(t, topic.NewCommand(), "", "list", "-b", addr).Stdout
	if !strings.Contains(out, "envtopic") {
		t.Fatalf("list with --brokers over env: %q", out)
	}
}

// describe shows, for a remote-storage topic, the earliest local offset,
// the last tiered one, and the byte counts from the admin listener.
func TestDescribeTiered(t *testing.T) {
	b := enginetest.New(t, enginetest.Durable(),
		enginetest.TopicWithConfigs("tiered", 1, map[string]string{
			"remote.storage.enable": "true", "segment.bytes": "65536", "local.retention.bytes": "131072",
		}))
	cl := b.Client(kgo.DefaultProduceTopic("tiered"), kgo.ProducerBatchCompression(kgo.NoCompression()), kgo.ProducerBatchMaxBytes(16<<10))
	defer cl.Close()
	rs := make([]*kgo.Record, 1000)
	for i := range rs {
		rs[i] = &kgo.Record{Value: bytes.Repeat([]byte{'x'}, 1000)}
	}
	if err := cl.ProduceSync(context.Background(), rs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
	var line string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		out := clitest.MustRun(t, topic.NewCommand(), "", "describe", "tiered", "-b", b.Addr(), "--admin-addr", b.Engine().AdminAddr()).Stdout
		if !strings.Contains(out, "TIERED  LOCAL START  TIERED END") {
			t.Fatalf("no tiered storage section:\n%s", out)
		}
		for _, l := range strings.Split(out[strings.Index(out, "TIERED "):], "\n")[1:] {
			if strings.HasPrefix(l, "0 ") {
				line = l
				break
			}
		}
		f := strings.Fields(line)
		if len(f) >= 6 && f[1] != "0" && f[2] != "-1" && f[4] != "0" && f[5] == "0" {
			return // local start moved, something tiered, remote bytes, no lag
		}
	}
	t.Fatalf("tiered line never showed uploaded data: %q", line)
}
