package kafka_test

import (
	"encoding/binary"
	"testing"

	"github.com/streamlite/streamlite/engine/enginetest"
	"github.com/streamlite/streamlite/engine/kafka"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/kversion"
)

// kafka40Floors are the lowest versions Apache Kafka 4.0 advertises (KIP-896, as recorded in
// franz-go's kversion b40), for every key Kafka 4.0 serves to clients; keys not listed here
// have floor 0. Produce is advertised from v0 although v0-2 are refused (KAFKA-18659:
// librdkafka disables gzip/snappy/lz4 unless Produce v0 is in range).
var kafka40Floors = map[int16]int16{
	1: 4, 2: 1, 8: 2, 9: 1, 11: 2, 19: 2, 20: 1, 23: 2, 27: 1, 29: 1, 30: 1, 31: 1, 32: 1,
	34: 1, 35: 1, 38: 1, 39: 1, 40: 1, 41: 1,
}

func apiVersions(t *testing.T, c *rawConn, v int16) *kmsg.ApiVersionsResponse {
	t.Helper()
	req := kmsg.NewPtrApiVersionsRequest()
	req.ClientSoftwareName = "streamlite-test"
	req.ClientSoftwareVersion = "1.0"
	return c.roundTrip(req, v).(*kmsg.ApiVersionsResponse)
}

// Every ApiVersions version the broker serves answers with the same list, and every entry in
// it is one Kafka 4.0 clients can negotiate: floor no higher than Kafka 4.0's, ceiling no
// higher than Kafka 4.0's and decodable by kmsg.
func TestApiVersionsAdvertisedRanges(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t)
	c := dialRaw(t, b.Addr())
	k40 := kversion.V4_0_0()

	var first []kmsg.ApiVersionsResponseApiKey
	for v := int16(0); v <= 4; v++ {
		resp := apiVersions(t, c, v)
		errCode(t, "ApiVersions", resp.ErrorCode, nil)
		if len(resp.ApiKeys) == 0 {
			t.Fatalf("v%d: no api keys advertised", v)
		}
		if first == nil {
			first = resp.ApiKeys
		} else if len(first) != len(resp.ApiKeys) {
			t.Fatalf("v%d advertises %d keys, v0 %d", v, len(resp.ApiKeys), len(first))
		}
	}
	seen := map[int16]bool{}
	for _, k := range first {
		name := kmsg.NameForKey(k.ApiKey)
		if seen[k.ApiKey] {
			t.Errorf("%s advertised twice", name)
		}
		seen[k.ApiKey] = true
		max40, ok := k40.LookupMaxKeyVersion(k.ApiKey)
		if !ok {
			t.Errorf("%s (key %d) is not a Kafka 4.0 API", name, k.ApiKey)
			continue
		}
		if k.MinVersion < 0 || k.MinVersion > k.MaxVersion {
			t.Errorf("%s: range %d-%d", name, k.MinVersion, k.MaxVersion)
		}
		if floor := kafka40Floors[k.ApiKey]; k.MinVersion > floor {
			t.Errorf("%s: floor v%d is above Kafka 4.0's v%d; clients negotiating from it are locked out", name, k.MinVersion, floor)
		}
		if k.MaxVersion > max40 {
			t.Errorf("%s: ceiling v%d is above Kafka 4.0's v%d", name, k.MaxVersion, max40)
		}
		if req := kmsg.RequestForKey(k.ApiKey); req == nil || k.MaxVersion > req.MaxVersion() {
			t.Errorf("%s: ceiling v%d is beyond what kmsg decodes", name, k.MaxVersion)
		}
	}
	// The APIs every client needs (kafka-apis.md), with the versions clients negotiate to.
	for key, need := range map[int16]int16{
		kmsg.ApiVersions.Int16(): 3, kmsg.Metadata.Int16(): 12, kmsg.Produce.Int16(): 9,
		kmsg.Fetch.Int16(): 13, kmsg.ListOffsets.Int16(): 7, kmsg.CreateTopics.Int16(): 7,
	} {
		var found bool
		for _, k := range first {
			if k.ApiKey == key {
				found = true
				if k.MaxVersion < need {
					t.Errorf("%s: max v%d, clients expect v%d", kmsg.NameForKey(key), k.MaxVersion, need)
				}
			}
		}
		if !found {
			t.Errorf("%s not advertised", kmsg.NameForKey(key))
		}
	}
	// The list matches what the server actually serves, apart from Produce's advertised floor.
	served := kafka.SupportedAPIs()
	for _, k := range first {
		r, ok := served[k.ApiKey]
		if !ok {
			t.Errorf("%s advertised but not served", kmsg.NameForKey(k.ApiKey))
			continue
		}
		if k.MaxVersion != r[1] || (k.MinVersion != r[0] && k.ApiKey != kmsg.Produce.Int16()) {
			t.Errorf("%s advertised %d-%d, served %d-%d", kmsg.NameForKey(k.ApiKey), k.MinVersion, k.MaxVersion, r[0], r[1])
		}
	}
}

// Kafka answers an ApiVersions request of a version it does not know with
// UNSUPPORTED_VERSION (35) and its own list, in a v0 body, so the client can retry with a
// version both sides know (KIP-511). The connection stays open.
func TestApiVersionsTooHighVersion(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t)
	c := dialRaw(t, b.Addr())

	for _, v := range []int16{5, 99, 32767} {
		frame := []byte{0, 0, 0, 0}
		frame = binary.BigEndian.AppendUint16(frame, uint16(kmsg.ApiVersions.Int16()))
		frame = binary.BigEndian.AppendUint16(frame, uint16(v))
		frame = binary.BigEndian.AppendUint32(frame, 77) // correlation id
		frame = binary.BigEndian.AppendUint16(frame, 3)
		frame = append(frame, "raw"...)
		frame = append(frame, 0xde, 0xad, 0xbe, 0xef) // a body no version defines
		binary.BigEndian.PutUint32(frame, uint32(len(frame)-4))
		c.writeRaw(frame)

		body, err := c.readFrame()
		if err != nil {
			t.Fatalf("v%d: %v", v, err)
		}
		if corr := binary.BigEndian.Uint32(body); corr != 77 {
			t.Fatalf("v%d: correlation id %d", v, corr)
		}
		resp := kmsg.NewPtrApiVersionsResponse()
		resp.SetVersion(0)
		if err := resp.ReadFrom(body[4:]); err != nil {
			t.Fatalf("v%d: response is not a v0 ApiVersions body: %v", v, err)
		}
		errCode(t, "ApiVersions too high", resp.ErrorCode, kerr.UnsupportedVersion)
		var max int16 = -1
		for _, k := range resp.ApiKeys {
			if k.ApiKey == kmsg.ApiVersions.Int16() {
				max = k.MaxVersion
			}
		}
		if max != 4 {
			t.Fatalf("v%d: error response lists ApiVersions up to v%d, want v4", v, max)
		}
	}
	// The client then retries with v3 on the same connection.
	errCode(t, "ApiVersions v3 after retry", apiVersions(t, c, 3).ErrorCode, nil)
}

// A served API asked for at a version kmsg knows but the broker does not serve (Produce v2,
// below the served floor) writes nothing and keeps the connection.
func TestUnservedVersionWritesNothing(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Topics(1, "t"))
	c := dialRaw(t, b.Addr())
	req := kmsg.NewPtrProduceRequest()
	req.Acks = 1
	req.TimeoutMillis = 1000
	rt := kmsg.NewProduceRequestTopic()
	rt.Topic = "t"
	rp := kmsg.NewProduceRequestTopicPartition()
	rp.Records = kafka.MakeBatch(t, 0, 1000, "v")
	rt.Partitions = append(rt.Partitions, rp)
	req.Topics = append(req.Topics, rt)
	resp := c.roundTrip(req, 2).(*kmsg.ProduceResponse)
	for _, st := range resp.Topics {
		for _, sp := range st.Partitions {
			if sp.ErrorCode == 0 {
				t.Fatalf("Produce v2 accepted for %s/%d", st.Topic, sp.Partition)
			}
		}
	}
	lo := listOffset(t, c, "t", 0, -1)
	if lo.Offset != 0 {
		t.Fatalf("log end offset %d after an unserved produce, want 0", lo.Offset)
	}
	errCode(t, "ApiVersions", apiVersions(t, c, 3).ErrorCode, nil)
}
