package kafka

import (
	"github.com/twmb/franz-go/pkg/kmsg"
)

// AlterConfigs: versions 0-2.
//
// Replaces a topic's set configs with exactly those given (the legacy, non-incremental API).
// Broker resources ("" for the cluster-wide default, or "0", this broker, which is the same
// thing on one node) replace the cluster-wide dynamic broker overrides: only the broker configs
// that default a topic config (log.retention.ms, message.max.bytes, ...; see
// cluster.DynamicBrokerConfigNames); others are INVALID_CONFIG, another broker id is
// INVALID_REQUEST. Other resource types are INVALID_REQUEST.

func (s *Server) handleAlterConfigs(req *kmsg.AlterConfigsRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.AlterConfigsResponse)
	for _, rr := range req.Resources {
		sr := kmsg.NewAlterConfigsResponseResource()
		sr.ResourceType = rr.ResourceType
		sr.ResourceName = rr.ResourceName
		set := make(map[string]string, len(rr.Configs))
		for _, c := range rr.Configs {
			if c.Value != nil {
				set[c.Name] = *c.Value
			}
		}
		var err error
		switch rr.ResourceType {
		case resourceTopic:
			err = s.c.AlterConfigs(rr.ResourceName, set, nil, true, req.ValidateOnly)
		case resourceBroker:
			if err = checkBrokerName(rr.ResourceName); err == nil {
				err = s.c.AlterBrokerConfigs(set, nil, true, req.ValidateOnly)
			}
		default:
			err = badRequest("only topic and broker configs can be altered")
		}
		if err != nil {
			sr.ErrorCode = errorCode(err)
			sr.ErrorMessage = errorMessage(err)
		}
		resp.Resources = append(resp.Resources, sr)
	}
	return resp
}
