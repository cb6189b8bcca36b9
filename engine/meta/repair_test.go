package meta

import (
	"bytes"
	"encoding/binary"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tidwall/wal"
)

const firstSegment = "00000000000000000001"

// writeThreeBatches writes batches of 1, 2 and 2 records (entries 1, 2-3
// and 4-5) and returns the views after the second and the third.
func writeThreeBatches(t *testing.T, dir string) (afterTwo, afterThree view) {
	t.Helper()
	l, err := Open(dir, quiet())
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, l, TopicCreated{Name: "a", ID: id(1), Partitions: 1})
	mustAppend(t, l,
		TopicCreated{Name: "b", ID: id(2), Partitions: 1},
		ConfigChanged{Name: "b", Set: map[string]string{"retention.ms": "7"}},
	)
	afterTwo = viewOf(l)
	mustAppend(t, l,
		TopicCreated{Name: "c", ID: id(3), Partitions: 1},
		PartitionsAdded{Name: "c", Total: 3},
	)
	afterThree = viewOf(l)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return afterTwo, afterThree
}

type frame struct{ off, data, end int } // size header, entry, end

// frames parses a wal segment in the binary format.
func frames(t *testing.T, b []byte) []frame {
	t.Helper()
	var fs []frame
	for off := 0; off < len(b); {
		size, n := binary.Uvarint(b[off:])
		if n <= 0 || off+n+int(size) > len(b) {
			t.Fatalf("segment does not parse at %d", off)
		}
		fs = append(fs, frame{off, off + n, off + n + int(size)})
		off += n + int(size)
	}
	return fs
}

func TestTornTail(t *testing.T) {
	cases := []struct {
		name   string
		damage func(b []byte, fs []frame) []byte
		keep   int      // batches kept: 2 or 3
		cuts   []Repair // what Repairs returns, Reason only checked to contain
	}{
		{
			name:   "last entry partly written",
			damage: func(b []byte, fs []frame) []byte { return b[:fs[4].end-3] },
			keep:   2,
			cuts: []Repair{
				{File: firstSegment, Bytes: int64(-1), From: 5, To: 5, Reason: "incomplete wal frame"},
				{From: 4, To: 4, Reason: "batch of 2 entries ends after 1"},
			},
		},
		{
			name:   "last entry's size header only",
			damage: func(b []byte, fs []frame) []byte { return b[:fs[4].off+1] },
			keep:   2,
			cuts: []Repair{
				{File: firstSegment, Bytes: int64(-1), From: 5, To: 5, Reason: "incomplete wal frame"},
				{From: 4, To: 4, Reason: "batch of 2 entries ends after 1"},
			},
		},
		{
			name:   "last entry missing",
			damage: func(b []byte, fs []frame) []byte { return b[:fs[4].off] },
			keep:   2,
			cuts:   []Repair{{From: 4, To: 4, Reason: "batch of 2 entries ends after 1"}},
		},
		{
			name:   "junk appended, incomplete frame",
			damage: func(b []byte, _ []frame) []byte { return append(b, 0x7f, 'j', 'u', 'n', 'k') },
			keep:   3,
			cuts:   []Repair{{File: firstSegment, Bytes: 5, From: 6, To: 6, Reason: "incomplete wal frame"}},
		},
		{
			name:   "junk appended, complete frames",
			damage: func(b []byte, _ []frame) []byte { return append(b, 3, 'a', 'b', 'c', 9, 1, 1, 0, 0, 0, 0, 0, 0, 0) },
			keep:   3,
			cuts:   []Repair{{From: 6, To: 7, Reason: "checksum mismatch"}},
		},
		{
			name:   "byte flipped in last entry",
			damage: func(b []byte, fs []frame) []byte { b[fs[4].data+5] ^= 0x20; return b },
			keep:   2,
			cuts:   []Repair{{From: 4, To: 5, Reason: "checksum mismatch"}},
		},
		{
			name:   "byte flipped in last batch's first entry",
			damage: func(b []byte, fs []frame) []byte { b[fs[3].end-1] ^= 0x01; return b },
			keep:   2,
			cuts:   []Repair{{From: 4, To: 5, Reason: "checksum mismatch"}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			afterTwo, afterThree := writeThreeBatches(t, dir)
			want := map[int]view{2: afterTwo, 3: afterThree}[c.keep]
			path := filepath.Join(dir, firstSegment)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			damaged := c.damage(bytes.Clone(b), frames(t, b))
			if err := os.WriteFile(path, damaged, 0o640); err != nil {
				t.Fatal(err)
			}

			var logs bytes.Buffer
			l, err := Open(dir, slog.New(slog.NewTextHandler(&logs, nil)))
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if got := viewOf(l); !reflect.DeepEqual(got, want) {
				t.Fatalf("got  %+v\nwant %+v", got, want)
			}
			reps := l.Repairs()
			if len(reps) != len(c.cuts) {
				t.Fatalf("repairs %+v, want %+v", reps, c.cuts)
			}
			for i, w := range c.cuts {
				r := reps[i]
				if w.Bytes < 0 { // however many bytes the frame had
					w.Bytes = r.Bytes
				}
				if r.File != w.File || r.Bytes != w.Bytes || r.From != w.From || r.To != w.To || !strings.Contains(r.Reason, w.Reason) {
					t.Errorf("repair %d: %+v, want %+v", i, r, w)
				}
			}
			if !strings.Contains(logs.String(), "level=WARN") || !strings.Contains(logs.String(), "cut") {
				t.Errorf("cut not logged: %s", logs.String())
			}

			// The repaired log takes appends and reopens clean.
			mustAppend(t, l, TopicCreated{Name: "d", ID: id(4), Partitions: 1})
			want = viewOf(l)
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			l, err = Open(dir, quiet())
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			if got := viewOf(l); !reflect.DeepEqual(got, want) || l.Repairs() != nil {
				t.Fatalf("second reopen: %+v, repairs %+v", got, l.Repairs())
			}
		})
	}
}

// TestDamageBeforeTheTail checks that damage followed by a later batch,
// which was acknowledged after the damaged one was fsynced, fails Open
// instead of dropping acknowledged records, and leaves the files alone.
func TestDamageBeforeTheTail(t *testing.T) {
	for _, entry := range []int{0, 1, 2} {
		dir := t.TempDir()
		writeThreeBatches(t, dir)
		path := filepath.Join(dir, firstSegment)
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		fs := frames(t, b)
		b[fs[entry].data+3] ^= 0x40
		if err := os.WriteFile(path, b, 0o640); err != nil {
			t.Fatal(err)
		}
		_, err = Open(dir, quiet())
		if !IsCorrupt(err) {
			t.Fatalf("entry %d damaged: Open = %v, want ErrCorrupt", entry+1, err)
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(after, b) {
			t.Fatalf("entry %d damaged: failed Open changed the segment", entry+1)
		}
	}
}

// TestNewerVersion checks that intact entries this build cannot read stop
// Open with a clear error instead of being skipped or cut.
func TestNewerVersion(t *testing.T) {
	for _, c := range []struct {
		entry []byte
		want  error
	}{
		{rawEntry(1, 99, `{}`), ErrUnknownRecord},
		{rawEntry(2, byte(TypeTopicCreated), `{}`), ErrNewerVersion},
	} {
		dir := t.TempDir()
		writeThreeBatches(t, dir)
		w, err := wal.Open(dir, walOptions(segmentSize))
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(6, c.entry); err != nil {
			t.Fatal(err)
		}
		w.Close()
		if _, err := Open(dir, quiet()); !errors.Is(err, c.want) {
			t.Fatalf("Open = %v, want %v", err, c.want)
		}
	}
}

// TestBatchAcrossSegments cuts a batch whose second half went to a new
// segment file that did not survive.
func TestBatchAcrossSegments(t *testing.T) {
	dir := t.TempDir()
	l, err := open(dir, Options{Logger: quiet()}, 256)
	if err != nil {
		t.Fatal(err)
	}
	big := map[string]string{"x": strings.Repeat("y", 300)}
	mustAppend(t, l, TopicCreated{Name: "a", ID: id(1), Partitions: 1})
	want := viewOf(l)
	mustAppend(t, l,
		TopicCreated{Name: "b", ID: id(2), Partitions: 1, Configs: big},
		TopicCreated{Name: "c", ID: id(3), Partitions: 1, Configs: big},
		TopicCreated{Name: "d", ID: id(4), Partitions: 1, Configs: big},
	)
	l.Close()
	des, _ := os.ReadDir(dir)
	if len(des) < 2 {
		t.Fatalf("want several segments, have %d", len(des))
	}
	// A clean reopen replays across segments.
	if l, err = open(dir, Options{Logger: quiet()}, 256); err != nil || l.LastIndex() != 4 || l.Repairs() != nil {
		t.Fatalf("reopen: %v, last %d, repairs %+v", err, l.LastIndex(), l.Repairs())
	}
	l.Close()
	// Lose the segments from entry 4 on, as if their directory entries
	// were never synced.
	for _, de := range des {
		if de.Name() >= "00000000000000000004" {
			if err := os.Remove(filepath.Join(dir, de.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	l, err = open(dir, Options{Logger: quiet()}, 256)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if got := viewOf(l); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
	if r := l.Repairs(); len(r) != 1 || r[0].From != 2 || r[0].To != 3 {
		t.Fatalf("repairs %+v", r)
	}
	mustAppend(t, l, TopicCreated{Name: "b", ID: id(2), Partitions: 1})
}

// TestTornOnlyBatch cuts every entry: the log ends up empty and usable.
func TestTornOnlyBatch(t *testing.T) {
	dir := t.TempDir()
	l, err := Open(dir, quiet())
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, l, TopicCreated{Name: "a", ID: id(1), Partitions: 1}, ProducerIDBlock{Next: 5})
	l.Close()
	path := filepath.Join(dir, firstSegment)
	b, _ := os.ReadFile(path)
	if err := os.WriteFile(path, b[:len(b)-1], 0o640); err != nil {
		t.Fatal(err)
	}
	if l, err = Open(dir, quiet()); err != nil {
		t.Fatal(err)
	}
	if got := viewOf(l); got.Last != 0 || len(got.Topics) != 0 || got.NextPID != 0 {
		t.Fatalf("after cutting everything: %+v", got)
	}
	if r := l.Repairs(); len(r) != 2 || r[1].From != 1 || r[1].To != 1 {
		t.Fatalf("repairs %+v", r)
	}
	mustAppend(t, l, TopicCreated{Name: "b", ID: id(2), Partitions: 1})
	l.Close()
	if l, err = Open(dir, quiet()); err != nil || l.LastIndex() != 1 || l.Repairs() != nil {
		t.Fatalf("reopen: %v, last %d, repairs %+v", err, l.LastIndex(), l.Repairs())
	}
	l.Close()
}

func TestOpenErrors(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(file, quiet()); err == nil || !strings.Contains(err.Error(), "meta: ") {
		t.Fatalf("Open on a file: %v", err)
	}
}
