package log

import (
	"bytes"
	"testing"
	"time"
)

// EncodeBatch writes a batch Kafka's decoder (kmsg) reads back record for record, tombstones
// and null keys included, that Append accepts, and that WalkBatches walks.
func TestEncodeBatchRoundTrip(t *testing.T) {
	recs := []KV{{Key: []byte("a"), Value: []byte("1")}, {Key: []byte("b")}, {Value: []byte("no key")}}
	b := EncodeBatch(recs, 1234, 7, 2, true)
	h, ok := parseHeader(b)
	if !ok || h.size() != len(b) || !crcOK(b) {
		t.Fatal("bad header, size or CRC")
	}
	if h.producerID != 7 || h.producerEpoch != 2 || h.baseSequence != -1 || h.attributes != attrTransactional || h.numRecords != 3 {
		t.Fatalf("header %+v", h)
	}
	var keys, vals []string
	if err := EachRecord(b, func(off int64, k, v []byte) bool {
		keys, vals = append(keys, string(k)), append(vals, string(v))
		return off < 1 // stops after the second record
	}); err != nil || len(keys) != 2 || keys[0] != "a" || vals[0] != "1" || vals[1] != "" {
		t.Fatalf("EachRecord: %q %q %v", keys, vals, err)
	}
	got := decodeBatches(t, b)
	if len(got) != 3 || got[0].key != "a" || string(got[0].val) != "1" || got[1].val != nil || !got[2].nokey || got[2].ts != 1234 {
		t.Fatalf("records %+v", got)
	}
	p := OpenMemory(Config{})
	defer p.Close()
	if _, err := p.Append(bytes.Clone(b), time.Now()); err != nil {
		t.Fatal(err)
	}
	two := append(bytes.Clone(b), b...)
	n := 0
	if next := WalkBatches(two, func([]byte) { n++ }); n != 2 || next != 3 {
		t.Fatalf("walked %d batches, next %d", n, next)
	}
	if next := WalkBatches(two[:len(two)-1], func([]byte) {}); next != 3 {
		t.Fatalf("partial second batch: next %d, want 3", next)
	}
}
