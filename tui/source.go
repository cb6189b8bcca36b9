package tui

import (
	"context"
	"sync"

	"github.com/streamlite/streamlite/tui/cluster"
)

// Source is what the browser needs from a cluster. Every method that takes a context is
// called from a tea.Cmd goroutine, never from Update or View, and may be called by several
// goroutines at once. [FromClient] adapts a *cluster.Client.
type Source interface {
	Topics(ctx context.Context) ([]cluster.Topic, error)
	Topic(ctx context.Context, name string) (cluster.TopicDetail, error)
	CreateTopic(ctx context.Context, name string, partitions int32, rf int16, configs map[string]string) error
	DeleteTopic(ctx context.Context, name string) error
	Produce(ctx context.Context, r cluster.ProduceRecord) (partition int32, offset int64, err error)
	// OpenReader opens a reader of topic from start. It is called from a tea.Cmd too.
	OpenReader(topic string, start cluster.Start) (RecordReader, error)
	Groups(ctx context.Context) ([]cluster.Group, error)
	Group(ctx context.Context, id string) (cluster.GroupDetail, error)
	// PlanReset computes the offsets a reset would write; topic "" means every topic the
	// group has offsets for.
	PlanReset(ctx context.Context, group, topic string, to cluster.ResetTarget) ([]cluster.OffsetChange, error)
	ApplyReset(ctx context.Context, group string, changes []cluster.OffsetChange) error
	HasRegistry() bool
	Subjects(ctx context.Context) ([]cluster.Subject, error)
	// Schema returns one version of subject; version -1 is the latest.
	Schema(ctx context.Context, subject string, version int) (cluster.SchemaVersion, error)
	HasSQL() bool
	Queries(ctx context.Context) ([]cluster.Query, error)
	// ParseFilter parses a records filter expression.
	ParseFilter(expr string) (RecordFilter, error)
}

// RecordReader reads one topic for a records screen. Poll returns at most max records and
// returns what it has, with no error, when ctx ends. The model never calls Poll twice at
// once, but Close may be called while a Poll is in flight: the model serialises the two
// itself (see readerHandle), so implementations need not.
type RecordReader interface {
	Poll(ctx context.Context, max int) ([]cluster.Record, error)
	Close()
}

// RecordFilter is a parsed records filter.
type RecordFilter interface {
	Match(r *cluster.Record) bool
	String() string
}

// readerHandle serialises Poll and Close on a reader, so that leaving a records screen
// while its poll is in flight closes the reader after that poll returns (at most the
// poll's 200 ms), and a poll after Close returns nothing.
type readerHandle struct {
	mu     sync.Mutex
	r      RecordReader
	closed bool
}

func (h *readerHandle) poll(ctx context.Context, max int) ([]cluster.Record, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, nil
	}
	return h.r.Poll(ctx, max)
}

func (h *readerHandle) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		h.closed = true
		h.r.Close()
	}
}

func (h *readerHandle) isClosed() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.closed
}
