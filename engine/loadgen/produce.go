package loadgen

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// ProduceOptions configure Produce. Zero fields take the defaults named.
type ProduceOptions struct {
	// Brokers are the seed addresses. Required.
	Brokers []string
	// Topic is written to; it is created with Partitions partitions (and
	// the broker's default replication factor) if it does not exist.
	// Required.
	Topic string
	// Records is the number of records to produce across all producers.
	// Required, > 0.
	Records int
	// RecordSize is each record's value size in bytes; records have no
	// key. Default 100.
	RecordSize int
	// Partitions is the partition count used when creating Topic; default
	// 1. An existing topic keeps its own count, and every one of its
	// partitions is written.
	Partitions int
	// Acks is the acknowledgement required (Kafka's acks); default
	// AcksAll, with idempotent producers.
	Acks Acks
	// Compression is the batch codec (Kafka's compression.type); default
	// none.
	Compression Compression
	// Producers is the number of clients producing in parallel, each its
	// share of Records; default 1.
	Producers int
	// Linger is how long a partition's batch waits for more records
	// (Kafka's linger.ms); default 0.
	Linger time.Duration
	// ClientOpts are added to every client's options, last.
	ClientOpts []kgo.Opt
	// Value, if not nil, is every record's value (a schema-framed payload,
	// say); RecordSize is then its length.
	Value []byte
}

const (
	defaultRecordSize = 100
	// batchMaxBytes is each client's ProducerBatchMaxBytes (Kafka's
	// batch.size): 1 MiB, under Kafka's default max.message.bytes.
	batchMaxBytes = 1 << 20
	// chunkBytes is how many bytes of consecutive records one producer
	// sends to a partition before moving to the next: large enough to
	// make real batches, small enough to spread load when lingering is
	// off.
	chunkBytes = 64 << 10
	// bufferedBytes bounds a producer's buffered records (Kafka's
	// buffer.memory) to keep the pipe full without flooding memory.
	bufferedBytes = 64 << 20
)

func (o *ProduceOptions) setDefaults() error {
	if len(o.Brokers) == 0 {
		return errors.New("loadgen: no brokers")
	}
	if o.Topic == "" {
		return errors.New("loadgen: no topic")
	}
	if o.Records <= 0 {
		return fmt.Errorf("loadgen: records must be > 0, got %d", o.Records)
	}
	if o.RecordSize < 0 || o.Partitions < 0 || o.Producers < 0 {
		return errors.New("loadgen: negative record size, partitions or producers")
	}
	if o.RecordSize == 0 {
		o.RecordSize = defaultRecordSize
	}
	if o.Partitions == 0 {
		o.Partitions = 1
	}
	if o.Producers == 0 {
		o.Producers = 1
	}
	_, err := o.Compression.codec()
	return err
}

// Produce writes o.Records records of o.RecordSize bytes to o.Topic from
// o.Producers clients and returns what it measured. It stops at the first
// record that fails and returns that error.
//
// Producer i sends its records in runs of about 64 KiB to partitions i, i+1,
// ... in turn (a manual partitioner), so the spread over partitions is the
// same in every run.
func Produce(ctx context.Context, o ProduceOptions) (Result, error) {
	if err := o.setDefaults(); err != nil {
		return Result{}, err
	}
	codec, _ := o.Compression.codec()
	partitions, err := ensureTopic(ctx, o.Brokers, o.Topic, o.Partitions)
	if err != nil {
		return Result{}, err
	}

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)

	value := o.Value
	if value == nil {
		value = makeValue(o.RecordSize)
	} else {
		o.RecordSize = len(value)
	}
	chunk := max(1, chunkBytes/max(o.RecordSize, 1))

	producers := make([]*producer, o.Producers)
	for i := range producers {
		n := o.Records / o.Producers
		if i < o.Records%o.Producers {
			n++
		}
		buffered := min(max(bufferedBytes/max(o.RecordSize, 1), 256), 1<<16, max(n, 1))
		opts := []kgo.Opt{
			kgo.SeedBrokers(o.Brokers...),
			kgo.DefaultProduceTopic(o.Topic),
			kgo.ProducerBatchCompression(codec),
			kgo.ProducerLinger(o.Linger),
			kgo.ProducerBatchMaxBytes(batchMaxBytes),
			kgo.MaxBufferedRecords(buffered),
			kgo.RecordPartitioner(kgo.ManualPartitioner()),
		}
		opts = append(opts, o.Acks.opts()...)
		opts = append(opts, o.ClientOpts...)
		cl, err := kgo.NewClient(opts...)
		if err != nil {
			return Result{}, fmt.Errorf("loadgen: creating producer: %w", err)
		}
		defer cl.Close()
		// Open the produce connections and, for idempotent producers,
		// load the producer ID before the clock starts. The topic's
		// metadata still loads on the first record.
		if err := cl.EnsureProduceConnectionIsOpen(ctx); err != nil {
			return Result{}, fmt.Errorf("loadgen: connecting: %w", err)
		}
		if o.Acks == AcksAll {
			if _, _, err := cl.ProducerID(ctx); err != nil {
				return Result{}, fmt.Errorf("loadgen: initializing producer ID: %w", err)
			}
		}
		producers[i] = newProducer(ctx, cancel, cl, value, n, buffered, i, chunk, partitions)
	}

	start := time.Now()
	var wg sync.WaitGroup
	for _, p := range producers {
		wg.Go(p.run)
	}
	wg.Wait()
	elapsed := time.Since(start)

	// Each producer has its own histogram, so that promises on different
	// clients never contend on a bucket; they are summed here.
	hist := new(histogram)
	res := Result{Topic: o.Topic, Elapsed: elapsed}
	for _, p := range producers {
		res.Records += p.acked.Load()
		hist.add(p.hist)
	}
	res.P50, res.P99 = hist.quantile(0.50), hist.quantile(0.99)
	res.Bytes = res.Records * int64(len(value))
	if err := context.Cause(ctx); err != nil {
		return res, fmt.Errorf("loadgen: producing to %s: %w", o.Topic, err)
	}
	return res, nil
}

// producer is one client's share of a run.
type producer struct {
	ctx        context.Context
	cancel     context.CancelCauseFunc
	cl         *kgo.Client
	hist       *histogram
	value      []byte
	n          int   // records to send
	first      int   // its first partition
	chunk      int   // records per partition run
	partitions int32 // partition count
	free       chan *slot
	acked      atomic.Int64
	promise    func(*kgo.Record, error) // p.done, bound once
}

// slot is a reusable record with its own context, which carries the
// produce-call time to the promise without a side table or an allocation.
type slot struct {
	rec kgo.Record
	ctx slotContext
}

type slotContext struct {
	context.Context
	s     *slot
	start time.Time
}

func newProducer(ctx context.Context, cancel context.CancelCauseFunc, cl *kgo.Client,
	value []byte, n, buffered, first, chunk int, partitions int32) *producer {
	p := &producer{
		ctx: ctx, cancel: cancel, cl: cl, hist: new(histogram), value: value,
		n: n, first: first, chunk: chunk, partitions: partitions,
		free: make(chan *slot, buffered),
	}
	slots := make([]slot, buffered)
	for i := range slots {
		s := &slots[i]
		s.ctx.Context = ctx
		s.ctx.s = s
		p.free <- s
	}
	p.promise = p.done
	return p
}

func (p *producer) run() {
	for j := 0; j < p.n; j++ {
		var s *slot
		select {
		case s = <-p.free:
		case <-p.ctx.Done():
			return
		}
		p.fill(s, j)
		p.cl.Produce(p.ctx, &s.rec, p.promise)
	}
	if err := p.cl.Flush(p.ctx); err != nil {
		p.cancel(err)
	}
}

// fill readies slot s to carry record j and stamps its produce time.
func (p *producer) fill(s *slot, j int) {
	s.rec = kgo.Record{
		Value:     p.value,
		Partition: int32((p.first + j/p.chunk) % int(p.partitions)),
		Context:   &s.ctx,
	}
	s.ctx.start = time.Now()
}

// done is the promise of every record: it may run on several client
// goroutines at once.
func (p *producer) done(r *kgo.Record, err error) {
	sc := r.Context.(*slotContext)
	if err != nil {
		p.cancel(err)
	} else {
		p.hist.record(time.Since(sc.start))
		p.acked.Add(1)
	}
	p.free <- sc.s
}

// makeValue returns size bytes drawn from 16 letters by a fixed-seed
// generator: the same in every run, and about half compressible, between
// text and random data.
func makeValue(size int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	v := make([]byte, size)
	for i := range v {
		v[i] = 'a' + byte(rng.IntN(16))
	}
	return v
}

// ensureTopic creates topic with partitions partitions unless it exists, and
// returns its partition count.
func ensureTopic(ctx context.Context, brokers []string, topic string, partitions int) (int32, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		return 0, fmt.Errorf("loadgen: creating admin client: %w", err)
	}
	adm := kadm.NewClient(cl)
	defer adm.Close()

	if _, err := adm.CreateTopic(ctx, int32(partitions), -1, nil, topic); err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		return 0, fmt.Errorf("loadgen: creating topic %s: %w", topic, err)
	}
	return partitionCount(ctx, adm, topic)
}

// partitionCount returns topic's partition count, waiting for the metadata
// of a just-created topic to show it.
func partitionCount(ctx context.Context, adm *kadm.Client, topic string) (int32, error) {
	for attempt := 0; ; attempt++ {
		details, err := adm.ListTopics(ctx, topic)
		if err != nil {
			return 0, fmt.Errorf("loadgen: describing topic %s: %w", topic, err)
		}
		d := details[topic]
		if d.Err == nil && len(d.Partitions) > 0 {
			return int32(len(d.Partitions)), nil
		}
		if attempt == 50 {
			if d.Err == nil {
				d.Err = errors.New("no partitions")
			}
			return 0, fmt.Errorf("loadgen: describing topic %s: %w", topic, d.Err)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
