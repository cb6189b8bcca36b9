package group_test

import (
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streamlite/streamlite/engine/enginetest"
	"github.com/streamlite/streamlite/engine/group"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The KIP-848 consumer protocol with real kgo members (kgo.ServerSideBalancer makes kgo use
// ConsumerGroupHeartbeat when the broker advertises it; without it kgo uses the classic
// protocol, which the other tests of this package exercise).

// waitConsumerStable waits until name is a Stable consumer group with members members.
func waitConsumerStable(t testing.TB, b *enginetest.Broker, name string, members int) group.GroupSummary {
	t.Helper()
	var s group.GroupSummary
	deadline := time.Now().Add(60 * time.Second)
	for {
		s = summaryOf(b, name)
		if s.Type == "consumer" && s.State == "Stable" && s.Members == members {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s stable with %d members: %+v", name, members, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Three members over six partitions each get two of their own; every record is consumed once.
func TestConsumerProtocolEachRecordOnce(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Topics(6, "orders"))
	col := newCollector()
	for i := range 3 {
		startConsumer(t, b, "g848", "orders", "m"+strconv.Itoa(i), col, kgo.ServerSideBalancer())
	}
	s := waitConsumerStable(t, b, "g848", 3)
	if s.Protocol != "uniform" || s.ProtocolType != "consumer" {
		t.Fatalf("summary %+v", s)
	}
	const n = 3000
	produceN(t, b, "orders", 0, n)
	waitFor(t, "every record", func() bool { return col.count() == n })
	if d := col.dups(); len(d) > 0 {
		sort.Strings(d)
		t.Fatalf("%d records consumed more than once, e.g. %v", len(d), d[:min(5, len(d))])
	}
	owners := map[int32]string{}
	for m, ps := range col.by {
		for p := range ps {
			if o, ok := owners[p]; ok {
				t.Fatalf("partition %d consumed by %s and %s", p, o, m)
			}
			owners[p] = m
		}
	}
	if len(col.by) != 3 || len(owners) != 6 {
		t.Fatalf("%d members consumed %d partitions: %v", len(col.by), len(owners), col.by)
	}
	for m, ps := range col.by {
		if len(ps) != 2 {
			t.Fatalf("member %s consumed %d partitions, want 2: %v", m, len(ps), col.by)
		}
	}
	if s2 := summaryOf(b, "g848"); s2.Generation != s.Generation {
		t.Fatalf("group epoch moved from %d to %d without membership changes", s.Generation, s2.Generation)
	}
	// ListGroups' type filter tells the protocols apart.
	lg, err := b.Admin().ListGroupsByType(testCtx(t), []string{"consumer"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := lg["g848"]; !ok || len(lg) != 1 {
		t.Fatalf("consumer groups listed: %v", lg)
	}
	if lg, err = b.Admin().ListGroupsByType(testCtx(t), []string{"classic"}); err != nil || len(lg) != 0 {
		t.Fatalf("classic groups listed: %v, %v", lg, err)
	}
	// ConsumerGroupDescribe shows each member's two partitions.
	d, err := b.Admin().DescribeConsumerGroups(testCtx(t), "g848")
	if err != nil {
		t.Fatal(err)
	}
	dg := d["g848"]
	if dg.Err != nil || dg.State != "Stable" || len(dg.Members) != 3 || dg.AssignorName != "uniform" {
		t.Fatalf("described: %+v", dg)
	}
	for _, m := range dg.Members {
		if n := len(m.Assignment["orders"]); n != 2 {
			t.Fatalf("member %s described with %d partitions", m.MemberID, n)
		}
	}
}

// A member joining and one leaving each bump the group epoch and move partitions; no record is
// lost, and every member ends up with its share.
func TestConsumerProtocolJoinAndLeave(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Topics(6, "t"))
	col := newCollector()
	a := startConsumer(t, b, "g", "t", "a", col, kgo.ServerSideBalancer())
	startConsumer(t, b, "g", "t", "b", col, kgo.ServerSideBalancer())
	e1 := waitConsumerStable(t, b, "g", 2).Generation
	produceN(t, b, "t", 0, 300)
	waitFor(t, "300 records", func() bool { return col.count() == 300 })

	startConsumer(t, b, "g", "t", "c", col, kgo.ServerSideBalancer())
	e2 := waitConsumerStable(t, b, "g", 3).Generation
	if e2 <= e1 {
		t.Fatalf("group epoch %d after a join, was %d", e2, e1)
	}
	produceN(t, b, "t", 300, 300)
	waitFor(t, "600 records", func() bool { return col.count() == 600 })

	a.stop()
	e3 := waitConsumerStable(t, b, "g", 2).Generation
	if e3 <= e2 {
		t.Fatalf("group epoch %d after a leave, was %d", e3, e2)
	}
	produceN(t, b, "t", 600, 300)
	waitFor(t, "900 records", func() bool { return col.count() == 900 })
	d, err := b.Admin().DescribeConsumerGroups(testCtx(t), "g")
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, m := range d["g"].Members {
		n := len(m.Assignment["t"])
		if n != 3 {
			t.Fatalf("member %s holds %d partitions, want 3", m.MemberID, n)
		}
		total += n
	}
	if total != 6 {
		t.Fatalf("%d partitions held", total)
	}
}

// The range assignor, chosen by the members, gives contiguous ranges.
func TestConsumerProtocolRangeAssignor(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Topics(4, "r"))
	col := newCollector()
	for i := range 2 {
		startConsumer(t, b, "gr", "r", "m"+strconv.Itoa(i), col, kgo.ServerSideBalancer(), kgo.Balancers(kgo.RangeBalancer()))
	}
	s := waitConsumerStable(t, b, "gr", 2)
	if s.Protocol != "range" {
		t.Fatalf("assignor %q", s.Protocol)
	}
	d, err := b.Admin().DescribeConsumerGroups(testCtx(t), "gr")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range d["gr"].Members {
		var ps []string
		for p := range m.Assignment["r"] {
			ps = append(ps, strconv.Itoa(int(p)))
		}
		sort.Strings(ps)
		got = append(got, strings.Join(ps, ","))
	}
	sort.Strings(got)
	if strings.Join(got, " ") != "0,1 2,3" {
		t.Fatalf("range assignment %v", got)
	}
}

// Commits of a consumer group survive a restart; a member rejoining afterwards resumes after
// them.
func TestConsumerProtocolCommitsSurviveRestart(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Durable(), enginetest.Topics(6, "events"))
	produceN(t, b, "events", 0, 600)
	col := newCollector()
	c := startConsumer(t, b, "resume848", "events", "first", col, kgo.ServerSideBalancer())
	waitFor(t, "the first 600", func() bool { return col.count() == 600 })
	waitFor(t, "commits of the first 600", func() bool {
		var sum int64
		for _, o := range b.Engine().Groups().CommittedOffsets() {
			if o.Group == "resume848" {
				sum += o.Offset
			}
		}
		return sum == 600
	})
	c.stop()

	b.Restart()
	produceN(t, b, "events", 600, 300)
	col2 := newCollector()
	startConsumer(t, b, "resume848", "events", "second", col2, kgo.ServerSideBalancer())
	waitFor(t, "the next 300", func() bool { return col2.count() == 300 })
	for v := range col2.seen {
		if n, _ := strconv.Atoi(strings.TrimPrefix(v, "v")); n < 600 {
			t.Fatalf("record %s consumed again after the restart", v)
		}
	}
	if s := summaryOf(b, "resume848"); s.Type != "consumer" {
		t.Fatalf("after rejoining: %+v", s)
	}
}
