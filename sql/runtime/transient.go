package runtime

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	goruntime "runtime"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamlite/streamlite/sql/engine"
	"github.com/streamlite/streamlite/sql/types"
)

// Select is a planned SELECT for a client: a pull query, answered at once
// from the table's topic, or a push query, streamed until the client
// leaves or its LIMIT is reached. Neither is persisted.
type Select struct {
	// ID names the query (transient_<SOURCE>_<n>), for /close-query.
	ID string
	// Header is ksqlDB's schema line: "`ID` STRING KEY, `COUNT` BIGINT".
	Header  string
	Columns []engine.Column
	// Pull is true for a pull query.
	Pull bool
	// Limit is the LIMIT, 0 for none; HasLimit tells LIMIT 0 from none.
	Limit    int
	HasLimit bool

	t      *engine.Transient
	srv    *Server
	props  map[string]string
	stream bool // a pull query over a stream (a scan): ends with "Query Completed"
}

// Final messages that end a query's rows.
const (
	FinalLimitReached  = "Limit Reached"
	FinalQueryComplete = "Query Completed"
)

// Prepare plans a SELECT statement with session properties props.
func (s *Server) Prepare(text string, props map[string]string) (*Select, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, err := s.eng.PlanTransient(text, props)
	if err != nil {
		return nil, err
	}
	sel := &Select{
		Header: t.Header(), Columns: t.Columns(), Pull: t.Pull(), Limit: t.Limit(), HasLimit: t.HasLimit(),
		t: t, srv: s, props: props,
	}
	src := "QUERY"
	for _, in := range t.Inputs() {
		if so := s.eng.SourceForTopic(in); so != nil {
			if src == "QUERY" {
				src = so.Name
			}
			if sel.Pull && !so.Table {
				sel.stream = true
			}
		}
	}
	sel.ID = fmt.Sprintf("transient_%s_%d", src, rand.Uint64()%1_000_000_000_000)
	return sel, nil
}

// record converts a consumed record for the engine, splitting a windowed
// key into the key and its window.
func (sel *Select) record(kr *kgo.Record) engine.Record {
	r := engine.Record{Key: kr.Key, Value: kr.Value, Timestamp: kr.Timestamp.UnixMilli(), Partition: kr.Partition, Offset: kr.Offset}
	for _, h := range kr.Headers {
		r.Headers = append(r.Headers, engine.Header{Key: h.Key, Value: h.Value})
	}
	if windowed, kind := sel.t.InputWindowed(kr.Topic); windowed && kr.Key != nil {
		if k, w, ok := engine.SplitWindowedKey(kr.Key, kind == "SESSION"); ok {
			r.Key, r.Window = k, w
		}
	}
	return r
}

// PullRows answers a pull query: it reads the source's topics, read_committed,
// up to their ends as of now, and returns the rows and the final message
// ("" when none is due).
func (sel *Select) PullRows(ctx context.Context) ([][]types.Value, string, error) {
	if !sel.Pull {
		return nil, "", errors.New("not a pull query")
	}
	s := sel.srv
	var recs []engine.Record
	for _, topic := range sel.t.Inputs() {
		rs, err := s.readAll(ctx, topic)
		if err != nil {
			return nil, "", err
		}
		for _, kr := range rs {
			recs = append(recs, sel.record(kr))
		}
	}
	rows, err := sel.t.PullRows(recs)
	if err != nil {
		return nil, "", err
	}
	final := ""
	switch {
	case sel.HasLimit && len(rows) >= sel.Limit:
		rows, final = rows[:sel.Limit], FinalLimitReached
	case sel.stream:
		final = FinalQueryComplete
	}
	return rows, final, nil
}

// readAll reads every record of topic, read_committed, up to the ends the
// partitions have when it starts.
func (s *Server) readAll(ctx context.Context, topic string) ([]*kgo.Record, error) {
	ends, err := s.adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("end offsets of %s: %w", topic, err)
	}
	want := map[int32]int64{}
	starts := map[int32]kgo.Offset{}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err == nil && o.Offset > 0 {
			want[o.Partition] = o.Offset
			starts[o.Partition] = kgo.NewOffset().AtStart()
		}
	})
	if len(want) == 0 {
		return nil, nil
	}
	cl, err := kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(s.cfg.Brokers...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: starts}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords(),
	}, s.cfg.ClientOpts...)...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	var out []*kgo.Record
	for len(want) > 0 {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("reading %s: %w", topic, err)
		}
		for _, fe := range fs.Errors() {
			return nil, fmt.Errorf("reading %s: %w", topic, fe.Err)
		}
		fs.EachRecord(func(r *kgo.Record) {
			end, ok := want[r.Partition]
			if !ok || r.Offset >= end {
				return
			}
			if !r.Attrs.IsControl() {
				out = append(out, r)
			}
			if r.Offset+1 >= end {
				delete(want, r.Partition)
			}
		})
	}
	return out, nil
}

// Push runs a push query until ctx ends, the LIMIT is reached or emit or
// flush fails, calling emit for each row (tombstone: a table row's
// deletion) and flush after each fetch's rows, so that a writer can buffer
// a fetch's rows and send them at once (emit should not block on the
// client; flush may). It reads the source topics from the start when
// props say auto.offset.reset=earliest, as a plain consumer of its own (no
// group, nothing committed); else from their ends, through the tap that
// every push query from latest on the same topics shares (see tap), and
// on with a consumer of its own if it falls behind the others.
//
// Many push queries stay cheap for the broker beside them: a consumer
// fetches a bounded amount at a time and holds only the fetch being
// processed and the next one, and at most pushConcurrency push queries of
// the Server run rows through their query at a time (calls to emit happen
// while holding that slot; flush happens after it is released). Push
// queries that fall behind lag in Kafka, not in memory.
//
// It returns the final message: FinalLimitReached, or "" when ctx ended.
func (sel *Select) Push(ctx context.Context, emit func(row []types.Value, tombstone bool) error, flush func() error) (string, error) {
	if sel.Pull {
		return "", errors.New("not a push query")
	}
	if sel.HasLimit && sel.Limit == 0 {
		return FinalLimitReached, nil
	}
	s := sel.srv
	s.pushGov.start()
	defer s.pushGov.end()
	consume := []kgo.Opt{kgo.ConsumeTopics(sel.t.Inputs()...), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())}
	var known map[string]map[int32]int64 // the partitions read, when consuming partitions
	if !strings.EqualFold(sel.props["auto.offset.reset"], "earliest") && !strings.EqualFold(sel.props["ksql.streams.auto.offset.reset"], "earliest") {
		final, next, err := sel.pushFromTap(ctx, emit, flush)
		if next == nil || err != nil || final != "" {
			return final, err
		}
		s.log.Debug("sql: push query fell behind its tap; reading alone", "query", sel.ID)
		consume, known = []kgo.Opt{kgo.ConsumePartitions(atOffsets(next))}, next
	}
	cl, err := kgo.NewClient(append(append(consume,
		kgo.SeedBrokers(s.cfg.Brokers...),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.FetchMaxBytes(pushFetchBytes),
		kgo.FetchMaxPartitionBytes(pushFetchBytes),
		kgo.MaxConcurrentFetches(1),
	), s.cfg.ClientOpts...)...)
	if err != nil {
		return "", err
	}
	defer cl.Close()
	every := s.taps.rescanEvery()
	rescan := time.Now().Add(every)
	for {
		pctx, cancel := ctx, context.CancelFunc(func() {})
		if known != nil {
			pctx, cancel = context.WithDeadline(ctx, rescan)
		}
		fs := cl.PollFetches(pctx)
		cancel()
		if ctx.Err() != nil {
			return "", nil
		}
		if known != nil && time.Now().After(rescan) {
			s.addPartitions(ctx, cl, sel.t.Inputs(), known)
			rescan = time.Now().Add(every)
		}
		for _, fe := range fs.Errors() {
			if errors.Is(fe.Err, context.Canceled) || errors.Is(fe.Err, context.DeadlineExceeded) {
				continue
			}
			s.log.Debug("sql: push query fetch error", "query", sel.ID, "err", fe.Err)
		}
		if fs.NumRecords() == 0 {
			continue
		}
		if final, err := sel.runFetch(ctx, mergeByTime(fs), nil, emit, flush); err != nil || final != "" {
			return final, err
		}
	}
}

// pushFromTap runs the push query on the tap of its topics. When the tap
// lets it go (it fell behind), it returns the offsets to go on from.
func (sel *Select) pushFromTap(ctx context.Context, emit func(row []types.Value, tombstone bool) error, flush func() error) (string, map[string]map[int32]int64, error) {
	tp, sub, pos, err := sel.srv.subscribe(ctx, sel.t.Inputs())
	if err != nil {
		return "", nil, fmt.Errorf("starting the push query: %w", err)
	}
	defer tp.unsubscribe(sub)
	// The tap lets the query go when its client takes too long.
	tflush := func() error {
		sub.flushing.Store(time.Now().UnixNano())
		defer sub.flushing.Store(0)
		return flush()
	}
	for {
		select {
		case <-ctx.Done():
			return "", nil, nil
		case <-tp.done: // the Server is closing
			return "", nil, nil
		case recs := <-sub.fetches:
			if final, err := sel.runFetch(ctx, recs, pos, emit, tflush); err != nil || final != "" {
				return final, nil, err
			}
		case <-sub.dropped:
			for {
				select {
				case recs := <-sub.fetches:
					if final, err := sel.runFetch(ctx, recs, pos, emit, flush); err != nil || final != "" {
						return final, nil, err
					}
				default:
					return "", pos, nil
				}
			}
		}
	}
}

// runFetch runs one fetch's records, merged by time, through the query,
// pushChunk records at a time: each chunk in a push slot held as long as
// the push governor says, then flushed. With pos (next offset by topic
// and partition), records before a partition's position are skipped and
// the positions advance.
func (sel *Select) runFetch(ctx context.Context, recs []*kgo.Record, pos map[string]map[int32]int64, emit func(row []types.Value, tombstone bool) error, flush func() error) (string, error) {
	s := sel.srv
	for len(recs) > 0 {
		chunk := recs[:min(len(recs), pushChunk)]
		recs = recs[len(chunk):]
		select {
		case s.pushSlots <- struct{}{}:
		case <-ctx.Done():
			return "", nil
		}
		began := time.Now()
		final, err := sel.process(chunk, pos, emit)
		took := time.Since(began)
		s.pushGov.ran(took)
		if pause := s.pushGov.pause(took); pause > 0 && err == nil && final == "" {
			// Held idle, so that no other push query runs meanwhile.
			t := time.NewTimer(pause)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
			}
		}
		<-s.pushSlots
		if err == nil {
			err = flush()
		}
		if err != nil || final != "" {
			return final, err
		}
	}
	return "", nil
}

// pushChunk is how many records a push query runs in one go: a few
// milliseconds of work, so that the push governor's pauses come often and
// a client's buffered rows stay small.
const pushChunk = 2048

// pushFetchBytes bounds a lone push query's fetch (fetch.max.bytes and
// max.partition.fetch.bytes; Kafka's defaults are 50 MiB and 1 MiB).
const pushFetchBytes = 128 << 10

// pushConcurrency is how many push queries of a Server run rows through
// their query at once: half the CPUs Go uses, at least one, so that
// however many push queries there are the rest is left to the broker and
// the persistent queries.
func pushConcurrency() int { return max(1, goruntime.GOMAXPROCS(0)/2) }

// process runs records through the query in order, stopping at its LIMIT
// (FinalLimitReached). With pos, see runFetch.
func (sel *Select) process(recs []*kgo.Record, pos map[string]map[int32]int64, emit func(row []types.Value, tombstone bool) error) (string, error) {
	for _, kr := range recs {
		if pos != nil {
			ps := pos[kr.Topic]
			if ps == nil {
				ps = map[int32]int64{}
				pos[kr.Topic] = ps
			}
			if next, ok := ps[kr.Partition]; ok && kr.Offset < next {
				continue
			}
			ps[kr.Partition] = kr.Offset + 1
		}
		if err := sel.t.ProcessChanges(kr.Topic, sel.record(kr), emit); err != nil {
			return "", err
		}
		if sel.t.Done() {
			return FinalLimitReached, nil
		}
	}
	return "", nil
}

// Insert runs INSERT INTO ... VALUES: it writes one record, acks=all.
func (s *Server) Insert(ctx context.Context, text string, props map[string]string) error {
	s.mu.Lock()
	topic, r, err := s.eng.InsertValues(text, props)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	kr := &kgo.Record{Topic: topic, Key: r.Key, Value: r.Value}
	if r.Timestamp != 0 {
		kr.Timestamp = time.UnixMilli(r.Timestamp)
	}
	for _, h := range r.Headers {
		kr.Headers = append(kr.Headers, kgo.RecordHeader{Key: h.Key, Value: h.Value})
	}
	if err := s.cl.ProduceSync(ctx, kr).FirstErr(); err != nil {
		return fmt.Errorf("writing to %s: %w", topic, err)
	}
	return nil
}
