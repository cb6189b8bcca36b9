package kafka_test

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/streamlite/streamlite/engine/enginetest"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// header appends a v1 request header (key, version, correlation id, client id).
func header(dst []byte, key, version int16, corr int32) []byte {
	dst = binary.BigEndian.AppendUint16(dst, uint16(key))
	dst = binary.BigEndian.AppendUint16(dst, uint16(version))
	dst = binary.BigEndian.AppendUint32(dst, uint32(corr))
	dst = binary.BigEndian.AppendUint16(dst, 3)
	return append(dst, "bad"...)
}

func frame(body []byte) []byte {
	return append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...)
}

// Bad input on one connection closes only that connection, as Kafka's SocketServer does
// (InvalidReceiveException for sizes, InvalidRequestException for headers and bodies); the
// broker keeps serving every other client and never panics.
func TestBadFramesCloseOnlyTheirConnection(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Topics(1, "ok"))
	// A client connected before, during and after the bad input.
	good := b.Client(kgo.DefaultProduceTopic("ok"))
	produceSync(t, good, &kgo.Record{Value: []byte("before")})

	truncatedProduce := func() []byte {
		req := kmsg.NewPtrProduceRequest()
		req.SetVersion(9)
		req.Acks = 1
		rt := kmsg.NewProduceRequestTopic()
		rt.Topic = "ok"
		rp := kmsg.NewProduceRequestTopicPartition()
		rp.Records = []byte("0123456789")
		rt.Partitions = append(rt.Partitions, rp)
		req.Topics = append(req.Topics, rt)
		body := header(nil, 0, 9, 1)
		body = append(body, 0) // flexible header tags
		full := req.AppendTo(body)
		return frame(full[:len(full)-8])
	}

	cases := map[string][]byte{
		"size above socket.request.max.bytes": binary.BigEndian.AppendUint32(nil, 200<<20),
		"size of max int32":                   binary.BigEndian.AppendUint32(nil, 0x7fffffff),
		"negative size":                       binary.BigEndian.AppendUint32(nil, 0xffffffff),
		"size shorter than a header":          frame([]byte{0, 3, 0}),
		"truncated header":                    frame([]byte{0, 3, 0, 1, 0, 0, 0, 1, 0, 9, 'a'}),
		"unknown api key":                     frame(header(nil, 9999, 0, 1)),
		"negative api key":                    frame(header(nil, -2, 0, 1)),
		"version beyond any Kafka":            frame(header(nil, 3, 99, 1)),
		"negative version":                    frame(header(nil, 3, -1, 1)),
		"truncated request body":              truncatedProduce(),
		"metadata body cut in a string":       frame(append(header(nil, 3, 4, 1), 0, 0, 0, 1, 0, 50, 'x')),
	}
	for name, bad := range cases {
		t.Run(name, func(t *testing.T) {
			c := dialRaw(t, b.Addr())
			// A good request first proves the connection was healthy.
			errCode(t, "ApiVersions", apiVersions(t, c, 3).ErrorCode, nil)
			c.writeRaw(bad)
			c.expectClosed()

			// Everyone else is unaffected: the old client, and a new connection.
			produceSync(t, good, &kgo.Record{Value: []byte(name)})
			c2 := dialRaw(t, b.Addr())
			errCode(t, "ApiVersions on a new connection", apiVersions(t, c2, 3).ErrorCode, nil)
		})
	}
	// Every record the good client sent is there, in order.
	got := consume(t, b, "ok", 1+len(cases))
	if string(got[0].Value) != "before" {
		t.Fatalf("first record %q", got[0].Value)
	}
	for i, r := range got {
		if r.Offset != int64(i) {
			t.Fatalf("record %d at offset %d", i, r.Offset)
		}
	}
}

// A client that sends half a frame and hangs up, or pipelines many requests and hangs up
// before reading, leaves the broker serving.
func TestClientHangsUpMidRequest(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Topics(1, "hup"))
	for i := range 20 {
		c := dialRaw(t, b.Addr())
		req := kmsg.NewPtrMetadataRequest()
		req.SetVersion(12)
		full := c.fmtr.AppendRequest(nil, req, 1)
		switch i % 3 {
		case 0:
			c.writeRaw(full[:len(full)/2])
		case 1:
			c.writeRaw(full[:2])
		case 2:
			for range 50 {
				c.writeRaw(full)
			}
		}
		c.nc.Close()
	}
	c := dialRaw(t, b.Addr())
	for i := range 3 {
		errCode(t, fmt.Sprintf("ApiVersions %d", i), apiVersions(t, c, 3).ErrorCode, nil)
	}
	produceSync(t, b.Client(kgo.DefaultProduceTopic("hup")), &kgo.Record{Value: []byte("still here")})
}

// Responses on one connection come back in request order, pipelined requests of different
// APIs included (Kafka's ordering guarantee per connection).
func TestPipelinedResponsesInOrder(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Topics(1, "pipe"), enginetest.Durable())
	c := dialRaw(t, b.Addr())
	type sent struct {
		corr int32
		resp kmsg.Response
	}
	var all []sent
	for i := range 30 {
		var req kmsg.Request
		switch i % 3 {
		case 0:
			p := kmsg.NewPtrProduceRequest()
			p.Acks = -1
			p.TimeoutMillis = 10000
			rt := kmsg.NewProduceRequestTopic()
			rt.Topic = "pipe"
			rp := kmsg.NewProduceRequestTopicPartition()
			rp.Records = makeBatchForPipe(t, i)
			rt.Partitions = append(rt.Partitions, rp)
			p.Topics = append(p.Topics, rt)
			p.SetVersion(9)
			req = p
		case 1:
			m := kmsg.NewPtrMetadataRequest()
			m.SetVersion(12)
			req = m
		case 2:
			a := kmsg.NewPtrApiVersionsRequest()
			a.SetVersion(3)
			req = a
		}
		corr := c.send(req)
		resp := req.ResponseKind()
		resp.SetVersion(req.GetVersion())
		all = append(all, sent{corr, resp})
	}
	for i, s := range all {
		c.read(s.corr, s.resp) // fails on a correlation id out of order
		if p, ok := s.resp.(*kmsg.ProduceResponse); ok {
			sp := p.Topics[0].Partitions[0]
			if sp.ErrorCode != 0 || sp.BaseOffset != int64(i/3) {
				t.Fatalf("produce %d: %+v", i/3, sp)
			}
		}
	}
}
