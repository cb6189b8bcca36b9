package log

import (
	"math"
	"strings"
)

// Defaults filled in for zero fields of Config.
const (
	DefaultSegmentBytes       = 1 << 30              // segment.bytes
	DefaultSegmentMs          = 7 * 24 * 3600 * 1000 // segment.ms
	DefaultRetentionMs        = 7 * 24 * 3600 * 1000 // retention.ms
	DefaultIndexIntervalBytes = 4096                 // index.interval.bytes
	// DefaultProducerIDExpirationMs is producer.id.expiration.ms (1 day).
	DefaultProducerIDExpirationMs = 24 * 3600 * 1000
	// DefaultDeleteRetentionMs is delete.retention.ms (1 day).
	DefaultDeleteRetentionMs = 24 * 3600 * 1000
	// DefaultMinCleanableDirtyRatio is min.cleanable.dirty.ratio.
	DefaultMinCleanableDirtyRatio = 0.5
)

// CleanupPolicy mirrors cleanup.policy: which of deletion by retention and
// compaction apply to a partition. The zero value means CleanupDelete.
type CleanupPolicy uint8

const (
	// CleanupDelete deletes whole closed segments past retention.ms or
	// retention.bytes (EnforceRetention).
	CleanupDelete CleanupPolicy = 1 << iota
	// CleanupCompact keeps only the latest record of each key (Clean).
	CleanupCompact
)

// ParseCleanupPolicy reads a cleanup.policy list ("delete", "compact",
// "compact,delete"); unknown entries are ignored and an empty result is
// CleanupDelete, Kafka's default.
func ParseCleanupPolicy(s string) CleanupPolicy {
	var p CleanupPolicy
	for _, e := range strings.Split(s, ",") {
		switch strings.TrimSpace(e) {
		case "delete":
			p |= CleanupDelete
		case "compact":
			p |= CleanupCompact
		}
	}
	if p == 0 {
		p = CleanupDelete
	}
	return p
}

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

	// CleanupPolicy mirrors cleanup.policy; 0 means CleanupDelete. With
	// CleanupCompact alone, retention.ms and retention.bytes delete
	// nothing; with both, both apply.
	CleanupPolicy CleanupPolicy
	// DeleteRetentionMs mirrors delete.retention.ms: how long a tombstone
	// stays after the cleaning pass that first saw it; 0 means the default
	// 1 day, a negative value means 0 (gone at the next pass after that).
	DeleteRetentionMs int64
	// MinCleanableDirtyRatio mirrors min.cleanable.dirty.ratio: Clean runs
	// a pass once the dirty bytes are at least this share of the cleanable
	// closed segments; 0 means the default 0.5, a negative value means 0
	// (clean whenever anything is dirty).
	MinCleanableDirtyRatio float64
	// MinCompactionLagMs mirrors min.compaction.lag.ms: a segment holding a
	// record newer than now minus this is not cleaned yet; 0 (the default)
	// means no lag.
	MinCompactionLagMs int64
	// MaxCompactionLagMs mirrors max.compaction.lag.ms: a dirty segment
	// whose first batch is older than this forces a pass whatever the
	// ratio, and a compacted partition's active segment rolls after at most
	// this long (as segment.ms); 0 means the default MaxInt64 (never).
	MaxCompactionLagMs int64

	// RemoteStorage mirrors remote.storage.enable: closed segments are
	// copied to the partition's remote tier (see AttachRemote), and local
	// retention deletes only segments the tier already holds.
	RemoteStorage bool
	// LocalRetentionMs and LocalRetentionBytes mirror local.retention.ms
	// and local.retention.bytes: how much of a RemoteStorage partition is
	// kept on local disk; -2 (Kafka's default) means retention.ms or
	// retention.bytes, and 0 means the default -2.
	LocalRetentionMs, LocalRetentionBytes int64
}

// compact reports whether the policy includes compaction.
func (cfg *Config) compact() bool { return cfg.CleanupPolicy&CleanupCompact != 0 }

// deletes reports whether the policy includes deletion by retention.
func (cfg *Config) deletes() bool { return cfg.CleanupPolicy&CleanupDelete != 0 }

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
	if cfg.CleanupPolicy&(CleanupDelete|CleanupCompact) == 0 {
		cfg.CleanupPolicy = CleanupDelete
	}
	switch {
	case cfg.DeleteRetentionMs == 0:
		cfg.DeleteRetentionMs = DefaultDeleteRetentionMs
	case cfg.DeleteRetentionMs < 0:
		cfg.DeleteRetentionMs = 0
	}
	switch {
	case cfg.MinCleanableDirtyRatio == 0:
		cfg.MinCleanableDirtyRatio = DefaultMinCleanableDirtyRatio
	case cfg.MinCleanableDirtyRatio < 0:
		cfg.MinCleanableDirtyRatio = 0
	}
	if cfg.MinCompactionLagMs < 0 {
		cfg.MinCompactionLagMs = 0
	}
	if cfg.MaxCompactionLagMs <= 0 {
		cfg.MaxCompactionLagMs = math.MaxInt64
	}
	if cfg.LocalRetentionMs == 0 || cfg.LocalRetentionMs == -2 {
		cfg.LocalRetentionMs = cfg.RetentionMs
	}
	if cfg.LocalRetentionBytes == 0 || cfg.LocalRetentionBytes == -2 {
		cfg.LocalRetentionBytes = cfg.RetentionBytes
	}
	// Kafka rolls a compacted log's active segment by max.compaction.lag.ms
	// too, so its records become cleanable in time (KIP-354).
	if cfg.compact() && cfg.MaxCompactionLagMs < cfg.SegmentMs {
		cfg.SegmentMs = cfg.MaxCompactionLagMs
	}
	return cfg
}
