package txn

import (
	"bytes"
	"encoding/binary"
	"maps"
	"testing"

	"github.com/streamlite/streamlite/engine/log"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// A state written as Kafka's TxnMetadataKey/Value v0 in one batch reads back the same; a
// tombstone reads back as a nil value; Empty is written with a null partition list, as Kafka
// writes it.
func TestStateRecordRoundTrip(t *testing.T) {
	s := txnState{
		pid: 4001, epoch: 7, timeoutMs: 60000, state: kmsg.TransactionStatePrepareCommit,
		parts: map[topicPartition]struct{}{
			{"b", 1}: {}, {"a", 2}: {}, {"a", 0}: {}, {"__consumer_offsets", 17}: {},
		},
		startMs: 1700000000000, updateMs: 1700000000500,
	}
	var got []txnState
	var ids []string
	second := buildBatch(txnKey("tx-2"), nil, 2)
	binary.BigEndian.PutUint64(second, 1) // its base offset, as the log stamps it
	batch := append(buildBatch(txnKey("tx-1"), txnValue(&s), 1), second...)
	next := log.WalkBatches(batch, func(b []byte) {
		if why := decodeBatch(b, func(id string, value []byte) {
			ids = append(ids, id)
			if value == nil {
				got = append(got, txnState{})
				return
			}
			d, ok := stateFromValue(value)
			if !ok {
				t.Fatalf("value of %s does not decode", id)
			}
			got = append(got, d)
		}); why != skipNone {
			t.Fatalf("batch skipped: %s", why)
		}
	})
	if next != 2 || len(got) != 2 || ids[0] != "tx-1" || ids[1] != "tx-2" {
		t.Fatalf("next %d, ids %v, states %d", next, ids, len(got))
	}
	d := got[0]
	if d.pid != s.pid || d.epoch != s.epoch || d.timeoutMs != s.timeoutMs || d.state != s.state ||
		d.startMs != s.startMs || d.updateMs != s.updateMs || !maps.Equal(d.parts, s.parts) {
		t.Fatalf("read back %+v, wrote %+v", d, s)
	}
	if got[1].parts != nil {
		t.Fatalf("tombstone read back as %+v", got[1])
	}

	empty := txnState{pid: 1, state: kmsg.TransactionStateEmpty, parts: map[topicPartition]struct{}{}, startMs: -1}
	var v kmsg.TxnMetadataValue
	if err := v.ReadFrom(txnValue(&empty)); err != nil || v.Topics != nil {
		t.Fatalf("Empty value: topics %v (err %v), want null", v.Topics, err)
	}
}

// FuzzDecodeBatch: whatever bytes the state topic holds, walking them, decoding the batches
// and the values never panics.
func FuzzDecodeBatch(f *testing.F) {
	good := buildBatch(txnKey("tx"), txnValue(&txnState{pid: 1, state: kmsg.TransactionStateOngoing,
		parts: map[topicPartition]struct{}{{"t", 0}: {}}, startMs: 5, updateMs: 6}), 7)
	f.Add(good)
	f.Add(good[:len(good)-1])
	f.Add(good[:batchHeaderSize])
	f.Add(append(bytes.Clone(good), good...))
	f.Add(buildBatch([]byte("not a key"), []byte("v"), 1))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		log.WalkBatches(b, func(batch []byte) {
			decodeBatch(batch, func(_ string, value []byte) { stateFromValue(value) })
		})
		decodeBatch(b, func(string, []byte) {})
	})
}
