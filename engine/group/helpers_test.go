package group_test

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/streamlite/streamlite/engine/enginetest"
	"github.com/twmb/franz-go/pkg/kgo"
)

// testTimeout bounds every wait; it guards against hangs and asserts nothing about speed.
const testTimeout = 30 * time.Second

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// produceN produces n records with values "v0".."v{n-1}" round-robin over topic's partitions.
func produceN(t testing.TB, b *enginetest.Broker, topic string, from, n int) {
	t.Helper()
	cl := b.Client(kgo.DefaultProduceTopic(topic), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	recs := make([]*kgo.Record, 0, n)
	for i := from; i < from+n; i++ {
		recs = append(recs, &kgo.Record{Value: fmt.Appendf(nil, "v%d", i)})
	}
	if err := cl.ProduceSync(testCtx(t), recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
}

// collector gathers records consumed by several members and counts duplicates.
type collector struct {
	mu   sync.Mutex
	seen map[string]int
	by   map[string]map[int32]bool // member → partitions it consumed
}

func newCollector() *collector {
	return &collector{seen: map[string]int{}, by: map[string]map[int32]bool{}}
}

func (c *collector) add(member string, rs []*kgo.Record) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, r := range rs {
		c.seen[string(r.Value)]++
		if c.by[member] == nil {
			c.by[member] = map[int32]bool{}
		}
		c.by[member][r.Partition] = true
	}
}

// partitions returns a copy of the partitions member consumed from.
func (c *collector) partitions(member string) map[int32]bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.by[member])
}

func (c *collector) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.seen)
}

// dups returns the values seen more than once.
func (c *collector) dups() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for v, n := range c.seen {
		if n > 1 {
			out = append(out, v)
		}
	}
	return out
}

// waitFor polls cond until it holds or the test times out.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(testTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
