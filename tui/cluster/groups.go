package cluster

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
)

// GroupActiveError is ApplyReset's refusal to move the offsets of a group that has members:
// Kafka only takes offset commits from outside the group while it is empty.
type GroupActiveError struct {
	Group   string
	Members int
}

func (e *GroupActiveError) Error() string {
	return fmt.Sprintf("group %s has %d active members; stop them before resetting offsets", e.Group, e.Members)
}

// Groups lists the consumer groups with their state, members and total lag, sorted by lag
// (largest first) then id. It sends ListGroups, one DescribeGroups, one OffsetFetch per
// group (concurrently, by kadm) and one ListOffsets for the end offsets of every committed
// partition.
//
// A failed ListGroups or DescribeGroups is an error. A group whose offsets could not be
// fetched, or whose partitions' end offsets could not be listed, has Lag -1; a group that
// could not be described has State "" and its description error is dropped.
func (c *Client) Groups(ctx context.Context) ([]Group, error) {
	listed, err := c.adm.ListGroups(ctx)
	if err != nil && len(listed) == 0 {
		return nil, fmt.Errorf("listing groups from %s: %w", c.brokersString(), err)
	}
	ids := listed.Groups()
	if len(ids) == 0 {
		return []Group{}, nil
	}
	described, err := c.adm.DescribeGroups(ctx, ids...)
	if err != nil && len(described) == 0 {
		return nil, fmt.Errorf("describing groups: %w", err)
	}
	fetched := c.adm.FetchManyOffsets(ctx, ids...)

	parts := make(map[string][]int32)
	for _, f := range fetched {
		f.Fetched.Each(func(o kadm.OffsetResponse) {
			if o.Err == nil && o.At >= 0 {
				parts[o.Topic] = append(parts[o.Topic], o.Partition)
			}
		})
	}
	dedupe(parts)
	ends := c.listOffsets(ctx, parts, tsEnd)

	out := make([]Group, 0, len(ids))
	for _, id := range ids {
		d := described[id]
		g := groupRow(id, d)
		f, ok := fetched[id]
		g.Lag = -1
		if ok && f.Err == nil {
			g.Lag = committedLag(f.Fetched, ends)
			g.Topics = mergeTopics(g.Topics, f.Fetched)
		}
		out = append(out, g)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Lag != out[j].Lag {
			return out[i].Lag > out[j].Lag
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// Group describes one consumer group: its members and what each is assigned, and every
// partition it has committed offsets for or is assigned, sorted by topic and partition. A
// group that does not exist comes back with State "Dead" and nothing else, as Kafka
// describes it. If the offsets cannot be fetched the error is returned; if end or start
// offsets cannot be listed the affected rows have End -1 and Lag -1.
func (c *Client) Group(ctx context.Context, id string) (GroupDetail, error) {
	described, err := c.adm.DescribeGroups(ctx, id)
	if err != nil && len(described) == 0 {
		return GroupDetail{}, fmt.Errorf("describing group %s: %w", id, err)
	}
	d, ok := described[id]
	if !ok {
		return GroupDetail{}, fmt.Errorf("describing group %s: no answer", id)
	}
	if d.Err != nil {
		return GroupDetail{}, fmt.Errorf("describing group %s: %w", id, d.Err)
	}
	fetched, err := c.adm.FetchOffsets(ctx, id)
	if err != nil {
		return GroupDetail{}, fmt.Errorf("fetching the offsets of group %s: %w", id, err)
	}
	gd := GroupDetail{Group: groupRow(id, d)}
	gd.Topics = mergeTopics(gd.Topics, fetched)

	owner := make(map[tp]string)
	parts := make(map[string][]int32)
	for _, m := range d.Members {
		mem := Member{ID: m.MemberID, ClientID: m.ClientID, Host: m.ClientHost, Assigned: map[string][]int32{}}
		if m.InstanceID != nil {
			mem.InstanceID = *m.InstanceID
		}
		if a, ok := m.Assigned.AsConsumer(); ok {
			for _, t := range a.Topics {
				ps := append([]int32(nil), t.Partitions...)
				sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
				mem.Assigned[t.Topic] = ps
				for _, p := range ps {
					owner[tp{t.Topic, p}] = m.MemberID
					parts[t.Topic] = append(parts[t.Topic], p)
				}
			}
		}
		gd.Members = append(gd.Members, mem)
	}
	committed := make(map[tp]int64)
	fetched.Each(func(o kadm.OffsetResponse) {
		if o.Err == nil && o.At >= 0 {
			committed[tp{o.Topic, o.Partition}] = o.At
			parts[o.Topic] = append(parts[o.Topic], o.Partition)
		}
	})
	dedupe(parts)
	var ends, starts map[tp]listed
	done := make(chan struct{})
	go func() { defer close(done); starts = c.listOffsets(ctx, parts, tsStart) }()
	ends = c.listOffsets(ctx, parts, tsEnd)
	<-done

	for topic, ps := range parts {
		for _, p := range ps {
			k := tp{topic, p}
			o := GroupOffset{Topic: topic, Partition: p, Committed: -1, End: -1, Lag: -1, Member: owner[k]}
			from, hasCommit := committed[k]
			if hasCommit {
				o.Committed = from
			} else if s := starts[k]; s.err == nil {
				from = s.offset
			} else {
				from = -1
			}
			if e := ends[k]; e.err == nil {
				o.End = e.offset
				if from >= 0 {
					o.Lag = max(0, o.End-from)
				}
			}
			gd.Offsets = append(gd.Offsets, o)
		}
	}
	sort.Slice(gd.Offsets, func(i, j int) bool {
		a, b := gd.Offsets[i], gd.Offsets[j]
		if a.Topic != b.Topic {
			return a.Topic < b.Topic
		}
		return a.Partition < b.Partition
	})
	gd.Lag = committedLag(fetched, ends)
	return gd, nil
}

// groupRow is a Group from its description, without lag.
func groupRow(id string, d kadm.DescribedGroup) Group {
	g := Group{ID: id, State: d.State, Protocol: d.Protocol, Members: len(d.Members)}
	seen := map[string]bool{}
	for _, m := range d.Members {
		if a, ok := m.Assigned.AsConsumer(); ok {
			for _, t := range a.Topics {
				if !seen[t.Topic] {
					seen[t.Topic] = true
					g.Topics = append(g.Topics, t.Topic)
				}
			}
		}
	}
	sort.Strings(g.Topics)
	return g
}

// mergeTopics adds the topics of fetched to topics, sorted and unique.
func mergeTopics(topics []string, fetched kadm.OffsetResponses) []string {
	seen := make(map[string]bool, len(topics))
	for _, t := range topics {
		seen[t] = true
	}
	for t, ps := range fetched {
		for _, o := range ps {
			if o.Err == nil && o.At >= 0 && !seen[t] {
				seen[t] = true
				topics = append(topics, t)
			}
		}
	}
	sort.Strings(topics)
	return topics
}

// committedLag sums end minus committed over the committed partitions; -1 when an end
// offset is missing.
func committedLag(fetched kadm.OffsetResponses, ends map[tp]listed) int64 {
	var lag int64
	for t, ps := range fetched {
		for p, o := range ps {
			if o.Err != nil || o.At < 0 {
				continue
			}
			e, ok := ends[tp{t, p}]
			if !ok || e.err != nil {
				return -1
			}
			lag += max(0, e.offset-o.At)
		}
	}
	return lag
}

// dedupe sorts each partition list and drops repeats.
func dedupe(parts map[string][]int32) {
	for t, ps := range parts {
		sort.Slice(ps, func(i, j int) bool { return ps[i] < ps[j] })
		out := ps[:0]
		for i, p := range ps {
			if i == 0 || p != ps[i-1] {
				out = append(out, p)
			}
		}
		parts[t] = out
	}
}

// PlanReset computes where a reset would move group's offsets, without writing anything:
// one line per partition of topic, or with topic "" of every topic the group has committed
// offsets for, sorted by topic and partition. From is the committed offset (-1 when none).
// To is the log start offset for "earliest", the end for "latest", to.Offset clamped to
// [start, end] for "offset", and the first offset at or after to.Time for "time" (the end
// when nothing is that recent). Any failure to list offsets is an error: a plan is all or
// nothing.
func (c *Client) PlanReset(ctx context.Context, group, topic string, to ResetTarget) ([]OffsetChange, error) {
	switch to.To {
	case "earliest", "latest", "offset", "time":
	default:
		return nil, fmt.Errorf("planning a reset of group %s: unknown target %q (want earliest, latest, offset or time)", group, to.To)
	}
	fetched, err := c.adm.FetchOffsets(ctx, group)
	if err != nil {
		return nil, fmt.Errorf("planning a reset of group %s: fetching its offsets: %w", group, err)
	}
	var topics []string
	if topic != "" {
		topics = []string{topic}
	} else {
		topics = mergeTopics(nil, fetched)
		if len(topics) == 0 {
			return nil, fmt.Errorf("planning a reset of group %s: it has no committed offsets; name a topic", group)
		}
	}
	md, err := c.adm.Metadata(ctx, topics...)
	if err != nil {
		return nil, fmt.Errorf("planning a reset of group %s: metadata: %w", group, err)
	}
	parts := make(map[string][]int32)
	for _, t := range topics {
		td, ok := md.Topics[t]
		if !ok || td.Err != nil {
			err := errors.New("not in metadata")
			if ok {
				err = td.Err
			}
			return nil, fmt.Errorf("planning a reset of group %s: topic %s: %w", group, t, err)
		}
		parts[t] = td.Partitions.Numbers()
	}
	starts := c.listOffsets(ctx, parts, tsStart)
	ends := c.listOffsets(ctx, parts, tsEnd)
	var times map[tp]listed
	if to.To == "time" {
		times = c.listOffsets(ctx, parts, max(0, to.Time.UnixMilli()))
	}
	var out []OffsetChange
	for _, t := range topics {
		for _, p := range parts[t] {
			k := tp{t, p}
			s, e := starts[k], ends[k]
			if err := errors.Join(s.err, e.err); err != nil {
				return nil, fmt.Errorf("planning a reset of group %s: %w", group, err)
			}
			ch := OffsetChange{Topic: t, Partition: p, From: -1}
			if o, ok := fetched.Lookup(t, p); ok && o.Err == nil && o.At >= 0 {
				ch.From = o.At
			}
			switch to.To {
			case "earliest":
				ch.To = s.offset
			case "latest":
				ch.To = e.offset
			case "offset":
				ch.To = min(max(to.Offset, s.offset), e.offset)
			case "time":
				at := times[k]
				if at.err != nil {
					return nil, fmt.Errorf("planning a reset of group %s: offsets after %s: %w", group, to.Time.Format(time.RFC3339), at.err)
				}
				ch.To = e.offset
				if at.offset >= 0 {
					ch.To = min(max(at.offset, s.offset), e.offset)
				}
			}
			out = append(out, ch)
		}
	}
	return out, nil
}

// ApplyReset commits the changes of a plan for group. It refuses with a *GroupActiveError
// when the group has members (Kafka only takes commits from outside an empty group). On a
// partial failure the partitions that were committed stay committed and the error names the
// first partition that failed.
func (c *Client) ApplyReset(ctx context.Context, group string, changes []OffsetChange) error {
	described, err := c.adm.DescribeGroups(ctx, group)
	if err == nil {
		err = described.Error()
	}
	if err != nil {
		return fmt.Errorf("resetting the offsets of group %s: describing it: %w", group, err)
	}
	if n := len(described[group].Members); n > 0 {
		return &GroupActiveError{Group: group, Members: n}
	}
	if len(changes) == 0 {
		return nil
	}
	os := make(kadm.Offsets)
	for _, ch := range changes {
		os.Add(kadm.Offset{Topic: ch.Topic, Partition: ch.Partition, At: ch.To, LeaderEpoch: -1})
	}
	resps, err := c.adm.CommitOffsets(ctx, group, os)
	if err == nil {
		err = resps.Error()
	}
	if err != nil {
		return fmt.Errorf("resetting the offsets of group %s: %w", group, err)
	}
	return nil
}
