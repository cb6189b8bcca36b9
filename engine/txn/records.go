package txn

import (
	"encoding/binary"
	"hash/crc32"
	"sort"

	"github.com/streamlite/streamlite/engine/log"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Record versions of __transaction_state as Kafka numbers them: key v0 (the only one), value
// v0 (TV1; v1 adds KIP-890's tagged fields, which a TV1 coordinator does not write).
const (
	keyVersion   = 0
	valueVersion = 0
)

var crc32c = crc32.MakeTable(crc32.Castagnoli)

// topicPartition names one partition of a transaction.
type topicPartition struct {
	topic     string
	partition int32
}

// txnKey encodes the record key of a transactional id.
func txnKey(id string) []byte {
	k := kmsg.TxnMetadataKey{Version: keyVersion, TransactionalID: id}
	return k.AppendTo(nil)
}

// txnValue encodes s as the record value. Kafka writes a null partition list for Empty and
// the (possibly empty) list otherwise; so do we.
func txnValue(s *txnState) []byte {
	v := kmsg.NewTxnMetadataValue()
	v.Version = valueVersion
	v.ProducerID = s.pid
	v.ProducerEpoch = s.epoch
	v.TimeoutMillis = s.timeoutMs
	v.State = s.state
	v.LastUpdateTimestamp = s.updateMs
	v.StartTimestamp = s.startMs
	if s.state != kmsg.TransactionStateEmpty {
		v.Topics = []kmsg.TxnMetadataValueTopic{}
		for _, tp := range s.sortedParts() {
			if n := len(v.Topics); n == 0 || v.Topics[n-1].Topic != tp.topic {
				v.Topics = append(v.Topics, kmsg.TxnMetadataValueTopic{Topic: tp.topic})
			}
			last := &v.Topics[len(v.Topics)-1]
			last.Partitions = append(last.Partitions, tp.partition)
		}
	}
	return v.AppendTo(nil)
}

// stateFromValue decodes a record value; ok is false when it does not decode.
func stateFromValue(b []byte) (s txnState, ok bool) {
	var v kmsg.TxnMetadataValue
	if v.ReadFrom(b) != nil {
		return txnState{}, false
	}
	s = txnState{
		pid:       v.ProducerID,
		epoch:     v.ProducerEpoch,
		timeoutMs: v.TimeoutMillis,
		state:     v.State,
		parts:     make(map[topicPartition]struct{}),
		startMs:   v.StartTimestamp,
		updateMs:  v.LastUpdateTimestamp,
	}
	for _, t := range v.Topics {
		for _, p := range t.Partitions {
			s.parts[topicPartition{t.Topic, p}] = struct{}{}
		}
	}
	return s, true
}

// buildBatch encodes one record (value nil for a tombstone) as an uncompressed magic-2 record
// batch with no producer id, base offset 0 (the log assigns it) and timestamps nowMs.
func buildBatch(key, value []byte, nowMs int64) []byte {
	return log.EncodeBatch([]log.KV{{Key: key, Value: value}}, nowMs, -1, -1, false)
}

// batchHeaderSize is the fixed part of a v2 record batch, through numRecords.
const batchHeaderSize = 61

// batchProblem says why a batch of the state topic was skipped on replay.
type batchProblem string

const (
	skipNone       batchProblem = ""
	skipMagic      batchProblem = "magic is not 2"
	skipCRC        batchProblem = "CRC mismatch"
	skipCompressed batchProblem = "compressed (the coordinator writes uncompressed batches)"
	skipFraming    batchProblem = "records do not frame"
)

// decodeBatch calls fn for each record of one batch whose key is a transactional id (value nil
// for a tombstone). Control batches hold no state and are passed over silently; a batch it
// cannot read is skipped whole and the reason returned; a record with another key is skipped.
func decodeBatch(batch []byte, fn func(id string, value []byte)) batchProblem {
	if len(batch) < batchHeaderSize {
		return skipFraming
	}
	if batch[16] != 2 {
		return skipMagic
	}
	if crc32.Checksum(batch[21:], crc32c) != binary.BigEndian.Uint32(batch[17:]) {
		return skipCRC
	}
	attrs := binary.BigEndian.Uint16(batch[21:])
	if attrs&0x20 != 0 {
		return skipNone
	}
	if attrs&0x7 != 0 {
		return skipCompressed
	}
	n := int32(binary.BigEndian.Uint32(batch[57:]))
	recs := batch[batchHeaderSize:]
	var decoded []kmsg.Record
	for i := int32(0); i < n; i++ {
		l, sz := binary.Varint(recs)
		if sz <= 0 || l < 0 || l > int64(len(recs)-sz) {
			return skipFraming
		}
		var r kmsg.Record
		if err := r.ReadFrom(recs[:sz+int(l)]); err != nil {
			return skipFraming
		}
		decoded = append(decoded, r)
		recs = recs[sz+int(l):]
	}
	for _, r := range decoded {
		var k kmsg.TxnMetadataKey
		if len(r.Key) < 2 || binary.BigEndian.Uint16(r.Key) != keyVersion || k.ReadFrom(r.Key) != nil {
			continue
		}
		fn(k.TransactionalID, r.Value)
	}
	return skipNone
}

// sortTopicPartitions sorts by topic, then partition.
func sortTopicPartitions(tps []topicPartition) {
	sort.Slice(tps, func(i, j int) bool {
		if tps[i].topic != tps[j].topic {
			return tps[i].topic < tps[j].topic
		}
		return tps[i].partition < tps[j].partition
	})
}
