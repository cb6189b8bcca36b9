package kafka

import (
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/streamlite/streamlite/engine/cluster"
	"github.com/streamlite/streamlite/engine/log"
	"github.com/streamlite/streamlite/engine/schema"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// maxRecordErrors bounds the record_errors one partition's answer lists; the
// error message still counts every failing record.
const maxRecordErrors = 100

// schemaFailure is the outcome of checking a batch's records: which failed
// (by index in the batch) and why.
type schemaFailure struct {
	failed  []int // indexes of failing records, in order
	reasons []string
	total   int // records in the batch
}

// checkSchemas checks every record of batch (produced to topic) as rules
// ask. It returns nil when all pass, the failures otherwise, or an error
// when the batch cannot be read (a compressed batch that does not
// decompress). A broker without a validator fails every record: a topic
// asking for checks must not take unchecked data.
func (s *Server) checkSchemas(topic string, rules schema.ProduceRules, batch []byte) (*schemaFailure, error) {
	var check *schema.RecordCheck
	if s.cfg.Schemas != nil {
		check = s.cfg.Schemas.Check(topic, rules)
	}
	var f *schemaFailure
	n := 0
	err := log.ScanRecords(batch, func(i int, key, value []byte) bool {
		var reason string
		if check == nil {
			reason = "this broker runs without a schema registry, so it cannot check the records topic " + topic + " asks to check"
		} else if err := check.Record(key, value); err != nil {
			reason = err.Error()
		}
		if reason != "" {
			if f == nil {
				f = &schemaFailure{}
			}
			f.failed = append(f.failed, i)
			f.reasons = append(f.reasons, reason)
		}
		n++
		return true
	})
	if err != nil {
		return nil, refuse(kerr.CorruptMessage, "cannot read the batch's records to check their schemas: %v", err)
	}
	if f != nil {
		f.total = n
	}
	return f, nil
}

// message is the partition's error message: how many records failed and
// why the first did.
func (f *schemaFailure) message(topic string) string {
	return fmt.Sprintf("%d of %d records failed the schema check of topic %q; record %d: %s",
		len(f.failed), f.total, topic, f.failed[0], f.reasons[0])
}

// logRefusal logs why a batch produced to topic failed its schema check,
// at most once a second per topic: the clients' own messages for
// INVALID_RECORD do not carry the reason, and a developer watching
// `streamlite up` should see it.
func (s *Server) logRefusal(topic string, partition int32, f *schemaFailure, diverted string) {
	now := time.Now().UnixNano()
	v, _ := s.refusedLogged.LoadOrStore(topic, new(atomic.Int64))
	last := v.(*atomic.Int64)
	prev := last.Load()
	if now-prev < int64(time.Second) || !last.CompareAndSwap(prev, now) {
		return
	}
	if diverted != "" {
		s.logger.Info("records moved to the dead-letter topic by the schema check", "topic", topic, "partition", partition, "dlq", diverted, "reason", f.message(topic))
		return
	}
	s.logger.Info("batch refused by the schema check", "topic", topic, "partition", partition, "reason", f.message(topic))
}

// recordErrors lists the failing records for Produce v8+'s record_errors.
func (f *schemaFailure) recordErrors() []kmsg.ProduceResponseTopicPartitionErrorRecord {
	n := min(len(f.failed), maxRecordErrors)
	out := make([]kmsg.ProduceResponseTopicPartitionErrorRecord, n)
	for j := range n {
		out[j] = kmsg.NewProduceResponseTopicPartitionErrorRecord()
		out[j].RelativeOffset = int32(f.failed[j])
		msg := f.reasons[j]
		out[j].ErrorMessage = &msg
	}
	return out
}

// Headers a record moved to a dead-letter topic carries, after its own.
const (
	HeaderDeadLetterTopic     = "streamlite.dlq.topic"
	HeaderDeadLetterPartition = "streamlite.dlq.partition"
	HeaderDeadLetterOffset    = "streamlite.dlq.offset"
	HeaderDeadLetterError     = "streamlite.dlq.error"
)

// divertable reports whether the failing records of batch may go to the
// topic's dead-letter topic rather than fail the batch: one is set, it is
// another topic, and the batch is not transactional (an abort could not
// take back what the dead-letter topic got).
func divertable(topic string, rules schema.ProduceRules, batch []byte) bool {
	return rules.DeadLetterTopic != "" && rules.DeadLetterTopic != topic && !transactional(batch)
}

// deadLetter appends the failing records of batch, produced to
// topic/partition and appended there (without them) at base, to the topic's
// dead-letter topic, creating it with one partition if it does not exist.
// Each keeps its key, value, timestamp and headers and gains headers
// naming where it was produced, the offset it left as a gap there, and why
// it failed. It returns the dead-letter partition and the last offset
// written, for acks=all to wait on.
func (s *Server) deadLetter(topic string, partition int32, base int64, batch []byte, f *schemaFailure, dlq string, now time.Time) (*log.Partition, int64, error) {
	recs, err := log.Records(batch, f.failed)
	if err != nil {
		return nil, 0, err
	}
	for i := range recs {
		r := &recs[i]
		r.Headers = append(r.Headers,
			log.Header{Key: HeaderDeadLetterTopic, Value: []byte(topic)},
			log.Header{Key: HeaderDeadLetterPartition, Value: strconv.AppendInt(nil, int64(partition), 10)},
			log.Header{Key: HeaderDeadLetterOffset, Value: strconv.AppendInt(nil, base+int64(r.OffsetDelta), 10)},
			log.Header{Key: HeaderDeadLetterError, Value: []byte(f.reasons[i])},
		)
	}
	t, err := s.c.EnsureTopic(cluster.CreateSpec{Name: dlq, Partitions: 1, ReplicationFactor: -1, AutoCreated: true})
	if err != nil {
		return nil, 0, err
	}
	parts := t.Partitions()
	p := parts[int(partition)%len(parts)]
	res, err := p.Append(log.EncodeRecords(recs), now)
	if err != nil {
		return nil, 0, fmt.Errorf("kafka: appending to dead-letter topic %s: %w", dlq, err)
	}
	s.obs.Produced(dlq, len(recs))
	return p, res.LastOffset, nil
}
