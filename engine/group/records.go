package group

import (
	"encoding/binary"
	"hash/crc32"

	"github.com/twmb/franz-go/pkg/kbin"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// OffsetsTopic is the internal topic holding committed offsets and group metadata.
const OffsetsTopic = "__consumer_offsets"

// Key versions of __consumer_offsets records, as Kafka numbers them: 0 and 1 are offset
// commits, 2 is group metadata; 3 and above belong to the KIP-848 coordinator and are skipped.
const (
	offsetKeyVersion = 1
	groupKeyVersion  = 2
	// offsetValueVersion 3 adds the leader epoch; groupValueVersion 3 adds instance ids.
	offsetValueVersion = 3
	groupValueVersion  = 3
)

var crc32c = crc32.MakeTable(crc32.Castagnoli)

// kv is one record to write: a key and a value (nil for a tombstone).
type kv struct{ key, value []byte }

func offsetKey(group, topic string, partition int32) []byte {
	k := kmsg.OffsetCommitKey{Version: offsetKeyVersion, Group: group, Topic: topic, Partition: partition}
	return k.AppendTo(nil)
}

func offsetValue(o offset) []byte {
	v := kmsg.OffsetCommitValue{
		Version:         offsetValueVersion,
		Offset:          o.offset,
		LeaderEpoch:     o.leaderEpoch,
		Metadata:        o.metadata,
		CommitTimestamp: o.commitMs,
	}
	return v.AppendTo(nil)
}

func groupKey(group string) []byte {
	k := kmsg.GroupMetadataKey{Version: groupKeyVersion, Group: group}
	return k.AppendTo(nil)
}

// buildBatch encodes recs as one uncompressed magic-2 record batch with no producer id, base
// offset 0 (the log assigns it) and timestamps nowMs.
func buildBatch(recs []kv, nowMs int64) []byte {
	var body []byte
	for i, r := range recs {
		rec := kmsg.Record{OffsetDelta: int32(i), Key: r.key, Value: r.value}
		enc := rec.AppendTo(nil) // Length 0 encodes as the single byte 0
		body = kbin.AppendVarint(body, int32(len(enc)-1))
		body = append(body, enc[1:]...)
	}
	b := kmsg.RecordBatch{
		Magic:           2,
		LastOffsetDelta: int32(len(recs) - 1),
		FirstTimestamp:  nowMs,
		MaxTimestamp:    nowMs,
		ProducerID:      -1,
		ProducerEpoch:   -1,
		FirstSequence:   -1,
		NumRecords:      int32(len(recs)),
		Records:         body,
	}
	out := b.AppendTo(nil)
	binary.BigEndian.PutUint32(out[8:], uint32(len(out)-12))
	binary.BigEndian.PutUint32(out[17:], crc32.Checksum(out[21:], crc32c))
	return out
}

// batchHeaderSize is the fixed part of a v2 record batch, through numRecords.
const batchHeaderSize = 61

// walkBatches calls fn for each whole batch at the front of b and returns the bytes consumed
// and the offset after the last whole batch (-1 if none). It stops at a partial batch. It never
// panics, whatever b holds.
func walkBatches(b []byte, fn func(batch []byte)) (next int64) {
	next = -1
	for len(b) >= batchHeaderSize {
		n := int64(int32(binary.BigEndian.Uint32(b[8:]))) + 12
		if n < batchHeaderSize || n > int64(len(b)) {
			return next
		}
		batch := b[:n]
		base := int64(binary.BigEndian.Uint64(batch))
		last := base + int64(int32(binary.BigEndian.Uint32(batch[23:])))
		fn(batch)
		next = last + 1
		b = b[n:]
	}
	return next
}

// decodedRecord is one __consumer_offsets record: exactly one of offset or meta is set by key
// kind; value nil means a tombstone.
type decodedRecord struct {
	offsetKey *kmsg.OffsetCommitKey
	groupKey  *kmsg.GroupMetadataKey
	value     []byte
}

// batchProblem says why a batch was skipped.
type batchProblem string

const (
	skipNone       batchProblem = ""
	skipMagic      batchProblem = "magic is not 2"
	skipCRC        batchProblem = "CRC mismatch"
	skipCompressed batchProblem = "compressed (the coordinator writes uncompressed batches)"
	skipControl    batchProblem = "control batch"
	skipFraming    batchProblem = "records do not frame"
)

// decodeBatch decodes the records of one batch. A batch it cannot read is skipped whole and
// the reason returned; records whose keys it does not know are skipped one by one.
func decodeBatch(batch []byte, fn func(decodedRecord)) batchProblem {
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
		return skipControl
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
		if len(r.Key) < 2 {
			continue
		}
		switch v := int16(binary.BigEndian.Uint16(r.Key)); v {
		case 0, 1:
			var k kmsg.OffsetCommitKey
			if k.ReadFrom(r.Key) == nil {
				fn(decodedRecord{offsetKey: &k, value: r.Value})
			}
		case 2:
			var k kmsg.GroupMetadataKey
			if k.ReadFrom(r.Key) == nil {
				fn(decodedRecord{groupKey: &k, value: r.Value})
			}
		}
	}
	return skipNone
}

// replayState is what the records of __consumer_offsets leave behind: per group, its metadata
// (if any) and its committed offsets.
type replayState struct {
	groups map[string]*replayGroup
}

type replayGroup struct {
	meta    *kmsg.GroupMetadataValue // nil: no (live) metadata record
	offsets map[topicPartition]offset
}

func newReplayState() *replayState { return &replayState{groups: make(map[string]*replayGroup)} }

func (s *replayState) group(name string) *replayGroup {
	g := s.groups[name]
	if g == nil {
		g = &replayGroup{offsets: make(map[topicPartition]offset)}
		s.groups[name] = g
	}
	return g
}

// apply applies one record; a value that does not decode is ignored (the key keeps its
// previous value), as a record that cannot be read says nothing about the key.
func (s *replayState) apply(r decodedRecord) {
	switch {
	case r.offsetKey != nil:
		k := r.offsetKey
		tp := topicPartition{k.Topic, k.Partition}
		if r.value == nil {
			if g := s.groups[k.Group]; g != nil {
				delete(g.offsets, tp)
				s.dropIfEmpty(k.Group)
			}
			return
		}
		var v kmsg.OffsetCommitValue
		if v.ReadFrom(r.value) != nil {
			return
		}
		le := int32(-1)
		if v.Version >= 3 {
			le = v.LeaderEpoch
		}
		s.group(k.Group).offsets[tp] = offset{offset: v.Offset, leaderEpoch: le, metadata: v.Metadata, commitMs: v.CommitTimestamp}
	case r.groupKey != nil:
		k := r.groupKey
		if r.value == nil {
			if g := s.groups[k.Group]; g != nil {
				g.meta = nil
				s.dropIfEmpty(k.Group)
			}
			return
		}
		var v kmsg.GroupMetadataValue
		if v.ReadFrom(r.value) != nil {
			return
		}
		s.group(k.Group).meta = &v
	}
}

func (s *replayState) dropIfEmpty(name string) {
	if g := s.groups[name]; g != nil && g.meta == nil && len(g.offsets) == 0 {
		delete(s.groups, name)
	}
}

// partitionFor is Kafka's GroupMetadataManager.partitionFor: Utils.abs(groupId.hashCode) %
// partitions, where hashCode is Java's String.hashCode over UTF-16 code units and Utils.abs
// maps MinInt32 to 0.
func partitionFor(group string, partitions int32) int32 {
	var h int32
	for _, u := range utf16Units(group) {
		h = 31*h + int32(u)
	}
	if h == -1<<31 {
		h = 0
	} else if h < 0 {
		h = -h
	}
	return h % partitions
}

// utf16Units returns s as Java would hold it: UTF-16 code units (invalid UTF-8 bytes become
// U+FFFD, as Java's decoder makes them).
func utf16Units(s string) []uint16 {
	out := make([]uint16, 0, len(s))
	for _, r := range s {
		if r >= 0x10000 {
			r -= 0x10000
			out = append(out, uint16(0xD800+(r>>10)), uint16(0xDC00+(r&0x3FF)))
			continue
		}
		out = append(out, uint16(r))
	}
	return out
}
