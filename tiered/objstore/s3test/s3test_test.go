package s3test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestServer(t *testing.T) {
	srv := Start(t)
	if !strings.HasPrefix(srv.Endpoint, "http://127.0.0.1:") {
		t.Fatalf("Endpoint = %q", srv.Endpoint)
	}
	b1, b2 := srv.Bucket(t), srv.Bucket(t)
	if b1 == b2 {
		t.Fatalf("Bucket returned %q twice", b1)
	}
	st := srv.Store(t, b1, "p")
	if err := st.Put(context.Background(), "k", strings.NewReader("v"), 1); err != nil {
		t.Fatal(err)
	}
	endpoint := srv.Endpoint

	// Kill is safe from another goroutine and twice.
	var wg sync.WaitGroup
	wg.Go(srv.Kill)
	wg.Wait()
	srv.Kill()
	if _, err := srv.client.ListBuckets(context.Background(), &s3.ListBucketsInput{}); err == nil {
		t.Fatal("ListBuckets answered after Kill")
	}

	srv.Restart()
	if srv.Endpoint != endpoint {
		t.Fatalf("Endpoint after Restart = %q, want %q", srv.Endpoint, endpoint)
	}
	out, err := srv.client.ListBuckets(context.Background(), &s3.ListBucketsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Buckets) != 2 {
		t.Fatalf("after Restart %d buckets, want 2", len(out.Buckets))
	}
	b, err := st.Get(context.Background(), "k")
	if err != nil || string(b) != "v" {
		t.Fatalf("Get after Restart = %q, %v", b, err)
	}
	srv.Restart() // while running: kills and starts again
	if _, err := st.Size(context.Background(), "k"); err != nil {
		t.Fatal(err)
	}
}

func TestBucketName(t *testing.T) {
	for test, want := range map[string]string{
		"TestX":                            "t-testx",
		"TestS3/prefix=a/b_c":              "t-tests3-prefix-a-b-c",
		"":                                 "t",
		"Test/" + strings.Repeat("Ab", 40): "t-test-" + strings.ToLower(strings.Repeat("Ab", 40))[:41],
	} {
		if got := bucketName(test); got != want {
			t.Errorf("bucketName(%q) = %q, want %q", test, got, want)
		}
	}
}

// recordingTB records a Skip or Fatal and ends the goroutine as the real
// ones do.
type recordingTB struct {
	testing.TB
	skipped, fatal string
}

func (r *recordingTB) Helper()                   {}
func (r *recordingTB) Skip(args ...any)          { r.skipped = fmt.Sprint(args...); runtime.Goexit() }
func (r *recordingTB) Skipf(f string, a ...any)  { r.skipped = fmt.Sprintf(f, a...); runtime.Goexit() }
func (r *recordingTB) Fatal(args ...any)         { r.fatal = fmt.Sprint(args...); runtime.Goexit() }
func (r *recordingTB) Fatalf(f string, a ...any) { r.fatal = fmt.Sprintf(f, a...); runtime.Goexit() }

// TestMissingBinary: without versitygw on PATH, Start skips, or fails
// under CI, saying how to install it.
func TestMissingBinary(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	for _, ci := range []string{"", "true"} {
		t.Setenv("CI", ci)
		r := &recordingTB{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			Start(r)
		}()
		<-done
		msg := r.skipped
		if ci != "" {
			msg = r.fatal
		}
		if !strings.Contains(msg, InstallCommand) {
			t.Errorf("CI=%q: skipped %q, fatal %q; want the install command in the right one", ci, r.skipped, r.fatal)
		}
	}
}
