package cluster

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Produce writes one record and waits for the broker's acknowledgement (acks=all). It
// returns the partition and offset the record landed at. A Partition outside the topic's
// range fails the record at once; a missing topic fails after the client's retries (the
// client never creates topics by producing).
func (c *Client) Produce(ctx context.Context, r ProduceRecord) (partition int32, offset int64, err error) {
	rec := &kgo.Record{Topic: r.Topic, Partition: r.Partition, Key: r.Key, Value: r.Value}
	for _, h := range r.Headers {
		rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: h.Key, Value: h.Value})
	}
	if err := c.kcl.ProduceSync(ctx, rec).FirstErr(); err != nil {
		return -1, -1, fmt.Errorf("producing to %s: %w", r.Topic, err)
	}
	return rec.Partition, rec.Offset, nil
}

// manualOrKeyPartitioner sends a record with a partition >= 0 there and partitions the
// others as Kafka's default partitioner does (murmur2 of the key, sticky without one).
type manualOrKeyPartitioner struct{ byKey kgo.Partitioner }

func (p manualOrKeyPartitioner) ForTopic(topic string) kgo.TopicPartitioner {
	return manualOrKeyTopicPartitioner{p.byKey.ForTopic(topic)}
}

type manualOrKeyTopicPartitioner struct{ byKey kgo.TopicPartitioner }

func (p manualOrKeyTopicPartitioner) RequiresConsistency(r *kgo.Record) bool {
	return r.Partition >= 0 || p.byKey.RequiresConsistency(r)
}

func (p manualOrKeyTopicPartitioner) Partition(r *kgo.Record, n int) int {
	if r.Partition >= 0 {
		return int(r.Partition)
	}
	return p.byKey.Partition(r, n)
}
