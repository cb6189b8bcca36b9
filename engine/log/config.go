package log

import "math"

// Defaults filled in for zero fields of Config.
const (
	DefaultSegmentBytes       = 1 << 30              // segment.bytes
	DefaultSegmentMs          = 7 * 24 * 3600 * 1000 // segment.ms
	DefaultRetentionMs        = 7 * 24 * 3600 * 1000 // retention.ms
	DefaultIndexIntervalBytes = 4096                 // index.interval.bytes
	// DefaultProducerIDExpirationMs is producer.id.expiration.ms (1 day).
	DefaultProducerIDExpirationMs = 24 * 3600 * 1000
)

// Config holds one partition's settings, mirroring Kafka topic configs. The
// zero value is usable: zero fields take the Kafka defaults.
type Config struct {
	SegmentBytes       int64 // segment.bytes; 0 means default 1 GiB
	SegmentMs          int64 // segment.ms; 0 means default 7 days
	RetentionMs        int64 // retention.ms; 0 means default 7 days; -1 keeps forever
	RetentionBytes     int64 // retention.bytes; 0 or -1 means unlimited
	IndexIntervalBytes int   // index.interval.bytes; 0 means 4096
	// ProducerIDExpirationMs mirrors the broker's producer.id.expiration.ms;
	// 0 means 1 day. An idempotent producer not seen for this long is
	// forgotten when the next producer snapshot is written (at a roll or
	// Close), so the producer state stays bounded.
	ProducerIDExpirationMs int64
	// LogAppendTime mirrors message.timestamp.type=LogAppendTime: Append
	// stamps maxTimestamp (and firstTimestamp) with now, sets attribute bit
	// 3 and recomputes the CRC.
	LogAppendTime bool
}

// withDefaults returns cfg with zero fields replaced by defaults and
// out-of-range values clamped. It is the only place defaults are chosen.
func (cfg Config) withDefaults() Config {
	if cfg.SegmentBytes <= 0 {
		cfg.SegmentBytes = DefaultSegmentBytes
	}
	// Index entries store file positions as uint32.
	if cfg.SegmentBytes > math.MaxInt32 {
		cfg.SegmentBytes = math.MaxInt32
	}
	if cfg.SegmentMs <= 0 {
		cfg.SegmentMs = DefaultSegmentMs
	}
	if cfg.RetentionMs == 0 {
		cfg.RetentionMs = DefaultRetentionMs
	}
	if cfg.RetentionBytes == 0 {
		cfg.RetentionBytes = -1
	}
	if cfg.IndexIntervalBytes <= 0 {
		cfg.IndexIntervalBytes = DefaultIndexIntervalBytes
	}
	if cfg.ProducerIDExpirationMs <= 0 {
		cfg.ProducerIDExpirationMs = DefaultProducerIDExpirationMs
	}
	return cfg
}
