package group

import (
	"sort"

	"github.com/twmb/franz-go/pkg/kadm"
)

// partitionLag is one row of `group describe`: a partition the group is
// assigned or has committed to, as kafka-consumer-groups.sh --describe shows
// it. Nil offsets are unknown ("-" in the table, null in JSON).
type partitionLag struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	// Committed is the group's committed offset; nil if it has none.
	Committed *int64 `json:"current_offset"`
	// LogEnd is the partition's log end offset (high watermark); nil if
	// the broker could not list it.
	LogEnd *int64 `json:"log_end_offset"`
	// Lag is LogEnd - Committed; nil when either is unknown. It is not
	// clamped: a commit past the end (after a truncation) shows as
	// negative, as Kafka's tool shows it.
	Lag *int64 `json:"lag"`
	// MemberID, ClientID and Host name the member the partition is
	// assigned to; empty when no member owns it.
	MemberID string `json:"member_id,omitempty"`
	ClientID string `json:"client_id,omitempty"`
	Host     string `json:"host,omitempty"`
}

// lagRows returns a row for every partition that g's members are assigned
// or that g has committed to, sorted by topic and partition. ends are the
// log end offsets of those partitions; partitions missing from ends or
// answered with an error have an unknown end and lag.
func lagRows(g *groupInfo, commits kadm.Offsets, ends kadm.ListedOffsets) []partitionLag {
	parts := make(kadm.TopicsSet)
	for _, m := range g.Members {
		parts.Merge(m.Assigned)
	}
	parts.Merge(commits.TopicsSet())

	var rows []partitionLag
	parts.Each(func(t string, p int32) {
		r := partitionLag{Topic: t, Partition: p}
		if o, ok := commits.Lookup(t, p); ok && o.At >= 0 {
			r.Committed = ptr(o.At)
		}
		if o, ok := ends.Lookup(t, p); ok && o.Err == nil && o.Offset >= 0 {
			r.LogEnd = ptr(o.Offset)
		}
		if r.Committed != nil && r.LogEnd != nil {
			r.Lag = ptr(*r.LogEnd - *r.Committed)
		}
		if m := g.owner(t, p); m != nil {
			r.MemberID, r.ClientID, r.Host = m.ID, m.ClientID, m.Host
		}
		rows = append(rows, r)
	})
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Topic != rows[j].Topic {
			return rows[i].Topic < rows[j].Topic
		}
		return rows[i].Partition < rows[j].Partition
	})
	return rows
}

// totalLag sums the known lags of rows.
func totalLag(rows []partitionLag) int64 {
	var n int64
	for _, r := range rows {
		if r.Lag != nil {
			n += *r.Lag
		}
	}
	return n
}

func ptr(v int64) *int64 { return &v }
