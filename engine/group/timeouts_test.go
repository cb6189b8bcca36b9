package group

import (
	"context"
	"testing"
	"time"

	"github.com/streamlite/streamlite/engine/cluster"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// newTestCoordinator returns a coordinator over an in-memory cluster with short timeouts, so
// session and rebalance expiry can be watched in milliseconds.
func newTestCoordinator(t *testing.T) *Coordinator {
	t.Helper()
	cl, err := cluster.Open(cluster.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(Config{Cluster: cl, MinSessionTimeout: time.Millisecond, InitialRebalanceDelay: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		cl.Close()
	})
	return c
}

func testJoin(group, member string, session, rebalance int32) *kmsg.JoinGroupRequest {
	req := kmsg.NewPtrJoinGroupRequest()
	req.Version = 9
	req.Group, req.MemberID = group, member
	req.SessionTimeoutMillis, req.RebalanceTimeoutMillis = session, rebalance
	req.ProtocolType = "consumer"
	req.Protocols = []kmsg.JoinGroupRequestProtocol{{Name: "range", Metadata: []byte("md")}}
	return req
}

// joinMember joins as a new member and returns the completed join.
func joinMember(t *testing.T, c *Coordinator, group string, session, rebalance int32) *kmsg.JoinGroupResponse {
	t.Helper()
	ctx := context.Background()
	r := c.JoinGroup(ctx, Client{ID: "c"}, testJoin(group, "", session, rebalance))
	if r.ErrorCode != kerr.MemberIDRequired.Code {
		t.Fatalf("first join: %v", kerr.ErrorForCode(r.ErrorCode))
	}
	r = c.JoinGroup(ctx, Client{ID: "c"}, testJoin(group, r.MemberID, session, rebalance))
	if r.ErrorCode != 0 {
		t.Fatalf("join: %v", kerr.ErrorForCode(r.ErrorCode))
	}
	return r
}

func stateOf(c *Coordinator, name string) GroupSummary {
	for _, s := range c.Groups() {
		if s.Name == name {
			return s
		}
	}
	return GroupSummary{}
}

func waitState(t *testing.T, c *Coordinator, name, state string, members int) GroupSummary {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		s := stateOf(c, name)
		if s.State == state && s.Members == members {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("group %s: %+v, want %s with %d members", name, s, state, members)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A member that stops heartbeating is removed after its session timeout, and the group,
// left without members, becomes Empty with a new generation (Kafka's onExpireHeartbeat).
func TestSessionTimeoutExpiresMember(t *testing.T) {
	t.Parallel()
	c := newTestCoordinator(t)
	r := joinMember(t, c, "g", 50, 1000)
	sync := kmsg.NewPtrSyncGroupRequest()
	sync.Group, sync.MemberID, sync.Generation = "g", r.MemberID, r.Generation
	if sr := c.SyncGroup(context.Background(), sync); sr.ErrorCode != 0 {
		t.Fatalf("sync: %v", kerr.ErrorForCode(sr.ErrorCode))
	}
	s := waitState(t, c, "g", "Empty", 0)
	if s.Generation != r.Generation+1 {
		t.Fatalf("generation %d after expiry, want %d", s.Generation, r.Generation+1)
	}
	hb := kmsg.NewPtrHeartbeatRequest()
	hb.Group, hb.MemberID, hb.Generation = "g", r.MemberID, r.Generation
	if code := c.Heartbeat(context.Background(), hb).ErrorCode; code != kerr.UnknownMemberID.Code {
		t.Fatalf("heartbeat of an expired member: %v", kerr.ErrorForCode(code))
	}
}

// A rebalance waits for every known member up to the rebalance timeout; one that does not
// rejoin in time is dropped and the others move on (Kafka's onCompleteJoin).
func TestRebalanceTimeoutDropsLaggard(t *testing.T) {
	t.Parallel()
	c := newTestCoordinator(t)
	ctx := context.Background()
	a := joinMember(t, c, "g", 10000, 200)
	sa := kmsg.NewPtrSyncGroupRequest()
	sa.Group, sa.MemberID, sa.Generation = "g", a.MemberID, a.Generation
	c.SyncGroup(ctx, sa)

	// b joins; a never rejoins: after a's rebalance timeout b completes alone.
	r := c.JoinGroup(ctx, Client{ID: "b"}, testJoin("g", "", 10000, 200))
	start := time.Now()
	r = c.JoinGroup(ctx, Client{ID: "b"}, testJoin("g", r.MemberID, 10000, 200))
	if r.ErrorCode != 0 || r.LeaderID != r.MemberID || len(r.Members) != 1 {
		t.Fatalf("b's join: %v leader %q members %d", kerr.ErrorForCode(r.ErrorCode), r.LeaderID, len(r.Members))
	}
	if waited := time.Since(start); waited < 150*time.Millisecond {
		t.Fatalf("join completed after %v, before the rebalance timeout", waited)
	}
	hb := kmsg.NewPtrHeartbeatRequest()
	hb.Group, hb.MemberID, hb.Generation = "g", a.MemberID, a.Generation
	if code := c.Heartbeat(ctx, hb).ErrorCode; code != kerr.UnknownMemberID.Code {
		t.Fatalf("heartbeat of the dropped member: %v", kerr.ErrorForCode(code))
	}
}

// A parked join returns when its context ends (the connection closed), and Close answers
// what is still parked.
func TestParkedJoinEndsWithContextAndClose(t *testing.T) {
	t.Parallel()
	c := newTestCoordinator(t)
	joinMember(t, c, "g", 10000, 60000)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan *kmsg.JoinGroupResponse, 1)
	r := c.JoinGroup(ctx, Client{ID: "b"}, testJoin("g", "", 10000, 60000))
	go func() { done <- c.JoinGroup(ctx, Client{ID: "b"}, testJoin("g", r.MemberID, 10000, 60000)) }()
	waitState(t, c, "g", "PreparingRebalance", 2)
	cancel()
	if r := <-done; r.ErrorCode == 0 {
		t.Fatal("cancelled join answered without an error")
	}
	go func() {
		done <- c.JoinGroup(context.Background(), Client{ID: "b"}, testJoin("g", r.MemberID, 10000, 60000))
	}()
	time.Sleep(20 * time.Millisecond)
	c.Close()
	if r := <-done; r.ErrorCode != kerr.CoordinatorNotAvailable.Code {
		t.Fatalf("join parked at Close: %v", kerr.ErrorForCode(r.ErrorCode))
	}
}
