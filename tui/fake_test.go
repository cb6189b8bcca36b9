package tui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/streamlite/streamlite/tui/cluster"
)

// fakeSource is an in-memory Source for unit tests: fixed answers, an error switch, and
// call counts.
type fakeSource struct {
	mu       sync.Mutex
	topics   []cluster.Topic
	details  map[string]cluster.TopicDetail
	groups   []cluster.Group
	gdetails map[string]cluster.GroupDetail
	subjects []cluster.Subject
	schemas  map[string]cluster.SchemaVersion // "subject/version"
	queries  []cluster.Query
	registry bool
	sql      bool
	err      error // every network call fails with it while set
	calls    map[string]int
	readers  []*fakeReader
	produced []cluster.ProduceRecord
	created  []string
	deleted  []string
	resets   [][]cluster.OffsetChange
	// block, when set, makes calls wait until it is closed (or their context ends).
	block chan struct{}
}

var errBrokerDown = errors.New("broker 127.0.0.1:9092: connection refused")

func newFakeSource() *fakeSource {
	t0 := seedT0
	f := &fakeSource{
		topics: []cluster.Topic{
			{Name: "orders", Partitions: 3, Replicas: 1, Records: 30, Bytes: 4200, RetentionMs: 7 * 24 * 3600 * 1000, RetentionBytes: -1, CleanupPolicy: "delete", LastWrite: t0.Add(4 * time.Minute)},
			{Name: "payments", Partitions: 1, Replicas: 1, Records: 5, Bytes: 900, RetentionMs: 3600 * 1000, RetentionBytes: -1, CleanupPolicy: "delete", LastWrite: t0},
			{Name: "clicks", Partitions: 1, Replicas: 1, Records: 0, Bytes: 0, RetentionMs: -1, RetentionBytes: -1, AutoCreated: true},
			{Name: "__consumer_offsets", Partitions: 50, Replicas: 1, Records: 12, Bytes: 2000, RetentionMs: -1, RetentionBytes: -1, CleanupPolicy: "compact", Internal: true},
		},
		details:  map[string]cluster.TopicDetail{},
		gdetails: map[string]cluster.GroupDetail{},
		schemas:  map[string]cluster.SchemaVersion{},
		registry: true,
		sql:      true,
		calls:    map[string]int{},
	}
	f.details["orders"] = cluster.TopicDetail{
		Topic: f.topics[0],
		Parts: []cluster.Partition{
			{ID: 0, Leader: 1, End: 10, Bytes: 1400, LastWrite: t0.Add(4 * time.Minute)},
			{ID: 1, Leader: 1, End: 10, Bytes: 1400, LastWrite: t0.Add(3 * time.Minute)},
			{ID: 2, Leader: 1, Start: 2, LocalStart: 2, End: 10, Bytes: 1400, LastWrite: t0.Add(2 * time.Minute)},
		},
		Configs: []cluster.ConfigEntry{{Name: "retention.ms", Value: "604800000", Default: true}, {Name: "max.message.bytes", Value: "2097152"}},
	}
	f.groups = []cluster.Group{
		{ID: "billing", State: "Empty", Members: 0, Lag: 6, Topics: []string{"orders"}},
		{ID: "audit", State: "Stable", Protocol: "range", Members: 1, Lag: 0, Topics: []string{"payments"}},
	}
	f.gdetails["billing"] = cluster.GroupDetail{
		Group: f.groups[0],
		Offsets: []cluster.GroupOffset{
			{Topic: "orders", Partition: 0, Committed: 8, End: 10, Lag: 2},
			{Topic: "orders", Partition: 1, Committed: 6, End: 10, Lag: 4},
		},
	}
	f.gdetails["audit"] = cluster.GroupDetail{
		Group: f.groups[1],
		Members: []cluster.Member{{ID: "m-1", InstanceID: "auditor", ClientID: "audit-svc", Host: "/10.0.0.7",
			Assigned: map[string][]int32{"payments": {0}, "orders": {2, 1}}}},
		Offsets: []cluster.GroupOffset{{Topic: "payments", Partition: 0, Committed: 5, End: 5, Member: "m-1"}},
	}
	f.subjects = []cluster.Subject{{Name: "orders-value", Versions: []int{1, 2}, LatestID: 2, LatestType: "AVRO", Compatibility: "BACKWARD"}}
	f.schemas["orders-value/2"] = cluster.SchemaVersion{Subject: "orders-value", Version: 2, ID: 2, Type: "AVRO", Text: "{\n  \"type\": \"record\"\n}"}
	f.schemas["orders-value/1"] = cluster.SchemaVersion{Subject: "orders-value", Version: 1, ID: 1, Type: "AVRO", Text: "{}"}
	f.queries = []cluster.Query{{ID: "CSAS_BIG_0", State: "RUNNING", SQL: "CREATE STREAM big AS SELECT * FROM orders WHERE amount > 10;", Sources: []string{"ORDERS"}, Sinks: []string{"BIG"}, Processed: 30, Skipped: 0, Late: 0}}
	return f
}

func (f *fakeSource) enter(ctx context.Context, name string) error {
	f.mu.Lock()
	f.calls[name]++
	err, block := f.err, f.block
	f.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return err
}

func (f *fakeSource) setErr(err error) {
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}

func (f *fakeSource) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[name]
}

func (f *fakeSource) Topics(ctx context.Context) ([]cluster.Topic, error) {
	if err := f.enter(ctx, "Topics"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]cluster.Topic(nil), f.topics...), nil
}

func (f *fakeSource) Topic(ctx context.Context, name string) (cluster.TopicDetail, error) {
	if err := f.enter(ctx, "Topic"); err != nil {
		return cluster.TopicDetail{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.details[name]
	if !ok {
		return cluster.TopicDetail{}, fmt.Errorf("topic %s: unknown topic", name)
	}
	return d, nil
}

func (f *fakeSource) CreateTopic(ctx context.Context, name string, partitions int32, rf int16, configs map[string]string) error {
	if err := f.enter(ctx, "CreateTopic"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.created = append(f.created, fmt.Sprintf("%s/%d/%d/%v", name, partitions, rf, configs))
	f.topics = append(f.topics, cluster.Topic{Name: name, Partitions: int(partitions), Replicas: 1})
	return nil
}

func (f *fakeSource) DeleteTopic(ctx context.Context, name string) error {
	if err := f.enter(ctx, "DeleteTopic"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deleted = append(f.deleted, name)
	for i, t := range f.topics {
		if t.Name == name {
			f.topics = append(f.topics[:i], f.topics[i+1:]...)
			break
		}
	}
	return nil
}

func (f *fakeSource) Produce(ctx context.Context, r cluster.ProduceRecord) (int32, int64, error) {
	if err := f.enter(ctx, "Produce"); err != nil {
		return -1, -1, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.produced = append(f.produced, r)
	return max(r.Partition, 0), int64(len(f.produced) - 1), nil
}

func (f *fakeSource) OpenReader(topic string, start cluster.Start) (RecordReader, error) {
	if err := f.enter(context.Background(), "OpenReader"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	r := &fakeReader{topic: topic, start: start}
	f.readers = append(f.readers, r)
	return r, nil
}

func (f *fakeSource) reader(i int) *fakeReader {
	f.mu.Lock()
	defer f.mu.Unlock()
	if i >= len(f.readers) {
		return nil
	}
	return f.readers[i]
}

func (f *fakeSource) Groups(ctx context.Context) ([]cluster.Group, error) {
	if err := f.enter(ctx, "Groups"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]cluster.Group(nil), f.groups...), nil
}

func (f *fakeSource) Group(ctx context.Context, id string) (cluster.GroupDetail, error) {
	if err := f.enter(ctx, "Group"); err != nil {
		return cluster.GroupDetail{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	d, ok := f.gdetails[id]
	if !ok {
		return cluster.GroupDetail{}, fmt.Errorf("group %s: unknown group", id)
	}
	return d, nil
}

func (f *fakeSource) PlanReset(ctx context.Context, group, topic string, to cluster.ResetTarget) ([]cluster.OffsetChange, error) {
	if err := f.enter(ctx, "PlanReset"); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []cluster.OffsetChange
	for _, o := range f.gdetails[group].Offsets {
		c := cluster.OffsetChange{Topic: o.Topic, Partition: o.Partition, From: o.Committed}
		switch to.To {
		case "earliest":
			c.To = 0
		case "latest":
			c.To = o.End
		case "offset":
			c.To = min(to.Offset, o.End)
		}
		out = append(out, c)
	}
	return out, nil
}

func (f *fakeSource) ApplyReset(ctx context.Context, group string, changes []cluster.OffsetChange) error {
	if err := f.enter(ctx, "ApplyReset"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resets = append(f.resets, changes)
	return nil
}

func (f *fakeSource) HasRegistry() bool { return f.registry }

func (f *fakeSource) Subjects(ctx context.Context) ([]cluster.Subject, error) {
	if err := f.enter(ctx, "Subjects"); err != nil {
		return nil, err
	}
	return f.subjects, nil
}

func (f *fakeSource) Schema(ctx context.Context, subject string, version int) (cluster.SchemaVersion, error) {
	if err := f.enter(ctx, "Schema"); err != nil {
		return cluster.SchemaVersion{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.schemas[fmt.Sprintf("%s/%d", subject, version)]
	if !ok {
		return v, fmt.Errorf("subject %s version %d not found", subject, version)
	}
	return v, nil
}

func (f *fakeSource) HasSQL() bool { return f.sql }

func (f *fakeSource) Queries(ctx context.Context) ([]cluster.Query, error) {
	if err := f.enter(ctx, "Queries"); err != nil {
		return nil, err
	}
	return f.queries, nil
}

// ParseFilter knows two forms: key=TEXT (the key is TEXT) and value~TEXT (the value
// contains TEXT).
func (f *fakeSource) ParseFilter(expr string) (RecordFilter, error) {
	if k, v, ok := strings.Cut(expr, "="); ok && strings.TrimSpace(k) == "key" {
		return fakeFilter{expr: expr, match: func(r *cluster.Record) bool { return r.KeyText == strings.TrimSpace(v) }}, nil
	}
	if k, v, ok := strings.Cut(expr, "~"); ok && strings.TrimSpace(k) == "value" {
		return fakeFilter{expr: expr, match: func(r *cluster.Record) bool { return strings.Contains(r.ValueText, strings.TrimSpace(v)) }}, nil
	}
	return nil, fmt.Errorf("column 1: want key=TEXT or value~TEXT, got %q", expr)
}

type fakeFilter struct {
	expr  string
	match func(*cluster.Record) bool
}

func (f fakeFilter) Match(r *cluster.Record) bool { return f.match(r) }
func (f fakeFilter) String() string               { return f.expr }

// fakeReader hands out the records fed to it.
type fakeReader struct {
	mu      sync.Mutex
	topic   string
	start   cluster.Start
	pending []cluster.Record
	next    int64 // offset of the next record fed
	polls   int
	closed  bool
	err     error
}

// feed queues n records with keys k<offset> and JSON values.
func (r *fakeReader) feed(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t0 := seedT0
	for i := 0; i < n; i++ {
		off := r.next
		r.next++
		r.pending = append(r.pending, cluster.Record{
			Topic: r.topic, Partition: 0, Offset: off, Timestamp: t0.Add(time.Duration(off) * time.Second),
			Key: []byte(fmt.Sprintf("k%d", off)), KeyText: fmt.Sprintf("k%d", off), KeyFormat: "text",
			Value: []byte(fmt.Sprintf(`{"n":%d}`, off)), ValueText: fmt.Sprintf("{\n  \"n\": %d\n}", off), ValueFormat: "json",
		})
	}
}

func (r *fakeReader) Poll(ctx context.Context, max int) ([]cluster.Record, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.polls++
	if r.closed {
		return nil, errors.New("poll after close")
	}
	if r.err != nil {
		return nil, r.err
	}
	n := min(max, len(r.pending))
	out := r.pending[:n:n]
	r.pending = r.pending[n:]
	return out, nil
}

func (r *fakeReader) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
}

func (r *fakeReader) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}
