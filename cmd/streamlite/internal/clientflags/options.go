package clientflags

import (
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/streamlite/streamlite/engine/loadgen"
)

// AcksOpts parses an --acks value ("all" or "-1", "1", "0") into producer
// options. Idempotent writes need acks=all, so any other value also disables
// them, as Kafka's enable.idempotence requires.
func AcksOpts(acks string) ([]kgo.Opt, error) {
	switch strings.ToLower(strings.TrimSpace(acks)) {
	case "all", "-1":
		return []kgo.Opt{kgo.RequiredAcks(kgo.AllISRAcks())}, nil
	case "1", "leader":
		return []kgo.Opt{kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite()}, nil
	case "0", "none":
		return []kgo.Opt{kgo.RequiredAcks(kgo.NoAck()), kgo.DisableIdempotentWrite()}, nil
	}
	return nil, fmt.Errorf("invalid acks %q: want all, 1 or 0", acks)
}

// CompressionCodec parses a --compression value: none, gzip, snappy, lz4 or
// zstd (Kafka's compression.type names).
func CompressionCodec(name string) (kgo.CompressionCodec, error) {
	return loadgen.ParseCompression(name)
}

// ParseKeyValue splits "k=v" at the first '='. what names the flag in the
// error.
func ParseKeyValue(what, kv string) (key, value string, err error) {
	k, v, ok := strings.Cut(kv, "=")
	if !ok || k == "" {
		return "", "", fmt.Errorf("invalid %s %q: want key=value", what, kv)
	}
	return k, v, nil
}
