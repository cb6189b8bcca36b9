package log

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// diskLog writes n batches of 3 records into dir and closes it, returning
// the batch sizes.
func diskLog(t *testing.T, dir string, cfg Config, n int) []int {
	t.Helper()
	p, err := Open(dir, cfg, nil, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for i := 0; i < n; i++ {
		b := buildBatch(t, spec(3))
		mustAppend(t, p, b, time.Now())
		sizes = append(sizes, len(b))
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	return sizes
}

func lastSegment(t *testing.T, dir string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dir, "*.log"))
	if len(m) == 0 {
		t.Fatal("no segments")
	}
	return m[len(m)-1]
}

func TestTornTail(t *testing.T) {
	cases := []struct {
		name    string
		damage  func(t *testing.T, name string, last int)
		wantLEO int64
	}{
		{"truncated mid-batch", func(t *testing.T, name string, last int) {
			fi, _ := os.Stat(name)
			os.Truncate(name, fi.Size()-int64(last)/2)
		}, 27},
		{"truncated mid-header", func(t *testing.T, name string, last int) {
			fi, _ := os.Stat(name)
			os.Truncate(name, fi.Size()-int64(last)+20)
		}, 27},
		{"garbage appended", func(t *testing.T, name string, last int) {
			f, _ := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
			f.Write(bytes.Repeat([]byte{0xAB}, 100))
			f.Close()
		}, 30},
		{"byte flipped in last batch", func(t *testing.T, name string, last int) {
			b, _ := os.ReadFile(name)
			b[len(b)-5] ^= 0xFF
			os.WriteFile(name, b, 0o644)
		}, 27},
		{"length rewritten", func(t *testing.T, name string, last int) {
			b, _ := os.ReadFile(name)
			b[len(b)-last+8] = 0x7F
			os.WriteFile(name, b, 0o644)
		}, 27},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			cfg := Config{SegmentBytes: 1000, IndexIntervalBytes: 100}
			sizes := diskLog(t, dir, cfg, 10)
			name := lastSegment(t, dir)
			c.damage(t, name, sizes[len(sizes)-1])
			p, err := Open(dir, cfg, nil, testLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			if p.LogEndOffset() != c.wantLEO || p.HighWatermark() != c.wantLEO {
				t.Fatalf("leo %d hw %d, want %d", p.LogEndOffset(), p.HighWatermark(), c.wantLEO)
			}
			readAll(t, p, 0)
			// The cut is durable in the file and appends continue at the cut.
			var total int64
			for _, s := range p.s.segs {
				total += s.size
				if fi, _ := os.Stat(s.path + ".log"); fi.Size() != s.size {
					t.Fatalf("file %d bytes, segment %d", fi.Size(), s.size)
				}
			}
			if res := mustAppend(t, p, buildBatch(t, spec(1)), time.Now()); res.BaseOffset != c.wantLEO {
				t.Fatalf("next base %d", res.BaseOffset)
			}
			readAll(t, p, 0)
		})
	}
}

func TestClosedSegmentIndexRebuilt(t *testing.T) {
	for _, damage := range []string{"delete", "truncate", "garbage", "stale"} {
		t.Run(damage, func(t *testing.T) {
			dir := t.TempDir()
			cfg := Config{SegmentBytes: 1000, IndexIntervalBytes: 200}
			diskLog(t, dir, cfg, 30)
			m, _ := filepath.Glob(filepath.Join(dir, "*.index"))
			if len(m) < 3 {
				t.Fatalf("want several segments, got %d", len(m))
			}
			ix, tix := m[0], m[0][:len(m[0])-len(".index")]+".timeindex"
			orig, _ := os.ReadFile(ix)
			origT, _ := os.ReadFile(tix)
			if len(orig) == 0 || len(origT) == 0 {
				t.Fatal("index files empty")
			}
			switch damage {
			case "delete":
				os.Remove(ix)
				os.Remove(tix)
			case "truncate":
				os.Truncate(ix, int64(len(orig)-3))
			case "garbage":
				os.WriteFile(tix, bytes.Repeat([]byte{0xFF}, 24), 0o644)
			case "stale": // lost its last entries
				os.WriteFile(ix, orig[:8], 0o644)
				os.WriteFile(tix, origT[:12], 0o644)
			}
			p, err := Open(dir, cfg, nil, testLogger(t))
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			got, _ := os.ReadFile(ix)
			gotT, _ := os.ReadFile(tix)
			if !bytes.Equal(got, orig) || !bytes.Equal(gotT, origT) {
				t.Fatal("index files not rebuilt to the original")
			}
			for off := int64(0); off < 90; off++ {
				out, err := p.Read(off, 1, true, nil)
				if err != nil {
					t.Fatal(err)
				}
				if h := batches(t, out)[0]; h.baseOffset > off || h.lastOffset() < off {
					t.Fatalf("read %d got %d", off, h.baseOffset)
				}
			}
		})
	}
}

func TestLeftoversCleaned(t *testing.T) {
	dir := t.TempDir()
	diskLog(t, dir, Config{}, 2)
	os.WriteFile(filepath.Join(dir, checkpointName+".tmp"), []byte("junk"), 0o644)
	p, err := Open(dir, Config{}, nil, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := os.Stat(filepath.Join(dir, checkpointName+".tmp")); !os.IsNotExist(err) {
		t.Fatal("tmp file left")
	}
	if p.LogEndOffset() != 6 {
		t.Fatal(p.LogEndOffset())
	}
}
