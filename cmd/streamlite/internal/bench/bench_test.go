package bench_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/streamlite/streamlite/cmd/streamlite/internal/bench"
	"github.com/streamlite/streamlite/cmd/streamlite/internal/clitest"
)

type report struct {
	Mode          string  `json:"mode"`
	Topic         string  `json:"topic"`
	Records       int64   `json:"records"`
	Bytes         int64   `json:"bytes"`
	ElapsedMS     float64 `json:"elapsed_ms"`
	RecordsPerSec float64 `json:"records_per_sec"`
	MBPerSec      float64 `json:"mb_per_sec"`
	P50MS         float64 `json:"p50_ms"`
	P99MS         float64 `json:"p99_ms"`
}

func decode(t *testing.T, out string) report {
	t.Helper()
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
		t.Fatalf("want one JSON line, got %q", out)
	}
	var r report
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("decoding %q: %v", out, err)
	}
	return r
}

func TestBenchJSON(t *testing.T) {
	_, addr := clitest.Cluster(t)
	out := clitest.MustRun(t, bench.NewCommand(), "", "produce", "-b", addr, "--json",
		"--records", "2000", "--record-size", "64", "--partitions", "3", "--producers", "2", "--acks", "1", "-z", "lz4").Stdout
	p := decode(t, out)
	if p.Mode != "produce" || !strings.HasPrefix(p.Topic, "bench-") || p.Records != 2000 || p.Bytes != 2000*64 ||
		p.RecordsPerSec <= 0 || p.MBPerSec <= 0 || p.ElapsedMS <= 0 || p.P99MS < p.P50MS {
		t.Fatalf("produce report %+v", p)
	}
	out = clitest.MustRun(t, bench.NewCommand(), "", "consume", "-b", addr, "--json", "--topic", p.Topic).Stdout
	c := decode(t, out)
	if c.Mode != "consume" || c.Topic != p.Topic || c.Records != 2000 || c.Bytes != 2000*64 || c.P50MS != 0 {
		t.Fatalf("consume report %+v", c)
	}
}

func TestBenchText(t *testing.T) {
	_, addr := clitest.Cluster(t)
	out := clitest.MustRun(t, bench.NewCommand(), "", "produce", "-b", addr, "--topic", "perf", "-n", "500").Stdout
	re := regexp.MustCompile(`^produce: 500 records \(0\.05 MiB\) produced to perf in \S+\n  [0-9.]+ records/s, [0-9.]+ MB/s, latency p50 \S+, p99 \S+\n$`)
	if !re.MatchString(out) {
		t.Fatalf("produce output %q", out)
	}
	out = clitest.MustRun(t, bench.NewCommand(), "", "consume", "-b", addr, "--topic", "perf").Stdout
	re = regexp.MustCompile(`^consume: 500 records \(0\.05 MiB\) consumed from perf in \S+\n  [0-9.]+ records/s, [0-9.]+ MB/s\n$`)
	if !re.MatchString(out) {
		t.Fatalf("consume output %q", out)
	}
	r := clitest.Run(t, bench.NewCommand(), "", "consume", "-b", addr)
	if r.Err == nil || !strings.Contains(r.Err.Error(), "--topic is required") {
		t.Fatalf("consume without --topic: %v", r.Err)
	}
	r = clitest.Run(t, bench.NewCommand(), "", "produce", "-b", addr, "--acks", "most")
	if r.Err == nil || !strings.Contains(r.Err.Error(), "invalid acks") {
		t.Fatalf("produce --acks most: %v", r.Err)
	}
}
