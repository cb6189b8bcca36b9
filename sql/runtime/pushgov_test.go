package runtime

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"
)

// TestPushGovernor checks that the share push queries get falls to the
// least while the rest of the process keeps its CPU busy (spinning
// goroutines; the governor is told the process has one CPU, so that a
// loaded test machine still counts as busy) and comes back once that
// ends, and that the pause it asks for follows the share.
func TestPushGovernor(t *testing.T) {
	g := newPushGovernor(1, 1)
	if p := g.pause(10 * time.Millisecond); p != 0 {
		t.Fatalf("pause at share 1: %v, want 0", p)
	}
	g.start()
	defer g.end()

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) + 2 {
		wg.Go(func() {
			for ctx.Err() == nil {
				for i := 0; i < 1e5; i++ {
					_ = i * i
				}
			}
		})
	}
	low := waitShare(t, g, func(s float64) bool { return s <= pushMinShare })
	p := g.pause(10 * time.Millisecond)
	cancel()
	wg.Wait()
	if p < 10*time.Millisecond {
		t.Errorf("pause at share %.2f after 10ms of rows: %v, want at least 10ms", low, p)
	}
	waitShare(t, g, func(s float64) bool { return s >= 0.5 })
}

func waitShare(t *testing.T, g *pushGovernor, ok func(float64) bool) float64 {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := g.current()
		if ok(s) {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("push share stuck at %.3f", s)
		}
		time.Sleep(time.Millisecond)
	}
}
