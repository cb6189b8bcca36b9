package kafka_test

import (
	"errors"
	"testing"

	"github.com/streamlite/streamlite/engine/cluster"
	"github.com/streamlite/streamlite/engine/enginetest"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// CreateTopics as Kafka answers it on a one-broker cluster.
func TestCreateTopics(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.DefaultPartitions(2))
	adm := b.Admin()
	ctx := testCtx(t)

	// validate_only (KIP-108) checks and creates nothing.
	r, err := adm.ValidateCreateTopics(ctx, 5, 1, map[string]*string{"retention.ms": kmsg.StringPtr("1000")}, "dry")
	if err != nil || r["dry"].Err != nil {
		t.Fatalf("validate only: %v %v", err, r["dry"].Err)
	}
	if r["dry"].NumPartitions != 5 {
		t.Fatalf("validate only answered %d partitions", r["dry"].NumPartitions)
	}
	if topics, _ := b.Admin().ListTopics(ctx); topics.Has("dry") { // a fresh client: kadm caches metadata
		t.Fatal("validate_only created the topic")
	}

	r, err = adm.CreateTopics(ctx, 3, 1, map[string]*string{"cleanup.policy": kmsg.StringPtr("compact")}, "c1")
	if err != nil || r["c1"].Err != nil {
		t.Fatalf("create: %v %v", err, r["c1"].Err)
	}
	if r["c1"].ID == (kadm.TopicID{}) || r["c1"].NumPartitions != 3 || r["c1"].ReplicationFactor != 1 {
		t.Fatalf("create response (v7: id, partitions, rf): %+v", r["c1"])
	}
	// -1 partitions and replication factor (KIP-464) take the broker defaults.
	r, err = adm.CreateTopics(ctx, -1, -1, nil, "defaults")
	if err != nil || r["defaults"].Err != nil || r["defaults"].NumPartitions != 2 {
		t.Fatalf("defaults: %v %+v", err, r["defaults"])
	}

	for _, tc := range []struct {
		name    string
		parts   int32
		rf      int16
		configs map[string]*string
		topic   string
		want    *kerr.Error
	}{
		{"duplicate", 1, 1, nil, "c1", kerr.TopicAlreadyExists},
		{"rf 3 on one broker", 1, 3, nil, "rf3", kerr.InvalidReplicationFactor},
		{"rf 0", 1, 0, nil, "rf0", kerr.InvalidReplicationFactor},
		{"unknown config", 1, 1, map[string]*string{"no.such.config": kmsg.StringPtr("1")}, "badcfg", kerr.InvalidConfig},
		{"bad config value", 1, 1, map[string]*string{"retention.ms": kmsg.StringPtr("soon")}, "badval", kerr.InvalidConfig},
		{"zero partitions", 0, 1, nil, "p0", kerr.InvalidPartitions},
		{"invalid name", 1, 1, nil, "bad name", kerr.InvalidTopicException},
	} {
		r, err := adm.CreateTopics(ctx, tc.parts, tc.rf, tc.configs, tc.topic)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !errors.Is(r[tc.topic].Err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, r[tc.topic].Err, tc.want)
		}
	}
	topics, err := b.Admin().ListTopics(ctx) // a fresh client: kadm caches metadata
	if err != nil {
		t.Fatal(err)
	}
	if got := topics.Names(); len(got) != 2 || !topics.Has("c1") || !topics.Has("defaults") {
		t.Fatalf("topics after refused creates: %v %+v", got, topics)
	}

	// A topic named twice in one request is INVALID_REQUEST for both (Kafka's CreateTopics).
	c := dialRaw(t, b.Addr())
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = 5000
	for range 2 {
		rt := kmsg.NewCreateTopicsRequestTopic()
		rt.Topic = "twice"
		rt.NumPartitions, rt.ReplicationFactor = 1, 1
		req.Topics = append(req.Topics, rt)
	}
	resp := c.roundTrip(req, 7).(*kmsg.CreateTopicsResponse)
	for _, st := range resp.Topics {
		errCode(t, "named twice", st.ErrorCode, kerr.InvalidRequest)
	}
	// Replica assignments may only name broker 0, with partitions numbered from 0.
	for _, tc := range []struct {
		name string
		asg  []kmsg.CreateTopicsRequestTopicReplicaAssignment
		want *kerr.Error
	}{
		{"broker 0", []kmsg.CreateTopicsRequestTopicReplicaAssignment{{Partition: 0, Replicas: []int32{0}}, {Partition: 1, Replicas: []int32{0}}}, nil},
		{"broker 1", []kmsg.CreateTopicsRequestTopicReplicaAssignment{{Partition: 0, Replicas: []int32{1}}}, kerr.InvalidReplicaAssignment},
		{"negative partition", []kmsg.CreateTopicsRequestTopicReplicaAssignment{{Partition: -1, Replicas: []int32{0}}}, kerr.InvalidReplicaAssignment},
		{"partition far out", []kmsg.CreateTopicsRequestTopicReplicaAssignment{{Partition: 1 << 30, Replicas: []int32{0}}}, kerr.InvalidReplicaAssignment},
		{"gap", []kmsg.CreateTopicsRequestTopicReplicaAssignment{{Partition: 0, Replicas: []int32{0}}, {Partition: 2, Replicas: []int32{0}}}, kerr.InvalidReplicaAssignment},
	} {
		req := kmsg.NewPtrCreateTopicsRequest()
		req.TimeoutMillis = 5000
		rt := kmsg.NewCreateTopicsRequestTopic()
		rt.Topic = "asg"
		rt.NumPartitions, rt.ReplicationFactor = -1, -1
		rt.ReplicaAssignment = tc.asg
		req.Topics = append(req.Topics, rt)
		req.ValidateOnly = true
		resp := c.roundTrip(req, 7).(*kmsg.CreateTopicsResponse)
		errCode(t, "assignment "+tc.name, resp.Topics[0].ErrorCode, tc.want)
	}
}

// DeleteTopics by name (all versions) and by id (v6, KIP-516).
func TestDeleteTopics(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Topics(1, "d1", "d2", "keep"), enginetest.AutoCreate(false))
	adm := b.Admin()
	ctx := testCtx(t)
	produceSync(t, b.Client(kgo.DefaultProduceTopic("d1")), &kgo.Record{Value: []byte("x")})

	r, err := adm.DeleteTopics(ctx, "d1", "nope")
	if err != nil {
		t.Fatal(err)
	}
	if r["d1"].Err != nil || !errors.Is(r["nope"].Err, kerr.UnknownTopicOrPartition) {
		t.Fatalf("delete by name: d1 %v, nope %v", r["d1"].Err, r["nope"].Err)
	}

	c := dialRaw(t, b.Addr())
	id := topicID(t, b.Client(), "d2")
	req := kmsg.NewPtrDeleteTopicsRequest()
	req.TimeoutMillis = 5000
	for _, tid := range [][16]byte{id, {9, 9, 9}} {
		rt := kmsg.NewDeleteTopicsRequestTopic()
		rt.TopicID = tid
		req.Topics = append(req.Topics, rt)
	}
	resp := c.roundTrip(req, 6).(*kmsg.DeleteTopicsResponse)
	errCode(t, "delete by id", resp.Topics[0].ErrorCode, nil)
	if resp.Topics[0].Topic == nil || *resp.Topics[0].Topic != "d2" {
		t.Fatalf("delete by id names %v, want d2", resp.Topics[0].Topic)
	}
	errCode(t, "delete unknown id", resp.Topics[1].ErrorCode, kerr.UnknownTopicID)

	topics, err := b.Admin().ListTopics(ctx) // a fresh client: kadm caches metadata
	if err != nil {
		t.Fatal(err)
	}
	if got := topics.Names(); len(got) != 1 || got[0] != "keep" {
		t.Fatalf("topics after deletes: %v", got)
	}
	// A deleted topic's data is gone: re-created under the same name, it starts empty.
	if _, err := adm.CreateTopic(ctx, 1, 1, nil, "d1"); err != nil {
		t.Fatal(err)
	}
	if lo := listOffset(t, c, "d1", 0, -1); lo.Offset != 0 {
		t.Fatalf("re-created topic has end offset %d", lo.Offset)
	}
}

// CreatePartitions (KIP-195) only grows a topic; new partitions take produce and fetch.
func TestCreatePartitions(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Topics(2, "grow"))
	adm := b.Admin()
	ctx := testCtx(t)
	r, err := adm.ValidateUpdatePartitions(ctx, 8, "grow")
	if err != nil || r["grow"].Err != nil {
		t.Fatalf("validate: %v %v", err, r["grow"].Err)
	}
	r, err = adm.UpdatePartitions(ctx, 5, "grow")
	if err != nil || r["grow"].Err != nil {
		t.Fatalf("grow: %v %v", err, r["grow"].Err)
	}
	for _, tc := range []struct {
		set   int
		topic string
		want  *kerr.Error
	}{{5, "grow", kerr.InvalidPartitions}, {3, "grow", kerr.InvalidPartitions}, {9, "nope", kerr.UnknownTopicOrPartition}} {
		r, err := adm.UpdatePartitions(ctx, tc.set, tc.topic)
		if err != nil {
			t.Fatal(err)
		}
		if !errors.Is(r[tc.topic].Err, tc.want) {
			t.Errorf("set %d on %s: %v, want %v", tc.set, tc.topic, r[tc.topic].Err, tc.want)
		}
	}
	md, err := b.Admin().Metadata(ctx, "grow") // a fresh client: kadm caches metadata
	if err != nil {
		t.Fatal(err)
	}
	if n := len(md.Topics["grow"].Partitions); n != 5 {
		t.Fatalf("%d partitions after growing to 5 (validate-only must not count)", n)
	}
	p := b.Client(kgo.RecordPartitioner(kgo.ManualPartitioner()))
	produceSync(t, p, &kgo.Record{Topic: "grow", Partition: 4, Value: []byte("new")})
	got := consume(t, b, "grow", 1)
	if got[0].Partition != 4 || string(got[0].Value) != "new" {
		t.Fatalf("got %+v", got[0])
	}
}

func configOf(t *testing.T, adm *kadm.Client, topic, name string) kadm.Config {
	t.Helper()
	rcs, err := adm.DescribeTopicConfigs(testCtx(t), topic)
	if err != nil {
		t.Fatal(err)
	}
	rc, err := rcs.On(topic, nil)
	if err != nil || rc.Err != nil {
		t.Fatalf("describe %s: %v %v", topic, err, rc.Err)
	}
	for _, c := range rc.Configs {
		if c.Key == name {
			return c
		}
	}
	t.Fatalf("%s: config %s not described", topic, name)
	return kadm.Config{}
}

// DescribeConfigs, AlterConfigs and IncrementalAlterConfigs (KIP-339) on topic configs.
func TestTopicConfigs(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.TopicWithConfigs("cfg", 1, map[string]string{"retention.ms": "12345"}))
	adm := b.Admin()
	ctx := testCtx(t)

	c := configOf(t, adm, "cfg", "retention.ms")
	if c.MaybeValue() != "12345" || c.Source != kmsg.ConfigSourceDynamicTopicConfig {
		t.Fatalf("retention.ms: %q from %v, want 12345 DYNAMIC_TOPIC_CONFIG", c.MaybeValue(), c.Source)
	}
	c = configOf(t, adm, "cfg", "cleanup.policy")
	if c.MaybeValue() != "delete" || c.Source != kmsg.ConfigSourceDefaultConfig {
		t.Fatalf("cleanup.policy: %q from %v, want delete DEFAULT_CONFIG", c.MaybeValue(), c.Source)
	}
	rcs, err := adm.DescribeTopicConfigs(ctx, "nope")
	if err != nil {
		t.Fatal(err)
	}
	if rc, _ := rcs.On("nope", nil); !errors.Is(rc.Err, kerr.UnknownTopicOrPartition) {
		t.Fatalf("describe unknown topic: %v", rc.Err)
	}

	inc := func(want *kerr.Error, ops ...kadm.AlterConfig) {
		t.Helper()
		r, err := adm.AlterTopicConfigs(ctx, ops, "cfg")
		if err != nil {
			t.Fatal(err)
		}
		if !errors.Is(r[0].Err, want) && !(want == nil && r[0].Err == nil) {
			t.Fatalf("incremental %+v: %v, want %v", ops, r[0].Err, want)
		}
	}
	policy := func() string { c := configOf(t, adm, "cfg", "cleanup.policy"); return c.MaybeValue() }
	inc(nil, kadm.AlterConfig{Op: kadm.SetConfig, Name: "cleanup.policy", Value: kmsg.StringPtr("compact")})
	if p := policy(); p != "compact" {
		t.Fatalf("after SET: %q", p)
	}
	inc(nil, kadm.AlterConfig{Op: kadm.AppendConfig, Name: "cleanup.policy", Value: kmsg.StringPtr("delete")})
	if p := policy(); p != "compact,delete" {
		t.Fatalf("after APPEND delete: %q", p)
	}
	inc(nil, kadm.AlterConfig{Op: kadm.AppendConfig, Name: "cleanup.policy", Value: kmsg.StringPtr("delete")})
	if p := policy(); p != "compact,delete" {
		t.Fatalf("APPEND of a present value changed it: %q", p)
	}
	inc(nil, kadm.AlterConfig{Op: kadm.SubtractConfig, Name: "cleanup.policy", Value: kmsg.StringPtr("compact")})
	if p := policy(); p != "delete" {
		t.Fatalf("after SUBTRACT compact: %q", p)
	}
	inc(nil, kadm.AlterConfig{Op: kadm.DeleteConfig, Name: "cleanup.policy"})
	if c := configOf(t, adm, "cfg", "cleanup.policy"); c.MaybeValue() != "delete" || c.Source != kmsg.ConfigSourceDefaultConfig {
		t.Fatalf("after DELETE: %q from %v", c.MaybeValue(), c.Source)
	}
	// Errors leave every config as it was, the other ops of the resource included.
	inc(kerr.InvalidConfig,
		kadm.AlterConfig{Op: kadm.SetConfig, Name: "cleanup.policy", Value: kmsg.StringPtr("compact")},
		kadm.AlterConfig{Op: kadm.SetConfig, Name: "no.such", Value: kmsg.StringPtr("1")})
	inc(kerr.InvalidConfig, kadm.AlterConfig{Op: kadm.SetConfig, Name: "cleanup.policy", Value: kmsg.StringPtr("shred")})
	inc(kerr.InvalidConfig, kadm.AlterConfig{Op: kadm.AppendConfig, Name: "retention.ms", Value: kmsg.StringPtr("1")})
	if p := policy(); p != "delete" {
		t.Fatalf("refused alters changed cleanup.policy to %q", p)
	}
	if c := configOf(t, adm, "cfg", "retention.ms"); c.MaybeValue() != "12345" {
		t.Fatalf("refused alters changed retention.ms to %q", c.MaybeValue())
	}

	// The legacy AlterConfigs replaces the whole set: retention.ms goes back to its default.
	r, err := adm.AlterTopicConfigsState(ctx, []kadm.AlterConfig{{Name: "max.message.bytes", Value: kmsg.StringPtr("5000")}}, "cfg")
	if err != nil || r[0].Err != nil {
		t.Fatalf("alter configs: %v %v", err, r)
	}
	if c := configOf(t, adm, "cfg", "retention.ms"); c.Source != kmsg.ConfigSourceDefaultConfig || c.MaybeValue() != "604800000" {
		t.Fatalf("retention.ms after replacing the set: %q from %v", c.MaybeValue(), c.Source)
	}
	if c := configOf(t, adm, "cfg", "max.message.bytes"); c.MaybeValue() != "5000" || c.Source != kmsg.ConfigSourceDynamicTopicConfig {
		t.Fatalf("max.message.bytes: %q from %v", c.MaybeValue(), c.Source)
	}
	// ... and takes effect: a batch above 5000 bytes is now MESSAGE_TOO_LARGE.
	p := b.Client(kgo.DefaultProduceTopic("cfg"), kgo.ProducerBatchMaxBytes(100_000), kgo.ProducerBatchCompression(kgo.NoCompression()))
	err = p.ProduceSync(ctx, &kgo.Record{Value: make([]byte, 6000)}).FirstErr()
	if !errors.Is(err, kerr.MessageTooLarge) {
		t.Fatalf("produce above the altered max.message.bytes: %v", err)
	}
	// Broker configs are described, read-only.
	brcs, err := adm.DescribeBrokerConfigs(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	brc, err := brcs.On("0", nil)
	if err != nil || brc.Err != nil || len(brc.Configs) == 0 {
		t.Fatalf("broker configs: %v %+v", err, brc)
	}
}

// DeleteRecords (KIP-107) moves the low watermark; fetching below it is OFFSET_OUT_OF_RANGE
// and ListOffsets earliest follows it.
func TestDeleteRecords(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Topics(1, "dr"))
	c := dialRaw(t, b.Addr())
	produceBatches(t, c, "dr", 0, 5, 10)
	adm := b.Admin()
	os := kadm.Offsets{}
	os.Add(kadm.Offset{Topic: "dr", Partition: 0, At: 3})
	r, err := adm.DeleteRecords(testCtx(t), os)
	if err != nil {
		t.Fatal(err)
	}
	dr, _ := r.Lookup("dr", 0)
	if dr.Err != nil || dr.LowWatermark != 3 {
		t.Fatalf("delete records: %+v", dr)
	}
	if lo := listOffset(t, c, "dr", 0, -2); lo.Offset != 3 {
		t.Fatalf("earliest after delete records: %d", lo.Offset)
	}
	sp := fetchOnce(t, c, 12, "dr", [16]byte{}, 0, 1, 1<<20, 1<<20)
	errCode(t, "fetch below low watermark", sp.ErrorCode, kerr.OffsetOutOfRange)
	if sp.LogStartOffset != 3 {
		t.Fatalf("out of range answer has log start %d", sp.LogStartOffset)
	}
	got := consume(t, b, "dr", 2)
	if got[0].Offset != 3 || got[1].Offset != 4 {
		t.Fatalf("consumer from the start read offsets %d, %d", got[0].Offset, got[1].Offset)
	}
	// Above the high watermark is OFFSET_OUT_OF_RANGE; a lower offset never moves it back.
	for _, tc := range []struct {
		at   int64
		want *kerr.Error
		lw   int64
	}{{9, kerr.OffsetOutOfRange, -1}, {1, nil, 3}, {-1, nil, 5}} {
		os := kadm.Offsets{}
		os.Add(kadm.Offset{Topic: "dr", Partition: 0, At: tc.at})
		r, err := adm.DeleteRecords(testCtx(t), os)
		if err != nil {
			t.Fatal(err)
		}
		dr, _ := r.Lookup("dr", 0)
		if !errors.Is(dr.Err, tc.want) && !(tc.want == nil && dr.Err == nil) {
			t.Fatalf("delete before %d: %v, want %v", tc.at, dr.Err, tc.want)
		}
		if tc.want == nil && dr.LowWatermark != tc.lw {
			t.Fatalf("delete before %d: low watermark %d, want %d", tc.at, dr.LowWatermark, tc.lw)
		}
	}
}

// DescribeCluster (KIP-700), DescribeLogDirs, OffsetForLeaderEpoch (KIP-101/279) and
// InitProducerID (KIP-98/360) on the one broker.
func TestClusterAPIs(t *testing.T) {
	t.Parallel()
	for _, durable := range []bool{false, true} {
		opts := []enginetest.Option{enginetest.Topics(2, "ca")}
		if durable {
			opts = append(opts, enginetest.Durable())
		}
		b := enginetest.New(t, opts...)
		c := dialRaw(t, b.Addr())
		produceBatches(t, c, "ca", 1, 3, 100)

		for _, v := range []int16{0, 1} {
			dc := kmsg.NewPtrDescribeClusterRequest()
			dc.EndpointType = 1
			resp := c.roundTrip(dc, v).(*kmsg.DescribeClusterResponse)
			errCode(t, "describe cluster", resp.ErrorCode, nil)
			if len(resp.Brokers) != 1 || resp.Brokers[0].NodeID != 0 || resp.ControllerID != 0 || resp.ClusterID == "" {
				t.Fatalf("describe cluster v%d: %+v", v, resp)
			}
		}
		dc := kmsg.NewPtrDescribeClusterRequest()
		dc.EndpointType = 2
		errCode(t, "controllers endpoint", c.roundTrip(dc, 1).(*kmsg.DescribeClusterResponse).ErrorCode, kerr.UnsupportedEndpointType)

		ld, err := b.Admin().DescribeAllLogDirs(testCtx(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		var sizes = map[int32]int64{}
		ld.Each(func(d kadm.DescribedLogDir) {
			if d.Err != nil {
				t.Fatalf("log dir %s: %v", d.Dir, d.Err)
			}
			if durable != (d.Dir == b.DataDir()) {
				t.Fatalf("log dir %q (data dir %q)", d.Dir, b.DataDir())
			}
			d.Topics.Each(func(p kadm.DescribedLogDirPartition) {
				if p.Topic == "ca" {
					sizes[p.Partition] = p.Size
				}
			})
		})
		if len(sizes) != 2 || sizes[0] != 0 || sizes[1] <= 300 {
			t.Fatalf("log dir partition sizes %v: want partition 0 empty, partition 1 over 300 bytes", sizes)
		}

		var oreq kadm.OffsetForLeaderEpochRequest
		oreq.Add("ca", 1, 0)
		oreq.Add("ca", 0, 0)
		oe, err := b.Admin().OffsetForLeaderEpoch(testCtx(t), oreq)
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			p   int32
			end int64
			err *kerr.Error
		}{{1, 3, nil}, {0, 0, nil}} {
			got, ok := oe["ca"][tc.p]
			if !ok || !errors.Is(got.Err, tc.err) && !(tc.err == nil && got.Err == nil) || (tc.err == nil && (got.EndOffset != tc.end || got.LeaderEpoch != 0)) {
				t.Fatalf("offset for epoch 0 of ca/%d: %+v, want end %d err %v", tc.p, got, tc.end, tc.err)
			}
		}

		ip := kmsg.NewPtrInitProducerIDRequest()
		ip.ProducerID, ip.ProducerEpoch = -1, -1
		r1 := c.roundTrip(ip, 4).(*kmsg.InitProducerIDResponse)
		r2 := c.roundTrip(ip, 4).(*kmsg.InitProducerIDResponse)
		if r1.ErrorCode != 0 || r2.ErrorCode != 0 || r1.ProducerID < 0 || r1.ProducerID == r2.ProducerID || r1.ProducerEpoch != 0 {
			t.Fatalf("init producer id: %+v then %+v; want two distinct ids at epoch 0", r1, r2)
		}
		// KIP-360: the current id and epoch come back bumped.
		ip.ProducerID, ip.ProducerEpoch = r1.ProducerID, 0
		r3 := c.roundTrip(ip, 4).(*kmsg.InitProducerIDResponse)
		if r3.ProducerID != r1.ProducerID || r3.ProducerEpoch != 1 {
			t.Fatalf("epoch bump: %+v", r3)
		}
		ip.TransactionalID = kmsg.StringPtr("txn")
		ip.ProducerID, ip.ProducerEpoch = -1, -1
		errCode(t, "transactional id without a timeout", c.roundTrip(ip, 4).(*kmsg.InitProducerIDResponse).ErrorCode, kerr.InvalidTransactionTimeout)
		ip.TransactionTimeoutMillis = 60000
		if r := c.roundTrip(ip, 4).(*kmsg.InitProducerIDResponse); r.ErrorCode != 0 || r.ProducerID < 0 || r.ProducerEpoch != 0 {
			t.Fatalf("transactional id: %+v; want a producer id at epoch 0", r)
		}
	}
}

// Kafka's controller refuses requests for more than 10,000 partitions at once
// (MAX_PARTITIONS_PER_BATCH) with POLICY_VIOLATION; streamlite applies the same cap to
// CreateTopics and CreatePartitions so one request cannot open millions of logs.
func TestPartitionCountCap(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Topics(1, "capped"))
	c := dialRaw(t, b.Addr())
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = 5000
	for _, name := range []string{"huge", "small"} {
		rt := kmsg.NewCreateTopicsRequestTopic()
		rt.Topic = name
		rt.NumPartitions, rt.ReplicationFactor = 6000, 1
		req.Topics = append(req.Topics, rt)
	}
	for _, st := range c.roundTrip(req, 7).(*kmsg.CreateTopicsResponse).Topics {
		errCode(t, "12,000 partitions in one request: "+st.Topic, st.ErrorCode, kerr.PolicyViolation)
	}
	cp := kmsg.NewPtrCreatePartitionsRequest()
	cp.TimeoutMillis = 5000
	cp.Topics = append(cp.Topics, kmsg.CreatePartitionsRequestTopic{Topic: "capped", Count: 1 << 30})
	errCode(t, "2^30 partitions", c.roundTrip(cp, 3).(*kmsg.CreatePartitionsResponse).Topics[0].ErrorCode, kerr.PolicyViolation)
	topics, err := b.Admin().ListTopics(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(topics) != 1 || len(topics["capped"].Partitions) != 1 {
		t.Fatalf("topics after refused requests: %v, capped has %d partitions", topics.Names(), len(topics["capped"].Partitions))
	}
}

// Kafka refuses DeleteRecords on a topic whose cleanup.policy is compact alone
// (POLICY_VIOLATION); with compact,delete it is allowed.
func TestDeleteRecordsCompactOnlyRefused(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t,
		enginetest.TopicWithConfigs("conly", 1, map[string]string{"cleanup.policy": "compact"}),
		enginetest.TopicWithConfigs("cdel", 1, map[string]string{"cleanup.policy": "compact,delete"}))
	cl := b.Client()
	for _, topic := range []string{"conly", "cdel"} {
		produceSync(t, cl, &kgo.Record{Topic: topic, Key: []byte("k"), Value: []byte("v")})
	}
	adm := b.Admin()
	for topic, want := range map[string]error{"conly": kerr.PolicyViolation, "cdel": nil} {
		os := kadm.Offsets{}
		os.Add(kadm.Offset{Topic: topic, Partition: 0, At: 1})
		r, err := adm.DeleteRecords(testCtx(t), os)
		if err != nil {
			t.Fatal(err)
		}
		dr, _ := r.Lookup(topic, 0)
		if !errors.Is(dr.Err, want) || (want == nil && dr.Err != nil) {
			t.Fatalf("delete records on %s: %v, want %v", topic, dr.Err, want)
		}
	}
	if lo := listOffset(t, dialRaw(t, b.Addr()), "conly", 0, -2); lo.Offset != 0 {
		t.Fatalf("refused DeleteRecords moved the log start to %d", lo.Offset)
	}
}

// TestAutoCreatedMark checks streamlite.auto.created: true and read-only on a topic a Metadata
// request created, false on one CreateTopics made, refused when a client sets or removes it,
// and kept across a full AlterConfigs replace.
func TestAutoCreatedMark(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Topics(1, "made"))
	cl := b.Client(kgo.AllowAutoTopicCreation())
	adm := kadm.NewClient(cl)
	ctx := testCtx(t)
	if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "first-use", Value: []byte("v")}).FirstErr(); err != nil {
		t.Fatal(err)
	}
	c := configOf(t, adm, "first-use", cluster.ConfigAutoCreated)
	if c.MaybeValue() != "true" || c.Source != kmsg.ConfigSourceDynamicTopicConfig {
		t.Fatalf("auto-created topic: %q from %v, want true from DYNAMIC_TOPIC_CONFIG", c.MaybeValue(), c.Source)
	}
	req := kmsg.NewPtrDescribeConfigsRequest()
	rr := kmsg.NewDescribeConfigsRequestResource()
	rr.ResourceType, rr.ResourceName, rr.ConfigNames = kmsg.ConfigResourceTypeTopic, "first-use", []string{cluster.ConfigAutoCreated}
	req.Resources = append(req.Resources, rr)
	resp, err := req.RequestWith(ctx, cl)
	if err != nil || len(resp.Resources) != 1 || len(resp.Resources[0].Configs) != 1 || !resp.Resources[0].Configs[0].ReadOnly {
		t.Fatalf("DescribeConfigs of the mark: %v, %+v; want one read-only config", err, resp)
	}
	if c := configOf(t, adm, "made", cluster.ConfigAutoCreated); c.MaybeValue() != "false" {
		t.Fatalf("created topic: %q, want false", c.MaybeValue())
	}
	r, err := adm.CreateTopic(ctx, 1, 1, map[string]*string{cluster.ConfigAutoCreated: kmsg.StringPtr("true")}, "forged")
	if err == nil && r.Err == nil || !errors.Is(r.Err, kerr.InvalidConfig) {
		t.Fatalf("create with the mark: %v / %v, want INVALID_CONFIG", err, r.Err)
	}
	ar, err := adm.AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.DeleteConfig, Name: cluster.ConfigAutoCreated}}, "first-use")
	if err != nil || !errors.Is(ar[0].Err, kerr.InvalidConfig) {
		t.Fatalf("removing the mark: %v / %v, want INVALID_CONFIG", err, ar[0].Err)
	}
	if _, err := adm.AlterTopicConfigsState(ctx, []kadm.AlterConfig{{Name: "retention.ms", Value: kmsg.StringPtr("1000")}}, "first-use"); err != nil {
		t.Fatal(err)
	}
	if c := configOf(t, adm, "first-use", cluster.ConfigAutoCreated); c.MaybeValue() != "true" {
		t.Fatalf("after a full replace: %q, want true", c.MaybeValue())
	}
}
