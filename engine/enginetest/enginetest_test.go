package enginetest_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/streamlite/streamlite/engine/enginetest"
	"github.com/twmb/franz-go/pkg/kgo"
)

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func consumeAll(t *testing.T, b *enginetest.Broker, topic string, n int) []*kgo.Record {
	t.Helper()
	cl := b.Client(kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	c := ctx(t)
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(c)
		if c.Err() != nil {
			t.Fatalf("consumed %d of %d", len(out), n)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("fetch %s/%d: %v", topic, p, err) })
		out = append(out, fs.Records()...)
	}
	return out
}

// Brokers started by parallel tests are independent: each has its own port and, durable, its
// own directory, and sees only its own records.
func TestParallelBrokers(t *testing.T) {
	t.Parallel()
	addrs := make(chan string, 6)
	t.Run("group", func(t *testing.T) {
		for i := range 6 {
			t.Run(fmt.Sprintf("broker%d", i), func(t *testing.T) {
				t.Parallel()
				opts := []enginetest.Option{enginetest.Topics(2, "shared-name")}
				if i%2 == 0 {
					opts = append(opts, enginetest.Durable())
				}
				b := enginetest.New(t, opts...)
				addrs <- b.Addr()
				if (i%2 == 0) != (b.DataDir() != "") {
					t.Fatalf("data dir %q for durable=%v", b.DataDir(), i%2 == 0)
				}
				p := b.Client(kgo.DefaultProduceTopic("shared-name"))
				for j := range 5 {
					if err := p.ProduceSync(ctx(t), &kgo.Record{Value: fmt.Appendf(nil, "%d-%d", i, j)}).FirstErr(); err != nil {
						t.Fatal(err)
					}
				}
				for _, r := range consumeAll(t, b, "shared-name", 5) {
					var bi, j int
					if _, err := fmt.Sscanf(string(r.Value), "%d-%d", &bi, &j); err != nil || bi != i {
						t.Fatalf("broker %d holds record %q of another broker", i, r.Value)
					}
				}
			})
		}
	})
	close(addrs)
	seen := map[string]bool{}
	for a := range addrs {
		if seen[a] {
			t.Fatalf("two brokers on %s", a)
		}
		seen[a] = true
	}
}

// Seed topics exist with their partitions and configs when New returns.
func TestSeedTopics(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t,
		enginetest.Topics(3, "a", "b"),
		enginetest.TopicWithConfigs("c", 2, map[string]string{"cleanup.policy": "compact", "retention.ms": "1000"}),
		enginetest.AutoCreate(false))
	adm := b.Admin()
	topics, err := adm.ListTopics(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	for name, parts := range map[string]int{"a": 3, "b": 3, "c": 2} {
		if len(topics[name].Partitions) != parts {
			t.Fatalf("%s: %d partitions, want %d", name, len(topics[name].Partitions), parts)
		}
	}
	if len(topics) != 3 {
		t.Fatalf("topics %v", topics.Names())
	}
	rcs, err := adm.DescribeTopicConfigs(ctx(t), "c")
	if err != nil {
		t.Fatal(err)
	}
	rc, _ := rcs.On("c", nil)
	got := map[string]string{}
	for _, c := range rc.Configs {
		got[c.Key] = c.MaybeValue()
	}
	if got["cleanup.policy"] != "compact" || got["retention.ms"] != "1000" {
		t.Fatalf("configs of c: cleanup.policy=%q retention.ms=%q", got["cleanup.policy"], got["retention.ms"])
	}
}

// Restart of a durable broker keeps its records and comes back on the same address, and the
// clients made before it reconnect by themselves.
func TestRestartKeepsData(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Durable(), enginetest.Topics(1, "r"))
	addr := b.Addr()
	p := b.Client(kgo.DefaultProduceTopic("r"))
	if err := p.ProduceSync(ctx(t), &kgo.Record{Value: []byte("before")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	b.Restart()
	if b.Addr() != addr {
		t.Fatalf("restarted on %s, was %s", b.Addr(), addr)
	}
	if err := p.ProduceSync(ctx(t), &kgo.Record{Value: []byte("after")}).FirstErr(); err != nil {
		t.Fatalf("old client after restart: %v", err)
	}
	got := consumeAll(t, b, "r", 2)
	if string(got[0].Value) != "before" || string(got[1].Value) != "after" || got[1].Offset != 1 {
		t.Fatalf("after restart: %q@%d, %q@%d", got[0].Value, got[0].Offset, got[1].Value, got[1].Offset)
	}
}
