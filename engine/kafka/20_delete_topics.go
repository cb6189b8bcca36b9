package kafka

import (
	"github.com/twmb/franz-go/pkg/kmsg"
)

// DeleteTopics: versions 1-6.
//
// v5 error messages; v6 topics by name or by id. Deleting removes the topic from the metadata
// log first, then its partition directories.

func (s *Server) handleDeleteTopics(req *kmsg.DeleteTopicsRequest) kmsg.Response {
	resp := req.ResponseKind().(*kmsg.DeleteTopicsResponse)
	type target struct {
		name *string
		id   [16]byte
	}
	var targets []target
	if req.Version >= 6 {
		for _, t := range req.Topics {
			targets = append(targets, target{t.Topic, t.TopicID})
		}
	} else {
		for _, n := range req.TopicNames {
			targets = append(targets, target{name: &n})
		}
	}
	for _, tg := range targets {
		st := kmsg.NewDeleteTopicsResponseTopic()
		st.Topic = tg.name
		st.TopicID = tg.id
		var err error
		if tg.name != nil {
			if t := s.c.Topic(*tg.name); t != nil {
				st.TopicID = t.ID
			}
			if err = s.c.DeleteTopic(*tg.name); err == nil {
				s.obs.ForgetTopic(*tg.name)
			}
		} else {
			var name string
			name, err = s.c.DeleteTopicByID(tg.id)
			if err == nil {
				s.obs.ForgetTopic(name)
				st.Topic = &name
			} else {
				err = nil
				st.ErrorCode = unknownTopicID
			}
		}
		if err != nil {
			st.ErrorCode = errorCode(err)
			st.ErrorMessage = errorMessage(err)
		}
		resp.Topics = append(resp.Topics, st)
	}
	return resp
}
