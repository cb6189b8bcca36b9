package cluster

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/streamlite/streamlite/engine/meta"
)

// ConfigSource says where a topic's effective config value comes from.
type ConfigSource int8

// Where a topic config's value comes from, most specific first.
const (
	// SourceTopic: set on the topic (Kafka's DYNAMIC_TOPIC_CONFIG).
	SourceTopic ConfigSource = iota + 1
	// SourceBrokerDefault: a cluster-wide broker override (DYNAMIC_DEFAULT_BROKER_CONFIG).
	SourceBrokerDefault
	// SourceDefault: Kafka's default (DEFAULT_CONFIG).
	SourceDefault
)

// brokerTopicDefaults maps each broker config that can be changed at run time to the topic
// config it is the cluster-wide default of, as Kafka's LogConfig synonyms do. These are the
// only broker configs AlterBrokerConfigs accepts.
var brokerTopicDefaults = map[string]string{
	"compression.type":                  "compression.type",
	"log.cleaner.delete.retention.ms":   "delete.retention.ms",
	"log.cleaner.min.cleanable.ratio":   "min.cleanable.dirty.ratio",
	"log.cleaner.min.compaction.lag.ms": "min.compaction.lag.ms",
	"log.cleanup.policy":                "cleanup.policy",
	"log.local.retention.bytes":         "local.retention.bytes",
	"log.local.retention.ms":            "local.retention.ms",
	// Kafka has no broker-wide default of remote.storage.enable; this is
	// streamlite's, so tiering can be on for every topic at once.
	"log.remote.storage.enable":  "remote.storage.enable",
	"log.message.timestamp.type": "message.timestamp.type",
	"log.retention.bytes":        "retention.bytes",
	"log.retention.ms":           "retention.ms",
	"log.roll.ms":                "segment.ms",
	"log.segment.bytes":          "segment.bytes",
	"message.max.bytes":          "max.message.bytes",
	"min.insync.replicas":        "min.insync.replicas",
}

// staticBrokerConfigs are broker configs Kafka knows that a streamlite broker sets only at
// start (or not at all); AlterBrokerConfigs refuses them as read-only rather than unknown.
var staticBrokerConfigs = []string{
	"advertised.listeners", "auto.create.topics.enable", "broker.id", "controller.quorum.voters",
	"default.replication.factor", "listeners", "log.dir", "log.dirs", "node.id", "num.partitions",
	"offsets.topic.replication.factor", "process.roles", "socket.request.max.bytes",
	"transaction.state.log.replication.factor",
}

// DynamicBrokerConfigNames returns the broker configs AlterBrokerConfigs accepts, sorted.
func DynamicBrokerConfigNames() []string { return slices.Sorted(maps.Keys(brokerTopicDefaults)) }

// BrokerConfigTopicName returns the topic config a dynamic broker config is the cluster-wide
// default of (log.retention.ms: retention.ms), and whether name is one.
func BrokerConfigTopicName(name string) (topicConfig string, ok bool) {
	topicConfig, ok = brokerTopicDefaults[name]
	return topicConfig, ok
}

// TopicConfigBrokerName returns the dynamic broker config that defaults a topic config
// (retention.ms: log.retention.ms), and whether there is one.
func TopicConfigBrokerName(topicConfig string) (name string, ok bool) {
	for b, tc := range brokerTopicDefaults {
		if tc == topicConfig {
			return b, true
		}
	}
	return "", false
}

// topicDefaults turns broker overrides (by broker name, as the metadata log holds them) into
// topic config defaults (by topic config name). Names it does not know are skipped: the log
// holds only names AlterBrokerConfigs accepted. Nil for none.
func topicDefaults(broker map[string]string) map[string]string {
	var out map[string]string
	for k, v := range broker {
		if tc, ok := brokerTopicDefaults[k]; ok {
			if out == nil {
				out = make(map[string]string, len(broker))
			}
			out[tc] = v
		}
	}
	return out
}

// BrokerConfigs returns a copy of the cluster-wide broker config overrides, by broker config
// name; nil when none are set.
func (c *Cluster) BrokerConfigs() map[string]string { return c.meta.BrokerConfigs() }

// ValidateBrokerConfigNames returns an error wrapping ErrInvalidConfig that names every name
// not in DynamicBrokerConfigNames, telling read-only ones from unknown ones; nil if all are
// dynamic.
func ValidateBrokerConfigNames(names ...string) error {
	var static, unknown []string
	for _, n := range names {
		switch {
		case brokerTopicDefaults[n] != "":
		case slices.Contains(staticBrokerConfigs, n):
			static = append(static, n)
		default:
			unknown = append(unknown, n)
		}
	}
	if static == nil && unknown == nil {
		return nil
	}
	slices.Sort(static)
	slices.Sort(unknown)
	var why []string
	if static != nil {
		why = append(why, "cannot update these broker configs dynamically: "+strings.Join(static, ", "))
	}
	if unknown != nil {
		why = append(why, "unknown broker configs: "+strings.Join(unknown, ", "))
	}
	return fmt.Errorf("%w: %s (dynamic ones are %s)", ErrInvalidConfig, strings.Join(why, "; "),
		strings.Join(DynamicBrokerConfigNames(), ", "))
}

// AlterBrokerConfigs changes the cluster-wide broker config overrides, Kafka's dynamic default
// broker configs (resource name ""): with replace, the overrides become exactly set (the legacy
// AlterConfigs); otherwise set and del are applied on top (IncrementalAlterConfigs). Each
// override is the default of a topic config (DynamicBrokerConfigNames); a topic's effective
// value is its own config, else the override, else Kafka's default. Names outside
// DynamicBrokerConfigNames and values the topic config refuses fail with ErrInvalidConfig and
// change nothing. The change is recorded in the metadata log (a meta.BrokerConfigChanged)
// before it reaches any topic; then every topic's partition logs take their new settings.
// __cluster_metadata keeps its own.
func (c *Cluster) AlterBrokerConfigs(set map[string]string, del []string, replace, validateOnly bool) error {
	if err := ValidateBrokerConfigNames(slices.AppendSeq(slices.Clone(del), maps.Keys(set))...); err != nil {
		return err
	}
	for k, v := range set {
		d, _ := TopicConfigDef(brokerTopicDefaults[k])
		if d.Check == nil {
			continue
		}
		if why := d.Check(v); why != "" {
			return fmt.Errorf("%w: invalid value %q for configuration %s: %s", ErrInvalidConfig, v, k, why)
		}
	}
	for _, k := range del {
		if _, ok := set[k]; ok {
			return fmt.Errorf("%w: broker config %s both set and deleted", ErrInvalidConfig, k)
		}
	}
	c.adminMu.Lock()
	defer c.adminMu.Unlock()
	if c.isClosed() {
		return ErrClosed
	}
	cur := c.meta.BrokerConfigs()
	next := maps.Clone(cur)
	if next == nil {
		next = map[string]string{}
	}
	if replace {
		next = maps.Clone(set)
		if next == nil {
			next = map[string]string{}
		}
		del = nil
		for k := range cur {
			if _, ok := set[k]; !ok {
				del = append(del, k)
			}
		}
	} else {
		maps.Copy(next, set)
		for _, k := range del {
			delete(next, k)
		}
	}
	if validateOnly || maps.Equal(cur, next) {
		return nil
	}
	del = slices.Sorted(slices.Values(del))
	if err := c.meta.Append(meta.BrokerConfigChanged{Set: set, Delete: del}); err != nil {
		return fmt.Errorf("cluster: recording broker configs: %w", err)
	}
	c.brokerDefaults = topicDefaults(next)
	for _, t := range c.Topics() {
		if t.Name == MetadataTopic {
			continue
		}
		lc := t.setConfigs(t.configs.Load().set, c.brokerDefaults)
		for _, p := range t.Partitions() {
			p.SetConfig(lc)
		}
	}
	c.logger.Info("broker configs altered", "set", set, "deleted", del)
	return nil
}
