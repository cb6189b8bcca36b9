package runtime

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// A tap is one consumer shared by the push queries that read the same
// topics from latest: the broker serves one fetch, and the records are
// decoded once, however many push queries watch the topics. Each query
// (a tapSub) gets the tap's fetches, merged by time, through a short
// queue. The tap waits for a query whose queue is full: queries that the
// push governor holds back lag together, in Kafka, not in memory. But a
// query whose client has not taken its rows for tapSlowAfter is let go:
// it goes on from where it was with a consumer of its own, so one slow
// client never stalls the others.
//
// Lock order: Server.taps.mu, then tap.mu.
type tap struct {
	srv    *Server
	key    string
	topics []string
	ctx    context.Context // ends with the Server or the tap's last query
	cancel context.CancelFunc
	// ready is closed once the tap's consumer runs or failed to start
	// (err); done once its goroutine has ended (at once after a failure).
	ready chan struct{}
	err   error
	done  chan struct{}

	mu struct {
		sync.Mutex
		subs    map[*tapSub]struct{}
		stopped bool // no longer takes subscribers
	}
}

// tapSub is one push query reading from a tap.
type tapSub struct {
	// fetches carries the tap's fetches to the query, records merged by
	// time; shared and read-only.
	fetches chan []*kgo.Record
	// dropped is closed by the tap when it lets the query go (it fell
	// behind); nothing is sent on fetches after it closes.
	dropped chan struct{}
	// left is closed by the query when it stops reading.
	left chan struct{}
	// flushing is when the query began handing rows to its client
	// (UnixNano), 0 when it is not doing so.
	flushing atomic.Int64
}

const (
	// tapQueue is how many fetches wait for a query to take them.
	tapQueue = 4
	// tapSlowAfter is how long a query with a full queue may take to
	// hand rows to its client before the tap lets it go on alone.
	tapSlowAfter = time.Second
	// tapCheck is how often the tap looks at a query it waits for.
	tapCheck = 50 * time.Millisecond
	// tapFetchBytes bounds the tap's fetch (one consumer for every query,
	// so larger than a lone push query's).
	tapFetchBytes = 1 << 20
	// tapRescan is how often a tap looks for partitions added to its
	// topics.
	tapRescan = 5 * time.Second
)

// taps are the Server's running taps by key (their topics, sorted).
type taps struct {
	mu sync.Mutex
	m  map[string]*tap
	wg sync.WaitGroup // the taps' goroutines
	// rescan overrides tapRescan (tests).
	rescan time.Duration
}

// rescanEvery is how often consumers of partitions look for new ones.
func (ts *taps) rescanEvery() time.Duration {
	if ts.rescan > 0 {
		return ts.rescan
	}
	return tapRescan
}

// subscribe joins the tap of topics, starting one if none runs, and
// returns the subscription and the offsets the query starts from: the
// partitions' ends listed after joining, so that every record at or past
// them reaches the query and none before them does.
func (s *Server) subscribe(ctx context.Context, topics []string) (*tap, *tapSub, map[string]map[int32]int64, error) {
	topics = slices.Sorted(slices.Values(topics))
	key := strings.Join(topics, "\x00")
	sub := &tapSub{fetches: make(chan []*kgo.Record, tapQueue), dropped: make(chan struct{}), left: make(chan struct{})}
	s.taps.mu.Lock()
	tp := s.taps.m[key]
	if tp != nil {
		tp.mu.Lock()
		if tp.mu.stopped {
			tp = nil
		} else {
			tp.mu.subs[sub] = struct{}{}
		}
		tp.mu.Unlock()
	}
	starter := tp == nil
	if starter {
		tctx, cancel := context.WithCancel(s.ctx)
		tp = &tap{srv: s, key: key, topics: topics, ctx: tctx, cancel: cancel, ready: make(chan struct{}), done: make(chan struct{})}
		tp.mu.subs = map[*tapSub]struct{}{sub: {}}
		if s.taps.m == nil {
			s.taps.m = map[string]*tap{}
		}
		s.taps.m[key] = tp
	}
	s.taps.mu.Unlock()
	// The tap's consumer starts outside the lock, so that a slow start
	// (a topic not yet in the metadata) holds up only its own queries.
	if starter {
		tp.start()
	}
	select {
	case <-tp.ready:
	case <-ctx.Done():
		tp.unsubscribe(sub)
		return nil, nil, nil, ctx.Err()
	}
	if tp.err != nil {
		tp.unsubscribe(sub)
		return nil, nil, nil, tp.err
	}
	starts, err := s.endOffsets(ctx, topics)
	if err != nil {
		tp.unsubscribe(sub)
		return nil, nil, nil, err
	}
	return tp, sub, starts, nil
}

// endOffsets lists the end offsets of every partition of topics. A
// retriable error (a topic so new that the metadata does not show it yet,
// a leader moving) is retried for up to endOffsetsPatience.
func (s *Server) endOffsets(ctx context.Context, topics []string) (map[string]map[int32]int64, error) {
	deadline := time.Now().Add(endOffsetsPatience)
	for wait := 20 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		ends, err := s.adm.ListEndOffsets(ctx, topics...)
		if err == nil {
			err = ends.Error()
		}
		if err == nil {
			out := map[string]map[int32]int64{}
			ends.Each(func(o kadm.ListedOffset) {
				if out[o.Topic] == nil {
					out[o.Topic] = map[int32]int64{}
				}
				out[o.Topic][o.Partition] = o.Offset
			})
			return out, nil
		}
		if !kerr.IsRetriable(err) || time.Now().Add(wait).After(deadline) {
			return nil, fmt.Errorf("end offsets of %s: %w", strings.Join(topics, ", "), err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
}

// endOffsetsPatience bounds the retries of endOffsets.
const endOffsetsPatience = 10 * time.Second

// start starts the tap's consumer at its topics' current ends and closes
// ready; on failure it sets err, stops the tap and closes ready and done.
func (tp *tap) start() {
	s := tp.srv
	defer close(tp.ready)
	ends, err := s.endOffsets(tp.ctx, tp.topics)
	var cl *kgo.Client
	if err == nil {
		cl, err = kgo.NewClient(append([]kgo.Opt{
			kgo.SeedBrokers(s.cfg.Brokers...),
			kgo.ConsumePartitions(atOffsets(ends)),
			kgo.FetchIsolationLevel(kgo.ReadCommitted()),
			kgo.FetchMaxBytes(tapFetchBytes),
			kgo.FetchMaxPartitionBytes(tapFetchBytes),
			kgo.MaxConcurrentFetches(1),
		}, s.cfg.ClientOpts...)...)
	}
	if err != nil {
		tp.err = err
		tp.stop()
		close(tp.done)
		return
	}
	rescan := s.taps.rescanEvery()
	s.taps.wg.Go(func() { tp.run(tp.ctx, cl, ends, rescan) })
}

// atOffsets turns listed offsets into kgo's consume positions.
func atOffsets(offs map[string]map[int32]int64) map[string]map[int32]kgo.Offset {
	out := make(map[string]map[int32]kgo.Offset, len(offs))
	for t, ps := range offs {
		out[t] = make(map[int32]kgo.Offset, len(ps))
		for p, o := range ps {
			out[t][p] = kgo.NewOffset().At(o)
		}
	}
	return out
}

// run polls until ctx ends, handing every fetch to every subscriber.
func (tp *tap) run(ctx context.Context, cl *kgo.Client, known map[string]map[int32]int64, every time.Duration) {
	defer close(tp.done)
	defer cl.Close()
	rescan := time.Now().Add(every)
	for {
		fctx, cancel := context.WithDeadline(ctx, rescan)
		fs := cl.PollFetches(fctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if time.Now().After(rescan) {
			tp.srv.addPartitions(ctx, cl, tp.topics, known)
			rescan = time.Now().Add(every)
		}
		for _, fe := range fs.Errors() {
			if fe.Err != context.DeadlineExceeded && fe.Err != context.Canceled {
				tp.srv.log.Debug("sql: push tap fetch error", "topics", tp.topics, "err", fe.Err)
			}
		}
		if fs.NumRecords() == 0 {
			continue
		}
		recs := mergeByTime(fs)
		tp.mu.Lock()
		subs := slices.Collect(maps.Keys(tp.mu.subs))
		tp.mu.Unlock()
		for _, sub := range subs {
			if !tp.offer(ctx, sub, recs) {
				tp.drop(sub)
			}
		}
	}
}

// offer hands recs to sub, waiting while its queue is full; false means
// its client is too slow for the tap (see tapSlowAfter).
func (tp *tap) offer(ctx context.Context, sub *tapSub, recs []*kgo.Record) bool {
	select {
	case sub.fetches <- recs:
		return true
	case <-sub.left:
		return true
	default:
	}
	t := time.NewTicker(tapCheck)
	defer t.Stop()
	for {
		select {
		case sub.fetches <- recs:
			return true
		case <-sub.left:
			return true
		case <-ctx.Done():
			return true
		case <-t.C:
			if since := sub.flushing.Load(); since != 0 && time.Since(time.Unix(0, since)) > tapSlowAfter {
				return false
			}
		}
	}
}

// addPartitions makes cl, a consumer of the known partitions of topics,
// read partitions added to them since, from their first record (all of it
// is newer than what cl started from), and adds them to known.
func (s *Server) addPartitions(ctx context.Context, cl *kgo.Client, topics []string, known map[string]map[int32]int64) {
	ends, err := s.endOffsets(ctx, topics)
	if err != nil {
		return
	}
	add := map[string]map[int32]kgo.Offset{}
	for t, ps := range ends {
		for p := range ps {
			if _, ok := known[t][p]; ok {
				continue
			}
			if known[t] == nil {
				known[t] = map[int32]int64{}
			}
			known[t][p] = 0
			if add[t] == nil {
				add[t] = map[int32]kgo.Offset{}
			}
			add[t][p] = kgo.NewOffset().AtStart()
		}
	}
	if len(add) > 0 {
		cl.AddConsumePartitions(add)
	}
}

// drop lets sub go: it is told through dropped and gets nothing more.
func (tp *tap) drop(sub *tapSub) {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	if _, ok := tp.mu.subs[sub]; ok {
		delete(tp.mu.subs, sub)
		close(sub.dropped)
	}
}

// unsubscribe ends sub's reading; the last one out stops the tap.
func (tp *tap) unsubscribe(sub *tapSub) {
	close(sub.left)
	tp.mu.Lock()
	delete(tp.mu.subs, sub)
	last := len(tp.mu.subs) == 0
	tp.mu.Unlock()
	if last {
		tp.stop()
	}
}

// stop takes the tap out of the Server's taps, so that it takes no more
// queries, and ends its consumer, unless a query joined meanwhile.
func (tp *tap) stop() {
	s := tp.srv
	s.taps.mu.Lock()
	defer s.taps.mu.Unlock()
	tp.mu.Lock()
	defer tp.mu.Unlock()
	if tp.mu.stopped || (len(tp.mu.subs) > 0 && tp.err == nil) {
		return
	}
	tp.mu.stopped = true
	if s.taps.m[tp.key] == tp {
		delete(s.taps.m, tp.key)
	}
	tp.cancel()
}
