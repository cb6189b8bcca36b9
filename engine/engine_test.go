package engine_test

import (
	"bufio"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamlite/streamlite/engine"
)

// A group that is behind shows lag = log end offset - committed offset on /metrics, under
// kafka_exporter's names, and the broker counts the requests it served (issue 4, must-show 4).
func TestMetricsReportLag(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := engine.Start(ctx, engine.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.KafkaAddr()), kgo.DefaultProduceTopic("orders"), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for i := range 100 {
		if err := cl.ProduceSync(ctx, kgo.StringRecord(strings.Repeat("x", i))).FirstErr(); err != nil {
			t.Fatalf("produce: %v", err)
		}
	}
	adm := kadm.NewClient(cl)
	if _, err := adm.CommitOffsets(ctx, "billing", kadm.Offsets{"orders": {0: {Topic: "orders", Partition: 0, At: 40}}}); err != nil {
		t.Fatalf("commit: %v", err)
	}

	metrics := scrape(t, "http://"+b.AdminAddr()+"/metrics")
	for name, want := range map[string]string{
		`kafka_consumergroup_lag{consumergroup="billing",partition="0",topic="orders"}`:            "60",
		`kafka_consumergroup_current_offset{consumergroup="billing",partition="0",topic="orders"}`: "40",
		`kafka_topic_partition_current_offset{partition="0",topic="orders"}`:                       "100",
		`streamlite_requests_total{api="Produce"}`:                                                 "100",
	} {
		if got := metrics[name]; got != want {
			t.Errorf("%s = %q, want %s", name, got, want)
		}
	}
	resp, err := http.Get("http://" + b.AdminAddr() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz = %d while serving, want 200", resp.StatusCode)
	}
}

// scrape returns each sample line of a Prometheus text exposition as name{labels} -> value.
func scrape(t *testing.T, url string) map[string]string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if i := strings.LastIndexByte(line, ' '); i > 0 {
			out[line[:i]] = line[i+1:]
		}
	}
	return out
}
