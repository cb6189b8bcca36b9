package group

import (
	"encoding/binary"
	"hash/crc32"

	"github.com/streamlite/streamlite/engine/log"
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

// Batch attributes the coordinator reads and writes (Kafka's RecordBatch attributes).
const (
	attrCodecMask     = 0x7
	attrTransactional = 0x10
	attrControl       = 0x20
)

// buildBatch encodes recs as one uncompressed magic-2 record batch with no producer id, base
// offset 0 (the log assigns it) and timestamps nowMs.
func buildBatch(recs []kv, nowMs int64) []byte {
	return encodeBatch(recs, nowMs, -1, -1, false)
}

// buildTxnBatch encodes recs as one transactional batch of producer pid at epoch, with base
// sequence -1 (the coordinator's writes are not sequence-checked), as Kafka's coordinator writes
// a TxnOffsetCommit.
func buildTxnBatch(recs []kv, nowMs, pid int64, epoch int16) []byte {
	return encodeBatch(recs, nowMs, pid, epoch, true)
}

func encodeBatch(recs []kv, nowMs, pid int64, epoch int16, transactional bool) []byte {
	kvs := make([]log.KV, len(recs))
	for i, r := range recs {
		kvs[i] = log.KV{Key: r.key, Value: r.value}
	}
	return log.EncodeBatch(kvs, nowMs, pid, epoch, transactional)
}

// batchHeaderSize is the fixed part of a v2 record batch, through numRecords.
const batchHeaderSize = 61

// decodedRecord is one __consumer_offsets record: exactly one of offsetKey or groupKey is set
// by key kind; value nil means a tombstone.
type decodedRecord struct {
	offsetKey *kmsg.OffsetCommitKey
	groupKey  *kmsg.GroupMetadataKey
	value     []byte
	// offset is the record's offset in the log; producerID the producer of a transactional
	// batch, -1 for any other batch.
	offset     int64
	producerID int64
}

// batchProblem says why a batch was skipped.
type batchProblem string

const (
	skipNone       batchProblem = ""
	skipMagic      batchProblem = "magic is not 2"
	skipCRC        batchProblem = "CRC mismatch"
	skipCompressed batchProblem = "compressed (the coordinator writes uncompressed batches)"
	skipControl    batchProblem = "control batch that holds no transaction marker"
	skipFraming    batchProblem = "records do not frame"
)

// checkBatch checks the framing, magic and CRC of one batch.
func checkBatch(batch []byte) batchProblem {
	if len(batch) < batchHeaderSize {
		return skipFraming
	}
	if batch[16] != 2 {
		return skipMagic
	}
	if crc32.Checksum(batch[21:], crc32c) != binary.BigEndian.Uint32(batch[17:]) {
		return skipCRC
	}
	return skipNone
}

// decodeBatch decodes the records of one data batch. A batch it cannot read, and a control
// batch, is skipped whole and the reason returned; records whose keys it does not know are
// skipped one by one.
func decodeBatch(batch []byte, fn func(decodedRecord)) batchProblem {
	if why := checkBatch(batch); why != skipNone {
		return why
	}
	attrs := binary.BigEndian.Uint16(batch[21:])
	if attrs&attrControl != 0 {
		return skipControl
	}
	if attrs&attrCodecMask != 0 {
		return skipCompressed
	}
	base := int64(binary.BigEndian.Uint64(batch))
	pid := int64(-1)
	if attrs&attrTransactional != 0 {
		pid = int64(binary.BigEndian.Uint64(batch[43:]))
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
		at := base + int64(r.OffsetDelta)
		switch v := int16(binary.BigEndian.Uint16(r.Key)); v {
		case 0, 1:
			var k kmsg.OffsetCommitKey
			if k.ReadFrom(r.Key) == nil {
				fn(decodedRecord{offsetKey: &k, value: r.Value, offset: at, producerID: pid})
			}
		case 2:
			var k kmsg.GroupMetadataKey
			if k.ReadFrom(r.Key) == nil {
				fn(decodedRecord{groupKey: &k, value: r.Value, offset: at, producerID: pid})
			}
		}
	}
	return skipNone
}

// pendingTxns holds transactional offsets whose transaction has no marker yet: per producer
// id, per partition, the last offset the producer's transaction wrote for it.
type pendingTxns map[int64]map[topicPartition]offset

// put records o as producer pid's pending offset for tp, replacing an earlier one.
func (p pendingTxns) put(pid int64, tp topicPartition, o offset) {
	m := p[pid]
	if m == nil {
		m = make(map[topicPartition]offset)
		p[pid] = m
	}
	m[tp] = o
}

// take removes and returns producer pid's pending offsets.
func (p pendingTxns) take(pid int64) map[topicPartition]offset {
	m := p[pid]
	delete(p, pid)
	return m
}

// drop removes every producer's pending offset for tp (a tombstone of tp was written).
func (p pendingTxns) drop(tp topicPartition) {
	for pid, m := range p {
		delete(m, tp)
		if len(m) == 0 {
			delete(p, pid)
		}
	}
}

// has says whether some producer has a pending offset for tp.
func (p pendingTxns) has(tp topicPartition) bool {
	for _, m := range p {
		if _, ok := m[tp]; ok {
			return true
		}
	}
	return false
}

// partitions returns every partition some producer has a pending offset for.
func (p pendingTxns) partitions() map[topicPartition]bool {
	out := make(map[topicPartition]bool)
	for _, m := range p {
		for tp := range m {
			out[tp] = true
		}
	}
	return out
}

// commitInto makes the offsets of a committed transaction committed offsets. An offset whose
// record lies before the record of the offset already committed loses, as in Kafka: the later
// record in the log wins, which is also what replaying (or compacting) the log gives.
func commitInto(committed, pend map[topicPartition]offset) {
	for tp, o := range pend {
		commitOne(committed, tp, o)
	}
}

// commitOne makes o the committed offset of tp unless the committed one has a later record.
func commitOne(committed map[topicPartition]offset, tp topicPartition, o offset) {
	if cur, ok := committed[tp]; !ok || o.record > cur.record {
		committed[tp] = o
	}
}

// replayState is what the records of __consumer_offsets leave behind: per group, its metadata
// (if any), its committed offsets and its pending transactional offsets.
type replayState struct {
	groups map[string]*replayGroup
	// open indexes the pending transactional offsets: per offsets-topic partition and producer
	// id, the groups that may hold some.
	open map[txnKey]map[string]bool
}

type txnKey struct {
	partition  int32
	producerID int64
}

type replayGroup struct {
	meta    *kmsg.GroupMetadataValue // nil: no (live) metadata record
	offsets map[topicPartition]offset
	txn     pendingTxns
}

func newReplayState() *replayState {
	return &replayState{groups: make(map[string]*replayGroup), open: make(map[txnKey]map[string]bool)}
}

func (s *replayState) group(name string) *replayGroup {
	g := s.groups[name]
	if g == nil {
		g = &replayGroup{offsets: make(map[topicPartition]offset), txn: make(pendingTxns)}
		s.groups[name] = g
	}
	return g
}

// applyBatch applies one batch of offsets-topic partition p: a control batch completes the
// transactional offsets of its producer in p's groups, any other batch's records are applied.
func (s *replayState) applyBatch(p int32, batch []byte) batchProblem {
	if why := checkBatch(batch); why != skipNone {
		return why
	}
	if binary.BigEndian.Uint16(batch[21:])&attrControl != 0 {
		m, ok := log.ParseMarker(batch)
		if !ok {
			return skipControl
		}
		s.marker(p, m)
		return skipNone
	}
	return decodeBatch(batch, func(r decodedRecord) { s.apply(p, r) })
}

// marker applies transaction marker m found in partition p: a commit makes the producer's
// pending offsets committed, an abort drops them.
func (s *replayState) marker(p int32, m log.Marker) {
	key := txnKey{p, m.ProducerID}
	for name := range s.open[key] {
		g := s.groups[name]
		if g == nil {
			continue
		}
		pend := g.txn.take(m.ProducerID)
		if m.Commit {
			commitInto(g.offsets, pend)
		}
		s.dropIfEmpty(name)
	}
	delete(s.open, key)
}

// apply applies one record of partition p; a value that does not decode is ignored (the key
// keeps its previous value), as a record that cannot be read says nothing about the key. An
// offset of a transactional batch goes pending for its producer; a tombstone removes the
// committed offset and every pending one of its key, as Kafka's replay does.
func (s *replayState) apply(p int32, r decodedRecord) {
	switch {
	case r.offsetKey != nil:
		k := r.offsetKey
		tp := topicPartition{k.Topic, k.Partition}
		if r.value == nil {
			if g := s.groups[k.Group]; g != nil {
				delete(g.offsets, tp)
				g.txn.drop(tp)
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
		o := offset{offset: v.Offset, leaderEpoch: le, metadata: v.Metadata, commitMs: v.CommitTimestamp, record: r.offset}
		g := s.group(k.Group)
		if r.producerID < 0 {
			g.offsets[tp] = o
			return
		}
		g.txn.put(r.producerID, tp, o)
		key := txnKey{p, r.producerID}
		if s.open[key] == nil {
			s.open[key] = make(map[string]bool)
		}
		s.open[key][k.Group] = true
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
	if g := s.groups[name]; g != nil && g.meta == nil && len(g.offsets) == 0 && len(g.txn) == 0 {
		delete(s.groups, name)
	}
}
