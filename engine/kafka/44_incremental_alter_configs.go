package kafka

import (
	"slices"
	"strings"

	"github.com/streamlite/streamlite/engine/cluster"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// IncrementalAlterConfigs: versions 0-1.
//
// Operations SET (0), DELETE (1), APPEND (2) and SUBTRACT (3), the last two on list configs
// (cleanup.policy, the throttled-replica lists). All of a resource's operations apply together
// or not at all. Broker configs are static here and refused with INVALID_REQUEST.

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
	if rr.ResourceType != resourceTopic {
		return badRequest("only topic configs can be altered; broker configs are set at start")
	}
	t := s.c.Topic(rr.ResourceName)
	if t == nil {
		return kerr.UnknownTopicOrPartition
	}
	set := map[string]string{}
	var del []string
	for _, c := range rr.Configs {
		def, ok := cluster.TopicConfigDef(c.Name)
		if !ok {
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
			cur, _ := t.Config(c.Name)
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
	return s.c.AlterConfigs(rr.ResourceName, set, del, false, validateOnly)
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
