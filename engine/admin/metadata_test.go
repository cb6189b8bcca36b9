package admin_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/streamlite/streamlite/engine/admin"
)

// fakeMetadata is a Metadata whose stats and snapshot answer the test sets.
type fakeMetadata struct {
	mu        sync.Mutex
	stats     any
	index     uint64
	err       error
	snapshots int // Snapshot calls
}

func (m *fakeMetadata) MetadataStats() any {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.stats
}

func (m *fakeMetadata) Snapshot() (uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.snapshots++
	return m.index, m.err
}

func (m *fakeMetadata) calls() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.snapshots
}

type fakeStats struct {
	LastIndex     uint64 `json:"last_index"`
	SnapshotIndex uint64 `json:"snapshot_index"`
	Topics        int    `json:"topics"`
}

func TestMetadataStats(t *testing.T) {
	md := &fakeMetadata{stats: fakeStats{LastIndex: 12, SnapshotIndex: 10, Topics: 3}}
	url := serve(t, admin.New(admin.Config{Metadata: md}))

	code, h, body := get(t, "GET", url+"/v1/metadata")
	if code != 200 || h.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /v1/metadata: %d %q %q", code, h.Get("Content-Type"), body)
	}
	var got fakeStats
	if err := json.Unmarshal([]byte(body), &got); err != nil || got != md.stats {
		t.Fatalf("GET /v1/metadata: body %q (%v), want %+v", body, err, md.stats)
	}

	// Asked at each request, not cached.
	md.mu.Lock()
	md.stats = fakeStats{LastIndex: 13, SnapshotIndex: 13, Topics: 2}
	md.mu.Unlock()
	_, _, body = get(t, "GET", url+"/v1/metadata")
	if err := json.Unmarshal([]byte(body), &got); err != nil || got.LastIndex != 13 || got.Topics != 2 {
		t.Fatalf("after a change: body %q (%v)", body, err)
	}

	if code, _, body := get(t, "HEAD", url+"/v1/metadata"); code != 200 || body != "" {
		t.Errorf("HEAD /v1/metadata: %d %q", code, body)
	}
	for _, method := range []string{"POST", "PUT", "DELETE"} {
		code, h, body := get(t, method, url+"/v1/metadata")
		if code != 405 || h.Get("Allow") != "GET, HEAD" {
			t.Errorf("%s /v1/metadata: %d, Allow %q", method, code, h.Get("Allow"))
		}
		checkJSONError(t, method+" /v1/metadata", h, body, 405)
	}
	if md.calls() != 0 {
		t.Errorf("reading stats wrote %d snapshots", md.calls())
	}

	// Stats that cannot be encoded give a JSON error, not half a 200.
	md.mu.Lock()
	md.stats = map[string]any{"bad": func() {}}
	md.mu.Unlock()
	code, h, body = get(t, "GET", url+"/v1/metadata")
	if code != 500 {
		t.Errorf("unencodable stats: %d %q", code, body)
	}
	checkJSONError(t, "unencodable stats", h, body, 500)
}

func TestMetadataSnapshot(t *testing.T) {
	md := &fakeMetadata{index: 42}
	url := serve(t, admin.New(admin.Config{Metadata: md}))

	code, h, body := get(t, "POST", url+"/v1/metadata/snapshot")
	if code != 200 || h.Get("Content-Type") != "application/json" {
		t.Fatalf("POST snapshot: %d %q %q", code, h.Get("Content-Type"), body)
	}
	var got struct {
		Index *uint64 `json:"index"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil || got.Index == nil || *got.Index != 42 {
		t.Fatalf("POST snapshot: body %q (%v), want {\"index\":42}", body, err)
	}
	if md.calls() != 1 {
		t.Fatalf("one POST made %d Snapshot calls", md.calls())
	}

	// Only POST writes a snapshot: a crawler's GET must not.
	for _, method := range []string{"GET", "HEAD", "PUT", "DELETE"} {
		code, h, body := get(t, method, url+"/v1/metadata/snapshot")
		if code != 405 || h.Get("Allow") != "POST" {
			t.Errorf("%s snapshot: %d, Allow %q", method, code, h.Get("Allow"))
		}
		if method != "HEAD" {
			checkJSONError(t, method+" snapshot", h, body, 405)
		}
	}
	if md.calls() != 1 {
		t.Errorf("refused methods made %d more Snapshot calls", md.calls()-1)
	}

	md.mu.Lock()
	md.err = errors.New("disk full")
	md.mu.Unlock()
	code, h, body = get(t, "POST", url+"/v1/metadata/snapshot")
	if code != 500 || !strings.Contains(body, "disk full") {
		t.Errorf("failing snapshot: %d %q, want 500 naming the cause", code, body)
	}
	checkJSONError(t, "failing snapshot", h, body, 500)
}

// Without a Config.Metadata both endpoints exist but answer 404, and the
// method check still comes first.
func TestMetadataAbsent(t *testing.T) {
	url := serve(t, admin.New(admin.Config{}))
	for _, tc := range []struct{ method, path string }{
		{"GET", "/v1/metadata"},
		{"POST", "/v1/metadata/snapshot"},
	} {
		code, h, body := get(t, tc.method, url+tc.path)
		if code != http.StatusNotFound {
			t.Errorf("%s %s without metadata: %d %q", tc.method, tc.path, code, body)
		}
		checkJSONError(t, tc.method+" "+tc.path, h, body, 404)
	}
	if code, h, _ := get(t, "GET", url+"/v1/metadata/snapshot"); code != 405 || h.Get("Allow") != "POST" {
		t.Errorf("GET snapshot without metadata: %d, Allow %q", code, h.Get("Allow"))
	}
	// Neighbouring paths are not matched by prefix.
	for _, p := range []string{"/v1/metadata/", "/v1/metadata/snapshot/", "/v1"} {
		if code, _, _ := get(t, "GET", url+p); code != 404 {
			t.Errorf("GET %s: %d, want 404", p, code)
		}
	}
}
