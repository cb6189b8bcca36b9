package produce_test

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/clitest"
	"github.com/streamlite/streamlite/cmd/streamlite/internal/consume"
	"github.com/streamlite/streamlite/cmd/streamlite/internal/produce"
	"github.com/streamlite/streamlite/cmd/streamlite/internal/topic"
)

func TestProduceAcksAndCompression(t *testing.T) {
	_, addr := clitest.Cluster(t)
	var want strings.Builder
	for _, acks := range []string{"all", "1", "0"} {
		for _, z := range []string{"none", "gzip", "snappy", "lz4", "zstd"} {
			line := acks + "/" + z
			r := clitest.MustRun(t, produce.NewCommand(), line+"\n", "c", "-b", addr, "--acks", acks, "-z", z)
			if r.Stderr != "produced 1 record to c (partition 0: 1)\n" {
				t.Fatalf("acks %s compression %s: summary %q", acks, z, r.Stderr)
			}
			want.WriteString(line + "\n")
		}
	}
	r := clitest.MustRun(t, consume.NewCommand(), "", "c", "-b", addr, "-e", "-f", `%v\n`)
	if r.Stdout != want.String() {
		t.Fatalf("read back:\n%s\nwant:\n%s", r.Stdout, want.String())
	}
}

func TestProduceLines(t *testing.T) {
	_, addr := clitest.Cluster(t)
	// CRLF endings, a line without the separator (null key), an empty
	// line (empty value), a separator at the start (empty key) and no final
	// newline.
	in := "k1=>v1\r\nnokey\n\n=>v4\nk5=>v=>5"
	r := clitest.MustRun(t, produce.NewCommand(), in, "l", "-b", addr, "-k", "=>")
	if r.Stderr != "produced 5 records to l (partition 0: 5)\n" {
		t.Fatalf("summary %q", r.Stderr)
	}
	r = clitest.MustRun(t, consume.NewCommand(), "", "l", "-b", addr, "-e", "-f", `%K:%k|%S:%v\n`)
	want := "2:k1|2:v1\n-1:|5:nokey\n-1:|0:\n0:|2:v4\n2:k5|4:v=>5\n"
	if r.Stdout != want {
		t.Fatalf("read back:\n%s\nwant:\n%s", r.Stdout, want)
	}
	// No input: nothing produced, no error.
	r = clitest.MustRun(t, produce.NewCommand(), "", "l", "-b", addr)
	if r.Stderr != "produced 0 records to l\n" {
		t.Fatalf("empty input summary %q", r.Stderr)
	}
}

func TestProduceSpreadsByKey(t *testing.T) {
	_, addr := clitest.Cluster(t)
	clitest.MustRun(t, topic.NewCommand(), "", "create", "k", "-p", "4", "-b", addr)
	var in strings.Builder
	for i := range 200 {
		in.WriteString("key" + strings.Repeat("x", i%50) + ":v\n")
	}
	r := clitest.MustRun(t, produce.NewCommand(), in.String(), "k", "-b", addr, "-k", ":")
	if !strings.HasPrefix(r.Stderr, "produced 200 records to k (partition 0: ") || strings.Count(r.Stderr, "partition ") != 4 {
		t.Fatalf("summary %q: want 200 records over 4 partitions", r.Stderr)
	}
}

func TestProduceErrors(t *testing.T) {
	_, addr := clitest.Cluster(t)
	clitest.MustRun(t, produce.NewCommand(), "x\n", "e", "-b", addr)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"e", "-p", "5"}, "1 of 1 records failed"},
		{[]string{"e", "--acks", "2"}, "invalid acks"},
		{[]string{"e", "-z", "brotli"}, "invalid compression"},
		{[]string{"e", "-H", "novalue"}, "want key=value"},
	} {
		r := clitest.Run(t, produce.NewCommand(), "x\n", append(tc.args, "-b", addr)...)
		if r.Err == nil || !strings.Contains(r.Err.Error(), tc.want) {
			t.Errorf("produce %v: got %v, want an error containing %q", tc.args, r.Err, tc.want)
		}
	}
}

// TestProduceInterrupt checks that an interrupt while standard input is still
// open delivers what was read and ends without an error.
func TestProduceInterrupt(t *testing.T) {
	_, addr := clitest.Cluster(t)
	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr bytes.Buffer
	cmd := produce.NewCommand()
	cmd.SetIn(pr)
	cmd.SetErr(&stderr)
	cmd.SetArgs([]string{"i", "-b", addr})
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()
	if _, err := io.WriteString(pw, "one\ntwo\n"); err != nil {
		t.Fatal(err)
	}
	// The writes returned once the reader took the bytes; give the command
	// a moment to hand both lines to the client, then interrupt.
	deadline := time.Now().Add(10 * time.Second)
	for {
		// Until the first record creates the topic, consume fails.
		r := clitest.Run(t, consume.NewCommand(), "", "i", "-b", addr, "-e", "-f", `%v\n`)
		if r.Err == nil && r.Stdout == "one\ntwo\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("records never arrived; consumed %q", r.Stdout)
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("interrupted produce: %v", err)
	}
	if got := stderr.String(); got != "produced 2 records to i (partition 0: 2)\n" {
		t.Fatalf("summary %q", got)
	}
}
