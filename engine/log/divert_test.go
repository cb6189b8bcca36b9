package log

import (
	"encoding/binary"
	"errors"
	"fmt"
	"testing"
	"time"
)

// DropRecords leaves the dropped records' offsets as gaps and keeps the
// producer's sequence, whatever the codec; a batch emptied of records is
// still appended, so the next batch of the producer is in sequence.
func TestDropRecords(t *testing.T) {
	for _, codec := range []int{codecNone, codecGzip, codecSnappy, codecLZ4, codecZstd} {
		t.Run(fmt.Sprint("codec", codec), func(t *testing.T) {
			p := OpenMemory(Config{})
			defer p.Close()
			s := spec(5)
			s.codec, s.pid, s.epoch, s.seq = codec, 7, 0, 0
			b := buildBatch(t, s)
			kept, err := DropRecords(b, []int{1, 3})
			if err != nil {
				t.Fatal(err)
			}
			if !crcOK(kept) {
				t.Fatal("bad CRC")
			}
			var got []string
			if err := EachRecord(kept, func(off int64, _, v []byte) bool {
				got = append(got, fmt.Sprintf("%d:%s", off, v[:1]))
				return true
			}); err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != "[0:a 2:c 4:e]" {
				t.Fatalf("kept %v", got)
			}
			if res := mustAppend(t, p, kept, time.Now()); res.BaseOffset != 0 || res.LastOffset != 4 {
				t.Fatalf("append %+v", res)
			}
			s.seq = 5
			none, err := DropRecords(buildBatch(t, s), []int{0, 1, 2, 3, 4})
			if err != nil {
				t.Fatal(err)
			}
			if h, _ := parseHeader(none); h.numRecords != 0 || h.lastOffsetDelta != 4 {
				t.Fatalf("emptied batch header %+v", h)
			}
			mustAppend(t, p, none, time.Now())
			s.seq = 10
			if res := mustAppend(t, p, buildBatch(t, s), time.Now()); res.BaseOffset != 10 {
				t.Fatalf("next batch at %d, want 10", res.BaseOffset)
			}
		})
	}
}

// Records returns chosen records with their headers; EncodeRecords writes
// them back the same.
func TestRecordsRoundTrip(t *testing.T) {
	in := []Record{
		{Timestamp: 5000, Key: []byte("k1"), Value: []byte("v1"), Headers: []Header{{Key: "a", Value: []byte("1")}, {Key: "nil"}}},
		{Timestamp: 4000, Value: nil},
		{Timestamp: 6000, Key: []byte{}, Value: []byte("v3")},
	}
	b := EncodeRecords(in)
	if !crcOK(b) {
		t.Fatal("bad CRC")
	}
	out, err := Records(b, []int{0, 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[0].Timestamp != 5000 || string(out[0].Value) != "v1" || len(out[0].Headers) != 2 ||
		out[0].Headers[0].Key != "a" || string(out[0].Headers[0].Value) != "1" || out[0].Headers[1].Value != nil ||
		out[1].Index != 2 || out[1].Timestamp != 6000 || out[1].Key == nil || len(out[1].Key) != 0 {
		t.Fatalf("records %+v", out)
	}
	all, err := Records(b, []int{1})
	if err != nil || all[0].Value != nil || all[0].Timestamp != 4000 {
		t.Fatalf("tombstone %+v %v", all, err)
	}
	if _, err := Records(b, []int{3}); err == nil {
		t.Fatal("index past the batch accepted")
	}
}

// ScanRecords sees what EachRecord sees, in order, for every codec, and
// stops with ErrCorruptBatch at a malformed record.
func TestScanRecords(t *testing.T) {
	for _, codec := range []int{codecNone, codecGzip, codecSnappy, codecLZ4, codecZstd} {
		s := spec(7)
		s.codec = codec
		b := buildBatch(t, s)
		var want, got []string
		if err := EachRecord(b, func(_ int64, k, v []byte) bool { want = append(want, string(k)+"="+string(v)); return true }); err != nil {
			t.Fatal(err)
		}
		if err := ScanRecords(b, func(i int, k, v []byte) bool {
			if i != len(got) {
				t.Fatalf("index %d at record %d", i, len(got))
			}
			got = append(got, string(k)+"="+string(v))
			return true
		}); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("codec %d: scanned %v, want %v", codec, got, want)
		}
	}
	b := buildBatch(t, spec(3))
	b[len(b)-1] ^= 0xff // the last record's header count, now garbage (CRC not rechecked here)
	b = append(b, 1)
	binary.BigEndian.PutUint32(b[offBatchLength:], uint32(len(b)-logOverhead))
	seen := 0
	err := ScanRecords(b, func(int, []byte, []byte) bool { seen++; return true })
	if !errors.Is(err, ErrCorruptBatch) || seen > 3 {
		t.Fatalf("malformed batch: %v after %d records", err, seen)
	}
}
