package kafka

import (
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// AlterConfigs: versions 0-2.
//
// Replaces a topic's set configs with exactly those given (the legacy, non-incremental API).
// Broker configs are static here and refused with INVALID_REQUEST.

func (s *Server) handleAlterConfigs(req *kmsg.AlterConfigsRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.AlterConfigsResponse)
	for _, rr := range req.Resources {
		sr := kmsg.NewAlterConfigsResponseResource()
		sr.ResourceType = rr.ResourceType
		sr.ResourceName = rr.ResourceName
		if rr.ResourceType != resourceTopic {
			sr.ErrorCode = kerr.InvalidRequest.Code
			msg := "only topic configs can be altered; broker configs are set at start"
			sr.ErrorMessage = &msg
			resp.Resources = append(resp.Resources, sr)
			continue
		}
		set := make(map[string]string, len(rr.Configs))
		for _, c := range rr.Configs {
			if c.Value != nil {
				set[c.Name] = *c.Value
			}
		}
		if err := s.c.AlterConfigs(rr.ResourceName, set, nil, true, req.ValidateOnly); err != nil {
			sr.ErrorCode = errorCode(err)
			sr.ErrorMessage = errorMessage(err)
		}
		resp.Resources = append(resp.Resources, sr)
	}
	return resp
}
