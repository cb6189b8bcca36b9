package clientflags

import (
	"errors"
	"fmt"
	"testing"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kerr"
)

func TestApplyEnv(t *testing.T) {
	var n int
	var s string
	cmd := &cobra.Command{Use: "x", RunE: func(*cobra.Command, []string) error { return nil }}
	f := Add(cmd)
	cmd.Flags().IntVar(&n, "record-size", 1, "")
	cmd.Flags().StringVar(&s, "acks", "all", "")
	t.Setenv("STREAMLITE_BROKERS", "a:1, b:2")
	t.Setenv("STREAMLITE_RECORD_SIZE", "42")
	t.Setenv("STREAMLITE_ACKS", "0")
	cmd.SetArgs([]string{"--acks", "1"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	seeds, err := f.SeedBrokers()
	if err != nil || fmt.Sprint(seeds) != "[a:1 b:2]" {
		t.Fatalf("brokers %v, %v", seeds, err)
	}
	if n != 42 || s != "1" {
		t.Fatalf("record-size %d (want 42 from env), acks %q (want 1 from the flag)", n, s)
	}

	t.Setenv("STREAMLITE_RECORD_SIZE", "big")
	cmd.SetArgs(nil)
	if err := cmd.Execute(); err == nil {
		t.Fatal("bad env value: no error")
	}
}

func TestBrokerError(t *testing.T) {
	if BrokerError(nil, "x") != nil {
		t.Fatal("nil error became non-nil")
	}
	e := BrokerError(kerr.TopicAlreadyExists, "Topic 'a' already exists.")
	if e.Error() != "TOPIC_ALREADY_EXISTS: Topic 'a' already exists." || !errors.Is(e, kerr.TopicAlreadyExists) {
		t.Fatalf("got %q", e)
	}
	e = BrokerError(fmt.Errorf("wrapped: %w", kerr.UnknownTopicOrPartition), "")
	if e.Error() != "UNKNOWN_TOPIC_OR_PARTITION: "+kerr.UnknownTopicOrPartition.Description {
		t.Fatalf("got %q", e)
	}
	plain := errors.New("dial tcp: refused")
	if BrokerError(plain, "") != plain {
		t.Fatal("non-Kafka error changed")
	}
}

func TestParsers(t *testing.T) {
	for _, a := range []string{"all", "-1", "1", "0"} {
		if _, err := AcksOpts(a); err != nil {
			t.Errorf("acks %s: %v", a, err)
		}
	}
	if _, err := AcksOpts("2"); err == nil {
		t.Error("acks 2: no error")
	}
	for _, c := range []string{"", "none", "gzip", "snappy", "lz4", "zstd", "ZSTD"} {
		if _, err := CompressionCodec(c); err != nil {
			t.Errorf("compression %q: %v", c, err)
		}
	}
	if k, v, err := ParseKeyValue("h", "a=b=c"); err != nil || k != "a" || v != "b=c" {
		t.Errorf("a=b=c: %q %q %v", k, v, err)
	}
	for _, bad := range []string{"", "=v", "k"} {
		if _, _, err := ParseKeyValue("h", bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
