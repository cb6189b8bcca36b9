package kafka

import (
	"slices"
	"strconv"

	"github.com/streamlite/streamlite/engine/cluster"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// DescribeConfigs: versions 1-4.
//
// Topics: every topic config Kafka defines, with the topic's value (source
// DYNAMIC_TOPIC_CONFIG) or the default (DEFAULT_CONFIG); v1 synonyms; v3 config types and
// documentation. Brokers (resource name "0" or ""): the broker settings that shape topics, as
// STATIC_BROKER_CONFIG. Broker loggers are not described.

// Config sources, as Kafka numbers them.
const (
	sourceDynamicTopic = 1
	sourceStaticBroker = 4
	sourceDefault      = 5
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
			sr.Configs = describeTopicConfigs(t, rr.ConfigNames, req.IncludeSynonyms, req.IncludeDocumentation)
		case resourceBroker:
			if rr.ResourceName != "" && rr.ResourceName != strconv.Itoa(int(cluster.BrokerID)) {
				sr.ErrorCode = kerr.InvalidRequest.Code
				msg := "unknown broker " + rr.ResourceName + "; the only broker is 0"
				sr.ErrorMessage = &msg
				break
			}
			sr.Configs = s.describeBrokerConfigs(rr.ConfigNames)
		default:
			sr.ErrorCode = kerr.InvalidRequest.Code
			msg := "resource type " + strconv.Itoa(int(rr.ResourceType)) + " is not described by this broker"
			sr.ErrorMessage = &msg
		}
		resp.Resources = append(resp.Resources, sr)
	}
	return resp
}

// describeTopicConfigs lists t's configs (only names, if not nil).
func describeTopicConfigs(t *cluster.Topic, names []string, synonyms, docs bool) []kmsg.DescribeConfigsResponseResourceConfig {
	var out []kmsg.DescribeConfigsResponseResourceConfig
	for _, d := range cluster.TopicConfigDefs() {
		if names != nil && !slices.Contains(names, d.Name) {
			continue
		}
		v, set := t.Config(d.Name)
		c := kmsg.NewDescribeConfigsResponseResourceConfig()
		c.Name = d.Name
		c.Value = &v
		c.Source = sourceDefault
		c.IsDefault = !set
		c.ConfigType = kmsg.ConfigType(d.Kind)
		if set {
			c.Source = sourceDynamicTopic
		}
		if docs && d.Doc != "" {
			doc := d.Doc
			c.Documentation = &doc
		}
		if synonyms {
			if set {
				val := v
				c.ConfigSynonyms = append(c.ConfigSynonyms, kmsg.DescribeConfigsResponseResourceConfigConfigSynonym{Name: d.Name, Value: &val, Source: sourceDynamicTopic})
			}
			def := d.Default
			c.ConfigSynonyms = append(c.ConfigSynonyms, kmsg.DescribeConfigsResponseResourceConfigConfigSynonym{Name: d.Name, Value: &def, Source: sourceDefault})
		}
		out = append(out, c)
	}
	return out
}

func (s *Server) describeBrokerConfigs(names []string) []kmsg.DescribeConfigsResponseResourceConfig {
	kvs := [][2]string{
		{"auto.create.topics.enable", strconv.FormatBool(s.cfg.AutoCreateTopics)},
		{"broker.id", strconv.Itoa(int(cluster.BrokerID))},
		{"default.replication.factor", "1"},
		{"log.dirs", s.c.DataDir()},
		{"log.retention.ms", "604800000"},
		{"log.segment.bytes", "1073741824"},
		{"message.max.bytes", "1048588"},
		{"min.insync.replicas", "1"},
		{"node.id", strconv.Itoa(int(cluster.BrokerID))},
		{"num.partitions", strconv.Itoa(int(s.c.DefaultPartitions()))},
		{"offsets.topic.replication.factor", "1"},
		{"socket.request.max.bytes", strconv.Itoa(int(s.cfg.MaxRequestBytes))},
		{"transaction.state.log.replication.factor", "1"},
	}
	var out []kmsg.DescribeConfigsResponseResourceConfig
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
		out = append(out, c)
	}
	return out
}
