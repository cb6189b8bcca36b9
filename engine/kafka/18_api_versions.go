package kafka

import (
	"slices"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// ApiVersions: versions 0-4.
//
// v3+ is flexible in its request; the response header is always v0 so that a client that
// sent a version the broker does not know can still read the answer. For such a version the
// broker answers with a v0 body holding UNSUPPORTED_VERSION and its ranges (see conn.go), and
// the client retries with the highest version both sides know.
//
// Produce is advertised from v0 although only v3+ is served, as Kafka 4.0 does (KAFKA-18659):
// librdkafka turns gzip, snappy and lz4 off unless Produce v0 is in the broker's range
// (librdkafka#4956). Clients pick the highest common version, so none sends v0-2; one that
// does gets UNSUPPORTED_VERSION.

func apiVersionsResponse(version, code int16) *kmsg.ApiVersionsResponse {
	resp := kmsg.NewPtrApiVersionsResponse()
	resp.SetVersion(version)
	resp.ErrorCode = code
	keys := make([]int16, 0, len(supportedAPIs))
	for k := range supportedAPIs {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		r := supportedAPIs[k]
		if k == kmsg.Produce.Int16() {
			r.min = 0
		}
		resp.ApiKeys = append(resp.ApiKeys, kmsg.ApiVersionsResponseApiKey{ApiKey: k, MinVersion: r.min, MaxVersion: r.max})
	}
	return resp
}
