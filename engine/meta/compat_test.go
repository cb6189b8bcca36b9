package meta

import (
	"encoding/binary"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/tidwall/wal"
)

// oldWAL is a wal written by the first version of this package (before
// snapshots), with a 1 KiB segment size so it spans two segment files.
// It must open with every later build: never rewrite it.
const oldWAL = "testdata/wal-v1"

// copyDir copies the tree at src into a new temporary directory and
// returns the copy's path.
func copyDir(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "copy")
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o750)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o640)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func oldID(b byte) [16]byte { return [16]byte{0: 0xa0, 1: b, 15: 0x0f} }

// TestOldLogReplays opens the wal the first version wrote and checks the
// state it held then (written down by hand when it was made), the records
// in it, and that the new features (snapshots) work on it.
func TestOldLogReplays(t *testing.T) {
	dir := copyDir(t, oldWAL)
	l, err := Open(dir, quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	want := view{
		Topics: []Topic{
			{Name: "orders", ID: oldID(1), Partitions: 6, Configs: map[string]string{"cleanup.policy": "compact"}},
			{Name: "payments", ID: oldID(6), Partitions: 2},
			{Name: "tmp", ID: oldID(4), Partitions: 5, Configs: map[string]string{"segment.bytes": "1048576"}},
			{Name: "wide", ID: oldID(5), Partitions: 1},
		},
		NextPID: 5010,
		Last:    16,
	}
	if got := viewOf(l); !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	if l.Repairs() != nil {
		t.Fatalf("repairs %+v", l.Repairs())
	}
	var types []RecordType
	err = l.ReadRecords(0, func(i uint64, r Record) bool {
		if i != uint64(len(types))+1 {
			t.Fatalf("index %d after %d records", i, len(types))
		}
		types = append(types, r.Type())
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
	C, D, P, G, B := TypeTopicCreated, TypeTopicDeleted, TypePartitionsAdded, TypeConfigChanged, TypeProducerIDBlock
	if wantTypes := []RecordType{C, C, P, G, B, G, C, D, C, P, C, G, B, D, C, B}; !reflect.DeepEqual(types, wantTypes) {
		t.Fatalf("record types %v\nwant %v", types, wantTypes)
	}
	st := l.Stats()
	if got := st.RecordsSinceSnapshot; got["TopicCreated"] != 6 || got["ProducerIDBlock"] != 3 || got["TopicDeleted"] != 2 {
		t.Fatalf("stats %+v", st)
	}

	// The old log takes snapshots, and reopens from one.
	if idx, err := l.Snapshot(); err != nil || idx != 16 {
		t.Fatalf("Snapshot = %d, %v", idx, err)
	}
	mustAppend(t, l, TopicDeleted{Name: "tmp"})
	want.Topics = append(want.Topics[:2], want.Topics[3])
	want.Last = 17
	l.Close()
	l, err = Open(dir, quiet())
	if err != nil {
		t.Fatal(err)
	}
	if got := viewOf(l); !reflect.DeepEqual(got, want) || l.SnapshotIndex() != 16 {
		t.Fatalf("after snapshot and reopen: %+v, snapshot %d", got, l.SnapshotIndex())
	}
}

// entryWithPayload builds a one-entry batch of type typ with any JSON
// payload and a valid CRC.
func entryWithPayload(typ RecordType, payload string) []byte {
	b := append([]byte{entryVersion, byte(typ), 0, 0}, payload...)
	return binary.LittleEndian.AppendUint32(b, crc32.Checksum(b, castagnoli))
}

// TestUnknownFieldsReplay writes records with fields this build does not
// know, as a later version might add, and checks that Open replays them
// with the fields it knows.
func TestUnknownFieldsReplay(t *testing.T) {
	dir := t.TempDir()
	w, err := wal.Open(dir, walOptions(segmentSize))
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range [][]byte{
		entryWithPayload(TypeTopicCreated, `{"name":"a","id":"AQAAAAAAAAAAAAAAAAAA_w","partitions":2,"placement":{"rack":"r1"},"configs":{"x":"1"}}`),
		entryWithPayload(TypeConfigChanged, `{"name":"a","id":"AQAAAAAAAAAAAAAAAAAA_w","set":{"y":"2"},"delete":["x"],"reason":"later"}`),
		entryWithPayload(TypePartitionsAdded, `{"name":"a","id":"AQAAAAAAAAAAAAAAAAAA_w","total":3,"assignments":[[0],[0],[0]]}`),
		entryWithPayload(TypeProducerIDBlock, `{"next":7,"broker":1}`),
	} {
		if err := w.Write(uint64(i+1), e); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	l, err := Open(dir, quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	want := view{
		Topics:  []Topic{{Name: "a", ID: id(1), Partitions: 3, Configs: map[string]string{"y": "2"}}},
		NextPID: 7,
		Last:    4,
	}
	if got := viewOf(l); !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}
