package objstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/streamlite/streamlite/tiered/objstore"
	"github.com/streamlite/streamlite/tiered/objstore/s3test"
)

// A backend is one fresh, empty place to keep objects (a directory, a
// bucket); open returns a store on it under a key prefix, so stores with
// different prefixes share it.
type backend func(t *testing.T) (open func(prefix string) objstore.Store)

func fileBackend(t *testing.T) func(string) objstore.Store {
	root := t.TempDir()
	return func(prefix string) objstore.Store {
		s, err := objstore.NewFileStore(filepath.Join(root, filepath.FromSlash(prefix)))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
}

func s3Backend(srv *s3test.Server) backend {
	return func(t *testing.T) func(string) objstore.Store {
		bucket := srv.Bucket(t)
		return func(prefix string) objstore.Store { return srv.Store(t, bucket, prefix) }
	}
}

func TestFileStoreConformance(t *testing.T) {
	for _, base := range []string{"", "tiered/cluster-1"} {
		t.Run("prefix="+base, func(t *testing.T) { testConformance(t, fileBackend, base) })
	}
}

func TestS3StoreConformance(t *testing.T) {
	srv := s3test.Start(t)
	for _, base := range []string{"", "tiered/cluster-1"} {
		t.Run("prefix="+base, func(t *testing.T) { testConformance(t, s3Backend(srv), base) })
	}
}

// testConformance checks a Store against the contract in store.go. Each
// subtest gets a fresh backend; the store under test has prefix base.
func testConformance(t *testing.T, newBackend backend, base string) {
	ctx := context.Background()
	// fresh returns the store under test, on a new backend.
	fresh := func(t *testing.T) objstore.Store { return newBackend(t)(base) }

	t.Run("PutGet", func(t *testing.T) {
		t.Parallel()
		s := fresh(t)
		want := []byte("a segment's bytes")
		put(t, s, "a.log", want)
		if got := get(t, s, "a.log"); !bytes.Equal(got, want) {
			t.Fatalf("Get = %q, want %q", got, want)
		}
		if n, err := s.Size(ctx, "a.log"); err != nil || n != int64(len(want)) {
			t.Fatalf("Size = %d, %v; want %d", n, err, len(want))
		}
	})

	t.Run("Replace", func(t *testing.T) {
		t.Parallel()
		s := fresh(t)
		put(t, s, "m", []byte("first version, the longer one"))
		put(t, s, "m", []byte("second"))
		if got := get(t, s, "m"); string(got) != "second" {
			t.Fatalf("Get after replace = %q", got)
		}
		if n, err := s.Size(ctx, "m"); err != nil || n != 6 {
			t.Fatalf("Size after replace = %d, %v; want 6", n, err)
		}
		checkList(t, s, "", []objstore.Object{{Key: "m", Size: 6}})
	})

	t.Run("GetRange", func(t *testing.T) {
		t.Parallel()
		s := fresh(t)
		data := pattern(1000)
		put(t, s, "r", data)
		for _, c := range []struct{ off, n, wantOff, wantN int64 }{
			{0, 10, 0, 10},
			{990, 10, 990, 10},
			{995, 10, 995, 5},    // partial: the object ends first
			{999, 1, 999, 1},     // last byte
			{0, 1000, 0, 1000},   // exactly all
			{0, 5000, 0, 1000},   // more than all
			{1000, 10, 1000, 0},  // at the end
			{5000, 1, 5000, 0},   // past the end
			{500, 0, 500, 0},     // nothing asked
			{123, 456, 123, 456}, // middle
			{100, math.MaxInt64, 100, 900},
		} {
			got, err := s.GetRange(ctx, "r", c.off, c.n)
			if err != nil {
				t.Fatalf("GetRange(%d, %d): %v", c.off, c.n, err)
			}
			if want := data[min(c.wantOff, 1000):min(c.wantOff+c.wantN, 1000)]; !bytes.Equal(got, want) {
				t.Fatalf("GetRange(%d, %d) = %d bytes, want %d", c.off, c.n, len(got), len(want))
			}
		}
		if _, err := s.GetRange(ctx, "r", -1, 10); err == nil {
			t.Fatal("GetRange with a negative offset: no error")
		}
	})

	t.Run("EmptyObject", func(t *testing.T) {
		t.Parallel()
		s := fresh(t)
		put(t, s, "empty", nil)
		if got := get(t, s, "empty"); len(got) != 0 {
			t.Fatalf("Get = %q, want nothing", got)
		}
		if got, err := s.GetRange(ctx, "empty", 0, 10); err != nil || len(got) != 0 {
			t.Fatalf("GetRange = %q, %v; want nothing", got, err)
		}
		if n, err := s.Size(ctx, "empty"); err != nil || n != 0 {
			t.Fatalf("Size = %d, %v; want 0", n, err)
		}
		checkList(t, s, "", []objstore.Object{{Key: "empty", Size: 0}})
	})

	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		s := fresh(t)
		put(t, s, "dir/present", []byte("x"))
		// "dir" holds no object, only keys below it.
		for _, key := range []string{"missing", "dir/missing", "other/dir/missing", "dir"} {
			if _, err := s.Get(ctx, key); !errors.Is(err, objstore.ErrNotFound) {
				t.Errorf("Get(%q): %v, want ErrNotFound", key, err)
			}
			if _, err := s.GetRange(ctx, key, 0, 10); !errors.Is(err, objstore.ErrNotFound) {
				t.Errorf("GetRange(%q, 0, 10): %v, want ErrNotFound", key, err)
			}
			if _, err := s.GetRange(ctx, key, 0, 0); !errors.Is(err, objstore.ErrNotFound) {
				t.Errorf("GetRange(%q, 0, 0): %v, want ErrNotFound", key, err)
			}
			if _, err := s.GetRange(ctx, key, 100, 10); !errors.Is(err, objstore.ErrNotFound) {
				t.Errorf("GetRange(%q, 100, 10): %v, want ErrNotFound", key, err)
			}
			if _, err := s.Size(ctx, key); !errors.Is(err, objstore.ErrNotFound) {
				t.Errorf("Size(%q): %v, want ErrNotFound", key, err)
			}
		}
		if _, err := s.Get(ctx, "missing"); err == nil || !strings.Contains(err.Error(), "missing") {
			t.Errorf("Get error %v does not name the key", err)
		}
		if err := s.Delete(ctx, "dir"); err != nil {
			t.Errorf("Delete of a key holding nothing but keys below it: %v", err)
		}
		if got, err := s.Get(ctx, "dir/present"); err != nil || string(got) != "x" {
			t.Errorf("dir/present after deleting dir: %q, %v", got, err)
		}
	})

	t.Run("List", func(t *testing.T) {
		t.Parallel()
		s := fresh(t)
		keys := []string{
			"topics/a-1/0/00000000000000000000.log",
			"topics/a-1/0/00000000000000000000.index",
			"topics/a-1/0/00000000000000001000.log",
			"topics/a-1/1/x.log",
			"topics/a-10/0/x.log",
			"topics/a/0/x.log",
			"topics/b/0/x.log",
			"manifests/a-1/0",
			"z",
		}
		for i, k := range rand.Perm(len(keys)) { // put order must not matter
			put(t, s, keys[k], pattern(10+i))
		}
		all := list(t, s, "")
		if len(all) != len(keys) {
			t.Fatalf("List(\"\") = %v, want %d objects", all, len(keys))
		}
		sorted := slices.Clone(keys)
		slices.Sort(sorted)
		for i, o := range all {
			if o.Key != sorted[i] {
				t.Fatalf("List(\"\")[%d] = %q, want %q (all: %v)", i, o.Key, sorted[i], all)
			}
			n, err := s.Size(ctx, o.Key)
			if err != nil || n != o.Size {
				t.Fatalf("List says %s has %d bytes; Size = %d, %v", o.Key, o.Size, n, err)
			}
		}
		for prefix, want := range map[string][]string{
			"topics/a-1/":                       {"topics/a-1/0/00000000000000000000.index", "topics/a-1/0/00000000000000000000.log", "topics/a-1/0/00000000000000001000.log", "topics/a-1/1/x.log"},
			"topics/a-1":                        {"topics/a-1/0/00000000000000000000.index", "topics/a-1/0/00000000000000000000.log", "topics/a-1/0/00000000000000001000.log", "topics/a-1/1/x.log", "topics/a-10/0/x.log"},
			"topics/a-1/0/":                     {"topics/a-1/0/00000000000000000000.index", "topics/a-1/0/00000000000000000000.log", "topics/a-1/0/00000000000000001000.log"},
			"topics/a-1/0/00000000000000000000": {"topics/a-1/0/00000000000000000000.index", "topics/a-1/0/00000000000000000000.log"},
			"topics/a/":                         {"topics/a/0/x.log"},
			"manifests/":                        {"manifests/a-1/0"},
			"manifests/a-1/0":                   {"manifests/a-1/0"},
			"z":                                 {"z"},
			"topics/c":                          nil,
			"nothing/at/all/":                   nil,
			"topics/a-1/0/x":                    nil,
			"topics/a-1/1/x.l":                  {"topics/a-1/1/x.log"},
		} {
			var got []string
			for _, o := range list(t, s, prefix) {
				got = append(got, o.Key)
			}
			if !slices.Equal(got, want) {
				t.Errorf("List(%q) = %q, want %q", prefix, got, want)
			}
		}
	})

	t.Run("Prefixes", func(t *testing.T) {
		// Stores on one backend with different prefixes see only their own
		// objects, under their own keys.
		t.Parallel()
		open := newBackend(t)
		root, a, ab, nested := open(base), open(join(base, "a")), open(join(base, "ab")), open(join(base, "n/ested"))
		put(t, a, "k", []byte("in a"))
		put(t, a, "dir/k", []byte("in a/dir"))
		put(t, ab, "k", []byte("in ab"))
		put(t, nested, "k", []byte("in n/ested"))
		checkList(t, a, "", []objstore.Object{{Key: "dir/k", Size: 8}, {Key: "k", Size: 4}})
		checkList(t, ab, "", []objstore.Object{{Key: "k", Size: 5}})
		checkList(t, nested, "", []objstore.Object{{Key: "k", Size: 10}})
		checkList(t, root, "", []objstore.Object{
			{Key: "a/dir/k", Size: 8}, {Key: "a/k", Size: 4}, {Key: "ab/k", Size: 5}, {Key: "n/ested/k", Size: 10},
		})
		checkList(t, root, "a", []objstore.Object{{Key: "a/dir/k", Size: 8}, {Key: "a/k", Size: 4}, {Key: "ab/k", Size: 5}})
		if got := get(t, root, "ab/k"); string(got) != "in ab" {
			t.Fatalf("root Get(ab/k) = %q", got)
		}
		if got := get(t, a, "k"); string(got) != "in a" {
			t.Fatalf("a Get(k) = %q", got)
		}
		if _, err := ab.Get(ctx, "dir/k"); !errors.Is(err, objstore.ErrNotFound) {
			t.Fatalf("ab Get(dir/k) = %v, want ErrNotFound", err)
		}
		if err := ab.Delete(ctx, "k", "dir/k"); err != nil {
			t.Fatal(err)
		}
		checkList(t, a, "", []objstore.Object{{Key: "dir/k", Size: 8}, {Key: "k", Size: 4}})
		checkList(t, ab, "", nil)
	})

	t.Run("Delete", func(t *testing.T) {
		t.Parallel()
		s := fresh(t)
		for _, k := range []string{"a", "b", "c/1", "c/2", "d"} {
			put(t, s, k, []byte(k))
		}
		if err := s.Delete(ctx); err != nil {
			t.Fatalf("Delete of no keys: %v", err)
		}
		if err := s.Delete(ctx, "a", "missing", "c/1", "c/missing", "x/y/z"); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		checkList(t, s, "", []objstore.Object{{Key: "b", Size: 1}, {Key: "c/2", Size: 3}, {Key: "d", Size: 1}})
		for _, k := range []string{"a", "c/1"} {
			if _, err := s.Get(ctx, k); !errors.Is(err, objstore.ErrNotFound) {
				t.Fatalf("Get(%q) after Delete: %v, want ErrNotFound", k, err)
			}
		}
		if err := s.Delete(ctx, "a", "a"); err != nil {
			t.Fatalf("Delete of deleted keys: %v", err)
		}
		put(t, s, "a", []byte("again"))
		if got := get(t, s, "a"); string(got) != "again" {
			t.Fatalf("Get after delete and put = %q", got)
		}
	})

	t.Run("DeleteMany", func(t *testing.T) {
		// More keys than one S3 DeleteObjects request takes (1000).
		t.Parallel()
		s := fresh(t)
		const n = 1500
		keys := make([]string, n)
		for i := range keys {
			keys[i] = fmt.Sprintf("topics/t/%d/%020d.log", i%3, i)
		}
		start := time.Now()
		parallel(t, 8, n, func(i int) error {
			return s.Put(ctx, keys[i], bytes.NewReader([]byte{byte(i)}), 1)
		})
		putTime := time.Since(start)
		put(t, s, "keep", []byte("k"))
		if got := list(t, s, "topics/"); len(got) != n {
			t.Fatalf("List = %d objects, want %d", len(got), n)
		}
		start = time.Now()
		if err := s.Delete(ctx, append(keys, "missing")...); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		t.Logf("%s: %d puts (8 at a time) %v, one Delete %v", s, n, putTime, time.Since(start))
		checkList(t, s, "", []objstore.Object{{Key: "keep", Size: 1}})
	})

	t.Run("Big", func(t *testing.T) {
		t.Parallel()
		s := fresh(t)
		data := make([]byte, 12<<20)
		rng := rand.NewChaCha8([32]byte{1})
		_, _ = rng.Read(data)
		start := time.Now()
		put(t, s, "big.log", data)
		putTime := time.Since(start)
		start = time.Now()
		got := get(t, s, "big.log")
		t.Logf("%s: 12 MiB put %v, get %v", s, putTime, time.Since(start))
		if !bytes.Equal(got, data) {
			t.Fatal("Get of 12 MiB object differs")
		}
		off := int64(5<<20 - 100)
		part, err := s.GetRange(ctx, "big.log", off, 1<<20)
		if err != nil || !bytes.Equal(part, data[off:off+1<<20]) {
			t.Fatalf("GetRange in the middle: %d bytes, %v", len(part), err)
		}
		tail, err := s.GetRange(ctx, "big.log", int64(len(data))-7, 1<<20)
		if err != nil || !bytes.Equal(tail, data[len(data)-7:]) {
			t.Fatalf("GetRange of the tail: %d bytes, %v", len(tail), err)
		}
	})

	t.Run("ConcurrentPuts", func(t *testing.T) {
		t.Parallel()
		s := fresh(t)
		const n = 32
		parallel(t, n, n, func(i int) error {
			b := pattern(1000 + i)
			return s.Put(ctx, fmt.Sprintf("p/%02d", i), bytes.NewReader(b), int64(len(b)))
		})
		objs := list(t, s, "p/")
		if len(objs) != n {
			t.Fatalf("List = %d objects, want %d", len(objs), n)
		}
		for i, o := range objs {
			if want := pattern(1000 + i); !bytes.Equal(get(t, s, o.Key), want) {
				t.Fatalf("%s differs", o.Key)
			}
		}
	})

	t.Run("BodyPosition", func(t *testing.T) {
		// Put reads the body from its start wherever it is positioned.
		t.Parallel()
		s := fresh(t)
		data := pattern(4096)
		r := bytes.NewReader(data)
		if _, err := r.Seek(0, io.SeekEnd); err != nil {
			t.Fatal(err)
		}
		if err := s.Put(ctx, "at-end", r, int64(len(data))); err != nil {
			t.Fatal(err)
		}
		if got := get(t, s, "at-end"); !bytes.Equal(got, data) {
			t.Fatalf("body positioned at its end: stored %d bytes, want %d", len(got), len(data))
		}
		if _, err := r.Seek(1000, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		if err := s.Put(ctx, "in-middle", r, int64(len(data))); err != nil {
			t.Fatal(err)
		}
		if got := get(t, s, "in-middle"); !bytes.Equal(got, data) {
			t.Fatalf("body positioned in its middle: stored %d bytes, want %d", len(got), len(data))
		}
	})

	t.Run("BodySize", func(t *testing.T) {
		// Put stores size bytes: a longer body is cut, a shorter one fails
		// and leaves the old object.
		t.Parallel()
		s := fresh(t)
		data := pattern(100)
		if err := s.Put(ctx, "k", bytes.NewReader(data), 60); err != nil {
			t.Fatal(err)
		}
		if got := get(t, s, "k"); !bytes.Equal(got, data[:60]) {
			t.Fatalf("Put of 60 of 100 bytes stored %d bytes", len(got))
		}
		if err := s.Put(ctx, "k", bytes.NewReader(data), 200); err == nil {
			t.Fatal("Put of a 100-byte body with size 200: no error")
		}
		if got := get(t, s, "k"); !bytes.Equal(got, data[:60]) {
			t.Fatalf("after a failed Put, Get = %d bytes, want the old 60", len(got))
		}
		if err := s.Put(ctx, "short", bytes.NewReader(data), 200); err == nil {
			t.Fatal("Put of a 100-byte body with size 200: no error")
		}
		if _, err := s.Get(ctx, "short"); !errors.Is(err, objstore.ErrNotFound) {
			t.Fatalf("after a failed Put of a new key, Get: %v, want ErrNotFound", err)
		}
	})

	t.Run("KeyCharacters", func(t *testing.T) {
		t.Parallel()
		s := fresh(t)
		keys := []string{
			"topic=a-1/partition=0/00000000000000000000.log",
			"a=b=c",
			"-leading-dash",
			"x_y.z~w",
			"plus+sign",
			"comma,semi;colon:",
			"UPPER/lower",
			"space in key",
			"unicode-ü-日本",
			"pct%20not-escaped",
		}
		for i, k := range keys {
			put(t, s, k, pattern(i+1))
		}
		for i, k := range keys {
			if got := get(t, s, k); !bytes.Equal(got, pattern(i+1)) {
				t.Errorf("Get(%q) = %d bytes, want %d", k, len(got), i+1)
			}
			if n, err := s.Size(ctx, k); err != nil || n != int64(i+1) {
				t.Errorf("Size(%q) = %d, %v", k, n, err)
			}
		}
		var want []objstore.Object
		for i, k := range keys {
			want = append(want, objstore.Object{Key: k, Size: int64(i + 1)})
		}
		slices.SortFunc(want, func(a, b objstore.Object) int { return strings.Compare(a.Key, b.Key) })
		checkList(t, s, "", want)
		checkList(t, s, "topic=a-1/", want[slices.IndexFunc(want, func(o objstore.Object) bool {
			return strings.HasPrefix(o.Key, "topic=")
		}):][:1])
		if err := s.Delete(ctx, keys...); err != nil {
			t.Fatal(err)
		}
		checkList(t, s, "", nil)
	})

	t.Run("InvalidKeys", func(t *testing.T) {
		t.Parallel()
		s := fresh(t)
		for _, k := range []string{"", "/abs", "a//b", "a/", "./a", "a/./b", "..", "../a", "a/../b", "."} {
			if err := s.Put(ctx, k, bytes.NewReader([]byte("x")), 1); err == nil {
				t.Errorf("Put(%q): no error", k)
			}
			if _, err := s.Get(ctx, k); err == nil || errors.Is(err, objstore.ErrNotFound) {
				t.Errorf("Get(%q): %v, want an invalid-key error", k, err)
			}
		}
		checkList(t, s, "", nil)
	})

	t.Run("Canceled", func(t *testing.T) {
		t.Parallel()
		s := fresh(t)
		put(t, s, "k", []byte("v"))
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := s.Put(cctx, "k2", bytes.NewReader([]byte("v")), 1); !errors.Is(err, context.Canceled) {
			t.Errorf("Put: %v, want context.Canceled", err)
		}
		if _, err := s.Get(cctx, "k"); !errors.Is(err, context.Canceled) {
			t.Errorf("Get: %v, want context.Canceled", err)
		}
		if _, err := s.GetRange(cctx, "k", 0, 1); !errors.Is(err, context.Canceled) {
			t.Errorf("GetRange: %v, want context.Canceled", err)
		}
		if _, err := s.Size(cctx, "k"); !errors.Is(err, context.Canceled) {
			t.Errorf("Size: %v, want context.Canceled", err)
		}
		if _, err := s.List(cctx, ""); !errors.Is(err, context.Canceled) {
			t.Errorf("List: %v, want context.Canceled", err)
		}
		if err := s.Delete(cctx, "k"); !errors.Is(err, context.Canceled) {
			t.Errorf("Delete: %v, want context.Canceled", err)
		}
		if got := get(t, s, "k"); string(got) != "v" {
			t.Errorf("after canceled calls Get = %q", got)
		}
		if _, err := s.Get(ctx, "k2"); !errors.Is(err, objstore.ErrNotFound) {
			t.Errorf("canceled Put stored k2: %v", err)
		}
	})
}

func join(prefix, p string) string {
	if prefix == "" {
		return p
	}
	return prefix + "/" + p
}

// pattern returns n bytes that differ from any other n's.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + n)
	}
	return b
}

func put(t *testing.T, s objstore.Store, key string, b []byte) {
	t.Helper()
	if err := s.Put(context.Background(), key, bytes.NewReader(b), int64(len(b))); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func get(t *testing.T, s objstore.Store, key string) []byte {
	t.Helper()
	b, err := s.Get(context.Background(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	return b
}

func list(t *testing.T, s objstore.Store, prefix string) []objstore.Object {
	t.Helper()
	objs, err := s.List(context.Background(), prefix)
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	return objs
}

func checkList(t *testing.T, s objstore.Store, prefix string, want []objstore.Object) {
	t.Helper()
	if got := list(t, s, prefix); !slices.Equal(got, want) {
		t.Fatalf("%s List(%q) = %v, want %v", s, prefix, got, want)
	}
}

// parallel runs f(0..n-1) on workers goroutines and fails t on the first
// error.
func parallel(t *testing.T, workers, n int, f func(i int) error) {
	t.Helper()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
		next = make(chan int)
	)
	for range workers {
		wg.Go(func() {
			for i := range next {
				if err := f(i); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d of %d failed; first: %v", len(errs), n, errs[0])
	}
}
