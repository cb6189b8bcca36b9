package cluster

import (
	"errors"
	"fmt"
)

// KeyPartition maps key to one of partitions partitions as Kafka's coordinators map a group id
// to __consumer_offsets and a transactional id to __transaction_state:
// Utils.abs(key.hashCode()) % partitions, with Java's String.hashCode over UTF-16 code units
// and Utils.abs taking MinInt32 to 0. Tools that compute a coordinator's partition from an id
// get the same answer as against Kafka.
func KeyPartition(key string, partitions int32) int32 {
	var h int32
	for _, r := range key {
		if r >= 0x10000 { // a surrogate pair in UTF-16
			r -= 0x10000
			h = 31*h + int32(0xD800+(r>>10))
			h = 31*h + int32(0xDC00+(r&0x3FF))
			continue
		}
		h = 31*h + int32(r) // invalid UTF-8 arrives as U+FFFD, as Java's decoder makes it
	}
	if h == -1<<31 {
		h = 0
	} else if h < 0 {
		h = -h
	}
	return h % partitions
}

// EnsureTopic returns the topic spec names, creating it from spec if it does not exist. Two
// callers racing to create it both get the one topic. The coordinators create their internal
// topics (__consumer_offsets, __transaction_state) with it on first use.
func (c *Cluster) EnsureTopic(spec CreateSpec) (*Topic, error) {
	if t := c.Topic(spec.Name); t != nil {
		return t, nil
	}
	t, err := c.CreateTopic(spec, false)
	if errors.Is(err, ErrTopicExists) {
		if t = c.Topic(spec.Name); t != nil {
			return t, nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("cluster: creating %s: %w", spec.Name, err)
	}
	return t, nil
}
