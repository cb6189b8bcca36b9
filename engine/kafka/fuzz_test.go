package kafka

import (
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"testing"
	"time"

	"github.com/streamlite/streamlite/engine/cluster"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// FuzzValidateBatch feeds arbitrary bytes to validateBatch as a produced record set.
// Invariants: it never panics; whatever it accepts is one whole v2 batch — at least a header
// long, magic 2, a length field that covers exactly the bytes sent, a CRC-32C that matches,
// no larger than max.message.bytes, at least one record, not a control batch, zstd only on
// Produce v7+, transactional only in a request with a transactional id and then with a producer
// id; whatever it refuses, it refuses with one of the codes Produce defines for bad record sets.
// Each input is checked as if sent without and with a transactional id.
func FuzzValidateBatch(f *testing.F) {
	for _, seed := range validateBatchSeeds(f) {
		f.Add(seed, int16(9))
	}
	f.Fuzz(func(t *testing.T, b []byte, version int16) {
		checkValidateBatch(t, b, version, false)
		checkValidateBatch(t, b, version, true)
	})
}

func checkValidateBatch(t *testing.T, b []byte, version int16, txn bool) {
	t.Helper()
	{
		const maxBytes = 1 << 16
		err := validateBatch(b, maxBytes, version, txn)
		if err != nil {
			var pe *protoError
			if !errors.As(err, &pe) {
				t.Fatalf("refusal %v is not a protocol error", err)
			}
			switch pe.code {
			case kerr.CorruptMessage, kerr.InvalidRecord, kerr.MessageTooLarge, kerr.UnsupportedCompressionType,
				kerr.TransactionalIDAuthorizationFailed:
			default:
				t.Fatalf("refused with %v", pe.code)
			}
			return
		}
		if len(b) < batchHeaderSize {
			t.Fatalf("accepted %d bytes, shorter than a batch header", len(b))
		}
		if b[16] != 2 {
			t.Fatalf("accepted magic %d", b[16])
		}
		if l := int64(int32(binary.BigEndian.Uint32(b[8:]))); l+12 != int64(len(b)) {
			t.Fatalf("accepted length field %d for %d bytes", l, len(b))
		}
		if len(b) > maxBytes {
			t.Fatalf("accepted %d bytes above max.message.bytes", len(b))
		}
		if crc32.Checksum(b[21:], crc32c) != binary.BigEndian.Uint32(b[17:]) {
			t.Fatal("accepted a bad CRC")
		}
		attrs := binary.BigEndian.Uint16(b[21:])
		if attrs&0x20 != 0 || attrs&7 > 4 || (attrs&7 == 4 && version < 7) {
			t.Fatalf("accepted attributes %#x on produce v%d", attrs, version)
		}
		if n := int32(binary.BigEndian.Uint32(b[57:])); n <= 0 {
			t.Fatalf("accepted %d records", n)
		}
		if attrs&0x10 != 0 && (!txn || int64(binary.BigEndian.Uint64(b[43:])) < 0) {
			t.Fatalf("accepted a transactional batch (transactional id %t, producer id %d)",
				txn, int64(binary.BigEndian.Uint64(b[43:])))
		}
	}
}

func validateBatchSeeds(tb testingTB) [][]byte {
	var seeds [][]byte
	for codec := int8(0); codec <= 4; codec++ {
		good := makeBatch(tb, codec, 1000, "a", "bb", "ccc")
		seeds = append(seeds,
			good,
			good[:len(good)-1],     // truncated tail
			good[:batchHeaderSize], // header only
			good[:20],              // truncated header
			append(append([]byte{}, good...), good...), // two batches
		)
		long := append([]byte{}, good...)
		binary.BigEndian.PutUint32(long[8:], uint32(len(good))) // length says more than sent
		seeds = append(seeds, long)
		short := append([]byte{}, good...)
		binary.BigEndian.PutUint32(short[8:], 10) // length says less than a header
		seeds = append(seeds, short)
	}
	seeds = append(seeds, makeBatch(tb, 0, 0, ""), nil, []byte{})
	return seeds
}

// fuzzConn is a connection over an in-memory cluster that never touches a socket: frames go
// straight to handleFrame. Its context is already cancelled, so a Fetch that would park
// answers at once (nothing in a fuzz input can make an execution wait).
func fuzzConn(tb testing.TB) *conn {
	c, err := cluster.Open(cluster.Options{DefaultPartitions: 2})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	t, err := c.CreateTopic(cluster.CreateSpec{Name: "t", Partitions: 2, ReplicationFactor: 1}, false)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := t.Partition(0).Append(makeBatch(tb, 0, 1000, "x", "y"), time.Now()); err != nil {
		tb.Fatal(err)
	}
	s := NewServer(Config{Cluster: c, AutoCreateTopics: true, ClusterID: "fuzz", MaxRequestBytes: 1 << 20})
	s.advHost, s.advPort = "127.0.0.1", 9092
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return &conn{s: s, ctx: ctx, cancel: cancel, remote: "fuzz"}
}

// FuzzRequestFrame feeds arbitrary bytes to the connection's frame handler as the body of one
// request frame (what follows the size prefix). Invariants: it never panics; it either closes
// the connection with an errCloseConn reason or answers; every answer encodes and decodes
// again with kmsg at its version, with the request's correlation id.
func FuzzRequestFrame(f *testing.F) {
	for _, seed := range requestFrameSeeds(f) {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		c := fuzzConn(t)
		rep, err := c.handleFrame(append([]byte(nil), body...))
		if err != nil {
			if !errors.Is(err, errCloseConn) {
				t.Fatalf("frame closes the connection with %v, not a client-caused reason", err)
			}
			return
		}
		if rep == nil {
			return
		}
		defer func() {
			if rep.release != nil {
				rep.release()
			}
		}()
		if rep.ready != nil {
			<-rep.ready // in memory, durability is immediate
		}
		if rep.skip {
			return
		}
		if len(body) < 8 || rep.corr != int32(binary.BigEndian.Uint32(body[4:])) {
			t.Fatalf("answer has correlation id %d", rep.corr)
		}
		out := appendResponse(nil, rep.corr, rep.resp)
		if int(binary.BigEndian.Uint32(out)) != len(out)-4 {
			t.Fatal("response size prefix is wrong")
		}
		dec := rep.resp.Key()
		back := kmsg.ResponseForKey(dec)
		back.SetVersion(rep.resp.GetVersion())
		payload := out[8:]
		if back.IsFlexible() && dec != kmsg.ApiVersions.Int16() {
			payload = payload[1:]
		}
		if err := back.ReadFrom(payload); err != nil {
			t.Fatalf("%s v%d response does not decode: %v", kmsg.NameForKey(dec), back.GetVersion(), err)
		}
	})
}

// requestFrameSeeds are valid frames for the served APIs at several versions, plus
// truncations and header damage.
func requestFrameSeeds(tb testingTB) [][]byte {
	f := kmsg.NewRequestFormatter(kmsg.FormatterClientID("seed"))
	var seeds [][]byte
	add := func(req kmsg.Request, versions ...int16) {
		for _, v := range versions {
			req.SetVersion(v)
			frame := f.AppendRequest(nil, req, int32(len(seeds)+1))[4:] // drop the size prefix
			seeds = append(seeds, frame)
		}
	}
	prod := kmsg.NewPtrProduceRequest()
	prod.Acks = -1
	prod.TimeoutMillis = 1000
	pt := kmsg.NewProduceRequestTopic()
	pt.Topic = "t"
	pp := kmsg.NewProduceRequestTopicPartition()
	pp.Records = makeBatch(tb, 0, 1000, "v")
	pt.Partitions = append(pt.Partitions, pp)
	pp.Partition = 1
	pp.Records = makeBatch(tb, 4, 1000, "z")
	pt.Partitions = append(pt.Partitions, pp)
	prod.Topics = append(prod.Topics, pt)
	add(prod, 3, 7, 9, 12)

	fetch := kmsg.NewPtrFetchRequest()
	fetch.ReplicaID = -1
	fetch.MaxWaitMillis = 500
	fetch.MinBytes = 1 << 20
	fetch.MaxBytes = 1 << 20
	fetch.SessionEpoch = -1
	ft := kmsg.NewFetchRequestTopic()
	ft.Topic = "t"
	for p := range int32(3) {
		fp := kmsg.NewFetchRequestTopicPartition()
		fp.Partition = p
		fp.PartitionMaxBytes = 1 << 20
		ft.Partitions = append(ft.Partitions, fp)
	}
	fetch.Topics = append(fetch.Topics, ft)
	add(fetch, 4, 11, 12, 13, 17)

	lo := kmsg.NewPtrListOffsetsRequest()
	lt := kmsg.NewListOffsetsRequestTopic()
	lt.Topic = "t"
	for _, ts := range []int64{-1, -2, -3, 1000} {
		lp := kmsg.NewListOffsetsRequestTopicPartition()
		lp.Timestamp = ts
		lt.Partitions = append(lt.Partitions, lp)
	}
	lo.Topics = append(lo.Topics, lt)
	add(lo, 1, 7, 10)

	md := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr("auto")
	md.Topics = append(md.Topics, mt)
	md.AllowAutoTopicCreation = true
	add(md, 0, 4, 9, 12, 13)

	add(kmsg.NewPtrApiVersionsRequest(), 0, 3, 4, 5)

	ct := kmsg.NewPtrCreateTopicsRequest()
	ctt := kmsg.NewCreateTopicsRequestTopic()
	ctt.Topic = "new"
	ctt.NumPartitions, ctt.ReplicationFactor = 3, 1
	ctt.Configs = append(ctt.Configs, kmsg.CreateTopicsRequestTopicConfig{Name: "cleanup.policy", Value: kmsg.StringPtr("compact")})
	ct.Topics = append(ct.Topics, ctt)
	cta := kmsg.NewCreateTopicsRequestTopic()
	cta.Topic = "assigned"
	cta.NumPartitions, cta.ReplicationFactor = -1, -1
	cta.ReplicaAssignment = append(cta.ReplicaAssignment, kmsg.CreateTopicsRequestTopicReplicaAssignment{Partition: 0, Replicas: []int32{0}})
	ct.Topics = append(ct.Topics, cta)
	add(ct, 2, 5, 7)

	dt := kmsg.NewPtrDeleteTopicsRequest()
	dt.TopicNames = []string{"t"}
	dtt := kmsg.NewDeleteTopicsRequestTopic()
	dtt.Topic = kmsg.StringPtr("t")
	dt.Topics = append(dt.Topics, dtt)
	add(dt, 1, 5, 6)

	dr := kmsg.NewPtrDeleteRecordsRequest()
	drt := kmsg.NewDeleteRecordsRequestTopic()
	drt.Topic = "t"
	drt.Partitions = append(drt.Partitions, kmsg.DeleteRecordsRequestTopicPartition{Partition: 0, Offset: 1})
	dr.Topics = append(dr.Topics, drt)
	add(dr, 0, 2)

	ip := kmsg.NewPtrInitProducerIDRequest()
	add(ip, 0, 4, 5)

	oe := kmsg.NewPtrOffsetForLeaderEpochRequest()
	oet := kmsg.NewOffsetForLeaderEpochRequestTopic()
	oet.Topic = "t"
	oet.Partitions = append(oet.Partitions, kmsg.OffsetForLeaderEpochRequestTopicPartition{Partition: 0})
	oe.Topics = append(oe.Topics, oet)
	add(oe, 2, 4)

	dc := kmsg.NewPtrDescribeConfigsRequest()
	dc.IncludeSynonyms, dc.IncludeDocumentation = true, true
	dc.Resources = append(dc.Resources,
		kmsg.DescribeConfigsRequestResource{ResourceType: 2, ResourceName: "t"},
		kmsg.DescribeConfigsRequestResource{ResourceType: 4, ResourceName: "0"})
	add(dc, 1, 4)

	ac := kmsg.NewPtrAlterConfigsRequest()
	ac.Resources = append(ac.Resources, kmsg.AlterConfigsRequestResource{ResourceType: 2, ResourceName: "t",
		Configs: []kmsg.AlterConfigsRequestResourceConfig{{Name: "retention.ms", Value: kmsg.StringPtr("1000")}}})
	add(ac, 0, 2)

	iac := kmsg.NewPtrIncrementalAlterConfigsRequest()
	iac.Resources = append(iac.Resources, kmsg.IncrementalAlterConfigsRequestResource{ResourceType: 2, ResourceName: "t",
		Configs: []kmsg.IncrementalAlterConfigsRequestResourceConfig{{Name: "cleanup.policy", Op: 2, Value: kmsg.StringPtr("compact")}}})
	add(iac, 0, 1)

	dl := kmsg.NewPtrDescribeLogDirsRequest()
	add(dl, 1, 4)

	cp := kmsg.NewPtrCreatePartitionsRequest()
	cp.Topics = append(cp.Topics, kmsg.CreatePartitionsRequestTopic{Topic: "t", Count: 4})
	add(cp, 0, 3)

	dcl := kmsg.NewPtrDescribeClusterRequest()
	add(dcl, 0, 1)

	// An API kmsg knows but the broker does not serve, and a version beyond kmsg.
	add(kmsg.NewPtrFindCoordinatorRequest(), 3)

	n := len(seeds)
	for i := range n {
		s := seeds[i]
		seeds = append(seeds, s[:len(s)/2], s[:min(len(s), 9)])
	}
	return seeds
}
