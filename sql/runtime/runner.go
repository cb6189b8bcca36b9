package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/streamlite/streamlite/sql/engine"
)

// QueryState is what a persistent query is doing.
type QueryState string

// Query states, as ksqlDB names them.
const (
	StateRunning QueryState = "RUNNING"
	StateError   QueryState = "ERROR"
)

// runner runs one persistent query as a Kafka application: a consumer
// group reading its inputs, a transactional producer writing its output
// and its state changelog, and each poll's input offsets committed in the
// same transaction, so every input record's effect is written exactly
// once. It owns its goroutine; stop ends it.
type runner struct {
	q         *engine.Query
	prefix    string // internal names: group, transactional id, changelog
	brokers   []string
	extra     []kgo.Opt
	log       *slog.Logger
	maxRecs   int
	cancel    context.CancelFunc
	done      chan struct{}
	processed atomic.Int64
	restored  atomic.Int64

	mu    sync.Mutex // guards state and err
	state QueryState
	err   error
}

// changelogTopic is the compacted topic holding the query's state.
func (r *runner) changelogTopic() string { return r.prefix + "-changelog" }

// status reports the runner's state and its last error.
func (r *runner) status() (QueryState, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.state, r.err
}

func (r *runner) fail(err error) {
	r.mu.Lock()
	r.state, r.err = StateError, err
	r.mu.Unlock()
	r.log.Error("sql: query stopped", "query", r.q.ID(), "err", err)
}

// start runs the query until stop.
func (r *runner) start(ctx context.Context) {
	ctx, r.cancel = context.WithCancel(ctx)
	r.done = make(chan struct{})
	r.state = StateRunning
	go func() {
		defer close(r.done)
		if err := r.run(ctx); err != nil && ctx.Err() == nil {
			r.fail(err)
		}
	}()
}

// stop ends the query's goroutine and waits for it.
func (r *runner) stop() {
	if r.cancel != nil {
		r.cancel()
		<-r.done
	}
}

// txnLinger is how long the query's producer lets a partition's batch
// fill before sending it. Every record goes out inside a transaction, and
// End flushes at once whatever the linger, so lingering adds no latency:
// a batch is sent when it is full, when the producer's buffer is (franz-go
// stops lingering then) or at End. Without it the producer sent whatever
// it had whenever it could while the transaction was being processed:
// many small produce requests (each a sync on a durable broker) competing
// with the query for CPU.
const txnLinger = time.Second

// resetOffset is where the query starts reading a partition it has no
// committed offset for: ksqlDB's auto.offset.reset, latest by default.
func (r *runner) resetOffset() kgo.Offset {
	if r.q.Prop("auto.offset.reset") == "earliest" || r.q.Prop("ksql.streams.auto.offset.reset") == "earliest" {
		return kgo.NewOffset().AtStart()
	}
	return kgo.NewOffset().AtEnd()
}

func (r *runner) run(ctx context.Context) error {
	opts := append([]kgo.Opt{
		kgo.SeedBrokers(r.brokers...),
		kgo.TransactionalID(r.prefix),
		kgo.ConsumerGroup(r.prefix),
		// Static membership: a restarted instance takes its own place in
		// the group at once instead of waiting out the dead one's session.
		kgo.InstanceID(r.prefix),
		kgo.ConsumeTopics(r.q.Inputs()...),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.ConsumeResetOffset(r.resetOffset()),
		kgo.TransactionTimeout(30 * time.Second),
		kgo.ProducerLinger(txnLinger),
	}, r.extra...)
	sess, err := kgo.NewGroupTransactSession(opts...)
	if err != nil {
		return fmt.Errorf("query %s: client: %w", r.q.ID(), err)
	}
	defer sess.Close()
	cl := sess.Client()
	// Loading the producer id fences a previous instance of this query
	// and aborts the transaction it left open, so the changelog's last
	// stable offset below is final.
	if _, _, err := cl.ProducerID(ctx); err != nil {
		return fmt.Errorf("query %s: initializing the transactional producer: %w", r.q.ID(), err)
	}
	if r.q.Stateful() {
		if err := r.restore(ctx); err != nil {
			return err
		}
	}
	windowed, session := r.q.Windowed()
	changelog := r.changelogTopic()
	var (
		produceErr error
		errMu      sync.Mutex
	)
	promise := func(_ *kgo.Record, err error) {
		if err != nil {
			errMu.Lock()
			if produceErr == nil {
				produceErr = err
			}
			errMu.Unlock()
		}
	}
	r.q.SetOutput(func(topic string, rec engine.Record) error {
		key := rec.Key
		if rec.Window != nil && windowed && key != nil {
			w := *rec.Window
			w.Session = session
			key = engine.WindowedKey(key, &w)
		}
		kr := &kgo.Record{Topic: topic, Key: key, Value: rec.Value, Timestamp: time.UnixMilli(rec.Timestamp)}
		for _, h := range rec.Headers {
			kr.Headers = append(kr.Headers, kgo.RecordHeader{Key: h.Key, Value: h.Value})
		}
		sess.Produce(ctx, kr, promise)
		return nil
	})
	for {
		fetches := sess.PollRecords(ctx, r.maxRecs)
		if ctx.Err() != nil || fetches.IsClientClosed() {
			return nil
		}
		for _, fe := range fetches.Errors() {
			if errors.Is(fe.Err, context.Canceled) {
				return nil
			}
			r.log.Warn("sql: fetch error", "query", r.q.ID(), "topic", fe.Topic, "partition", fe.Partition, "err", fe.Err)
		}
		recs := mergeByTime(fetches)
		if len(recs) == 0 {
			continue
		}
		if err := sess.Begin(); err != nil {
			return fmt.Errorf("query %s: beginning a transaction: %w", r.q.ID(), err)
		}
		var procErr error
		for _, kr := range recs {
			in := engine.Record{Key: kr.Key, Value: kr.Value, Timestamp: kr.Timestamp.UnixMilli(), Partition: kr.Partition, Offset: kr.Offset}
			for _, h := range kr.Headers {
				in.Headers = append(in.Headers, engine.Header{Key: h.Key, Value: h.Value})
			}
			if procErr = r.q.Process(kr.Topic, in); procErr != nil {
				break
			}
		}
		if procErr == nil {
			procErr = r.q.FlushState(func(k, v []byte) error {
				sess.Produce(ctx, &kgo.Record{Topic: changelog, Key: k, Value: v}, promise)
				return nil
			})
		}
		commit := kgo.TryCommit
		if procErr != nil {
			commit = kgo.TryAbort
		}
		committed, err := sess.End(ctx, commit)
		errMu.Lock()
		perr := produceErr
		produceErr = nil
		errMu.Unlock()
		if procErr != nil {
			return fmt.Errorf("query %s: %w", r.q.ID(), procErr)
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, kerr.ProducerFenced) || errors.Is(err, kerr.InvalidProducerEpoch) || errors.Is(err, kerr.TransactionalIDAuthorizationFailed) {
				return fmt.Errorf("query %s: ending a transaction: %w", r.q.ID(), err)
			}
			r.log.Warn("sql: transaction failed, retrying", "query", r.q.ID(), "err", err)
		}
		if committed {
			r.processed.Add(int64(len(recs)))
			continue
		}
		// Aborted: the session rewinds the consumer to the committed
		// offsets, so the state goes back to the committed changelog.
		if perr != nil {
			r.log.Warn("sql: produce failed, transaction aborted", "query", r.q.ID(), "err", perr)
		}
		if r.q.Stateful() {
			r.q.ResetState()
			if err := r.restore(ctx); err != nil {
				return err
			}
		}
	}
}

// mergeByTime flattens a poll's records, taking the partitions' records
// in timestamp order across partitions (each partition's own order kept),
// as Kafka Streams picks the next record of a task.
func mergeByTime(fs kgo.Fetches) []*kgo.Record {
	var parts [][]*kgo.Record
	n := 0
	fs.EachPartition(func(p kgo.FetchTopicPartition) {
		if len(p.Records) > 0 {
			parts = append(parts, p.Records)
			n += len(p.Records)
		}
	})
	if len(parts) == 1 {
		return parts[0]
	}
	out := make([]*kgo.Record, 0, n)
	for len(out) < n {
		best := -1
		for i, p := range parts {
			if len(p) > 0 && (best < 0 || p[0].Timestamp.Before(parts[best][0].Timestamp)) {
				best = i
			}
		}
		out = append(out, parts[best][0])
		parts[best] = parts[best][1:]
	}
	return out
}

// restore reads the query's changelog to its last stable offset into the
// query's state.
func (r *runner) restore(ctx context.Context) error {
	topic := r.changelogTopic()
	cl, err := kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(r.brokers...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: {0: kgo.NewOffset().AtStart()}}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		// Control records come through so that the offset of the last
		// commit or abort marker is seen and the end is recognized.
		kgo.KeepControlRecords(),
	}, r.extra...)...)
	if err != nil {
		return fmt.Errorf("query %s: restore client: %w", r.q.ID(), err)
	}
	defer cl.Close()
	end, err := lastStableOffset(ctx, cl, topic)
	if err != nil {
		return fmt.Errorf("query %s: changelog end offset: %w", r.q.ID(), err)
	}
	var n int64
	next := int64(0)
	for next < end {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		for _, fe := range fs.Errors() {
			r.log.Warn("sql: changelog fetch error", "query", r.q.ID(), "err", fe.Err)
		}
		var rerr error
		fs.EachRecord(func(rec *kgo.Record) {
			next = max(next, rec.Offset+1)
			if rec.Attrs.IsControl() || rerr != nil {
				return
			}
			rerr = r.q.RestoreState(rec.Key, rec.Value)
			n++
		})
		if rerr != nil {
			return fmt.Errorf("query %s: restoring state: %w", r.q.ID(), rerr)
		}
	}
	r.restored.Store(n)
	if n > 0 {
		r.log.Info("sql: state restored", "query", r.q.ID(), "entries", n)
	}
	return nil
}

// lastStableOffset asks for partition 0's last stable offset: where a
// read_committed consumer's view ends.
func lastStableOffset(ctx context.Context, cl *kgo.Client, topic string) (int64, error) {
	req := kmsg.NewPtrListOffsetsRequest()
	req.IsolationLevel = 1
	req.ReplicaID = -1
	t := kmsg.NewListOffsetsRequestTopic()
	t.Topic = topic
	p := kmsg.NewListOffsetsRequestTopicPartition()
	p.Partition = 0
	p.Timestamp = -1
	p.CurrentLeaderEpoch = -1
	t.Partitions = append(t.Partitions, p)
	req.Topics = append(req.Topics, t)
	for attempt := 0; ; attempt++ {
		resp, err := req.RequestWith(ctx, cl)
		if err != nil {
			return 0, err
		}
		if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
			return 0, errors.New("malformed ListOffsets response")
		}
		rp := resp.Topics[0].Partitions[0]
		err = kerr.ErrorForCode(rp.ErrorCode)
		if err == nil {
			return rp.Offset, nil
		}
		if !kerr.IsRetriable(err) || attempt > 50 {
			return 0, err
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
