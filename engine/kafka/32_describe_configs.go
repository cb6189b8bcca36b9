package kafka

import (
	"slices"
	"strconv"
	"strings"

	"github.com/streamlite/streamlite/engine/cluster"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// DescribeConfigs: versions 1-4.
//
// Topics: every topic config Kafka defines, with the topic's value (source
// DYNAMIC_TOPIC_CONFIG), else the cluster-wide broker override of its default
// (DYNAMIC_DEFAULT_BROKER_CONFIG, e.g. log.retention.ms for retention.ms), else the default
// (DEFAULT_CONFIG); v1 synonyms, most specific first (the override under its broker name);
// v3 config types and documentation. Brokers: "" (the cluster-wide default, as kafka-configs
// --entity-default asks) lists the dynamic overrides only, as DYNAMIC_DEFAULT_BROKER_CONFIG;
// "0" lists the broker settings that shape topics: the static ones as STATIC_BROKER_CONFIG,
// read-only, and the dynamic ones (cluster.DynamicBrokerConfigNames) with their override or
// their default. Broker loggers are not described.

// Config sources, as Kafka numbers them.
const (
	sourceDynamicTopic         = 1
	sourceDynamicDefaultBroker = 3
	sourceStaticBroker         = 4
	sourceDefault              = 5
)

const (
	resourceTopic  = 2
	resourceBroker = 4
)

func (s *Server) handleDescribeConfigs(req *kmsg.DescribeConfigsRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.DescribeConfigsResponse)
	for _, rr := range req.Resources {
		sr := kmsg.NewDescribeConfigsResponseResource()
		sr.ResourceType = rr.ResourceType
		sr.ResourceName = rr.ResourceName
		switch rr.ResourceType {
		case resourceTopic:
			t := s.c.Topic(rr.ResourceName)
			if t == nil {
				sr.ErrorCode = unknownTopic
				break
			}
			sr.Configs = describeTopicConfigs(t, s.c.BrokerConfigs(), rr.ConfigNames, req.IncludeSynonyms, req.IncludeDocumentation)
		case resourceBroker:
			if rr.ResourceName != "" && rr.ResourceName != strconv.Itoa(int(cluster.BrokerID)) {
				sr.ErrorCode = kerr.InvalidRequest.Code
				msg := "unknown broker " + rr.ResourceName + "; the only broker is 0"
				sr.ErrorMessage = &msg
				break
			}
			sr.Configs = s.describeBrokerConfigs(rr.ResourceName == "", rr.ConfigNames, req.IncludeSynonyms)
		default:
			sr.ErrorCode = kerr.InvalidRequest.Code
			msg := "resource type " + strconv.Itoa(int(rr.ResourceType)) + " is not described by this broker"
			sr.ErrorMessage = &msg
		}
		resp.Resources = append(resp.Resources, sr)
	}
	return resp
}

// describeTopicConfigs lists t's configs (only names, if not nil); broker holds the
// cluster-wide broker overrides, by broker config name, for synonyms.
func describeTopicConfigs(t *cluster.Topic, broker map[string]string, names []string, synonyms, docs bool) []kmsg.DescribeConfigsResponseResourceConfig {
	var out []kmsg.DescribeConfigsResponseResourceConfig
	for _, d := range cluster.TopicConfigDefs() {
		if names != nil && !slices.Contains(names, d.Name) {
			continue
		}
		v, src := t.ConfigSource(d.Name)
		c := kmsg.NewDescribeConfigsResponseResourceConfig()
		c.Name = d.Name
		c.Value = &v
		c.IsDefault = src == cluster.SourceDefault
		c.ConfigType = kmsg.ConfigType(d.Kind)
		c.ReadOnly = d.Name == cluster.ConfigAutoCreated
		switch src {
		case cluster.SourceTopic:
			c.Source = sourceDynamicTopic
		case cluster.SourceBrokerDefault:
			c.Source = sourceDynamicDefaultBroker
		default:
			c.Source = sourceDefault
		}
		if docs && d.Doc != "" {
			doc := d.Doc
			c.Documentation = &doc
		}
		if synonyms {
			if src == cluster.SourceTopic {
				val := v
				c.ConfigSynonyms = append(c.ConfigSynonyms, kmsg.DescribeConfigsResponseResourceConfigConfigSynonym{Name: d.Name, Value: &val, Source: sourceDynamicTopic})
			}
			if bn, ok := cluster.TopicConfigBrokerName(d.Name); ok {
				if bv, ok := broker[bn]; ok {
					c.ConfigSynonyms = append(c.ConfigSynonyms, kmsg.DescribeConfigsResponseResourceConfigConfigSynonym{Name: bn, Value: &bv, Source: sourceDynamicDefaultBroker})
				}
			}
			def := d.Default
			c.ConfigSynonyms = append(c.ConfigSynonyms, kmsg.DescribeConfigsResponseResourceConfigConfigSynonym{Name: d.Name, Value: &def, Source: sourceDefault})
		}
		out = append(out, c)
	}
	return out
}

// describeBrokerConfigs lists the broker's configs (only names, if not nil): the dynamic
// overrides only if overridesOnly (resource name ""), else every one.
func (s *Server) describeBrokerConfigs(overridesOnly bool, names []string, synonyms bool) []kmsg.DescribeConfigsResponseResourceConfig {
	overrides := s.c.BrokerConfigs()
	var out []kmsg.DescribeConfigsResponseResourceConfig
	for _, name := range cluster.DynamicBrokerConfigNames() {
		v, over := overrides[name]
		if names != nil && !slices.Contains(names, name) || overridesOnly && !over {
			continue
		}
		tc, _ := cluster.BrokerConfigTopicName(name)
		d, _ := cluster.TopicConfigDef(tc)
		c := kmsg.NewDescribeConfigsResponseResourceConfig()
		c.Name = name
		c.ConfigType = kmsg.ConfigType(d.Kind)
		c.Source = sourceDefault
		c.IsDefault = !over
		if !over {
			v = d.Default
		} else {
			c.Source = sourceDynamicDefaultBroker
		}
		c.Value = &v
		if synonyms {
			if over {
				val := v
				c.ConfigSynonyms = append(c.ConfigSynonyms, kmsg.DescribeConfigsResponseResourceConfigConfigSynonym{Name: name, Value: &val, Source: sourceDynamicDefaultBroker})
			}
			def := d.Default
			c.ConfigSynonyms = append(c.ConfigSynonyms, kmsg.DescribeConfigsResponseResourceConfigConfigSynonym{Name: name, Value: &def, Source: sourceDefault})
		}
		out = append(out, c)
	}
	if overridesOnly {
		return out
	}
	kvs := [][2]string{
		{"auto.create.topics.enable", strconv.FormatBool(s.cfg.AutoCreateTopics)},
		{"broker.id", strconv.Itoa(int(cluster.BrokerID))},
		{"default.replication.factor", "1"},
		{"log.dirs", s.c.DataDir()},
		{"node.id", strconv.Itoa(int(cluster.BrokerID))},
		{"num.partitions", strconv.Itoa(int(s.c.DefaultPartitions()))},
		{"offsets.topic.replication.factor", "1"},
		{"socket.request.max.bytes", strconv.Itoa(int(s.cfg.MaxRequestBytes))},
		{"transaction.state.log.replication.factor", "1"},
	}
	for _, kv := range kvs {
		if names != nil && !slices.Contains(names, kv[0]) {
			continue
		}
		v := kv[1]
		c := kmsg.NewDescribeConfigsResponseResourceConfig()
		c.Name = kv[0]
		c.Value = &v
		c.ReadOnly = true
		c.Source = sourceStaticBroker
		if synonyms {
			val := v
			c.ConfigSynonyms = append(c.ConfigSynonyms, kmsg.DescribeConfigsResponseResourceConfigConfigSynonym{Name: kv[0], Value: &val, Source: sourceStaticBroker})
		}
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b kmsg.DescribeConfigsResponseResourceConfig) int { return strings.Compare(a.Name, b.Name) })
	return out
}
