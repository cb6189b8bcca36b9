package runtime

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// pushGovernor keeps push queries from taking CPU the broker and the
// persistent queries beside them need. Push queries are the work that can
// wait: a push query that falls behind lags in Kafka and catches up later,
// while a producer slowed down is throughput lost. So the governor
// watches the process's CPU time (getrusage) and the part of it push
// queries spend running rows, and gives push queries what the rest of
// the process leaves of its CPUs: while the rest keeps them busy, push
// queries get pushMinShare of their slots' time; when it does not, all
// of it. A rise in the rest's use is taken at once, a fall smoothed. A push query runs a chunk of rows in a push slot and then, at a
// share s, holds the slot idle for (1-s)/s times as long as the rows took.
//
// It samples only while push queries run: start and end count them, and
// the sampling goroutine ends with the last one.
type pushGovernor struct {
	share atomic.Uint64 // math.Float64bits of the share, in (0, 1]
	busy  atomic.Int64  // nanoseconds push queries spent running rows
	slots int           // push slots (pushConcurrency)
	procs int           // CPUs the process may use (GOMAXPROCS)

	mu      sync.Mutex // guards running, stop and done
	running int        // push queries running
	stop    context.CancelFunc
	done    chan struct{}
}

const (
	// pushMinShare is the least share of their slots' time push queries
	// get: they always move forward.
	pushMinShare = 0.02
	// pushGovernEvery is how often the governor samples.
	pushGovernEvery = 10 * time.Millisecond
	// pushHeadroom is the part of the process's CPUs left unclaimed, so
	// that a burst of other work finds a CPU free.
	pushHeadroom = 0.1
	// pushSmoothing weighs a new sample of the rest's CPU use against
	// the running average when it falls; a rise is taken at once, so
	// that push queries give way as soon as other work starts.
	pushSmoothing = 0.3
	// pushMaxPause bounds one idle hold of a push slot.
	pushMaxPause = time.Second
)

func newPushGovernor(slots, procs int) *pushGovernor {
	g := &pushGovernor{slots: max(1, slots), procs: max(1, procs)}
	g.share.Store(math.Float64bits(1))
	return g
}

// current is the share of a CPU push queries may use now.
func (g *pushGovernor) current() float64 { return math.Float64frombits(g.share.Load()) }

// ran records that push queries spent d running rows.
func (g *pushGovernor) ran(d time.Duration) { g.busy.Add(int64(d)) }

// pause is how long to hold a push slot idle after rows that took d.
func (g *pushGovernor) pause(d time.Duration) time.Duration {
	s := g.current()
	if s >= 1 {
		return 0
	}
	return min(pushMaxPause, time.Duration(float64(d)*(1-s)/s))
}

// start counts a push query in; the first one starts the sampling.
func (g *pushGovernor) start() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.running++
	if g.running > 1 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	g.stop, g.done = cancel, make(chan struct{})
	go g.run(ctx, g.done)
}

// end counts a push query out; the last one stops the sampling and waits
// for it.
func (g *pushGovernor) end() {
	g.mu.Lock()
	g.running--
	if g.running > 0 {
		g.mu.Unlock()
		return
	}
	stop, done := g.stop, g.done
	g.stop, g.done = nil, nil
	g.mu.Unlock()
	stop()
	<-done
	g.share.Store(math.Float64bits(1))
}

// run samples every pushGovernEvery and sets the share until ctx ends.
func (g *pushGovernor) run(ctx context.Context, done chan struct{}) {
	defer close(done)
	cpu0, ok := processCPU()
	if !ok {
		return // no CPU accounting here: no governing
	}
	busy0, at0 := g.busy.Load(), time.Now()
	other := 0.0 // cores the rest of the process uses, smoothed
	t := time.NewTicker(pushGovernEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cpu, _ := processCPU()
		busy, at := g.busy.Load(), time.Now()
		if wall := at.Sub(at0); wall > 0 {
			rest := float64(cpu-cpu0-time.Duration(busy-busy0)) / float64(wall)
			if rest = max(0, rest); rest > other {
				other = rest
			} else {
				other += pushSmoothing * (rest - other)
			}
		}
		cpu0, busy0, at0 = cpu, busy, at
		free := float64(g.procs)*(1-pushHeadroom) - other
		g.share.Store(math.Float64bits(min(1, max(pushMinShare, free/float64(g.slots)))))
	}
}
