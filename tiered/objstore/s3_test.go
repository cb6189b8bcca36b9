package objstore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/streamlite/streamlite/tiered/objstore"
	"github.com/streamlite/streamlite/tiered/objstore/s3test"
)

// TestS3KillRestart: objects written before the server is killed are
// there after it restarts on the same data; while it is down calls fail
// with an error that is not ErrNotFound.
func TestS3KillRestart(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	s := srv.Store(t, srv.Bucket(t), "topics")
	ctx := context.Background()
	for i := range 20 {
		put(t, s, fmt.Sprintf("t/0/%020d.log", i), pattern(1000+i))
	}
	srv.Kill()

	start := time.Now()
	if _, err := s.Get(ctx, "t/0/00000000000000000000.log"); err == nil || errors.Is(err, objstore.ErrNotFound) {
		t.Fatalf("Get with the server down: %v, want a connection error", err)
	}
	t.Logf("a Get from a dead server fails after %v (the SDK's retries)", time.Since(start))
	tctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := s.Put(tctx, "t/0/down.log", bytes.NewReader([]byte("x")), 1); err == nil {
		t.Fatal("Put with the server down: no error")
	}

	srv.Restart()
	for i := range 20 {
		key := fmt.Sprintf("t/0/%020d.log", i)
		if got := get(t, s, key); !bytes.Equal(got, pattern(1000+i)) {
			t.Fatalf("%s after restart: %d bytes, differs", key, len(got))
		}
	}
	if _, err := s.Get(ctx, "t/0/down.log"); !errors.Is(err, objstore.ErrNotFound) {
		t.Fatalf("Put while down left an object: %v", err)
	}
	put(t, s, "t/0/after.log", []byte("after"))
	if got := list(t, s, "t/0/"); len(got) != 21 {
		t.Fatalf("List after restart = %d objects, want 21", len(got))
	}
}

// TestS3MissingBucket: a missing bucket is an error but not ErrNotFound
// where S3 says which (GET, List, Put); HEAD cannot tell the two apart.
func TestS3MissingBucket(t *testing.T) {
	srv := s3test.Start(t)
	s := srv.Store(t, "no-such-bucket", "")
	ctx := context.Background()
	if _, err := s.Get(ctx, "k"); err == nil || errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("Get: %v, want a NoSuchBucket error", err)
	}
	if _, err := s.List(ctx, ""); err == nil {
		t.Error("List: no error")
	}
	if err := s.Put(ctx, "k", bytes.NewReader([]byte("x")), 1); err == nil {
		t.Error("Put: no error")
	}
}

func TestS3WrongCredentials(t *testing.T) {
	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	s, err := objstore.NewS3Store(context.Background(), objstore.S3Options{
		Bucket: bucket, Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: "wrong", PathStyle: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(context.Background(), "k"); err == nil || errors.Is(err, objstore.ErrNotFound) {
		t.Fatalf("Get with a wrong secret: %v, want an access error", err)
	}
}

func TestNewS3StoreOptions(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		o       objstore.S3Options
		want    string // String(), or the error's text
		wantErr bool
	}{
		{objstore.S3Options{Bucket: "b", Endpoint: "http://127.0.0.1:1", AccessKey: "a", SecretKey: "s"}, "s3://b (http://127.0.0.1:1)", false},
		{objstore.S3Options{Bucket: "b", Prefix: "/p/q/", Endpoint: "https://s3.example.com", AccessKey: "a", SecretKey: "s"}, "s3://b/p/q (https://s3.example.com)", false},
		{objstore.S3Options{Bucket: "b", Prefix: "p", Region: "eu-west-1", AccessKey: "a", SecretKey: "s"}, "s3://b/p (AWS eu-west-1)", false},
		{objstore.S3Options{Endpoint: "http://127.0.0.1:1"}, "no bucket", true},
		{objstore.S3Options{Bucket: "b", AccessKey: "a"}, "together", true},
		{objstore.S3Options{Bucket: "b", SecretKey: "s"}, "together", true},
		{objstore.S3Options{Bucket: "b", Endpoint: "127.0.0.1:7070"}, "http://", true},
	} {
		s, err := objstore.NewS3Store(ctx, c.o)
		switch {
		case c.wantErr && err == nil:
			t.Errorf("NewS3Store(%+v): no error, want one saying %q", c.o, c.want)
		case c.wantErr && !strings.Contains(err.Error(), c.want):
			t.Errorf("NewS3Store(%+v): %v, want it to say %q", c.o, err, c.want)
		case !c.wantErr && err != nil:
			t.Errorf("NewS3Store(%+v): %v", c.o, err)
		case !c.wantErr && s.String() != c.want:
			t.Errorf("NewS3Store(%+v).String() = %q, want %q", c.o, s.String(), c.want)
		}
	}
}

// TestS3PrefixKeys: the prefix is joined to keys with exactly one "/".
func TestS3PrefixKeys(t *testing.T) {
	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	for _, prefix := range []string{"p", "/p", "p/", "/p/"} {
		put(t, srv.Store(t, bucket, prefix), "k"+fmt.Sprint(len(prefix)), []byte("x"))
	}
	checkList(t, srv.Store(t, bucket, ""), "", []objstore.Object{
		{Key: "p/k1", Size: 1}, {Key: "p/k2", Size: 1}, {Key: "p/k3", Size: 1},
	})
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	fs, err := objstore.Open(ctx, "file://"+dir, objstore.OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := fs.(*objstore.FileStore); !ok || fs.String() != "file://"+dir {
		t.Fatalf("Open(file://%s) = %T %s", dir, fs, fs)
	}
	put(t, fs, "a/b", []byte("file"))

	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	yes := true
	s, err := objstore.Open(ctx, "s3://"+bucket+"/pre/fix?endpoint=http://127.0.0.1:1&path_style=false",
		objstore.OpenOptions{Endpoint: srv.Endpoint, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, PathStyle: &yes})
	if err != nil {
		t.Fatal(err)
	}
	if want := "s3://" + bucket + "/pre/fix (" + srv.Endpoint + ")"; s.String() != want {
		t.Fatalf("String() = %q, want %q", s.String(), want)
	}
	put(t, s, "a/b", []byte("s3"))
	checkList(t, srv.Store(t, bucket, ""), "", []objstore.Object{{Key: "pre/fix/a/b", Size: 2}})

	// path_style defaults to true with an endpoint, which an IP address
	// needs.
	s, err = objstore.Open(ctx, "s3://"+bucket+"?endpoint="+srv.Endpoint,
		objstore.OpenOptions{AccessKey: srv.AccessKey, SecretKey: srv.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	checkList(t, s, "", []objstore.Object{{Key: "pre/fix/a/b", Size: 2}})

	for _, bad := range []string{"", "/abs/dir", "dir", "http://host/x", "s3:/bucket", "s3://", "file://"} {
		if _, err := objstore.Open(ctx, bad, objstore.OpenOptions{}); err == nil || !strings.Contains(err.Error(), "s3://bucket") {
			t.Errorf("Open(%q): %v, want an error naming the accepted forms", bad, err)
		}
	}
}
