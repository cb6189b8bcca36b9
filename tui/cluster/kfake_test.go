package cluster

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TestKfake browses a 3-broker kfake cluster: topics and groups list, and what kfake cannot
// answer degrades instead of failing.
func TestKfake(t *testing.T) {
	t.Parallel()
	kc, err := kfake.NewCluster(kfake.NumBrokers(3), kfake.SeedTopics(3, "alpha", "beta"))
	if err != nil {
		t.Fatal(err)
	}
	defer kc.Close()
	ctx := testCtx(t)
	c, err := New(Config{Brokers: kc.ListenAddrs()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(kc.ListenAddrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for p := range int32(3) {
		if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "alpha", Partition: p, Value: []byte(`{"p":1}`)}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	topics, err := c.Topics(ctx)
	if err != nil {
		t.Fatalf("Topics: %v", err)
	}
	if len(topics) != 2 || topics[0].Name != "alpha" || topics[1].Name != "beta" {
		t.Fatalf("topics: %+v", topics)
	}
	if a := topics[0]; a.Partitions != 3 || a.Records != 3 || a.Bytes == 0 {
		t.Errorf("alpha: %+v", a)
	}
	d, err := c.Topic(ctx, "alpha")
	if err != nil {
		t.Fatalf("Topic: %v", err)
	}
	for _, p := range d.Parts {
		if p.End != 1 || p.Err != nil || p.Leader < 0 || len(p.Replicas) != 3 {
			t.Errorf("partition %+v", p)
		}
	}

	r, err := c.OpenReader("alpha", Start{Kind: FromBeginning})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if recs := pollUntil(t, r, 3, 10*time.Second); recs[0].ValueFormat != FormatJSON {
		t.Errorf("record: %+v", recs[0])
	}

	var offs kadm.Offsets = map[string]map[int32]kadm.Offset{"alpha": {
		0: {Topic: "alpha", Partition: 0, At: 0, LeaderEpoch: -1},
		1: {Topic: "alpha", Partition: 1, At: 1, LeaderEpoch: -1},
	}}
	if err := c.adm.CommitAllOffsets(ctx, "kg", offs); err != nil {
		t.Fatal(err)
	}
	groups, err := c.Groups(ctx)
	if err != nil {
		t.Fatalf("Groups: %v", err)
	}
	if len(groups) != 1 || groups[0].ID != "kg" || groups[0].Lag != 1 {
		t.Fatalf("groups: %+v", groups)
	}
	g, err := c.Group(ctx, "kg")
	if err != nil || len(g.Offsets) != 2 || g.Offsets[0].Lag != 1 || g.Offsets[1].Lag != 0 {
		t.Fatalf("group: %+v, %v", g, err)
	}

	// Brokers that answer less: no log dirs, no configs, no ListOffsets -3/-4. The rows
	// degrade to their fallbacks instead of failing.
	kc.ControlKey(int16(kmsg.DescribeLogDirs), func(kr kmsg.Request) (kmsg.Response, error, bool) {
		kc.KeepControl()
		resp := kr.ResponseKind().(*kmsg.DescribeLogDirsResponse)
		resp.ErrorCode = kerr.UnsupportedVersion.Code
		return resp, nil, true
	})
	kc.ControlKey(int16(kmsg.DescribeConfigs), func(kr kmsg.Request) (kmsg.Response, error, bool) {
		kc.KeepControl()
		req := kr.(*kmsg.DescribeConfigsRequest)
		resp := req.ResponseKind().(*kmsg.DescribeConfigsResponse)
		for _, r := range req.Resources {
			rr := kmsg.NewDescribeConfigsResponseResource()
			rr.ResourceType, rr.ResourceName, rr.ErrorCode = r.ResourceType, r.ResourceName, kerr.UnknownServerError.Code
			resp.Resources = append(resp.Resources, rr)
		}
		return resp, nil, true
	})
	kc.ControlKey(int16(kmsg.ListOffsets), func(kr kmsg.Request) (kmsg.Response, error, bool) {
		kc.KeepControl()
		req := kr.(*kmsg.ListOffsetsRequest)
		if len(req.Topics) == 0 || len(req.Topics[0].Partitions) == 0 || req.Topics[0].Partitions[0].Timestamp > -3 {
			return nil, nil, false // start, end and by time: answered as usual
		}
		resp := req.ResponseKind().(*kmsg.ListOffsetsResponse)
		for _, t := range req.Topics {
			rt := kmsg.NewListOffsetsResponseTopic()
			rt.Topic = t.Topic
			for _, p := range t.Partitions {
				rp := kmsg.NewListOffsetsResponseTopicPartition()
				rp.Partition, rp.ErrorCode = p.Partition, kerr.UnsupportedVersion.Code
				rt.Partitions = append(rt.Partitions, rp)
			}
			resp.Topics = append(resp.Topics, rt)
		}
		return resp, nil, true
	})
	topics, err = c.Topics(ctx)
	if err != nil {
		t.Fatalf("Topics from a terse cluster: %v", err)
	}
	if a := topics[0]; a.Name != "alpha" || a.Records != 3 || a.Bytes != -1 || a.RetentionMs != 0 || a.CleanupPolicy != "" || !a.LastWrite.IsZero() || a.RemoteRecords != 0 {
		t.Errorf("alpha from a terse cluster: %+v", a)
	}
	d, err = c.Topic(ctx, "alpha")
	if err != nil {
		t.Fatalf("Topic from a terse cluster: %v", err)
	}
	for _, p := range d.Parts {
		if p.Bytes != -1 || p.LocalStart != p.Start || p.End != 1 || p.Err != nil || !p.LastWrite.IsZero() {
			t.Errorf("terse partition %+v", p)
		}
	}
	if len(d.Configs) != 0 {
		t.Errorf("terse configs: %+v", d.Configs)
	}
}
