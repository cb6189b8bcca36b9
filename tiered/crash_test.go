package tiered

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
)

// A crash is simulated by making the store refuse a write (as if the
// process died before it), dropping the Remote without any cleanup and
// opening a new one on the same store.

// readAll reads every offset of r's tier and checks it against the model.
func readAll(t *testing.T, r *Remote, w *segWriter) {
	t.Helper()
	ctx := context.Background()
	for off := r.StartOffset(); off >= 0 && off < r.EndOffset(); off++ {
		got, err := r.Read(ctx, off, 1<<20, true, nil)
		if err != nil {
			t.Fatalf("Read(%d): %v", off, err)
		}
		if want := expectRead(w.batches, r.Segments(), off, 1<<20, true); !bytes.Equal(got, want) {
			t.Fatalf("Read(%d): %d bytes, want %d", off, len(got), len(want))
		}
	}
}

func TestCrashDuringUpload(t *testing.T) {
	for _, failAt := range []string{extIndex, extTimeIndex, manifestName} {
		t.Run("before "+failAt, func(t *testing.T) {
			ctx := context.Background()
			st := wrapStore(newFileStore(t))
			w := buildTestLog(t)
			segs := w.segments()
			r := mustOpen(t, st, nil)
			mustUpload(t, r, segs[0])

			st.setFail(func(k string) bool { return strings.HasSuffix(k, failAt) }, nil)
			if err := r.Upload(ctx, segs[1]); !errors.Is(err, errInjected) {
				t.Fatalf("Upload: %v, want the injected failure", err)
			}
			if r.EndOffset() != segs[0].Next || len(r.Segments()) != 1 {
				t.Fatalf("a failed upload changed the tier: end %d, %d segments", r.EndOffset(), len(r.Segments()))
			}
			prefix := partitionPrefix(testRef)
			if !slices.Contains(keys(t, st, prefix), segmentKey("", segs[1].Base, extLog)) {
				t.Fatal("the .log object should be in the store (uploaded before the crash)")
			}

			// Crash, restart: the orphans go, and the upload is redone.
			st.setFail(nil, nil)
			r2 := mustOpen(t, st, nil)
			got := keys(t, st, prefix)
			want := []string{segmentKey("", segs[0].Base, extIndex), segmentKey("", segs[0].Base, extLog),
				segmentKey("", segs[0].Base, extTimeIndex), manifestName}
			if !slices.Equal(got, want) {
				t.Fatalf("keys after restart: %v, want %v", got, want)
			}
			mustUpload(t, r2, segs[1:]...)
			readAll(t, r2, w)
			readAll(t, mustOpen(t, st, nil), w)
		})
	}
}

func TestCrashDuringDeletion(t *testing.T) {
	ctx := context.Background()
	for _, op := range []string{"DeleteBefore", "EnforceRetention"} {
		t.Run(op, func(t *testing.T) {
			st := wrapStore(newFileStore(t))
			w := buildTestLog(t)
			segs := w.segments()
			r := mustOpen(t, st, nil)
			mustUpload(t, r, segs...)
			prefix := partitionPrefix(testRef)
			before := keys(t, st, prefix)

			st.setFail(nil, func(string) bool { return true })
			var err error
			switch op {
			case "DeleteBefore":
				err = r.DeleteBefore(ctx, segs[2].Base+1)
			default:
				var n int
				n, err = r.EnforceRetention(ctx, testNow, -1, r.Bytes()-segs[0].Size-segs[1].Size, 0)
				if n != 2 {
					t.Fatalf("EnforceRetention dropped %d, want 2", n)
				}
			}
			if !errors.Is(err, errInjected) {
				t.Fatalf("%s: %v, want the injected failure", op, err)
			}
			// The manifest moved: the dropped segments are no longer served.
			if got := r.Segments()[0].Base; got != segs[2].Base {
				t.Fatalf("first segment %d, want %d", got, segs[2].Base)
			}
			if _, err := r.Read(ctx, segs[0].Base, 100, true, nil); !errors.Is(err, ErrOffsetOutOfRange) {
				t.Fatalf("Read of a dropped segment: %v", err)
			}
			if got := keys(t, st, prefix); !slices.Equal(got, before) {
				t.Fatalf("objects changed although deletion failed: %v", got)
			}

			// Crash, restart: the manifest rules, the orphans go.
			st.setFail(nil, nil)
			r2 := mustOpen(t, st, nil)
			if !slices.Equal(r2.Segments(), r.Segments()) || r2.StartOffset() != r.StartOffset() {
				t.Fatalf("after restart: %v from %d, want %v from %d", r2.Segments(), r2.StartOffset(), r.Segments(), r.StartOffset())
			}
			for _, k := range keys(t, st, prefix) {
				if k < segmentKey("", segs[2].Base, "") {
					t.Fatalf("orphan %s left", k)
				}
			}
			readAll(t, r2, w)
		})
	}
	t.Run("retried by the next change", func(t *testing.T) {
		st := wrapStore(newFileStore(t))
		w := buildTestLog(t)
		segs := w.segments()
		r := mustOpen(t, st, nil)
		mustUpload(t, r, segs[:3]...)
		st.setFail(nil, func(string) bool { return true })
		if err := r.DeleteBefore(ctx, segs[1].Base); !errors.Is(err, errInjected) {
			t.Fatalf("DeleteBefore: %v", err)
		}
		st.setFail(nil, nil)
		mustUpload(t, r, segs[3]) // the next change deletes what is pending
		if slices.Contains(keys(t, st, partitionPrefix(testRef)), segmentKey("", segs[0].Base, extLog)) {
			t.Fatal("pending deletion not retried")
		}
	})
}

// TestManifestWriteFails: when the manifest cannot be written, nothing
// changes, in memory or in the store.
func TestManifestWriteFails(t *testing.T) {
	ctx := context.Background()
	st := wrapStore(newFileStore(t))
	w := buildTestLog(t)
	segs := w.segments()
	r := mustOpen(t, st, nil)
	mustUpload(t, r, segs[:3]...)
	prefix := partitionPrefix(testRef)
	before, start := keys(t, st, prefix), r.StartOffset()
	st.setFail(func(k string) bool { return strings.HasSuffix(k, manifestName) }, nil)
	if err := r.DeleteBefore(ctx, segs[1].Base); !errors.Is(err, errInjected) {
		t.Fatalf("DeleteBefore: %v", err)
	}
	if n, err := r.EnforceRetention(ctx, testNow, 0, 0, 0); n != 0 || !errors.Is(err, errInjected) {
		t.Fatalf("EnforceRetention = %d, %v; want 0 and the injected failure", n, err)
	}
	if r.StartOffset() != start || len(r.Segments()) != 3 || !slices.Equal(keys(t, st, prefix), before) {
		t.Fatal("a change whose manifest was not written took effect")
	}
	st.setFail(nil, nil)
	readAll(t, mustOpen(t, st, nil), w)
}
