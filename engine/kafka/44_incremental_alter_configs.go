package kafka

import (
	"slices"
	"strconv"
	"strings"

	"github.com/streamlite/streamlite/engine/cluster"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// IncrementalAlterConfigs: versions 0-1.
//
// Operations SET (0), DELETE (1), APPEND (2) and SUBTRACT (3), the last two on list configs
// (cleanup.policy, the throttled-replica lists). All of a resource's operations apply together
// or not at all. Broker resources ("" or "0", both the cluster-wide default on one node) alter
// the dynamic broker overrides of topic configs (log.retention.ms, message.max.bytes, ...; see
// cluster.DynamicBrokerConfigNames); other broker configs are INVALID_CONFIG, another broker id
// INVALID_REQUEST. DELETE of an override puts the topic default back.

func (s *Server) handleIncrementalAlterConfigs(req *kmsg.IncrementalAlterConfigsRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.IncrementalAlterConfigsResponse)
	for _, rr := range req.Resources {
		sr := kmsg.NewIncrementalAlterConfigsResponseResource()
		sr.ResourceType = rr.ResourceType
		sr.ResourceName = rr.ResourceName
		if err := s.incrementalAlter(rr, req.ValidateOnly); err != nil {
			sr.ErrorCode = errorCode(err)
			sr.ErrorMessage = errorMessage(err)
		}
		resp.Resources = append(resp.Resources, sr)
	}
	return resp
}

func (s *Server) incrementalAlter(rr kmsg.IncrementalAlterConfigsRequestResource, validateOnly bool) error {
	var current func(name string) string // a config's value now, for APPEND and SUBTRACT
	lookup := cluster.TopicConfigDef     // a config's definition
	switch rr.ResourceType {
	case resourceTopic:
		t := s.c.Topic(rr.ResourceName)
		if t == nil {
			return kerr.UnknownTopicOrPartition
		}
		current = func(name string) string { v, _ := t.Config(name); return v }
	case resourceBroker:
		if err := checkBrokerName(rr.ResourceName); err != nil {
			return err
		}
		overrides := s.c.BrokerConfigs()
		lookup = func(name string) (cluster.ConfigDef, bool) {
			tc, ok := cluster.BrokerConfigTopicName(name)
			if !ok {
				return cluster.ConfigDef{}, false
			}
			return cluster.TopicConfigDef(tc)
		}
		current = func(name string) string {
			if v, ok := overrides[name]; ok {
				return v
			}
			d, _ := lookup(name)
			return d.Default
		}
	default:
		return badRequest("only topic and broker configs can be altered")
	}
	set := map[string]string{}
	var del []string
	for _, c := range rr.Configs {
		def, ok := lookup(c.Name)
		if !ok {
			if rr.ResourceType == resourceBroker {
				return cluster.ValidateBrokerConfigNames(c.Name)
			}
			return badConfig("unknown topic config name " + c.Name)
		}
		switch c.Op {
		case 0: // SET
			if c.Value == nil {
				return badConfig("null value for " + c.Name)
			}
			set[c.Name] = *c.Value
		case 1: // DELETE
			del = append(del, c.Name)
		case 2, 3: // APPEND, SUBTRACT
			if def.Kind != cluster.KindList {
				return badConfig(c.Name + " is not a list config; APPEND and SUBTRACT need one")
			}
			cur := current(c.Name)
			if v, ok := set[c.Name]; ok {
				cur = v
			}
			items := splitList(cur)
			var arg []string
			if c.Value != nil {
				arg = splitList(*c.Value)
			}
			for _, a := range arg {
				has := slices.Contains(items, a)
				if c.Op == 2 && !has {
					items = append(items, a)
				} else if c.Op == 3 && has {
					items = slices.DeleteFunc(items, func(x string) bool { return x == a })
				}
			}
			set[c.Name] = strings.Join(items, ",")
		default:
			return badRequest("unknown config operation")
		}
	}
	if rr.ResourceType == resourceBroker {
		return s.c.AlterBrokerConfigs(set, del, false, validateOnly)
	}
	return s.c.AlterConfigs(rr.ResourceName, set, del, false, validateOnly)
}

// checkBrokerName accepts the broker resource names this broker answers for: "" (the
// cluster-wide default) and its own id.
func checkBrokerName(name string) error {
	if name != "" && name != strconv.Itoa(int(cluster.BrokerID)) {
		return badRequest("unknown broker " + name + "; the only broker is 0")
	}
	return nil
}

func splitList(v string) []string {
	var out []string
	for _, e := range strings.Split(v, ",") {
		if e = strings.TrimSpace(e); e != "" {
			out = append(out, e)
		}
	}
	return out
}

func badRequest(msg string) error { return &protoError{code: kerr.InvalidRequest, msg: msg} }
func badConfig(msg string) error  { return &protoError{code: kerr.InvalidConfig, msg: msg} }
