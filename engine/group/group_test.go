package group_test

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/streamlite/streamlite/engine/enginetest"
	"github.com/streamlite/streamlite/engine/group"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// summaryOf returns the coordinator's summary of name (State "" if it has none).
func summaryOf(b *enginetest.Broker, name string) group.GroupSummary {
	for _, s := range b.Engine().Groups().Groups() {
		if s.Name == name {
			return s
		}
	}
	return group.GroupSummary{}
}

// waitStable waits until name is Stable with members members, and returns its summary.
func waitStable(t testing.TB, b *enginetest.Broker, name string, members int) group.GroupSummary {
	t.Helper()
	var s group.GroupSummary
	waitFor(t, fmt.Sprintf("%s stable with %d members", name, members), func() bool {
		s = summaryOf(b, name)
		return s.State == "Stable" && s.Members == members
	})
	return s
}

type consumer struct {
	name   string
	cl     *kgo.Client
	cancel context.CancelFunc
	done   chan struct{}
}

// startConsumer runs a group member polling into col until stop.
func startConsumer(t testing.TB, b *enginetest.Broker, groupName, topic, name string, col *collector, opts ...kgo.Opt) *consumer {
	cl, err := kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(b.Addr()),
		kgo.ConsumerGroup(groupName),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.DisableAutoCommit(),
		kgo.ClientID(name),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(testCtx(t))
	c := &consumer{name: name, cl: cl, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		for ctx.Err() == nil {
			fs := cl.PollFetches(ctx)
			if ctx.Err() != nil {
				return
			}
			col.add(name, fs.Records())
			_ = cl.CommitRecords(ctx, fs.Records()...)
		}
	}()
	t.Cleanup(c.stop)
	return c
}

// stop stops polling and closes the client (leaving the group).
func (c *consumer) stop() {
	c.cancel()
	<-c.done
	c.cl.Close()
}

// Three kgo members over a six-partition topic share it: each gets partitions of its own,
// every record is consumed, none twice.
func TestGroupConsumesEachRecordOnce(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Topics(6, "orders"))
	col := newCollector()
	for i := range 3 {
		startConsumer(t, b, "g1", "orders", "m"+strconv.Itoa(i), col)
	}
	s := waitStable(t, b, "g1", 3)
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
	if s2 := summaryOf(b, "g1"); s2.Generation != s.Generation {
		t.Fatalf("generation moved from %d to %d without membership changes", s.Generation, s2.Generation)
	}
}

// Committed offsets survive a restart: the group comes back Empty with its generation and
// offsets, and a member of it resumes after the last commit.
func TestCommitsSurviveRestart(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Durable(), enginetest.Topics(6, "events"))
	produceN(t, b, "events", 0, 600)
	col := newCollector()
	c := startConsumer(t, b, "resume", "events", "first", col)
	waitFor(t, "the first 600", func() bool { return col.count() == 600 })
	waitFor(t, "commits of the first 600", func() bool {
		var sum int64
		for _, o := range b.Engine().Groups().CommittedOffsets() {
			if o.Group == "resume" {
				sum += o.Offset
			}
		}
		return sum == 600
	})
	c.stop()
	before := summaryOf(b, "resume")

	b.Restart()
	after := summaryOf(b, "resume")
	if after.State != "Empty" || after.ProtocolType != "consumer" || after.Generation != before.Generation {
		t.Fatalf("after restart: %+v; before: %+v", after, before)
	}
	var committed []group.CommittedOffset
	for _, o := range b.Engine().Groups().CommittedOffsets() {
		if o.Group == "resume" {
			committed = append(committed, o)
		}
	}
	if len(committed) != 6 {
		t.Fatalf("committed offsets after restart: %+v", committed)
	}
	for _, o := range committed {
		if o.Topic != "events" || o.Offset != 100 {
			t.Fatalf("committed offset after restart: %+v", o)
		}
	}
	produceN(t, b, "events", 600, 300)
	col2 := newCollector()
	startConsumer(t, b, "resume", "events", "second", col2)
	waitFor(t, "the next 300", func() bool { return col2.count() == 300 })
	for v := range col2.seen {
		if n, _ := strconv.Atoi(strings.TrimPrefix(v, "v")); n < 600 {
			t.Fatalf("record %s consumed again after the restart", v)
		}
	}
	if s := summaryOf(b, "resume"); s.Generation <= before.Generation {
		t.Fatalf("generation %d after rejoining, was %d before the restart", s.Generation, before.Generation)
	}
}

// A member joining and one leaving each rebalance the group; the partitions move and no record
// is lost.
func TestRebalanceOnJoinAndLeave(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Topics(6, "t"))
	col := newCollector()
	a := startConsumer(t, b, "g", "t", "a", col)
	startConsumer(t, b, "g", "t", "b", col)
	g1 := waitStable(t, b, "g", 2).Generation
	produceN(t, b, "t", 0, 300)
	waitFor(t, "300 records", func() bool { return col.count() == 300 })

	startConsumer(t, b, "g", "t", "c", col)
	g2 := waitStable(t, b, "g", 3).Generation
	if g2 <= g1 {
		t.Fatalf("generation %d after a join, was %d", g2, g1)
	}
	produceN(t, b, "t", 300, 300)
	waitFor(t, "600 records", func() bool { return col.count() == 600 })

	a.stop()
	g3 := waitStable(t, b, "g", 2).Generation
	if g3 <= g2 {
		t.Fatalf("generation %d after a leave, was %d", g3, g2)
	}
	produceN(t, b, "t", 600, 300)
	waitFor(t, "900 records", func() bool { return col.count() == 900 })
	d, err := b.Admin().DescribeGroups(testCtx(t), "g")
	if err != nil {
		t.Fatal(err)
	}
	dg := d["g"]
	if dg.State != "Stable" || len(dg.Members) != 2 || dg.Protocol == "" {
		t.Fatalf("describe: state %s, %d members, protocol %q", dg.State, len(dg.Members), dg.Protocol)
	}
	for _, m := range dg.Members {
		if m.ClientID == "a" {
			t.Fatalf("member a still described after leaving")
		}
		if !strings.HasPrefix(m.ClientHost, "/127.0.0.1") {
			t.Fatalf("client host %q", m.ClientHost)
		}
	}
}

// A static member (group.instance.id) that restarts gets its partitions back without a
// rebalance (KIP-345).
func TestStaticMemberRejoins(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Topics(4, "t"))
	col := newCollector()
	startConsumer(t, b, "static", "t", "s1", col, kgo.InstanceID("i1"))
	s2 := startConsumer(t, b, "static", "t", "s2", col, kgo.InstanceID("i2"))
	gen := waitStable(t, b, "static", 2).Generation
	produceN(t, b, "t", 0, 200)
	waitFor(t, "200 records", func() bool { return col.count() == 200 })
	before := col.partitions("s2")

	// kgo does not leave the group on close for a static member.
	s2.stop()
	col2 := newCollector()
	startConsumer(t, b, "static", "t", "s2-again", col2, kgo.InstanceID("i2"))
	produceN(t, b, "t", 200, 200)
	waitFor(t, "the rejoined member's records", func() bool {
		return len(col2.partitions("s2-again")) == len(before)
	})
	s := waitStable(t, b, "static", 2)
	if s.Generation != gen {
		t.Fatalf("generation %d after a static rejoin, was %d", s.Generation, gen)
	}
	for p := range col2.partitions("s2-again") {
		if !before[p] {
			t.Fatalf("rejoined member got partition %d, had %v", p, before)
		}
	}
}

// A group with no members commits and fetches offsets without joining (simple consumers, as
// kadm's CommitOffsets does), and DeleteGroups, OffsetDelete, DescribeGroups and ListGroups
// answer as Kafka does.
func TestGroupAdmin(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Topics(2, "t", "u"))
	adm := b.Admin()
	ctx := testCtx(t)
	offs := kadm.Offsets{}
	offs.Add(kadm.Offset{Topic: "t", Partition: 0, At: 10, LeaderEpoch: -1, Metadata: "m"})
	offs.Add(kadm.Offset{Topic: "u", Partition: 1, At: 20, LeaderEpoch: -1})
	resp, err := adm.CommitOffsets(ctx, "simple", offs)
	if err != nil || resp.Error() != nil {
		t.Fatalf("simple commit: %v %v", err, resp.Error())
	}
	got, err := adm.FetchOffsets(ctx, "simple")
	if err != nil {
		t.Fatal(err)
	}
	if o, _ := got.Lookup("t", 0); o.At != 10 || o.Metadata != "m" {
		t.Fatalf("fetched %+v", o)
	}
	if o, _ := got.Lookup("u", 1); o.At != 20 {
		t.Fatalf("fetched %+v", o)
	}

	col := newCollector()
	startConsumer(t, b, "active", "t", "a", col)
	waitStable(t, b, "active", 1)

	listed, err := adm.ListGroups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != 2 || listed["simple"].State != "Empty" || listed["active"].State != "Stable" || listed["active"].ProtocolType != "consumer" {
		t.Fatalf("list: %+v", listed)
	}
	stable, err := adm.ListGroups(ctx, "stable")
	if err != nil {
		t.Fatal(err)
	}
	if names := stable.Groups(); len(names) != 1 || names[0] != "active" {
		t.Fatalf("list stable: %v", names)
	}

	d, err := adm.DescribeGroups(ctx, "active", "simple", "missing")
	if err != nil {
		t.Fatal(err)
	}
	if d["active"].State != "Stable" || len(d["active"].Members) != 1 || d["simple"].State != "Empty" || d["missing"].State != "Dead" {
		t.Fatalf("describe: active %s/%d, simple %s, missing %s", d["active"].State, len(d["active"].Members), d["simple"].State, d["missing"].State)
	}
	if _, ok := d["active"].Members[0].Assigned.AsConsumer(); !ok {
		t.Fatalf("stable member's assignment does not decode as a consumer assignment")
	}

	// OffsetDelete: the active group subscribes to t but not u.
	if r, err := adm.CommitOffsets(ctx, "active", offs); err == nil && r.Error() == nil {
		t.Fatalf("anonymous commit to an active group accepted")
	}
	dr, err := adm.DeleteOffsets(ctx, "active", kadm.TopicsSet{"t": {0: {}}, "u": {1: {}}, "nope": {0: {}}})
	if err != nil {
		t.Fatal(err)
	}
	if e := dr["t"][0]; !errorsIs(e, kerr.GroupSubscribedToTopic) {
		t.Fatalf("delete offsets of a subscribed topic: %v", e)
	}
	if e := dr["u"][1]; e != nil {
		t.Fatalf("delete offsets of an unsubscribed topic: %v", e)
	}
	if e := dr["nope"][0]; !errorsIs(e, kerr.UnknownTopicOrPartition) {
		t.Fatalf("delete offsets of an unknown topic: %v", e)
	}
	dr, err = adm.DeleteOffsets(ctx, "simple", kadm.TopicsSet{"t": {0: {}}})
	if err != nil || dr["t"][0] != nil {
		t.Fatalf("delete offsets of an empty group: %v %v", err, dr)
	}
	got, _ = adm.FetchOffsets(ctx, "simple")
	if _, ok := got.Lookup("t", 0); ok {
		t.Fatalf("offset t/0 still there after OffsetDelete")
	}

	// DeleteGroups: an active group is NON_EMPTY_GROUP; an empty one goes with its offsets.
	gd, err := adm.DeleteGroups(ctx, "active", "simple", "missing")
	if err != nil {
		t.Fatal(err)
	}
	if !errorsIs(gd["active"].Err, kerr.NonEmptyGroup) || gd["simple"].Err != nil || !errorsIs(gd["missing"].Err, kerr.GroupIDNotFound) {
		t.Fatalf("delete groups: active %v, simple %v, missing %v", gd["active"].Err, gd["simple"].Err, gd["missing"].Err)
	}
	got, _ = adm.FetchOffsets(ctx, "simple")
	if len(got) != 0 {
		t.Fatalf("offsets of a deleted group: %v", got)
	}
	listed, _ = adm.ListGroups(ctx)
	if _, ok := listed["simple"]; ok {
		t.Fatalf("deleted group still listed")
	}
}

func errorsIs(err error, want *kerr.Error) bool {
	return err != nil && strings.Contains(err.Error(), want.Message)
}
