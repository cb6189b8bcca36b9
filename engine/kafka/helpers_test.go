package kafka_test

import (
	"fmt"

	"context"
	"encoding/binary"
	"errors"
	"github.com/streamlite/streamlite/engine/kafka"
	"io"
	"net"
	"testing"
	"time"

	"github.com/streamlite/streamlite/engine/enginetest"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// testTimeout bounds every wait in these tests; it is a guard against hangs, never an
// assertion about how fast something happens.
const testTimeout = 20 * time.Second

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	t.Cleanup(cancel)
	return ctx
}

// rawConn speaks the Kafka protocol over a bare TCP connection, so tests control framing,
// versions and correlation ids exactly.
type rawConn struct {
	t    testing.TB
	nc   net.Conn
	corr int32
	fmtr *kmsg.RequestFormatter
}

func dialRaw(t testing.TB, addr string) *rawConn {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, testTimeout)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { nc.Close() })
	return &rawConn{t: t, nc: nc, fmtr: kmsg.NewRequestFormatter(kmsg.FormatterClientID("raw-test"))}
}

// writeRaw writes bytes as they are (a frame the test built by hand).
func (c *rawConn) writeRaw(b []byte) {
	c.t.Helper()
	_ = c.nc.SetWriteDeadline(time.Now().Add(testTimeout))
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// send writes req (at the version set on it) and returns its correlation id.
func (c *rawConn) send(req kmsg.Request) int32 {
	c.t.Helper()
	c.corr++
	c.writeRaw(c.fmtr.AppendRequest(nil, req, c.corr))
	return c.corr
}

// readFrame reads one size-prefixed response frame and returns the bytes after the size.
func (c *rawConn) readFrame() ([]byte, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(testTimeout))
	var size [4]byte
	if _, err := io.ReadFull(c.nc, size[:]); err != nil {
		return nil, err
	}
	n := int32(binary.BigEndian.Uint32(size[:]))
	if n < 4 || n > 64<<20 {
		c.t.Fatalf("response frame size %d", n)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(c.nc, body); err != nil {
		return nil, err
	}
	return body, nil
}

// read reads the response to the request with correlation id corr into resp (whose version
// must be set).
func (c *rawConn) read(corr int32, resp kmsg.Response) {
	c.t.Helper()
	body, err := c.readFrame()
	if err != nil {
		c.t.Fatalf("reading response to %s: %v", kmsg.NameForKey(resp.Key()), err)
	}
	if got := int32(binary.BigEndian.Uint32(body)); got != corr {
		c.t.Fatalf("correlation id %d, want %d", got, corr)
	}
	body = body[4:]
	if resp.IsFlexible() && resp.Key() != kmsg.ApiVersions.Int16() {
		// Flexible response header: tagged fields, empty from this broker.
		if len(body) == 0 || body[0] != 0 {
			c.t.Fatalf("flexible response header tags: %x", body[:min(len(body), 1)])
		}
		body = body[1:]
	}
	if err := resp.ReadFrom(body); err != nil {
		c.t.Fatalf("decoding %s v%d: %v", kmsg.NameForKey(resp.Key()), resp.GetVersion(), err)
	}
}

// roundTrip sends req at version v and reads its response.
func (c *rawConn) roundTrip(req kmsg.Request, v int16) kmsg.Response {
	c.t.Helper()
	req.SetVersion(v)
	corr := c.send(req)
	resp := req.ResponseKind()
	resp.SetVersion(v)
	c.read(corr, resp)
	return resp
}

// expectClosed asserts the broker closes the connection without answering.
func (c *rawConn) expectClosed() {
	c.t.Helper()
	body, err := c.readFrame()
	if err == nil {
		c.t.Fatalf("broker answered (%d bytes) instead of closing the connection", len(body))
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		c.t.Fatalf("connection still open after %v", testTimeout)
	}
}

// produceRaw sends one batch to topic/partition with acks and returns the partition result.
func (c *rawConn) produceRaw(topic string, partition int32, acks int16, batch []byte) kmsg.ProduceResponseTopicPartition {
	c.t.Helper()
	req := kmsg.NewPtrProduceRequest()
	req.Acks = acks
	req.TimeoutMillis = 10000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Partition = partition
	rp.Records = batch
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp := c.roundTrip(req, 9).(*kmsg.ProduceResponse)
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		c.t.Fatalf("produce response shape: %+v", resp)
	}
	return resp.Topics[0].Partitions[0]
}

// produceSync produces recs and fails the test on any error.
func produceSync(t testing.TB, cl *kgo.Client, recs ...*kgo.Record) {
	t.Helper()
	if err := cl.ProduceSync(testCtx(t), recs...).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
}

// consume reads n records from the start of topic's partitions with a new client.
func consume(t testing.TB, b *enginetest.Broker, topic string, n int, opts ...kgo.Opt) []*kgo.Record {
	t.Helper()
	cl := b.Client(append([]kgo.Opt{kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())}, opts...)...)
	return pollN(t, cl, n)
}

// pollN polls cl until it has n records; errors fail the test.
func pollN(t testing.TB, cl *kgo.Client, n int) []*kgo.Record {
	t.Helper()
	ctx := testCtx(t)
	var out []*kgo.Record
	for len(out) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("consumed %d of %d records before the test timeout", len(out), n)
		}
		fs.EachError(func(topic string, p int32, err error) {
			t.Fatalf("fetch %s/%d: %v", topic, p, err)
		})
		out = append(out, fs.Records()...)
	}
	return out
}

// fetchOnce sends one Fetch (v) for topic/partition at offset over a raw connection.
func fetchOnce(t testing.TB, c *rawConn, v int16, topic string, id [16]byte, partition int32, offset int64, maxBytes, partMax int32) kmsg.FetchResponseTopicPartition {
	t.Helper()
	req := kmsg.NewPtrFetchRequest()
	req.ReplicaID = -1
	req.MaxWaitMillis = 0
	req.MinBytes = 0
	req.MaxBytes = maxBytes
	req.SessionEpoch = -1
	rt := kmsg.NewFetchRequestTopic()
	rt.Topic = topic
	rt.TopicID = id
	rp := kmsg.NewFetchRequestTopicPartition()
	rp.Partition = partition
	rp.FetchOffset = offset
	rp.PartitionMaxBytes = partMax
	rp.CurrentLeaderEpoch = -1
	rp.LogStartOffset = -1
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp := c.roundTrip(req, v).(*kmsg.FetchResponse)
	if resp.ErrorCode != 0 {
		t.Fatalf("fetch: top-level error %v", kerr.ErrorForCode(resp.ErrorCode))
	}
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		t.Fatalf("fetch response shape: %+v", resp)
	}
	return resp.Topics[0].Partitions[0]
}

// batchCount returns the number of whole v2 batches in b and their total records, failing on
// a partial batch.
func batchCount(t testing.TB, b []byte) (batches int, records int) {
	t.Helper()
	for len(b) > 0 {
		if len(b) < 61 {
			t.Fatalf("partial batch header: %d bytes", len(b))
		}
		l := int(int32(binary.BigEndian.Uint32(b[8:]))) + 12
		if l > len(b) {
			t.Fatalf("partial batch: %d of %d bytes", len(b), l)
		}
		batches++
		records += int(int32(binary.BigEndian.Uint32(b[57:])))
		b = b[l:]
	}
	return batches, records
}

// errCode fails the test unless code is want.
func errCode(t testing.TB, what string, code int16, want *kerr.Error) {
	t.Helper()
	var w int16
	if want != nil {
		w = want.Code
	}
	if code != w {
		t.Fatalf("%s: error %v, want %v", what, kerr.ErrorForCode(code), want)
	}
}

// topicID returns topic's id from Metadata.
func topicID(t testing.TB, cl *kgo.Client, topic string) [16]byte {
	t.Helper()
	req := kmsg.NewPtrMetadataRequest()
	mt := kmsg.NewMetadataRequestTopic()
	mt.Topic = kmsg.StringPtr(topic)
	req.Topics = append(req.Topics, mt)
	resp, err := req.RequestWith(testCtx(t), cl)
	if err != nil {
		t.Fatalf("metadata: %v", err)
	}
	if len(resp.Topics) != 1 || resp.Topics[0].ErrorCode != 0 {
		t.Fatalf("metadata for %s: %+v", topic, resp.Topics)
	}
	return resp.Topics[0].TopicID
}

// listOffset sends ListOffsets v7 for one partition and timestamp over c.
func listOffset(t testing.TB, c *rawConn, topic string, partition int32, ts int64) kmsg.ListOffsetsResponseTopicPartition {
	t.Helper()
	req := kmsg.NewPtrListOffsetsRequest()
	req.ReplicaID = -1
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	rp := kmsg.NewListOffsetsRequestTopicPartition()
	rp.Partition = partition
	rp.Timestamp = ts
	rp.CurrentLeaderEpoch = -1
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp := c.roundTrip(req, 7).(*kmsg.ListOffsetsResponse)
	if len(resp.Topics) != 1 || len(resp.Topics[0].Partitions) != 1 {
		t.Fatalf("list offsets response shape: %+v", resp)
	}
	return resp.Topics[0].Partitions[0]
}

func makeBatchForPipe(t testing.TB, i int) []byte {
	return kafka.MakeBatch(t, 0, int64(i), fmt.Sprintf("pipe-%d", i))
}
