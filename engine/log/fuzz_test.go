package log

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzRecover appends arbitrary bytes to a valid segment and reopens it.
// Invariants: Open never panics or fails; the three valid batches written
// first survive; whatever else is kept is whole batches with valid CRCs and
// increasing offsets; the file is cut to exactly what is kept; appends
// continue after the kept end.
func FuzzRecover(f *testing.F) {
	good := buildBatch(f, spec(2))
	f.Add([]byte{})
	f.Add([]byte{0})
	f.Add(good[:30])
	f.Add(good[:len(good)-1])
	f.Add(good)
	f.Add(append(append([]byte{}, good...), good[:40]...))
	f.Fuzz(func(t *testing.T, tail []byte) {
		dir := t.TempDir()
		p, err := Open(dir, Config{IndexIntervalBytes: 64}, nil, testLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			mustAppend(t, p, buildBatch(t, spec(2)), nilTime)
		}
		p.Close()
		name := filepath.Join(dir, "00000000000000000000.log")
		fd, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		fd.Write(tail)
		fd.Close()

		p, err = Open(dir, Config{IndexIntervalBytes: 64}, nil, testLogger(t))
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		if p.LogEndOffset() < 6 {
			t.Fatalf("lost valid batches: leo %d", p.LogEndOffset())
		}
		out := readAll(t, p, 0) // checks whole batches and CRCs
		prev := int64(-1)
		for _, h := range batches(t, out) {
			if h.baseOffset <= prev {
				t.Fatalf("offsets not increasing: %d after %d", h.baseOffset, prev)
			}
			prev = h.lastOffset()
		}
		if fi, _ := os.Stat(name); fi.Size() != int64(len(out)) {
			t.Fatalf("file %d bytes, kept %d", fi.Size(), len(out))
		}
		res := mustAppend(t, p, buildBatch(t, spec(1)), nilTime)
		if res.BaseOffset != prev+1 {
			t.Fatalf("append at %d after %d", res.BaseOffset, prev)
		}
	})
}

var nilTime = time.UnixMilli(1_700_000_000_000)
