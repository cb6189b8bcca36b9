package meta

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tidwall/wal"
)

// openOpts opens dir with o (quiet unless o has a logger) and a segment
// size, closing it when the test ends.
func openOpts(t *testing.T, dir string, o Options, segSize int) *Log {
	t.Helper()
	if o.Logger == nil {
		o.Logger = quiet()
	}
	l, err := open(dir, o, segSize)
	if err != nil {
		t.Fatalf("open %s: %v", dir, err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// stateEqual compares two states field by field, the maps by content.
func stateEqual(t *testing.T, got, want *state) {
	t.Helper()
	if got.lastIndex != want.lastIndex || got.nextProducerID != want.nextProducerID {
		t.Fatalf("last %d next %d, want %d %d", got.lastIndex, got.nextProducerID, want.lastIndex, want.nextProducerID)
	}
	if !reflect.DeepEqual(got.brokerConfigs, want.brokerConfigs) {
		t.Fatalf("broker configs %v, want %v", got.brokerConfigs, want.brokerConfigs)
	}
	if g, w := encodeRegistry(got.registry), encodeRegistry(want.registry); !reflect.DeepEqual(g, w) {
		t.Fatalf("registry\n got  %+v\n want %+v", g, w)
	}
	if g, w := got.topicsSorted(), want.topicsSorted(); !reflect.DeepEqual(g, w) {
		t.Fatalf("topics\n got  %+v\n want %+v", g, w)
	}
	gotIDs, wantIDs := map[[16]byte]string{}, map[[16]byte]string{}
	for k, v := range got.ids.All() {
		gotIDs[k] = v
	}
	for k, v := range want.ids.All() {
		wantIDs[k] = v
	}
	if !reflect.DeepEqual(gotIDs, wantIDs) {
		t.Fatalf("ids %v, want %v", gotIDs, wantIDs)
	}
}

// richState is a state with topics made, changed, deleted and made again,
// configs set and removed, and producer ids handed out.
func richState(t testing.TB) *state {
	l := OpenMemory()
	mustAppend := func(t testing.TB, l *Log, recs ...Record) {
		if err := l.Append(recs...); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 50 {
		name := fmt.Sprintf("topic-%02d", i)
		mustAppend(t, l, TopicCreated{Name: name, ID: id(byte(i + 1)), Partitions: int32(i%7 + 1),
			Configs: map[string]string{"retention.ms": fmt.Sprint(i * 1000), "ünïcode": "välue \"quoted\"\n"}})
		if i%3 == 0 {
			mustAppend(t, l, PartitionsAdded{Name: name, Total: 40})
		}
		if i%4 == 0 {
			mustAppend(t, l, ConfigChanged{Name: name, Delete: []string{"retention.ms", "ünïcode"}})
		}
		if i%5 == 0 {
			mustAppend(t, l, TopicDeleted{Name: name})
			mustAppend(t, l, TopicCreated{Name: name, ID: id(byte(200 + i/5)), Partitions: 1})
		}
	}
	if _, err := l.AllocateProducerIDs(123456); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, l, BrokerConfigChanged{Set: map[string]string{"log.retention.ms": "1", "message.max.bytes": "5", "ünïcode": "välue"}})
	mustAppend(t, l, BrokerConfigChanged{Delete: []string{"message.max.bytes"}})
	mustAppend(t, l, registryRecords()...)
	return l.state.Load()
}

// TestSnapshotStateRoundTrip checks that a state survives encoding
// exactly: topics with ids, partitions and configs, ids, next producer id
// and last index.
func TestSnapshotStateRoundTrip(t *testing.T) {
	for _, st := range []*state{newState(), richState(t)} {
		when := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
		b, err := encodeSnapshot(st, when)
		if err != nil {
			t.Fatal(err)
		}
		got, info, err := decodeSnapshot(b, st.lastIndex)
		if err != nil {
			t.Fatal(err)
		}
		stateEqual(t, got, st)
		if info.index != st.lastIndex || !info.time.Equal(when) || info.size != int64(len(b)) {
			t.Fatalf("info %+v", info)
		}
		// Encoding is deterministic: the same state gives the same bytes.
		if b2, _ := encodeSnapshot(got, when); !bytes.Equal(b, b2) {
			t.Fatal("re-encoding differs")
		}
	}
}

// rawSnapshot builds a snapshot file with any version, index and payload,
// and a valid CRC.
func rawSnapshot(version byte, index uint64, payload string) []byte {
	b := make([]byte, snapHeader, snapHeader+len(payload))
	copy(b, snapMagic)
	b[4] = version
	binary.LittleEndian.PutUint64(b[5:], index)
	binary.LittleEndian.PutUint64(b[13:], uint64(len(payload)))
	crc := crc32.Update(crc32.Checksum(b[:21], castagnoli), castagnoli, []byte(payload))
	binary.LittleEndian.PutUint32(b[21:], crc)
	return append(b, payload...)
}

func TestDecodeSnapshotErrors(t *testing.T) {
	good, err := encodeSnapshot(richState(t), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	idx := binary.LittleEndian.Uint64(good[5:])
	flip := func(i int) []byte { b := bytes.Clone(good); b[i] ^= 0x08; return b }
	topic := `{"name":"a","id":"AQAAAAAAAAAAAAAAAAAA_w","partitions":1}`
	cases := []struct {
		name  string
		in    []byte
		index uint64
		want  error
	}{
		{"empty", nil, idx, ErrCorrupt},
		{"bad magic", flip(0), idx, ErrCorrupt},
		{"version 0", rawSnapshot(0, 5, `{}`), 5, ErrCorrupt},
		{"newer version", rawSnapshot(4, 5, `whatever a later layout holds`), 5, ErrNewerVersion},
		{"header cut", good[:snapHeader-1], idx, ErrCorrupt},
		{"payload cut", good[:len(good)-1], idx, ErrCorrupt},
		{"payload byte flipped", flip(len(good) - 10), idx, ErrCorrupt},
		{"index byte flipped", flip(6), idx, ErrCorrupt},
		{"crc byte flipped", flip(22), idx, ErrCorrupt},
		{"named for another index", good, idx + 1, ErrCorrupt},
		{"bad json", rawSnapshot(1, 5, `{"last_index":5,`), 5, ErrCorrupt},
		{"payload for another index", rawSnapshot(1, 5, `{"last_index":6}`), 5, ErrCorrupt},
		{"negative producer id", rawSnapshot(1, 5, `{"last_index":5,"next_producer_id":-1}`), 5, ErrCorrupt},
		{"duplicate topic", rawSnapshot(1, 5, `{"last_index":5,"topics":[`+topic+`,`+topic+`]}`), 5, ErrCorrupt},
		{"broker configs in version 1", rawSnapshot(1, 5, `{"last_index":5,"broker_configs":{"a":"1"}}`), 5, ErrCorrupt},
		{"empty broker config name", rawSnapshot(2, 5, `{"last_index":5,"broker_configs":{"":"1"}}`), 5, ErrCorrupt},
		{"zero partitions", rawSnapshot(1, 5, `{"last_index":5,"topics":[{"name":"a","id":"AQAAAAAAAAAAAAAAAAAA_w","partitions":0}]}`), 5, ErrCorrupt},
	}
	for _, c := range cases {
		if _, _, err := decodeSnapshot(c.in, c.index); !errors.Is(err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
	// Unknown fields are how later versions add to a snapshot.
	st, _, err := decodeSnapshot(rawSnapshot(1, 5, `{"last_index":5,"next_producer_id":9,"acls":[1],"topics":[{"name":"a","id":"AQAAAAAAAAAAAAAAAAAA_w","partitions":1,"rack":"x"}]}`), 5)
	if err != nil || st.nextProducerID != 9 || st.topics.Len() != 1 {
		t.Fatalf("unknown fields: %v", err)
	}
}

// FuzzDecodeSnapshot checks, for any bytes: the decoder never panics; a
// decoded state re-encodes to a file that decodes to the same state.
func FuzzDecodeSnapshot(f *testing.F) {
	good, err := encodeSnapshot(richState(f), time.Unix(0, 0))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good, binary.LittleEndian.Uint64(good[5:]))
	f.Add(rawSnapshot(1, 5, `{"last_index":5,"topics":[{"name":"a","id":"AQAAAAAAAAAAAAAAAAAA_w","partitions":1}]}`), uint64(5))
	f.Add(rawSnapshot(2, 5, `{"last_index":5,"broker_configs":{"a":"1"}}`), uint64(5))
	f.Add(rawSnapshot(3, 5, `{"last_index":5,"registry":{"next_id":2,"schemas":[{"id":1,"schema_type":"AVRO","schema":"\"int\""}],"subjects":[{"subject":"s","highest":1,"versions":[{"version":1,"id":1}]}]}}`), uint64(5))
	f.Add(rawSnapshot(4, 5, `{}`), uint64(5))
	f.Add([]byte("SLMS"), uint64(0))
	f.Fuzz(func(t *testing.T, b []byte, index uint64) {
		st, _, err := decodeSnapshot(b, index)
		if err != nil {
			return
		}
		b2, err := encodeSnapshot(st, time.Unix(0, 0))
		if err != nil {
			t.Fatal(err)
		}
		st2, _, err := decodeSnapshot(b2, index)
		if err != nil {
			t.Fatalf("re-encoded snapshot does not decode: %v", err)
		}
		stateEqual(t, st2, st)
	})
}

// walFirst returns the first index of the wal files in dir, read with a
// fresh tidwall/wal.
func walFirst(t *testing.T, dir string) (first, last uint64) {
	t.Helper()
	w, err := wal.Open(dir, walOptions(segmentSize))
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	first, last, err = walRange(w, dir)
	if err != nil {
		t.Fatal(err)
	}
	return first, last
}

func snapshotFiles(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(snapDir(dir))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

// appendMany appends n create-and-change records in batches of two,
// naming topics from start.
func appendMany(t *testing.T, l *Log, start, n int) {
	t.Helper()
	for i := start; i < start+n; i++ {
		name := fmt.Sprint("t", i)
		mustAppend(t, l,
			TopicCreated{Name: name, ID: [16]byte{0: byte(i), 1: byte(i >> 8), 15: 1}, Partitions: 1},
			ConfigChanged{Name: name, Set: map[string]string{"retention.ms": strings.Repeat("9", 20)}},
		)
	}
}

func TestSnapshotReopen(t *testing.T) {
	dir := t.TempDir()
	l := openOpts(t, dir, Options{SnapshotBytes: -1}, 512)
	if idx, err := l.Snapshot(); err != nil || idx != 0 || snapshotFiles(t, dir) != nil {
		t.Fatalf("empty log: Snapshot = %d, %v; files %v", idx, err, snapshotFiles(t, dir))
	}
	appendMany(t, l, 0, 20)
	idx, err := l.Snapshot()
	if err != nil || idx != 40 {
		t.Fatalf("Snapshot = %d, %v", idx, err)
	}
	if l.SnapshotIndex() != 40 || l.FirstIndex() != 41 {
		t.Fatalf("snapshot %d first %d", l.SnapshotIndex(), l.FirstIndex())
	}
	// Nothing new: no new snapshot.
	if idx, err := l.Snapshot(); err != nil || idx != 40 {
		t.Fatalf("second Snapshot = %d, %v", idx, err)
	}
	appendMany(t, l, 20, 5)
	want := viewOf(l)
	l.Close()
	if first, last := walFirst(t, dir); first != 41 || last != 50 {
		t.Fatalf("wal holds %d..%d", first, last)
	}
	l = openOpts(t, dir, Options{SnapshotBytes: -1}, 512)
	if got := viewOf(l); !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	if l.SnapshotIndex() != 40 || l.FirstIndex() != 41 || l.Repairs() != nil {
		t.Fatalf("snapshot %d first %d repairs %+v", l.SnapshotIndex(), l.FirstIndex(), l.Repairs())
	}
	// A snapshot of every record leaves an empty wal that goes on at the
	// next index.
	if idx, err := l.Snapshot(); err != nil || idx != 50 {
		t.Fatalf("Snapshot = %d, %v", idx, err)
	}
	l.Close()
	if first, last := walFirst(t, dir); first != 51 || last != 50 {
		t.Fatalf("wal holds %d..%d", first, last)
	}
	l = openOpts(t, dir, Options{SnapshotBytes: -1}, 512)
	if got := viewOf(l); !reflect.DeepEqual(got, want) || l.FirstIndex() != 51 {
		t.Fatalf("got %+v, first %d", got, l.FirstIndex())
	}
	mustAppend(t, l, TopicDeleted{Name: "t3"})
	if l.LastIndex() != 51 {
		t.Fatalf("LastIndex %d", l.LastIndex())
	}
	if idx, err := l.Snapshot(); err != nil || idx != 51 {
		t.Fatalf("Snapshot = %d, %v", idx, err)
	}
	// Only the newest two snapshots are kept.
	if got := snapshotFiles(t, dir); !reflect.DeepEqual(got, []string{snapName(50), snapName(51)}) {
		t.Fatalf("snapshot files %v", got)
	}
}

var errCrash = errors.New("crash here (test)")

// crashAt returns a hook that fails at step while armed.
func crashAt(step string, armed *bool) func(string) error {
	return func(s string) error {
		if *armed && s == step {
			return errCrash
		}
		return nil
	}
}

// TestSnapshotCrashPoints stops Snapshot at each step, as a crash would,
// and opens a copy of the directory as it was then: it opens to the same
// state, cleans up, takes appends and reopens.
func TestSnapshotCrashPoints(t *testing.T) {
	for _, c := range []struct {
		step     string
		snapshot uint64 // SnapshotIndex after reopening the crash image
	}{
		{"snapshot-half-written", 20},
		{"snapshot-written", 20},
		{"snapshot-renamed", 44},
		{"snapshot-synced", 44},
		{"wal-truncated", 44},
	} {
		t.Run(c.step, func(t *testing.T) {
			dir := t.TempDir()
			armed := false
			l := openOpts(t, dir, Options{SnapshotBytes: -1, hook: crashAt(c.step, &armed)}, 512)
			appendMany(t, l, 0, 10)
			if _, err := l.Snapshot(); err != nil {
				t.Fatal(err)
			}
			appendMany(t, l, 10, 12)
			armed = true
			if _, err := l.Snapshot(); !errors.Is(err, errCrash) {
				t.Fatalf("Snapshot = %v", err)
			}
			appendMany(t, l, 50, 1) // the log goes on after the stop
			want := viewOf(l)
			img := copyDir(t, dir)

			var logs bytes.Buffer
			l2 := openOpts(t, img, Options{SnapshotBytes: -1, Logger: slog.New(slog.NewTextHandler(&logs, nil))}, 512)
			if got := viewOf(l2); !reflect.DeepEqual(got, want) {
				t.Fatalf("got  %+v\nwant %+v", got, want)
			}
			if l2.SnapshotIndex() != c.snapshot || l2.Repairs() != nil {
				t.Fatalf("snapshot %d, repairs %+v", l2.SnapshotIndex(), l2.Repairs())
			}
			for _, name := range snapshotFiles(t, img) {
				if strings.HasSuffix(name, tmpSuffix) {
					t.Fatalf("temp file %s left", name)
				}
			}
			if strings.HasPrefix(c.step, "snapshot-") && strings.Contains(c.step, "written") &&
				!strings.Contains(logs.String(), "removed file left by an interrupted write") {
				t.Errorf("temp file removal not logged: %s", logs.String())
			}
			// Open finished an interrupted truncation: the wal starts
			// right after the snapshot.
			var first uint64
			if err := l2.ReadRecords(0, func(i uint64, _ Record) bool { first = i; return false }); err != nil {
				t.Fatal(err)
			}
			if first != c.snapshot+1 {
				t.Fatalf("first readable record %d", first)
			}
			appendMany(t, l2, 100, 2)
			want = viewOf(l2)
			l2.Close()
			if first, _ := walFirst(t, img); first != c.snapshot+1 {
				t.Fatalf("wal starts at %d", first)
			}
			l3 := openOpts(t, img, Options{SnapshotBytes: -1}, 512)
			if got := viewOf(l3); !reflect.DeepEqual(got, want) || l3.Repairs() != nil {
				t.Fatalf("second reopen: %+v, repairs %+v", got, l3.Repairs())
			}
		})
	}
}

// TestCrashDuringWALTruncation builds the directory states a crash inside
// tidwall/wal's TruncateFront can leave (its .START.TEMP copy being
// written, the .START file written, the old segments partly or wholly
// deleted, before the rename) and opens each.
func TestCrashDuringWALTruncation(t *testing.T) {
	const seg = 512
	dir := t.TempDir()
	armed := false
	l := openOpts(t, dir, Options{SnapshotBytes: -1, hook: crashAt("snapshot-synced", &armed)}, seg)
	appendMany(t, l, 0, 15)
	armed = true
	snap, _ := l.Snapshot()
	if snap != 0 {
		t.Fatal("stopped snapshot returned an index")
	}
	snap = l.SnapshotIndex()
	appendMany(t, l, 15, 10) // the snapshot's end is mid-wal now
	want := viewOf(l)
	l.Close()

	// What TruncateFront(snap+1) leaves: the new first segment.
	done := copyDir(t, dir)
	w, err := wal.Open(done, walOptions(seg))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.TruncateFront(snap + 1); err != nil {
		t.Fatal(err)
	}
	w.Close()
	startName := fmt.Sprintf("%020d", snap+1)
	startData, err := os.ReadFile(filepath.Join(done, startName))
	if err != nil {
		t.Fatal(err)
	}
	// The segments TruncateFront deletes: those up to the one holding
	// snap+1.
	var doomed []string
	des, _ := os.ReadDir(dir)
	for _, de := range des {
		if !de.IsDir() && de.Name() <= startName {
			doomed = append(doomed, de.Name())
		}
	}
	if len(doomed) < 2 || slices.Contains(doomed, startName) {
		t.Fatalf("want the snapshot's end inside a later segment; segments to delete %v", doomed)
	}

	for _, c := range []struct {
		name  string
		build func(img string)
	}{
		{"start temp half written", func(img string) {
			write(t, filepath.Join(img, startName+".START.TEMP"), startData[:len(startData)/2])
		}},
		{"start written", func(img string) {
			write(t, filepath.Join(img, startName+".START"), startData)
		}},
		{"first old segment deleted", func(img string) {
			write(t, filepath.Join(img, startName+".START"), startData)
			remove(t, filepath.Join(img, doomed[0]))
		}},
		{"old segments deleted, not renamed", func(img string) {
			write(t, filepath.Join(img, startName+".START"), startData)
			for _, n := range doomed {
				remove(t, filepath.Join(img, n))
			}
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			img := copyDir(t, dir)
			c.build(img)
			l := openOpts(t, img, Options{SnapshotBytes: -1}, seg)
			if got := viewOf(l); !reflect.DeepEqual(got, want) {
				t.Fatalf("got  %+v\nwant %+v", got, want)
			}
			if l.SnapshotIndex() != snap || l.Repairs() != nil {
				t.Fatalf("snapshot %d repairs %+v", l.SnapshotIndex(), l.Repairs())
			}
			n := 0
			if err := l.ReadRecords(0, func(i uint64, _ Record) bool {
				if i != snap+1+uint64(n) {
					t.Fatalf("record %d at position %d", i, n)
				}
				n++
				return true
			}); err != nil {
				t.Fatal(err)
			}
			if uint64(n) != want.Last-snap {
				t.Fatalf("read %d records", n)
			}
			l.Close()
			if first, last := walFirst(t, img); first != snap+1 || last != want.Last {
				t.Fatalf("wal holds %d..%d", first, last)
			}
			for _, de := range must(os.ReadDir(img)) {
				if strings.Contains(de.Name(), ".") {
					t.Fatalf("file %s left", de.Name())
				}
			}
		})
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func write(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o640); err != nil {
		t.Fatal(err)
	}
}

func remove(t *testing.T, path string) {
	t.Helper()
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
}

// twoSnapshots leaves dir with a complete snapshot at 20 and the wal
// truncated after it, then a newer snapshot at 40 written but (if
// truncate is false) the wal not yet truncated. It returns the state.
func twoSnapshots(t *testing.T, dir string, truncate bool) view {
	armed := false
	l := openOpts(t, dir, Options{SnapshotBytes: -1, hook: crashAt("snapshot-synced", &armed)}, segmentSize)
	appendMany(t, l, 0, 10)
	if _, err := l.Snapshot(); err != nil {
		t.Fatal(err)
	}
	appendMany(t, l, 10, 10)
	armed = !truncate
	l.Snapshot()
	want := viewOf(l)
	l.Close()
	if got := snapshotFiles(t, dir); !reflect.DeepEqual(got, []string{snapName(20), snapName(40)}) {
		t.Fatalf("snapshot files %v", got)
	}
	return want
}

func damage(t *testing.T, path string, at int) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if at < 0 {
		at += len(b)
	}
	b[at] ^= 0x20
	write(t, path, b)
}

// TestDamagedNewestSnapshot: the newest snapshot is damaged, the wal still
// holds what it covered: Open falls back to the older one, replays, says
// so at Warn, and deletes the damaged file.
func TestDamagedNewestSnapshot(t *testing.T) {
	dir := t.TempDir()
	want := twoSnapshots(t, dir, false)
	damage(t, filepath.Join(snapDir(dir), snapName(40)), -3)
	var logs bytes.Buffer
	l := openOpts(t, dir, Options{SnapshotBytes: -1, Logger: slog.New(slog.NewTextHandler(&logs, nil))}, segmentSize)
	if got := viewOf(l); !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	if l.SnapshotIndex() != 20 {
		t.Fatalf("snapshot %d", l.SnapshotIndex())
	}
	if !strings.Contains(logs.String(), "level=WARN msg=\"meta: skipping damaged snapshot\"") {
		t.Fatalf("not logged: %s", logs.String())
	}
	if got := snapshotFiles(t, dir); !reflect.DeepEqual(got, []string{snapName(20)}) {
		t.Fatalf("snapshot files %v", got)
	}
}

// TestDamagedSnapshotRecordsGone: the newest snapshot is damaged and the
// wal was truncated after it, so the records between the older snapshot
// and the wal are gone: Open fails with ErrCorrupt, naming the damage,
// and deletes nothing.
func TestDamagedSnapshotRecordsGone(t *testing.T) {
	dir := t.TempDir()
	twoSnapshots(t, dir, true)
	damage(t, filepath.Join(snapDir(dir), snapName(40)), snapHeader+2)
	_, err := Open(dir, quiet())
	if !IsCorrupt(err) || !strings.Contains(err.Error(), "snapshot 40 is damaged") {
		t.Fatalf("Open = %v", err)
	}
	if got := snapshotFiles(t, dir); len(got) != 2 {
		t.Fatalf("snapshot files %v", got)
	}
	// Without any snapshot the wal starting at 41 is missing records too.
	if err := os.RemoveAll(snapDir(dir)); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, quiet()); !IsCorrupt(err) || !strings.Contains(err.Error(), "no snapshot") {
		t.Fatalf("Open = %v", err)
	}
}

// TestNewerSnapshot: a snapshot from a newer version stops Open and is
// kept.
func TestNewerSnapshot(t *testing.T) {
	dir := t.TempDir()
	twoSnapshots(t, dir, true)
	path := filepath.Join(snapDir(dir), snapName(40))
	write(t, path, rawSnapshot(4, 40, `{}`))
	if _, err := Open(dir, quiet()); !errors.Is(err, ErrNewerVersion) {
		t.Fatalf("Open = %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
}

// TestWALBehindSnapshot: the wal holds fewer records than the snapshot
// covers. The snapshot has everything; the wal is rebuilt to go on after
// it.
func TestWALBehindSnapshot(t *testing.T) {
	dir := t.TempDir()
	l := openOpts(t, dir, Options{SnapshotBytes: -1}, segmentSize)
	appendMany(t, l, 0, 2)
	l.Close()
	early := copyDir(t, dir)
	l = openOpts(t, dir, Options{SnapshotBytes: -1}, segmentSize)
	appendMany(t, l, 2, 3)
	if _, err := l.Snapshot(); err != nil {
		t.Fatal(err)
	}
	want := viewOf(l)
	l.Close()
	remove(t, filepath.Join(dir, "00000000000000000011"))
	write(t, filepath.Join(dir, firstSegment), must(os.ReadFile(filepath.Join(early, firstSegment))))

	l = openOpts(t, dir, Options{SnapshotBytes: -1}, segmentSize)
	if got := viewOf(l); !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	if r := l.Repairs(); len(r) != 1 || !strings.Contains(r[0].Reason, "before snapshot 10") {
		t.Fatalf("repairs %+v", r)
	}
	mustAppend(t, l, TopicDeleted{Name: "t0"})
	want = viewOf(l)
	l.Close()
	l = openOpts(t, dir, Options{SnapshotBytes: -1}, segmentSize)
	if got := viewOf(l); !reflect.DeepEqual(got, want) || got.Last != 11 || l.Repairs() != nil {
		t.Fatalf("got %+v, repairs %+v", got, l.Repairs())
	}
}

// TestTornTailAfterSnapshot: a torn tail is cut as before when the wal
// starts after a snapshot.
func TestTornTailAfterSnapshot(t *testing.T) {
	dir := t.TempDir()
	l := openOpts(t, dir, Options{SnapshotBytes: -1}, segmentSize)
	appendMany(t, l, 0, 3)
	if _, err := l.Snapshot(); err != nil {
		t.Fatal(err)
	}
	mustAppend(t, l, TopicDeleted{Name: "t0"})
	want := viewOf(l)
	appendMany(t, l, 3, 1)
	l.Close()
	path := filepath.Join(dir, "00000000000000000007")
	b := must(os.ReadFile(path))
	write(t, path, b[:len(b)-2])
	l = openOpts(t, dir, Options{SnapshotBytes: -1}, segmentSize)
	if got := viewOf(l); !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
	if r := l.Repairs(); len(r) != 2 || r[1].From != 8 || r[1].To != 8 {
		t.Fatalf("repairs %+v", r)
	}
}

// TestBackgroundSnapshot: past SnapshotBytes a snapshot is written in the
// background, Append does not wait for it, and Close stops the
// snapshotter.
func TestBackgroundSnapshot(t *testing.T) {
	dir := t.TempDir()
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	hook := func(step string) error {
		if step == "snapshot-written" {
			once.Do(func() { close(entered); <-release })
		}
		return nil
	}
	l := openOpts(t, dir, Options{SnapshotBytes: 1000, hook: hook}, segmentSize)
	for i := 0; ; i++ {
		appendMany(t, l, i, 1)
		if l.Stats().BytesSinceSnapshot >= 1000 {
			break
		}
	}
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("no background snapshot")
	}
	// The snapshot is stuck between writing and renaming; appends go on.
	before := l.LastIndex()
	appendMany(t, l, 1000, 20)
	if l.SnapshotIndex() != 0 {
		t.Fatal("snapshot finished while blocked")
	}
	close(release)
	deadline := time.Now().Add(10 * time.Second)
	for l.SnapshotIndex() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("snapshot never finished")
		}
		time.Sleep(time.Millisecond)
	}
	// The blocked snapshot covers the state when it started. The appends made meanwhile may
	// already have triggered the next one, so look for its file rather than at the newest index.
	if _, err := os.Stat(filepath.Join(snapDir(dir), snapName(before))); err != nil {
		t.Fatalf("no snapshot at %d (the state when it started; newest is %d): %v", before, l.SnapshotIndex(), err)
	}
	// The appends made meanwhile count toward the next snapshot, which
	// they trigger: 20 more batches are over 1000 bytes.
	for time.Now().Before(deadline) && l.SnapshotIndex() == before {
		time.Sleep(time.Millisecond)
	}
	if l.SnapshotIndex() == before {
		t.Fatal("second background snapshot never came")
	}
	want := viewOf(l)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-l.done:
	default:
		t.Fatal("snapshotter still running after Close")
	}
	if _, err := l.Snapshot(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Snapshot after Close: %v", err)
	}
	l = openOpts(t, dir, Options{SnapshotBytes: -1}, segmentSize)
	if got := viewOf(l); !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %+v\nwant %+v", got, want)
	}
}

// TestSnapshotDueAtOpen: a log whose wal already holds SnapshotBytes
// after its snapshot snapshots right after Open.
func TestSnapshotDueAtOpen(t *testing.T) {
	dir := t.TempDir()
	l := openOpts(t, dir, Options{SnapshotBytes: -1}, segmentSize)
	appendMany(t, l, 0, 20)
	l.Close()
	l = openOpts(t, dir, Options{SnapshotBytes: 500}, segmentSize)
	deadline := time.Now().Add(10 * time.Second)
	for l.SnapshotIndex() != 40 {
		if time.Now().After(deadline) {
			t.Fatalf("snapshot at %d", l.SnapshotIndex())
		}
		time.Sleep(time.Millisecond)
	}
}

func TestMemoryLogSnapshot(t *testing.T) {
	l := OpenMemory()
	mustAppend(t, l, TopicCreated{Name: "a", ID: id(1), Partitions: 1})
	if _, err := l.Snapshot(); !errors.Is(err, ErrMemoryLog) {
		t.Fatalf("Snapshot = %v", err)
	}
	if l.FirstIndex() != 1 || l.SnapshotIndex() != 0 {
		t.Fatalf("first %d snapshot %d", l.FirstIndex(), l.SnapshotIndex())
	}
}

// TestTempFilesRemoved: leftovers of interrupted writes are removed at
// Open and logged.
func TestTempFilesRemoved(t *testing.T) {
	dir := t.TempDir()
	l := openOpts(t, dir, Options{SnapshotBytes: -1}, segmentSize)
	appendMany(t, l, 0, 2)
	l.Snapshot()
	appendMany(t, l, 2, 2)
	want := viewOf(l)
	l.Close()
	leftovers := []string{
		filepath.Join(snapDir(dir), snapName(8)+tmpSuffix),
		filepath.Join(dir, "00000000000000000006.START.TEMP"),
	}
	for _, p := range leftovers {
		write(t, p, []byte("half"))
	}
	var logs bytes.Buffer
	l = openOpts(t, dir, Options{SnapshotBytes: -1, Logger: slog.New(slog.NewTextHandler(&logs, nil))}, segmentSize)
	if got := viewOf(l); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v", got)
	}
	for _, p := range leftovers {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s still there (%v)", p, err)
		}
		if !strings.Contains(logs.String(), p) {
			t.Errorf("%s not logged: %s", p, logs.String())
		}
	}
}

// TestOnAppend checks the hook sees every record once, in index order,
// as stored, in memory and on disk.
func TestOnAppend(t *testing.T) {
	for _, disk := range []bool{false, true} {
		t.Run(fmt.Sprint("disk=", disk), func(t *testing.T) {
			var seen []Record
			var next uint64 = 1
			o := Options{OnAppend: func(first uint64, recs []Record) {
				if first != next {
					t.Errorf("first %d, want %d", first, next)
				}
				next += uint64(len(recs))
				seen = append(seen, recs...)
			}}
			var l *Log
			if disk {
				o.SnapshotBytes = 300
				l = openOpts(t, t.TempDir(), o, segmentSize)
			} else {
				l = OpenMemoryOptions(o)
			}
			mustAppend(t, l, TopicCreated{Name: "a", ID: id(1), Partitions: 1}, ConfigChanged{Name: "a", Set: map[string]string{"k": "v"}})
			if _, err := l.AllocateProducerIDs(5); err != nil {
				t.Fatal(err)
			}
			l.Append(TopicDeleted{Name: "nope"}) // fails: not seen
			mustAppend(t, l, TopicDeleted{Name: "a"})
			want := []Record{
				TopicCreated{Name: "a", ID: id(1), Partitions: 1},
				ConfigChanged{Name: "a", ID: id(1), Set: map[string]string{"k": "v"}},
				ProducerIDBlock{Next: 5},
				TopicDeleted{Name: "a", ID: id(1)},
			}
			if !reflect.DeepEqual(seen, want) {
				t.Fatalf("seen %+v\nwant %+v", seen, want)
			}
			l.Close()
		})
	}
}

// TestReadRecords reads records on disk (across a snapshot) and in
// memory, from any index, stopping early.
func TestReadRecords(t *testing.T) {
	read := func(l *Log, from uint64, limit int) (idx []uint64, recs []Record) {
		err := l.ReadRecords(from, func(i uint64, r Record) bool {
			idx, recs = append(idx, i), append(recs, r)
			return len(idx) < limit
		})
		if err != nil {
			t.Fatal(err)
		}
		return idx, recs
	}
	seq := func(a, b uint64) (s []uint64) {
		for i := a; i <= b; i++ {
			s = append(s, i)
		}
		return s
	}
	forEachVariant(t, func(t *testing.T, v variant) {
		l := v.open(t)
		mustAppend(t, l, sampleRecords()...)
		n := uint64(len(sampleRecords()))
		if idx, recs := read(l, 0, 100); !reflect.DeepEqual(idx, seq(1, n)) || !reflect.DeepEqual(recs, sampleRecords()) {
			t.Fatalf("read %v %+v", idx, recs)
		}
		if idx, _ := read(l, 3, 100); !reflect.DeepEqual(idx, seq(3, n)) {
			t.Fatalf("from 3: %v", idx)
		}
		if idx, _ := read(l, 2, 2); !reflect.DeepEqual(idx, seq(2, 3)) {
			t.Fatalf("stop early: %v", idx)
		}
		if idx, _ := read(l, n+1, 100); idx != nil {
			t.Fatalf("past the end: %v", idx)
		}
		if v.reopen == nil {
			return
		}
		if _, err := l.Snapshot(); err != nil {
			t.Fatal(err)
		}
		mustAppend(t, l, TopicCreated{Name: "x", ID: id(9), Partitions: 1})
		if idx, _ := read(l, 0, 100); !reflect.DeepEqual(idx, seq(n+1, n+1)) {
			t.Fatalf("after snapshot: %v", idx)
		}
		l = v.reopen(t, l)
		if idx, _ := read(l, 2, 100); !reflect.DeepEqual(idx, seq(l.FirstIndex(), n+1)) || l.FirstIndex() < n+1 {
			t.Fatalf("after reopen: %v, first %d", idx, l.FirstIndex())
		}
		l.Close()
		if err := l.ReadRecords(0, func(uint64, Record) bool { return true }); !errors.Is(err, ErrClosed) {
			t.Fatalf("after Close: %v", err)
		}
	})
}

func TestStats(t *testing.T) {
	dir := t.TempDir()
	l := openOpts(t, dir, Options{SnapshotBytes: -1}, segmentSize)
	appendMany(t, l, 0, 3)
	s := l.Stats()
	if s.LastIndex != 6 || s.FirstIndex != 1 || s.SnapshotIndex != 0 || s.Topics != 3 || s.SnapshotThreshold != -1 ||
		!reflect.DeepEqual(s.RecordsSinceSnapshot, map[string]uint64{"TopicCreated": 3, "ConfigChanged": 3}) {
		t.Fatalf("stats %+v", s)
	}
	wal := must(os.ReadFile(filepath.Join(dir, firstSegment)))
	if s.BytesSinceSnapshot <= 0 || s.BytesSinceSnapshot > int64(len(wal)) {
		t.Fatalf("bytes since snapshot %d, wal %d", s.BytesSinceSnapshot, len(wal))
	}
	before := time.Now()
	l.Snapshot()
	mustAppend(t, l, TopicDeleted{Name: "t1"})
	s = l.Stats()
	fi := must(os.Stat(filepath.Join(snapDir(dir), snapName(6))))
	if s.SnapshotIndex != 6 || s.FirstIndex != 7 || s.SnapshotSize != fi.Size() || s.SnapshotTime.Before(before.Add(-time.Second)) ||
		!reflect.DeepEqual(s.RecordsSinceSnapshot, map[string]uint64{"TopicDeleted": 1}) {
		t.Fatalf("stats %+v", s)
	}
	l.Close()
	l = openOpts(t, dir, Options{}, segmentSize)
	s2 := l.Stats()
	s.SnapshotThreshold = defaultSnapshotBytes
	if !s2.SnapshotTime.Equal(s.SnapshotTime) {
		t.Fatalf("snapshot time %v, was %v", s2.SnapshotTime, s.SnapshotTime)
	}
	s2.SnapshotTime = s.SnapshotTime
	if !reflect.DeepEqual(s2, s) {
		t.Fatalf("after reopen\n got  %+v\n want %+v", s2, s)
	}
	if m := OpenMemory().Stats(); m.Dir != "" || m.SnapshotThreshold >= 0 || len(m.RecordsSinceSnapshot) != 0 {
		t.Fatalf("memory stats %+v", m)
	}
}

// TestConcurrentSnapshots runs appends, state reads and ReadRecords while
// background snapshots truncate the wal, for the race detector; readers
// see indexes in order and never an error; a reopen gives the same state.
func TestConcurrentSnapshots(t *testing.T) {
	dir := t.TempDir()
	l := openOpts(t, dir, Options{SnapshotBytes: 2000}, 4096)
	const writers, perWriter = 4, 40
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				name := fmt.Sprintf("w%d-%d", w, i)
				if err := l.Append(TopicCreated{Name: name, ID: [16]byte{0: byte(w), 1: byte(i), 15: 7}, Partitions: 1},
					ConfigChanged{Name: name, Set: map[string]string{"a": strings.Repeat("b", 50)}}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	var readers sync.WaitGroup
	for range 2 {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				from := l.FirstIndex()
				prev := uint64(0)
				err := l.ReadRecords(0, func(i uint64, _ Record) bool {
					if i <= prev || i < from {
						t.Errorf("index %d after %d (first %d)", i, prev, from)
					}
					prev = i
					return true
				})
				if err != nil {
					t.Error(err)
				}
				l.Stats()
				l.Topics()
			}
		})
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	want := viewOf(l)
	if len(want.Topics) != writers*perWriter || l.SnapshotIndex() == 0 {
		t.Fatalf("%d topics, snapshot %d", len(want.Topics), l.SnapshotIndex())
	}
	l.Close()
	l = openOpts(t, dir, Options{SnapshotBytes: -1}, 4096)
	if got := viewOf(l); !reflect.DeepEqual(got, want) {
		t.Fatal("state differs after reopen")
	}
}

// TestSnapshotVersionFollowsBrokerConfigs: a snapshot holding broker
// config overrides is version 2, which older builds refuse rather than
// drop the overrides; one without any stays version 1, which they read.
func TestSnapshotVersionFollowsBrokerConfigs(t *testing.T) {
	l := OpenMemory()
	mustAppend(t, l, TopicCreated{Name: "a", ID: id(1), Partitions: 1})
	version := func() byte {
		t.Helper()
		b, err := encodeSnapshot(l.state.Load(), time.Now())
		if err != nil {
			t.Fatal(err)
		}
		st, _, err := decodeSnapshot(b, l.LastIndex())
		if err != nil {
			t.Fatal(err)
		}
		stateEqual(t, st, l.state.Load())
		return b[4]
	}
	if v := version(); v != 1 {
		t.Fatalf("no overrides: version %d, want 1", v)
	}
	mustAppend(t, l, BrokerConfigChanged{Set: map[string]string{"log.retention.ms": "1"}})
	if v := version(); v != 2 {
		t.Fatalf("with an override: version %d, want 2", v)
	}
	mustAppend(t, l, BrokerConfigChanged{Delete: []string{"log.retention.ms"}})
	if v := version(); v != 1 || l.BrokerConfigs() != nil {
		t.Fatalf("override removed: version %d, configs %v", v, l.BrokerConfigs())
	}
}
