package runtime

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamlite/streamlite/engine/enginetest"
	"github.com/streamlite/streamlite/sql/types"
)

// pushed is what one push query delivered: the MS column of its rows.
type pushed struct {
	mu   sync.Mutex
	rows []int64
}

func (p *pushed) add(v []types.Value) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.rows = append(p.rows, v[1].(int64))
}

func (p *pushed) snapshot() []int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.rows)
}

// tapSubs is how many queries the tap of topic has, -1 when none runs.
func tapSubs(s *Server, topic string) int {
	s.taps.mu.Lock()
	defer s.taps.mu.Unlock()
	tp := s.taps.m[topic]
	if tp == nil {
		return -1
	}
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return len(tp.mu.subs)
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestPushTap runs three push queries from latest on one topic: they share
// one consumer; one whose client stops reading is let go after
// tapSlowAfter and goes on alone without losing or repeating a row; a
// partition added to the topic reaches them; and the tap stops when the
// last query ends. Records written before a query started never reach it.
func TestPushTap(t *testing.T) {
	b := enginetest.New(t, enginetest.Topics(2, "clicks"))
	ctx := context.Background()
	// A short long-poll and metadata age, so that an added partition is read soon.
	srv, err := Start(ctx, Config{Brokers: []string{b.Addr()}, Logger: testLogger(), ClientOpts: []kgo.Opt{kgo.FetchMaxWait(200 * time.Millisecond), kgo.MetadataMinAge(50 * time.Millisecond)}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	srv.taps.rescan = 100 * time.Millisecond
	if _, err := srv.Execute(ctx, `CREATE STREAM clicks (user_id STRING KEY, page STRING, ms BIGINT) WITH (kafka_topic='clicks', value_format='JSON');`, nil); err != nil {
		t.Fatal(err)
	}
	cl := b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()))
	write := func(from, to int, partition int32) {
		t.Helper()
		for i := from; i < to; i++ {
			r := &kgo.Record{Topic: "clicks", Partition: partition, Key: fmt.Appendf(nil, "u%d", i%3), Value: fmt.Appendf(nil, `{"PAGE":"p","MS":%d}`, i)}
			if err := cl.ProduceSync(ctx, r).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	write(0, 5, 0) // before every query: never delivered

	qctx, cancel := context.WithCancel(ctx)
	defer cancel()
	release := make(chan struct{})
	var released sync.Once
	defer released.Do(func() { close(release) })
	outs := make([]*pushed, 3)
	var wg sync.WaitGroup
	for i := range outs {
		outs[i] = &pushed{}
		sel, err := srv.Prepare(`SELECT page, ms FROM clicks EMIT CHANGES;`, nil)
		if err != nil {
			t.Fatal(err)
		}
		flush := func() error { return nil }
		if i == 2 { // its client stops reading after its first rows
			flush = func() error {
				if len(outs[i].snapshot()) > 0 {
					<-release
				}
				return nil
			}
		}
		wg.Go(func() {
			if _, err := sel.Push(qctx, func(v []types.Value, _ bool) error { outs[i].add(v); return nil }, flush); err != nil {
				t.Errorf("push query %d: %v", i, err)
			}
		})
	}
	waitFor(t, "three queries on one tap", func() bool { return tapSubs(srv, "clicks") == 3 })

	// A query starts from the ends it lists after joining the tap: write
	// until each has a row, and from then on each is to deliver every
	// record exactly once.
	n := 5
	for ; len(outs[0].snapshot()) == 0 || len(outs[1].snapshot()) == 0 || len(outs[2].snapshot()) == 0; n++ {
		if n > 200 {
			t.Fatalf("the push queries deliver nothing: %d, %d, %d rows", len(outs[0].snapshot()), len(outs[1].snapshot()), len(outs[2].snapshot()))
		}
		write(n, n+1, int32(n%2))
		time.Sleep(20 * time.Millisecond)
	}
	first := make([]int64, len(outs))
	for i, o := range outs {
		first[i] = slices.Min(o.snapshot())
	}
	// want is every record from query i's first, once.
	want := func(i int) []int64 {
		var w []int64
		for v := first[i]; v < int64(n); v++ {
			w = append(w, v)
		}
		return w
	}
	delivered := func(i int) ([]int64, bool) {
		got := outs[i].snapshot()
		slices.Sort(got)
		return got, slices.Equal(got, want(i))
	}

	// One record per fetch: the stuck query's queue fills and the tap
	// lets it go, without holding the others back for long.
	for tapSubs(srv, "clicks") == 3 {
		if n > 300 {
			t.Fatal("the tap never let the stuck query go")
		}
		write(n, n+1, int32(n%2))
		n++
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(2 * time.Millisecond) {
			a, aok := delivered(0)
			b, bok := delivered(1)
			if aok && bok {
				break
			}
			if len(a) > n-int(first[0]) || len(b) > n-int(first[1]) || time.Now().After(deadline) {
				t.Fatalf("after record %d: %v and %v", n-1, a, b)
			}
		}
	}
	if got := tapSubs(srv, "clicks"); got != 2 {
		t.Fatalf("tap has %d queries after letting one go, want 2", got)
	}
	released.Do(func() { close(release) })

	// A partition added while they run.
	if _, err := kadm.NewClient(cl).CreatePartitions(ctx, 1, "clicks"); err != nil {
		t.Fatal(err)
	}
	cl = b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner())) // one that knows of it
	write(n, n+10, 2)
	write(n+10, n+20, 1)
	n += 20
	for i := range outs {
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			got, ok := delivered(i)
			if ok {
				break
			}
			if len(got) > len(want(i)) || time.Now().After(deadline) {
				t.Fatalf("query %d delivered %v, want %v", i, got, want(i))
			}
		}
	}
	cancel()
	wg.Wait()
	waitFor(t, "the tap to stop", func() bool { return tapSubs(srv, "clicks") == -1 })
}
