package cluster

import (
	"errors"
	"testing"
	"time"

	"github.com/streamlite/streamlite/engine/enginetest"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// joinGroup starts a group consumer of topic in group and polls until it has records (so it
// has joined and been assigned). It commits what it was told (nil: nothing) and either
// leaves (leave true: the client closes) or stays a member until the test ends.
func joinGroup(t *testing.T, b *enginetest.Broker, group, topic string, commit map[int32]int64, leave bool) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr()), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.DisableAutoCommit(), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t)
	for {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("group %s never got records", group)
		}
		if fs.NumRecords() > 0 {
			break
		}
	}
	if commit != nil {
		offs := map[string]map[int32]kgo.EpochOffset{topic: {}}
		for p, o := range commit {
			offs[topic][p] = kgo.EpochOffset{Epoch: -1, Offset: o}
		}
		var cerr error
		cl.CommitOffsetsSync(ctx, offs, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, _ *kmsg.OffsetCommitResponse, err error) { cerr = err })
		if cerr != nil {
			t.Fatalf("committing for %s: %v", group, cerr)
		}
	}
	if leave {
		cl.Close()
	} else {
		t.Cleanup(cl.Close)
	}
}

func TestGroups(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Topics(2, "g"))
	c := testClient(t, b, "")
	ctx := testCtx(t)
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	vals := make([]string, 10)
	for i := range vals {
		vals[i] = "v"
	}
	ts := func(i int) time.Time { return base.Add(time.Duration(i) * time.Minute) }
	produce(t, b, "g", 0, vals, ts)
	produce(t, b, "g", 1, vals, ts)

	joinGroup(t, b, "behind", "g", map[int32]int64{0: 4, 1: 6}, true)
	joinGroup(t, b, "active", "g", map[int32]int64{0: 10, 1: 9}, false)

	groups, err := c.Groups(ctx)
	if err != nil {
		t.Fatalf("Groups: %v", err)
	}
	if len(groups) != 2 || groups[0].ID != "behind" || groups[1].ID != "active" {
		t.Fatalf("groups (by lag): %+v", groups)
	}
	if g := groups[0]; g.Lag != 10 || g.Members != 0 || g.State != "Empty" || len(g.Topics) != 1 || g.Topics[0] != "g" {
		t.Errorf("behind: %+v", g)
	}
	if g := groups[1]; g.Lag != 1 || g.Members != 1 || g.State != "Stable" || g.Protocol == "" || len(g.Topics) != 1 {
		t.Errorf("active: %+v", g)
	}

	d, err := c.Group(ctx, "behind")
	if err != nil {
		t.Fatalf("Group: %v", err)
	}
	if d.Lag != 10 || len(d.Members) != 0 || len(d.Offsets) != 2 {
		t.Fatalf("behind detail: %+v", d)
	}
	for i, want := range []GroupOffset{{Topic: "g", Partition: 0, Committed: 4, End: 10, Lag: 6}, {Topic: "g", Partition: 1, Committed: 6, End: 10, Lag: 4}} {
		if d.Offsets[i] != want {
			t.Errorf("behind offset %d: %+v, want %+v", i, d.Offsets[i], want)
		}
	}
	a, err := c.Group(ctx, "active")
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Members) != 1 || len(a.Members[0].Assigned["g"]) != 2 || a.Members[0].ID == "" || a.Members[0].ClientID == "" {
		t.Fatalf("active members: %+v", a.Members)
	}
	for _, o := range a.Offsets {
		if o.Member != a.Members[0].ID {
			t.Errorf("active offset %+v: member %q, want %q", o, o.Member, a.Members[0].ID)
		}
	}
	if none, err := c.Group(ctx, "nobody"); err != nil || none.State != "Dead" || len(none.Offsets) != 0 {
		t.Errorf("missing group: %+v, %v", none, err)
	}

	// Reset plans.
	for _, tc := range []struct {
		to   ResetTarget
		want [2]int64
	}{
		{ResetTarget{To: "earliest"}, [2]int64{0, 0}},
		{ResetTarget{To: "latest"}, [2]int64{10, 10}},
		{ResetTarget{To: "offset", Offset: 8}, [2]int64{8, 8}},
		{ResetTarget{To: "offset", Offset: 100}, [2]int64{10, 10}},
		{ResetTarget{To: "offset", Offset: -5}, [2]int64{0, 0}},
		{ResetTarget{To: "time", Time: base.Add(5 * time.Minute)}, [2]int64{5, 5}},
		{ResetTarget{To: "time", Time: base.Add(5*time.Minute + time.Second)}, [2]int64{6, 6}},
		{ResetTarget{To: "time", Time: time.Now().Add(time.Hour)}, [2]int64{10, 10}},
	} {
		plan, err := c.PlanReset(ctx, "behind", "", tc.to)
		if err != nil {
			t.Fatalf("PlanReset %+v: %v", tc.to, err)
		}
		want := []OffsetChange{{"g", 0, 4, tc.want[0]}, {"g", 1, 6, tc.want[1]}}
		if len(plan) != 2 || plan[0] != want[0] || plan[1] != want[1] {
			t.Errorf("PlanReset %+v: %+v, want %+v", tc.to, plan, want)
		}
	}
	if _, err := c.PlanReset(ctx, "behind", "", ResetTarget{To: "sideways"}); err == nil {
		t.Error("PlanReset to an unknown target succeeded")
	}
	if _, err := c.PlanReset(ctx, "fresh", "", ResetTarget{To: "earliest"}); err == nil {
		t.Error("PlanReset of a group without offsets and without a topic succeeded")
	}
	fresh, err := c.PlanReset(ctx, "fresh", "g", ResetTarget{To: "latest"})
	if err != nil || len(fresh) != 2 || fresh[0].From != -1 || fresh[0].To != 10 {
		t.Errorf("PlanReset of a new group on a topic: %+v, %v", fresh, err)
	}

	// Apply: the empty group moves, the active one refuses.
	plan, err := c.PlanReset(ctx, "behind", "g", ResetTarget{To: "earliest"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.ApplyReset(ctx, "behind", plan); err != nil {
		t.Fatalf("ApplyReset: %v", err)
	}
	d, err = c.Group(ctx, "behind")
	if err != nil || d.Lag != 20 || d.Offsets[0].Committed != 0 || d.Offsets[1].Committed != 0 {
		t.Fatalf("after the reset: %+v, %v", d, err)
	}
	err = c.ApplyReset(ctx, "active", plan)
	var active *GroupActiveError
	if !errors.As(err, &active) || active.Members != 1 || err.Error() != "group active has 1 active members; stop them before resetting offsets" {
		t.Fatalf("ApplyReset on an active group: %v", err)
	}
	a2, err := c.Group(ctx, "active")
	if err != nil || a2.Lag != 1 {
		t.Fatalf("active group changed after a refused reset: %+v, %v", a2, err)
	}
}
