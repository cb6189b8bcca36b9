package tui

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamlite/streamlite/tui/cluster"
)

// TestKfakeCluster points the browser at a three-broker kfake cluster (any Kafka, not only
// streamlite; issue 11 must-show 3): its topics and groups show, and a topic's records.
func TestKfakeCluster(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(3), kfake.SeedTopics(3, "orders", "payments"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	kcl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.DefaultProduceTopic("orders"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(kcl.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for i := 0; i < 9; i++ {
		if err := kcl.ProduceSync(ctx, &kgo.Record{Partition: int32(i % 3), Value: []byte(`{"n":1}`)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	var o kadm.Offsets
	o.Add(kadm.Offset{Topic: "orders", Partition: 0, At: 1, LeaderEpoch: -1})
	if _, err := kadm.NewClient(kcl).CommitOffsets(ctx, "kfake-group", o); err != nil {
		t.Fatal(err)
	}

	cl, err := cluster.New(cluster.Config{Brokers: c.ListenAddrs()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	h := newHarness(t, FromClient(cl), Options{})
	h.untilShows("payments")
	h.wantShows("orders")
	h.command("groups")
	h.untilShows("kfake-group")
	h.command("records orders")
	h.untilShows("9 kept")
	h.command("schemas")
	h.wantShows("no schema registry (--registry)")
}
