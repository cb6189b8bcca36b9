package group

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Kafka's partitionFor: Utils.abs(groupId.hashCode) % 50, with Java's String.hashCode. The
// expected values are Java's: "".hashCode() = 0, "group".hashCode() = 98629247,
// "polygenelubricants".hashCode() = Integer.MIN_VALUE (so Utils.abs gives 0), and a string
// outside the BMP hashes its UTF-16 surrogates.
func TestPartitionForMatchesKafka(t *testing.T) {
	for _, tc := range []struct {
		group string
		want  int32
	}{
		{"", 0},
		{"group", 98629247 % 50},
		{"polygenelubricants", 0},
		{"Aa", 2112 % 50}, // "Aa" and "BB" collide in Java
		{"BB", 2112 % 50},
		{"😀", (31*0xD83D + 0xDE00) % 50},
	} {
		if got := partitionFor(tc.group, 50); got != tc.want {
			t.Errorf("partitionFor(%q) = %d, want %d", tc.group, got, tc.want)
		}
	}
}

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
	var log []byte
	for i, b := range batches {
		binary.BigEndian.PutUint64(b, uint64(i*10)) // as the log assigns base offsets
		log = append(log, b...)
	}
	st := newReplayState()
	next := walkBatches(log, func(b []byte) {
		if why := decodeBatch(b, st.apply); why != skipNone {
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
	if len(g.offsets) != 1 || g.offsets[topicPartition{"t", 0}] != (offset{5, 1, "x", 9}) {
		t.Fatalf("offsets %+v", g.offsets)
	}
	// A flipped byte in a batch fails its CRC; a cut batch is not walked.
	bad := bytes.Clone(batches[0])
	bad[len(bad)-1] ^= 1
	if why := decodeBatch(bad, st.apply); why != skipCRC {
		t.Fatalf("corrupt batch: %q", why)
	}
	if next := walkBatches(batches[0][:len(batches[0])-1], func([]byte) { t.Fatal("partial batch walked") }); next != -1 {
		t.Fatalf("partial batch: next %d", next)
	}
}

// FuzzReplay feeds arbitrary bytes to the replay of __consumer_offsets. Invariants: it never
// panics; walkBatches only hands out whole batches lying inside the input; and whatever it
// applies leaves no group without metadata or offsets.
func FuzzReplay(f *testing.F) {
	gm := kmsg.GroupMetadataValue{Version: 3, ProtocolType: "consumer", Generation: 1}
	f.Add(buildBatch([]kv{{offsetKey("g", "t", 0), offsetValue(offset{offset: 5})}}, 1))
	f.Add(buildBatch([]kv{{groupKey("g"), gm.AppendTo(nil)}, {groupKey("g"), nil}}, 1))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		st := newReplayState()
		walkBatches(data, func(b []byte) {
			if len(b) < batchHeaderSize || len(b) > len(data) {
				t.Fatalf("batch of %d bytes from %d", len(b), len(data))
			}
			decodeBatch(b, st.apply)
		})
		// Records straight from the bytes too, whatever the batch framing says.
		decodeBatch(data, st.apply)
		for name, g := range st.groups {
			if g.meta == nil && len(g.offsets) == 0 {
				t.Fatalf("group %q kept with nothing in it", name)
			}
		}
	})
}
