package group

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"testing"

	"github.com/streamlite/streamlite/engine/log"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// A batch the coordinator writes decodes back to the same records, and the state replayed from
// a sequence of them is the last value per key, tombstones removing.
func TestBatchRoundTrip(t *testing.T) {
	gm := kmsg.GroupMetadataValue{Version: 3, ProtocolType: "consumer", Generation: 7, Protocol: kmsg.StringPtr("range")}
	batches := [][]byte{
		buildBatch([]kv{
			{offsetKey("g", "t", 0), offsetValue(offset{offset: 5, leaderEpoch: 1, metadata: "x", commitMs: 9})},
			{offsetKey("g", "t", 1), offsetValue(offset{offset: 6, leaderEpoch: -1})},
			{groupKey("g"), gm.AppendTo(nil)},
		}, 1000),
		buildBatch([]kv{{offsetKey("g", "t", 1), nil}}, 1001),
		buildBatch([]kv{{offsetKey("h", "t", 0), offsetValue(offset{offset: 1})}}, 1002),
		buildBatch([]kv{{offsetKey("h", "t", 0), nil}}, 1003),
	}
	var data []byte
	for i, b := range batches {
		binary.BigEndian.PutUint64(b, uint64(i*10)) // as the log assigns base offsets
		data = append(data, b...)
	}
	st := newReplayState()
	next := log.WalkBatches(data, func(b []byte) {
		if why := st.applyBatch(0, b); why != skipNone {
			t.Fatalf("batch skipped: %s", why)
		}
	})
	if next != 31 {
		t.Fatalf("next offset %d, want 31", next)
	}
	if len(st.groups) != 1 {
		t.Fatalf("groups %v", st.groups)
	}
	g := st.groups["g"]
	if g.meta == nil || g.meta.Generation != 7 || *g.meta.Protocol != "range" {
		t.Fatalf("metadata %+v", g.meta)
	}
	if len(g.offsets) != 1 || g.offsets[topicPartition{"t", 0}] != (offset{5, 1, "x", 9, 0}) {
		t.Fatalf("offsets %+v", g.offsets)
	}
	// A flipped byte in a batch fails its CRC; a cut batch is not walked.
	bad := bytes.Clone(batches[0])
	bad[len(bad)-1] ^= 1
	if why := st.applyBatch(0, bad); why != skipCRC {
		t.Fatalf("corrupt batch: %q", why)
	}
	if next := log.WalkBatches(batches[0][:len(batches[0])-1], func([]byte) { t.Fatal("partial batch walked") }); next != -1 {
		t.Fatalf("partial batch: next %d", next)
	}
}

// markerForTest encodes a transaction marker as Kafka does: a control batch of producer pid
// holding one record, key ControlRecordType (version 0, type 1 commit / 0 abort), value
// EndTxnMarker (version 0, coordinator epoch).
func markerForTest(pid int64, commit bool) []byte {
	typ := byte(0)
	if commit {
		typ = 1
	}
	b := encodeBatch([]kv{{key: []byte{0, 0, 0, typ}, value: []byte{0, 0, 0, 0, 0, 0}}}, 1, pid, 0, true)
	b[22] |= attrControl
	binary.BigEndian.PutUint32(b[17:], crc32.Checksum(b[21:], crc32.MakeTable(crc32.Castagnoli)))
	return b
}

// The replay of transactional offsets (Kafka's OffsetMetadataManager.replay and
// replayEndTransactionMarker): a transactional batch's offsets go pending for its producer; a
// commit marker makes them committed unless a later record committed the partition; an abort
// marker drops them; a tombstone drops the key's pending offsets; offsets with no marker stay
// pending.
func TestReplayTransactionalOffsets(t *testing.T) {
	o := func(n int64) []byte { return offsetValue(offset{offset: n, leaderEpoch: -1}) }
	batches := [][]byte{
		buildBatch([]kv{{offsetKey("g", "t", 0), o(1)}}, 1),                                            // 0
		buildTxnBatch([]kv{{offsetKey("g", "t", 0), o(10)}, {offsetKey("g", "t", 1), o(11)}}, 1, 5, 0), // 1-2
		buildTxnBatch([]kv{{offsetKey("g", "t", 2), o(20)}}, 1, 6, 0),                                  // 3
		buildBatch([]kv{{offsetKey("g", "t", 1), o(7)}}, 1),                                            // 4: after pid 5's t/1
		markerForTest(5, true),  // 5
		markerForTest(6, false), // 6
		buildTxnBatch([]kv{{offsetKey("g", "t", 3), o(30)}}, 1, 7, 0), // 7
		buildTxnBatch([]kv{{offsetKey("g", "t", 4), o(40)}}, 1, 8, 0), // 8
		buildBatch([]kv{{offsetKey("g", "t", 4), nil}}, 1),            // 9: tombstone
		markerForTest(8, true), // 10
		buildTxnBatch([]kv{{offsetKey("only-pending", "t", 0), o(50)}}, 1, 9, 0), // 11
	}
	var data []byte
	next := int64(0)
	for _, b := range batches {
		binary.BigEndian.PutUint64(b, uint64(next))
		next += int64(int32(binary.BigEndian.Uint32(b[23:]))) + 1
		data = append(data, b...)
	}
	st := newReplayState()
	log.WalkBatches(data, func(b []byte) {
		if why := st.applyBatch(3, b); why != skipNone {
			t.Fatalf("batch skipped: %s", why)
		}
	})
	g := st.groups["g"]
	if g == nil {
		t.Fatal("group g not replayed")
	}
	got := map[topicPartition]int64{}
	for tp, o := range g.offsets {
		got[tp] = o.offset
	}
	want := map[topicPartition]int64{{"t", 0}: 10, {"t", 1}: 7}
	if len(got) != len(want) || got[topicPartition{"t", 0}] != 10 || got[topicPartition{"t", 1}] != 7 {
		t.Fatalf("committed offsets %v, want %v", got, want)
	}
	if r := g.offsets[topicPartition{"t", 0}].record; r != 1 {
		t.Fatalf("t/0 committed from record %d, want 1", r)
	}
	if len(g.txn) != 1 || g.txn[7][topicPartition{"t", 3}].offset != 30 {
		t.Fatalf("pending offsets %v, want producer 7's t/3=30", g.txn)
	}
	if op := st.groups["only-pending"]; op == nil || op.txn[9][topicPartition{"t", 0}].offset != 50 {
		t.Fatalf("a group with only pending offsets was not kept: %+v", op)
	}
	if !st.open[txnKey{3, 7}]["g"] || !st.open[txnKey{3, 9}]["only-pending"] || len(st.open) != 2 {
		t.Fatalf("open transactions %v", st.open)
	}
}

// FuzzReplay feeds arbitrary bytes to the replay of __consumer_offsets. Invariants: it never
// panics; walkBatches only hands out whole batches lying inside the input; whatever it applies
// leaves no group without metadata, offsets or pending offsets; and every producer's pending
// offsets are indexed as open, so that its marker finds them.
func FuzzReplay(f *testing.F) {
	gm := kmsg.GroupMetadataValue{Version: 3, ProtocolType: "consumer", Generation: 1}
	f.Add(buildBatch([]kv{{offsetKey("g", "t", 0), offsetValue(offset{offset: 5})}}, 1))
	f.Add(buildBatch([]kv{{groupKey("g"), gm.AppendTo(nil)}, {groupKey("g"), nil}}, 1))
	f.Add(append(buildTxnBatch([]kv{{offsetKey("g", "t", 0), offsetValue(offset{offset: 5})}}, 1, 3, 0), markerForTest(3, true)...))
	f.Add(append(buildTxnBatch([]kv{{offsetKey("g", "t", 0), offsetValue(offset{offset: 5})}}, 1, 3, 0), markerForTest(3, false)...))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		st := newReplayState()
		log.WalkBatches(data, func(b []byte) {
			if len(b) < batchHeaderSize || len(b) > len(data) {
				t.Fatalf("batch of %d bytes from %d", len(b), len(data))
			}
			st.applyBatch(0, b)
		})
		// Records straight from the bytes too, whatever the batch framing says.
		st.applyBatch(0, data)
		for name, g := range st.groups {
			if g.meta == nil && len(g.offsets) == 0 && len(g.txn) == 0 {
				t.Fatalf("group %q kept with nothing in it", name)
			}
			for pid, m := range g.txn {
				if len(m) == 0 {
					t.Fatalf("group %q keeps an empty pending set for producer %d", name, pid)
				}
				if !st.open[txnKey{0, pid}][name] {
					t.Fatalf("group %q has pending offsets of producer %d not indexed as open", name, pid)
				}
			}
		}
	})
}
