package cluster

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/streamlite/streamlite/engine/log"
	"github.com/streamlite/streamlite/engine/schema"
)

// ConfigKind is the Kafka type of a topic config, as DescribeConfigs v3+ reports it.
type ConfigKind int8

// Config kinds, numbered as Kafka's DescribeConfigs ConfigType.
const (
	KindBoolean ConfigKind = 1
	KindString  ConfigKind = 2
	KindInt     ConfigKind = 3
	KindLong    ConfigKind = 5
	KindDouble  ConfigKind = 6
	KindList    ConfigKind = 7
)

// ConfigDef describes one topic config: its Kafka name, type, default and how a value is checked.
type ConfigDef struct {
	Name    string
	Kind    ConfigKind
	Default string
	Doc     string
	// Check returns a reason the value is invalid, or "" if it is valid. Nil accepts any value
	// of the kind.
	Check func(v string) string
}

// topicConfigDefs are every topic config Kafka 4.0 knows, with Kafka's defaults. streamlite
// enforces the ones its log implements (retention, segments, max.message.bytes, timestamp type,
// min.insync.replicas, cleanup.policy and the compaction settings) and stores the rest so tools
// that set them keep working.
var topicConfigDefs = []ConfigDef{
	{Name: "cleanup.policy", Kind: KindList, Default: "delete", Doc: "delete and/or compact", Check: checkList("delete", "compact")},
	{Name: "compression.type", Kind: KindString, Default: "producer", Check: checkOneOf("producer", "uncompressed", "gzip", "snappy", "lz4", "zstd")},
	{Name: schema.ConfigConfluentKeyValidation, Kind: KindBoolean, Default: "false", Doc: "check that produced keys carry a schema id registered for their subject", Check: checkBool},
	{Name: schema.ConfigConfluentKeyStrategy, Kind: KindString, Default: "io.confluent.kafka.serializers.subject.TopicNameStrategy", Doc: "how the key's subject is named: TopicNameStrategy, RecordNameStrategy or TopicRecordNameStrategy", Check: checkStrategy},
	{Name: schema.ConfigConfluentValueValidation, Kind: KindBoolean, Default: "false", Doc: "check that produced values carry a schema id registered for their subject", Check: checkBool},
	{Name: schema.ConfigConfluentValueStrategy, Kind: KindString, Default: "io.confluent.kafka.serializers.subject.TopicNameStrategy", Doc: "how the value's subject is named", Check: checkStrategy},
	{Name: "delete.retention.ms", Kind: KindLong, Default: "86400000", Check: checkLong(0)},
	{Name: "file.delete.delay.ms", Kind: KindLong, Default: "60000", Check: checkLong(0)},
	{Name: "flush.messages", Kind: KindLong, Default: "9223372036854775807", Check: checkLong(1)},
	{Name: "flush.ms", Kind: KindLong, Default: "9223372036854775807", Check: checkLong(0)},
	{Name: "follower.replication.throttled.replicas", Kind: KindList, Default: ""},
	{Name: "index.interval.bytes", Kind: KindInt, Default: "4096", Check: checkInt(0)},
	{Name: "leader.replication.throttled.replicas", Kind: KindList, Default: ""},
	{Name: "local.retention.bytes", Kind: KindLong, Default: "-2", Check: checkLong(-2)},
	{Name: "local.retention.ms", Kind: KindLong, Default: "-2", Check: checkLong(-2)},
	{Name: "max.compaction.lag.ms", Kind: KindLong, Default: "9223372036854775807", Check: checkLong(1)},
	{Name: "max.message.bytes", Kind: KindInt, Default: "1048588", Check: checkInt(0)},
	{Name: "message.timestamp.after.max.ms", Kind: KindLong, Default: "9223372036854775807", Check: checkLong(0)},
	{Name: "message.timestamp.before.max.ms", Kind: KindLong, Default: "9223372036854775807", Check: checkLong(0)},
	{Name: "message.timestamp.type", Kind: KindString, Default: "CreateTime", Check: checkOneOf("CreateTime", "LogAppendTime")},
	{Name: "min.cleanable.dirty.ratio", Kind: KindDouble, Default: "0.5", Check: checkDouble(0, 1)},
	{Name: "min.compaction.lag.ms", Kind: KindLong, Default: "0", Check: checkLong(0)},
	{Name: "min.insync.replicas", Kind: KindInt, Default: "1", Check: checkInt(1)},
	{Name: "preallocate", Kind: KindBoolean, Default: "false", Check: checkBool},
	{Name: schema.ConfigRedpandaKeyValidation, Kind: KindBoolean, Default: "false", Doc: "Redpanda's name for confluent.key.schema.validation", Check: checkBool},
	{Name: schema.ConfigRedpandaKeyStrategy, Kind: KindString, Default: "TopicNameStrategy", Doc: "Redpanda's name for confluent.key.subject.name.strategy", Check: checkStrategy},
	{Name: schema.ConfigRedpandaValueValidation, Kind: KindBoolean, Default: "false", Doc: "Redpanda's name for confluent.value.schema.validation", Check: checkBool},
	{Name: schema.ConfigRedpandaValueStrategy, Kind: KindString, Default: "TopicNameStrategy", Doc: "Redpanda's name for confluent.value.subject.name.strategy", Check: checkStrategy},
	{Name: "remote.storage.enable", Kind: KindBoolean, Default: "false", Check: checkBool},
	{Name: "retention.bytes", Kind: KindLong, Default: "-1", Check: checkLong(math.MinInt64)},
	{Name: "retention.ms", Kind: KindLong, Default: "604800000", Check: checkLong(-1)},
	{Name: "segment.bytes", Kind: KindInt, Default: "1073741824", Check: checkInt(14)},
	{Name: "segment.index.bytes", Kind: KindInt, Default: "10485760", Check: checkInt(4)},
	{Name: "segment.jitter.ms", Kind: KindLong, Default: "0", Check: checkLong(0)},
	{Name: "segment.ms", Kind: KindLong, Default: "604800000", Check: checkLong(1)},
	{Name: ConfigAutoCreated, Kind: KindBoolean, Default: "false", Doc: "true on a topic the broker created on first use (auto.create.topics.enable); read-only", Check: func(string) string {
		return "it is set by the broker on the topics it creates on first use and cannot be set or removed"
	}},
	{Name: schema.ConfigDeadLetterTopic, Kind: KindString, Default: "", Doc: "topic that receives records failing the schema check, instead of their batch failing", Check: checkDeadLetterTopic},
	{Name: schema.ConfigValidationMode, Kind: KindString, Default: schema.ValidationModeID, Doc: "id: check the schema id; decode: also decode the payload against the schema", Check: checkOneOf(schema.ValidationModeID, schema.ValidationModeDecode)},
	{Name: "unclean.leader.election.enable", Kind: KindBoolean, Default: "false", Check: checkBool},
}

// ConfigAutoCreated is the read-only topic config that marks a topic the broker created on
// first use (a Metadata request allowing auto-creation), so tools can tell it from a topic
// someone created on purpose. Other brokers never report it.
const ConfigAutoCreated = "streamlite.auto.created"

// TopicConfigDefs returns the definitions of every topic config, sorted by name.
func TopicConfigDefs() []ConfigDef { return slices.Clone(topicConfigDefs) }

// TopicConfigDef returns the definition of the named topic config.
func TopicConfigDef(name string) (ConfigDef, bool) {
	i, ok := slices.BinarySearchFunc(topicConfigDefs, name, func(d ConfigDef, n string) int { return strings.Compare(d.Name, n) })
	if !ok {
		return ConfigDef{}, false
	}
	return topicConfigDefs[i], true
}

// ValidateTopicConfig checks one topic config name and value, returning an error that wraps
// ErrInvalidConfig when the name is unknown or the value is not acceptable.
func ValidateTopicConfig(name, value string) error {
	d, ok := TopicConfigDef(name)
	if !ok {
		return fmt.Errorf("%w: unknown topic config name %q", ErrInvalidConfig, name)
	}
	if d.Check != nil {
		if why := d.Check(value); why != "" {
			return fmt.Errorf("%w: invalid value %q for configuration %s: %s", ErrInvalidConfig, value, name, why)
		}
	}
	return nil
}

// remoteStorage reports whether configs make a topic tiered: remote.storage.enable=true
// and no compaction (a broker-wide default of true leaves compacted topics, the internal
// ones among them, local).
func remoteStorage(set map[string]string) bool {
	return strings.EqualFold(strings.TrimSpace(effective(set, "remote.storage.enable")), "true") &&
		log.ParseCleanupPolicy(effective(set, "cleanup.policy"))&log.CleanupCompact == 0
}

// checkConfigCombination refuses topic configs that are valid one by one
// but not together (Kafka's wording): remote storage of a compacted topic,
// whose closed segments the cleaner rewrites.
func checkConfigCombination(set map[string]string) error {
	remote := strings.EqualFold(strings.TrimSpace(effective(set, "remote.storage.enable")), "true")
	if remote && log.ParseCleanupPolicy(effective(set, "cleanup.policy"))&log.CleanupCompact != 0 {
		return fmt.Errorf("%w: remote log storage is only supported for topics with cleanup.policy=delete", ErrInvalidConfig)
	}
	return nil
}

// effective returns the value of name in set, or its default.
func effective(set map[string]string, name string) string {
	if v, ok := set[name]; ok {
		return v
	}
	d, _ := TopicConfigDef(name)
	return d.Default
}

func effectiveInt(set map[string]string, name string) int64 {
	n, err := strconv.ParseInt(effective(set, name), 10, 64)
	if err != nil { // validated on the way in; the default always parses
		d, _ := TopicConfigDef(name)
		n, _ = strconv.ParseInt(d.Default, 10, 64)
	}
	return n
}

// logConfig maps a topic's configs to its partition logs' settings.
func logConfig(set map[string]string) log.Config {
	return log.Config{
		SegmentBytes:       effectiveInt(set, "segment.bytes"),
		SegmentMs:          effectiveInt(set, "segment.ms"),
		RetentionMs:        effectiveInt(set, "retention.ms"),
		RetentionBytes:     effectiveInt(set, "retention.bytes"),
		IndexIntervalBytes: int(effectiveInt(set, "index.interval.bytes")),
		LogAppendTime:      effective(set, "message.timestamp.type") == "LogAppendTime",
		CleanupPolicy:      log.ParseCleanupPolicy(effective(set, "cleanup.policy")),
		// log.Config reads 0 as "default"; Kafka's 0 is a negative value there.
		DeleteRetentionMs:      zeroAsNegative(effectiveInt(set, "delete.retention.ms")),
		MinCleanableDirtyRatio: float64(zeroAsNegative(effectiveFloat(set, "min.cleanable.dirty.ratio"))),
		MinCompactionLagMs:     effectiveInt(set, "min.compaction.lag.ms"),
		MaxCompactionLagMs:     effectiveInt(set, "max.compaction.lag.ms"),
		RemoteStorage:          remoteStorage(set),
		LocalRetentionMs:       effectiveInt(set, "local.retention.ms"),
		LocalRetentionBytes:    effectiveInt(set, "local.retention.bytes"),
	}
}

func effectiveFloat(set map[string]string, name string) float64 {
	f, err := strconv.ParseFloat(strings.TrimSpace(effective(set, name)), 64)
	if err != nil { // validated on the way in; the default always parses
		d, _ := TopicConfigDef(name)
		f, _ = strconv.ParseFloat(d.Default, 64)
	}
	return f
}

// zeroAsNegative maps a Kafka value of 0 to -1, log.Config's spelling of 0
// for settings whose zero value means the default.
func zeroAsNegative[T int64 | float64](v T) T {
	if v == 0 {
		return -1
	}
	return v
}

func checkLong(lo int64) func(string) string {
	return func(v string) string {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return "not a long"
		}
		if n < lo {
			return fmt.Sprintf("value must be at least %d", lo)
		}
		return ""
	}
}

func checkInt(lo int64) func(string) string {
	return func(v string) string {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 32)
		if err != nil {
			return "not an int"
		}
		if n < lo {
			return fmt.Sprintf("value must be at least %d", lo)
		}
		return ""
	}
}

func checkDouble(lo, hi float64) func(string) string {
	return func(v string) string {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return "not a double"
		}
		if f < lo || f > hi {
			return fmt.Sprintf("value must be in [%g,%g]", lo, hi)
		}
		return ""
	}
}

func checkStrategy(v string) string {
	if _, ok := schema.ParseSubjectNameStrategy(v); !ok {
		return "not a subject name strategy (TopicNameStrategy, RecordNameStrategy or TopicRecordNameStrategy, optionally with Confluent's package io.confluent.kafka.serializers.subject.)"
	}
	return ""
}

func checkDeadLetterTopic(v string) string {
	if v == "" {
		return ""
	}
	if err := ValidateTopicName(v); err != nil {
		return err.Error()
	}
	return ""
}

func checkBool(v string) string {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "false":
		return ""
	}
	return "not a boolean"
}

func checkOneOf(allowed ...string) func(string) string {
	return func(v string) string {
		if slices.Contains(allowed, v) {
			return ""
		}
		return "must be one of " + strings.Join(allowed, ", ")
	}
}

func checkList(allowed ...string) func(string) string {
	return func(v string) string {
		for _, e := range strings.Split(v, ",") {
			if e = strings.TrimSpace(e); e != "" && !slices.Contains(allowed, e) {
				return "each entry must be one of " + strings.Join(allowed, ", ")
			}
		}
		return ""
	}
}
