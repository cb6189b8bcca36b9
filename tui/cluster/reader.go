package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Reader bounds: a reader buffers at most about one fetch per broker.
const (
	readerFetchMaxBytes          = 1 << 20
	readerFetchMaxPartitionBytes = 256 << 10
	// defaultLast is how far back FromEnd goes per partition when Start.Last is 0.
	defaultLast = 20
	// drainWait is how long Poll keeps collecting after its first records, to gather what
	// other brokers and partitions have buffered.
	drainWait = 5 * time.Millisecond
)

// ErrReaderClosed is returned by Poll after Close.
var ErrReaderClosed = errors.New("cluster: reader closed")

// Reader reads one topic's records from a start position and then follows new ones, like a
// live tail. It consumes without a group and never commits, reads committed records only
// (read_committed: aborted transactions are skipped) and decodes each record (Record's
// KeyText and ValueText). Memory is bounded by its fetch sizes: one fetch of at most 1 MiB
// (256 KiB a partition) as the broker sends it, compressed, is buffered until Poll takes it,
// and nothing is fetched while nobody polls. Returned records own their bytes (they do not
// pin the fetch they came from).
//
// Poll and Close may be called from different goroutines; Poll calls are serialized.
// Partitions added to the topic after the reader starts are not read.
type Reader struct {
	c     *Client
	topic string
	from  Start

	pollMu sync.Mutex // serializes Poll; held while starting the consumer

	mu     sync.Mutex
	kcl    *kgo.Client // nil until the first Poll resolves the start offsets; guarded by mu
	closed bool        // guarded by mu
}

// OpenReader returns a Reader on topic starting at from. It does no I/O: the first Poll
// lists the start offsets and starts the consumer, so a dead broker shows up as Poll's error.
func (c *Client) OpenReader(topic string, from Start) (*Reader, error) {
	if topic == "" {
		return nil, errors.New("cluster: reader needs a topic")
	}
	switch from.Kind {
	case FromEnd, FromBeginning, FromOffset, FromTime:
	default:
		return nil, fmt.Errorf("cluster: unknown start kind %d", from.Kind)
	}
	if from.Kind == FromEnd && from.Last <= 0 {
		from.Last = defaultLast
	}
	return &Reader{c: c, topic: topic, from: from}, nil
}

// Poll returns up to max decoded records (max <= 0: whatever is buffered). It waits until
// at least one record is available or ctx ends; when ctx ends it returns what it has, with
// no error for the deadline or cancellation (so nil, nil is "nothing new yet"). Broker
// errors are wrapped and returned together with any records read. The first Poll lists the
// partitions' offsets to find where to start; if that fails Poll returns the error and the
// next Poll tries again.
func (r *Reader) Poll(ctx context.Context, max int) ([]Record, error) {
	r.pollMu.Lock()
	defer r.pollMu.Unlock()
	kcl, err := r.client(ctx)
	if err != nil || kcl == nil {
		return nil, err
	}
	if max <= 0 {
		max = -1
	}
	fs := kcl.PollRecords(ctx, max)
	out, err := r.collect(ctx, fs, nil, max)
	if err != nil || len(out) == 0 || (max > 0 && len(out) >= max) {
		return out, err
	}
	// Something arrived: take what else is already buffered without waiting for more.
	dctx, cancel := context.WithTimeout(ctx, drainWait)
	defer cancel()
	for max < 0 || len(out) < max {
		n := -1
		if max > 0 {
			n = max - len(out)
		}
		before := len(out)
		out, err = r.collect(ctx, kcl.PollRecords(dctx, n), out, max)
		if err != nil || len(out) == before {
			break
		}
	}
	return out, err
}

// collect decodes the records of fs onto out and returns the first real error.
func (r *Reader) collect(ctx context.Context, fs kgo.Fetches, out []Record, max int) ([]Record, error) {
	var errs []error
	fs.EachError(func(topic string, partition int32, err error) {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return
		}
		if errors.Is(err, kgo.ErrClientClosed) {
			err = ErrReaderClosed
		}
		if partition < 0 || topic == "" {
			errs = append(errs, fmt.Errorf("reading %s: %w", r.topic, err))
			return
		}
		errs = append(errs, fmt.Errorf("reading %s[%d]: %w", topic, partition, err))
	})
	if out == nil {
		n := fs.NumRecords()
		if max > 0 {
			n = min(n, max)
		}
		out = make([]Record, 0, n)
	}
	fs.EachRecord(func(kr *kgo.Record) {
		// Copies: kgo's slices point into the whole decompressed batch, which a record kept
		// in the TUI's buffer would otherwise pin.
		rec := Record{
			Topic:     kr.Topic,
			Partition: kr.Partition,
			Offset:    kr.Offset,
			Timestamp: kr.Timestamp,
			Key:       clone(kr.Key),
			Value:     clone(kr.Value),
		}
		if len(kr.Headers) > 0 {
			rec.Headers = make([]Header, len(kr.Headers))
			for i, h := range kr.Headers {
				rec.Headers[i] = Header{Key: strings.Clone(h.Key), Value: clone(h.Value)}
			}
		}
		r.c.dec.decodeRecord(ctx, &rec)
		out = append(out, rec)
	})
	return out, errors.Join(errs...)
}

// client returns the consumer, starting it on the first call. It returns nil, nil when ctx
// ended before the offsets were listed.
func (r *Reader) client(ctx context.Context) (*kgo.Client, error) {
	r.mu.Lock()
	kcl, closed := r.kcl, r.closed
	r.mu.Unlock()
	if closed {
		return nil, ErrReaderClosed
	}
	if kcl != nil {
		return kcl, nil
	}
	offsets, err := r.startOffsets(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return nil, nil
		}
		return nil, err
	}
	kcl, err = kgo.NewClient(
		kgo.SeedBrokers(r.c.cfg.Brokers...),
		kgo.ClientID(r.c.cfg.ClientID),
		kgo.DialTimeout(3*time.Second),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{r.topic: offsets}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.FetchMaxBytes(readerFetchMaxBytes),
		kgo.FetchMaxPartitionBytes(readerFetchMaxPartitionBytes),
		kgo.FetchMaxWait(500*time.Millisecond),
		kgo.MaxConcurrentFetches(1),
	)
	if err != nil {
		return nil, fmt.Errorf("reading %s: building the consumer: %w", r.topic, err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		kcl.Close()
		return nil, ErrReaderClosed
	}
	r.kcl = kcl
	return kcl, nil
}

// startOffsets computes each partition's first offset from r.from.
func (r *Reader) startOffsets(ctx context.Context) (map[int32]kgo.Offset, error) {
	adm := r.c.adm
	starts, err := adm.ListStartOffsets(ctx, r.topic)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: listing start offsets: %w", r.topic, err)
	}
	out := make(map[int32]kgo.Offset)
	if r.from.Kind == FromBeginning {
		starts.Each(func(l kadm.ListedOffset) { out[l.Partition] = kgo.NewOffset().At(l.Offset) })
		return out, nil
	}
	ends, err := adm.ListEndOffsets(ctx, r.topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: listing end offsets: %w", r.topic, err)
	}
	var times map[int32]int64
	if r.from.Kind == FromTime {
		after, err := adm.ListOffsetsAfterMilli(ctx, r.from.Time.UnixMilli(), r.topic)
		if err == nil {
			err = after.Error()
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: listing offsets after %s: %w", r.topic, r.from.Time.Format(time.RFC3339), err)
		}
		times = make(map[int32]int64)
		after.Each(func(l kadm.ListedOffset) { times[l.Partition] = l.Offset })
	}
	starts.Each(func(s kadm.ListedOffset) {
		e, ok := ends.Lookup(s.Topic, s.Partition)
		if !ok {
			return
		}
		var at int64
		switch r.from.Kind {
		case FromEnd:
			at = max(s.Offset, e.Offset-r.from.Last)
		case FromOffset:
			at = min(max(r.from.Offset, s.Offset), e.Offset)
		case FromTime:
			at, ok = times[s.Partition]
			if !ok || at < 0 {
				at = e.Offset
			}
			at = min(max(at, s.Offset), e.Offset)
		}
		out[s.Partition] = kgo.NewOffset().At(at)
	})
	return out, nil
}

// Close stops the reader's consumer and waits for it. Poll returns ErrReaderClosed after.
func (r *Reader) Close() {
	r.mu.Lock()
	kcl := r.kcl
	r.closed = true
	r.mu.Unlock()
	if kcl != nil {
		kcl.Close()
	}
}

// clone copies b, keeping nil nil (a null key or value) and empty empty.
func clone(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}
