package runtime

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamlite/streamlite/sql/ast"
)

// Printer is a planned PRINT: a topic's records as ksqlDB's PRINT lines,
// read by a plain consumer (no group, nothing committed) from positions
// fixed when it was prepared.
type Printer struct {
	// Topic is the topic printed.
	Topic string

	srv      *Server
	interval int
	limit    int // -1: none
	starts   map[int32]kgo.Offset
}

// TopicNotFoundError is PRINT's answer for a topic that does not exist (or
// that this server cannot see), in ksqlDB's words, with the topics whose
// names differ only in case as suggestions.
type TopicNotFoundError struct {
	Topic       string
	Suggestions []string
}

func (e *TopicNotFoundError) Error() string {
	msg := "Could not find topic '" + e.Topic + "', or the KSQL user does not have permissions to list the topic. Topic names are case-sensitive."
	if len(e.Suggestions) > 0 {
		msg += "\nDid you mean:"
		for _, s := range e.Suggestions {
			msg += "\n\tprint " + s + ";"
		}
	}
	return msg
}

// printHeartbeat is how long PRINT waits for records before it writes an
// empty line, as ksqlDB does (its disconnect check interval), so that the
// connection shows it is alive.
const printHeartbeat = time.Second

// PreparePrint plans PRINT st with session properties props: it checks the
// topic exists (else a *TopicNotFoundError) and fixes where reading starts:
// the start of each partition with FROM BEGINNING or when props say
// auto.offset.reset=earliest (ksqlDB applies the request's properties to
// PRINT's consumer), else the partition's end now.
func (s *Server) PreparePrint(ctx context.Context, st *ast.Print, props map[string]string) (*Printer, error) {
	if st.Interval < 1 {
		return nil, ksqlErr("INTERVAL must be greater than one, but was: %d", st.Interval)
	}
	td, err := s.listTopics(ctx, st.Topic)
	if err != nil {
		return nil, fmt.Errorf("looking up topic %s: %w", st.Topic, err)
	}
	d, ok := td[st.Topic]
	if !ok || d.Err != nil {
		e := &TopicNotFoundError{Topic: st.Topic}
		if all, err := s.listTopics(ctx); err == nil {
			for name, d := range all {
				if d.Err == nil && !d.IsInternal && strings.EqualFold(name, st.Topic) {
					e.Suggestions = append(e.Suggestions, name)
				}
			}
			slices.Sort(e.Suggestions)
		}
		return nil, e
	}
	p := &Printer{Topic: st.Topic, srv: s, interval: st.Interval, limit: -1, starts: map[int32]kgo.Offset{}}
	if st.HasLimit {
		p.limit = st.Limit
	}
	earliest := st.FromBeginning || strings.EqualFold(props["auto.offset.reset"], "earliest") ||
		strings.EqualFold(props["ksql.streams.auto.offset.reset"], "earliest")
	if earliest {
		for part := range d.Partitions {
			p.starts[part] = kgo.NewOffset().AtStart()
		}
		return p, nil
	}
	ends, err := s.adm.ListEndOffsets(ctx, st.Topic)
	if err != nil {
		return nil, fmt.Errorf("end offsets of %s: %w", st.Topic, err)
	}
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err == nil {
			p.starts[o.Partition] = kgo.NewOffset().At(o.Offset)
		}
	})
	return p, nil
}

// Run prints the topic: it calls emit with each line (no newline) until
// the LIMIT is reached, ctx ends or emit fails. Format lines ("Key
// format: ...") come before the records whose reading changed them, and
// an empty line after every second without records. Every INTERVAL-th
// record is printed, counting from the first; LIMIT counts the printed
// ones. It returns nil when ctx ended.
func (p *Printer) Run(ctx context.Context, emit func(line string) error) error {
	if p.limit == 0 || len(p.starts) == 0 {
		return nil
	}
	s := p.srv
	cl, err := kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(s.cfg.Brokers...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{p.Topic: p.starts}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.FetchMaxBytes(1 << 20),
		kgo.FetchMaxPartitionBytes(256 << 10),
		kgo.MaxConcurrentFetches(1),
	}, s.cfg.ClientOpts...)...)
	if err != nil {
		return err
	}
	defer cl.Close()
	f := newRecordFormatter()
	polled, written := 0, 0
	for {
		pctx, cancel := context.WithTimeout(ctx, printHeartbeat)
		fs := cl.PollFetches(pctx)
		idle := pctx.Err() != nil
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		for _, fe := range fs.Errors() {
			if !errors.Is(fe.Err, context.DeadlineExceeded) && !errors.Is(fe.Err, context.Canceled) {
				s.log.Debug("sql: PRINT fetch error", "topic", p.Topic, "err", fe.Err)
			}
		}
		if fs.NumRecords() == 0 {
			if idle {
				if err := emit(""); err != nil {
					return err
				}
			}
			continue
		}
		var lines []string
		fs.EachRecord(func(r *kgo.Record) {
			if p.limit >= 0 && written >= p.limit {
				return
			}
			if polled%p.interval == 0 {
				written++
				lines = append(lines, f.line(r.Timestamp.UnixMilli(), r.Key, r.Value, r.Partition))
			}
			polled++
		})
		for _, l := range append(f.formatLines(), lines...) {
			if err := emit(l); err != nil {
				return err
			}
		}
		if p.limit >= 0 && written >= p.limit {
			return nil
		}
	}
}
