package loadgen

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// ConsumeOptions configure Consume. Zero fields take the defaults named.
type ConsumeOptions struct {
	// Brokers are the seed addresses. Required.
	Brokers []string
	// Topic is read, every partition from its start offset to the end
	// offset (high watermark) listed before reading. Required.
	Topic string
	// Records, if > 0, stops the read after this many records.
	Records int
	// FetchMaxBytes is the most bytes a fetch returns (Kafka's
	// fetch.max.bytes); default the client's (50 MiB).
	FetchMaxBytes int32
	// ClientOpts are added to the client's options, last.
	ClientOpts []kgo.Opt
}

// Consume reads o.Topic back directly by partition, without a consumer
// group, from the start offsets to the end offsets listed when it begins,
// and returns what it measured. Records produced after that are not read.
func Consume(ctx context.Context, o ConsumeOptions) (Result, error) {
	if len(o.Brokers) == 0 {
		return Result{}, errors.New("loadgen: no brokers")
	}
	if o.Topic == "" {
		return Result{}, errors.New("loadgen: no topic")
	}
	ends, offsets, err := listRange(ctx, o.Brokers, o.Topic)
	if err != nil {
		return Result{}, err
	}
	res := Result{Topic: o.Topic}
	if len(offsets) == 0 {
		return res, nil
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(o.Brokers...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{o.Topic: offsets}),
	}
	if o.FetchMaxBytes > 0 {
		opts = append(opts, kgo.FetchMaxBytes(o.FetchMaxBytes))
	}
	opts = append(opts, o.ClientOpts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return res, fmt.Errorf("loadgen: creating consumer: %w", err)
	}
	defer cl.Close()

	pending := len(offsets)
	start := time.Now()
	for pending > 0 {
		fetches := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			res.Elapsed = time.Since(start)
			return res, err
		}
		var fetchErr error
		fetches.EachError(func(t string, p int32, err error) {
			if fetchErr == nil {
				fetchErr = fmt.Errorf("loadgen: fetching %s partition %d: %w", t, p, err)
			}
		})
		if fetchErr != nil {
			res.Elapsed = time.Since(start)
			return res, fetchErr
		}
		iter := fetches.RecordIter()
		for !iter.Done() {
			r := iter.Next()
			end, ok := ends[r.Partition]
			if !ok || r.Offset >= end {
				continue // done already, or past the end listed at start
			}
			res.Records++
			res.Bytes += int64(len(r.Key) + len(r.Value))
			if r.Offset == end-1 {
				delete(ends, r.Partition)
				pending--
			}
			if o.Records > 0 && res.Records >= int64(o.Records) {
				pending = 0
				break
			}
		}
	}
	res.Elapsed = time.Since(start)
	return res, nil
}

// listRange returns, for every non-empty partition of topic, its end offset
// and a consumer offset at its start.
func listRange(ctx context.Context, brokers []string, topic string) (map[int32]int64, map[int32]kgo.Offset, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		return nil, nil, fmt.Errorf("loadgen: creating admin client: %w", err)
	}
	adm := kadm.NewClient(cl)
	defer adm.Close()

	starts, err := adm.ListStartOffsets(ctx, topic)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("loadgen: listing start offsets of %s: %w", topic, err)
	}
	endOffsets, err := adm.ListEndOffsets(ctx, topic)
	if err == nil {
		err = endOffsets.Error()
	}
	if err != nil {
		return nil, nil, fmt.Errorf("loadgen: listing end offsets of %s: %w", topic, err)
	}
	ends := make(map[int32]int64)
	offsets := make(map[int32]kgo.Offset)
	for p, e := range endOffsets[topic] {
		s, ok := starts.Lookup(topic, p)
		if !ok || s.Offset >= e.Offset {
			continue
		}
		ends[p] = e.Offset
		offsets[p] = kgo.NewOffset().At(s.Offset)
	}
	return ends, offsets, nil
}
