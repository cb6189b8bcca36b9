package cluster

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/streamlite/streamlite/engine/enginetest"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// requestCounter counts the requests a client writes, by key.
type requestCounter struct {
	mu sync.Mutex
	n  map[int16]int
}

func (r *requestCounter) OnBrokerWrite(_ kgo.BrokerMetadata, key int16, _ int, _, _ time.Duration, _ error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n[key]++
}

func (r *requestCounter) take() map[int16]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := r.n
	r.n = map[int16]int{}
	return n
}

// TestTopicsOneRound lists 500 topics and checks it took one request of each kind (per
// broker), not one per topic.
func TestTopicsOneRound(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t)
	ctx := testCtx(t)
	names := make([]string, 500)
	for i := range names {
		names[i] = fmt.Sprintf("t%03d", i)
	}
	if _, err := b.Admin().CreateTopics(ctx, 2, 1, nil, names...); err != nil {
		t.Fatal(err)
	}
	counter := &requestCounter{n: map[int16]int{}}
	c, err := newClient(Config{Brokers: []string{b.Addr()}}, kgo.WithHooks(counter))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Ping(ctx); err != nil { // connect and learn the versions first
		t.Fatal(err)
	}
	counter.take()
	start := time.Now()
	topics, err := c.Topics(ctx)
	took := time.Since(start)
	if err != nil || len(topics) < 500 {
		t.Fatalf("Topics: %d, %v", len(topics), err)
	}
	n := counter.take()
	t.Logf("500 topics, 1000 partitions listed in %v with requests %v", took, n)
	want := map[int16]int{int16(kmsg.ListOffsets): 4, int16(kmsg.DescribeLogDirs): 1, int16(kmsg.DescribeConfigs): 1}
	for k, w := range want {
		if n[k] != w {
			t.Errorf("%s: %d requests, want %d", kmsg.NameForKey(k), n[k], w)
		}
	}
	if m := n[int16(kmsg.Metadata)]; m < 1 || m > 2 {
		t.Errorf("Metadata: %d requests, want 1 (2 if the client refreshes its own cache)", m)
	}
}
