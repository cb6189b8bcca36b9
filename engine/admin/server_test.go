package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/streamlite/streamlite/engine/admin"
)

// fakeState is a State with fixed offsets.
type fakeState struct {
	parts  []admin.PartitionOffsets
	groups []admin.GroupOffset
}

func (s *fakeState) PartitionOffsets() []admin.PartitionOffsets { return s.parts }
func (s *fakeState) GroupOffsets() []admin.GroupOffset          { return s.groups }

func newFakeState() *fakeState {
	return &fakeState{
		parts: []admin.PartitionOffsets{
			{Topic: "orders", Partition: 0, LogStart: 0, HighWatermark: 100},
			{Topic: "orders", Partition: 1, LogStart: 10, HighWatermark: 50},
			{Topic: "audit", Partition: 0, LogStart: 0, HighWatermark: 7},
		},
		groups: []admin.GroupOffset{
			{Group: "app", Topic: "orders", Partition: 0, Committed: 40},     // lag 60
			{Group: "app", Topic: "orders", Partition: 1, Committed: 50},     // lag 0
			{Group: "app", Topic: "audit", Partition: 0, Committed: 2},       // lag 5
			{Group: "billing", Topic: "orders", Partition: 0, Committed: 99}, // lag 1
			{Group: "ghost", Topic: "gone", Partition: 0, Committed: 3},      // topic deleted: no lag
		},
	}
}

// serve starts srv on a loopback listener and returns its base URL; the
// server is shut down, and Serve's result checked, when the test ends.
func serve(t *testing.T, srv *admin.Server) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-done; !errors.Is(err, admin.ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return "http://" + ln.Addr().String()
}

func get(t *testing.T, method, url string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(body)
}

// checkJSONError checks body is {"error_code":status,"message":...}.
func checkJSONError(t *testing.T, what string, h http.Header, body string, status int) {
	t.Helper()
	var e struct {
		ErrorCode int    `json:"error_code"`
		Message   string `json:"message"`
	}
	if ct := h.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type %q", what, ct)
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.ErrorCode != status || e.Message == "" {
		t.Errorf("%s: body %q (%v), want error_code %d and a message", what, body, err, status)
	}
}

func TestHealthAndReady(t *testing.T) {
	var ready atomic.Bool
	url := serve(t, admin.New(admin.Config{Ready: ready.Load}))

	if code, _, body := get(t, "GET", url+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("healthz: %d %q", code, body)
	}
	code, h, body := get(t, "GET", url+"/readyz")
	if code != http.StatusServiceUnavailable {
		t.Errorf("readyz before ready: %d %q", code, body)
	}
	checkJSONError(t, "readyz before ready", h, body, 503)

	ready.Store(true)
	if code, _, body := get(t, "GET", url+"/readyz"); code != 200 || body != "ok\n" {
		t.Errorf("readyz after ready: %d %q", code, body)
	}
	if code, _, body := get(t, "HEAD", url+"/readyz"); code != 200 || body != "" {
		t.Errorf("HEAD readyz: %d %q", code, body)
	}

	code, h, body = get(t, "GET", url+"/nope")
	if code != 404 {
		t.Errorf("unknown path: %d", code)
	}
	checkJSONError(t, "unknown path", h, body, 404)
	code, h, body = get(t, "POST", url+"/metrics")
	if code != 405 || h.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST /metrics: %d, Allow %q", code, h.Get("Allow"))
	}
	checkJSONError(t, "POST /metrics", h, body, 405)
}

// A nil Ready means ready at once.
func TestReadyByDefault(t *testing.T) {
	url := serve(t, admin.New(admin.Config{}))
	if code, _, _ := get(t, "GET", url+"/readyz"); code != 200 {
		t.Errorf("readyz: %d", code)
	}
}

// scrape fetches /metrics and parses it with Prometheus' own text parser.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	code, h, body := get(t, "GET", url+"/metrics")
	if code != 200 {
		t.Fatalf("metrics: %d %s", code, body)
	}
	if ct := h.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Fatalf("metrics Content-Type %q", ct)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parsing metrics: %v\n%s", err, body)
	}
	return mfs
}

// value returns the value of family name's series with exactly labels
// (name=value pairs), and whether it exists.
func value(mfs map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	mf, ok := mfs[name]
	if !ok {
		return 0, false
	}
	want := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	for _, m := range mf.GetMetric() {
		if len(m.GetLabel()) != len(want) {
			continue
		}
		match := true
		for _, l := range m.GetLabel() {
			if want[l.GetName()] != l.GetValue() {
				match = false
			}
		}
		if !match {
			continue
		}
		switch {
		case m.Gauge != nil:
			return m.GetGauge().GetValue(), true
		case m.Counter != nil:
			return m.GetCounter().GetValue(), true
		}
	}
	return 0, false
}

func TestLagMetrics(t *testing.T) {
	st := newFakeState()
	url := serve(t, admin.New(admin.Config{State: st}))
	mfs := scrape(t, url)

	if v, ok := value(mfs, "kafka_brokers"); !ok || v != 1 {
		t.Errorf("kafka_brokers %v %v", v, ok)
	}
	if v, ok := value(mfs, "kafka_topic_partitions", "topic", "orders"); !ok || v != 2 {
		t.Errorf("kafka_topic_partitions{orders} %v %v", v, ok)
	}
	for _, p := range st.parts {
		ps := itoa(p.Partition)
		if v, ok := value(mfs, "kafka_topic_partition_current_offset", "topic", p.Topic, "partition", ps); !ok || v != float64(p.HighWatermark) {
			t.Errorf("current_offset %s/%s: %v %v", p.Topic, ps, v, ok)
		}
		if v, ok := value(mfs, "kafka_topic_partition_oldest_offset", "topic", p.Topic, "partition", ps); !ok || v != float64(p.LogStart) {
			t.Errorf("oldest_offset %s/%s: %v %v", p.Topic, ps, v, ok)
		}
	}

	// The promise: lag = high watermark - committed, per partition, as
	// read back from the scrape itself.
	for _, g := range st.groups {
		ps := itoa(g.Partition)
		committed, ok := value(mfs, "kafka_consumergroup_current_offset", "consumergroup", g.Group, "topic", g.Topic, "partition", ps)
		if !ok || committed != float64(g.Committed) {
			t.Errorf("group current_offset %s %s/%s: %v %v", g.Group, g.Topic, ps, committed, ok)
		}
		lag, hasLag := value(mfs, "kafka_consumergroup_lag", "consumergroup", g.Group, "topic", g.Topic, "partition", ps)
		hw, hasHW := value(mfs, "kafka_topic_partition_current_offset", "topic", g.Topic, "partition", ps)
		if hasLag != hasHW {
			t.Errorf("lag %s %s/%s: present %v, partition present %v", g.Group, g.Topic, ps, hasLag, hasHW)
		}
		if hasLag && lag != hw-committed {
			t.Errorf("lag %s %s/%s = %v, want %v - %v", g.Group, g.Topic, ps, lag, hw, committed)
		}
	}
	for _, tc := range []struct {
		group, topic, p string
		want            float64
	}{{"app", "orders", "0", 60}, {"app", "orders", "1", 0}, {"app", "audit", "0", 5}, {"billing", "orders", "0", 1}} {
		if v, _ := value(mfs, "kafka_consumergroup_lag", "consumergroup", tc.group, "topic", tc.topic, "partition", tc.p); v != tc.want {
			t.Errorf("lag %s %s/%s = %v, want %v", tc.group, tc.topic, tc.p, v, tc.want)
		}
	}
	if v, ok := value(mfs, "kafka_consumergroup_lag_sum", "consumergroup", "app", "topic", "orders"); !ok || v != 60 {
		t.Errorf("lag_sum app/orders %v %v", v, ok)
	}
	if v, ok := value(mfs, "kafka_consumergroup_current_offset_sum", "consumergroup", "app", "topic", "orders"); !ok || v != 90 {
		t.Errorf("current_offset_sum app/orders %v %v", v, ok)
	}
	if _, ok := value(mfs, "kafka_consumergroup_lag_sum", "consumergroup", "ghost", "topic", "gone"); ok {
		t.Error("lag_sum for a deleted topic")
	}

	// Computed at scrape time: a commit moves the gauge on the next scrape.
	st.groups[0].Committed = 100
	mfs = scrape(t, url)
	if v, _ := value(mfs, "kafka_consumergroup_lag", "consumergroup", "app", "topic", "orders", "partition", "0"); v != 0 {
		t.Errorf("lag after commit = %v, want 0", v)
	}
	// No commit: kafka_exporter's -1 marker.
	st.groups = append(st.groups, admin.GroupOffset{Group: "new", Topic: "orders", Partition: 1, Committed: -1})
	mfs = scrape(t, url)
	if v, ok := value(mfs, "kafka_consumergroup_lag", "consumergroup", "new", "topic", "orders", "partition", "1"); !ok || v != -1 {
		t.Errorf("lag without commit = %v %v, want -1", v, ok)
	}
	// The standard collectors are there too.
	if _, ok := mfs["go_goroutines"]; !ok {
		t.Error("no go_goroutines")
	}
}

func itoa(p int32) string { return strconv.Itoa(int(p)) }

func TestRequestMetrics(t *testing.T) {
	rm := admin.NewRequestMetrics()
	url := serve(t, admin.New(admin.Config{Requests: rm}))

	mfs := scrape(t, url)
	if mf := mfs["streamlite_requests_total"]; mf != nil && len(mf.GetMetric()) != 1 {
		t.Errorf("before any request: %d series (want only api=unknown)", len(mf.GetMetric()))
	}

	rm.Request(0, 100, 20) // Produce
	rm.Request(0, 100, 0)  // Produce acks=0: no response
	rm.Request(1, 50, 1000)
	rm.Request(-1, 10, 10)   // unknown key
	rm.Request(9999, 10, 10) // unknown key
	rm.Produced("orders", 300)
	rm.Fetched("orders", 250)
	rm.Fetched("audit", 5)

	mfs = scrape(t, url)
	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"streamlite_requests_total", []string{"api", "Produce"}, 2},
		{"streamlite_requests_total", []string{"api", "Fetch"}, 1},
		{"streamlite_requests_total", []string{"api", "unknown"}, 2},
		{"streamlite_request_bytes_total", []string{"api", "Produce"}, 200},
		{"streamlite_response_bytes_total", []string{"api", "Produce"}, 20},
		{"streamlite_response_bytes_total", []string{"api", "Fetch"}, 1000},
		{"streamlite_produced_bytes_total", []string{"topic", "orders"}, 300},
		{"streamlite_fetched_bytes_total", []string{"topic", "orders"}, 250},
		{"streamlite_fetched_bytes_total", []string{"topic", "audit"}, 5},
	} {
		if v, ok := value(mfs, tc.name, tc.labels...); !ok || v != tc.want {
			t.Errorf("%s%v = %v (%v), want %v", tc.name, tc.labels, v, ok, tc.want)
		}
	}

	rm.Request(0, 1, 1)
	rm.Produced("orders", 1)
	mfs = scrape(t, url)
	if v, _ := value(mfs, "streamlite_requests_total", "api", "Produce"); v != 3 {
		t.Errorf("Produce requests after one more = %v, want 3", v)
	}
	if v, _ := value(mfs, "streamlite_produced_bytes_total", "topic", "orders"); v != 301 {
		t.Errorf("produced bytes after one more = %v, want 301", v)
	}

	rm.ForgetTopic("orders")
	mfs = scrape(t, url)
	if _, ok := value(mfs, "streamlite_produced_bytes_total", "topic", "orders"); ok {
		t.Error("orders still counted after ForgetTopic")
	}
	rm.Produced("orders", 7)
	if v, _ := value(scrape(t, url), "streamlite_produced_bytes_total", "topic", "orders"); v != 7 {
		t.Errorf("produced after forget = %v, want 7", v)
	}

	// No package-level state: a second server, even sharing the counters,
	// registers without conflict.
	url2 := serve(t, admin.New(admin.Config{Requests: rm, State: newFakeState()}))
	if v, _ := value(scrape(t, url2), "streamlite_requests_total", "api", "Produce"); v != 3 {
		t.Errorf("second server: Produce = %v, want 3", v)
	}
}

// The hot path allocates nothing once a key or topic has been seen.
func TestRequestMetricsAllocs(t *testing.T) {
	rm := admin.NewRequestMetrics()
	rm.Request(1, 1, 1)
	rm.Fetched("orders", 1)
	if n := testing.AllocsPerRun(1000, func() {
		rm.Request(1, 512, 4096)
		rm.Request(-3, 1, 1)
		rm.Fetched("orders", 4096)
		rm.Produced("orders", 4096)
	}); n != 0 {
		t.Fatalf("%v allocations per run, want 0", n)
	}
}

func TestShutdownThenServe(t *testing.T) {
	srv := admin.New(admin.Config{})
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(ln); !errors.Is(err, admin.ErrServerClosed) {
		t.Fatalf("Serve after Shutdown: %v", err)
	}
}

func BenchmarkRequest(b *testing.B) {
	rm := admin.NewRequestMetrics()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rm.Request(1, 512, 65536)
		}
	})
}

func BenchmarkFetched(b *testing.B) {
	rm := admin.NewRequestMetrics()
	for _, t := range []string{"a", "b", "c", "orders", "payments"} {
		rm.Fetched(t, 1)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rm.Fetched("orders", 65536)
		}
	})
}
