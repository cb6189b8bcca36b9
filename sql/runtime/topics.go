package runtime

import (
	"context"
	"fmt"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
)

// listTopics describes the named topics, or all of them, internal ones
// included. It asks the cluster afresh: kadm's plain calls answer from the
// client's metadata cache, which remembers a topic's absence for seconds
// after the topic was created (WithAuthorizedOps makes kadm skip it).
func (s *Server) listTopics(ctx context.Context, topics ...string) (kadm.TopicDetails, error) {
	return s.adm.ListTopicsWithInternal(kadm.WithAuthorizedOps(ctx), topics...)
}

// topics lists the cluster's topics for SHOW TOPICS, by name. Like ksqlDB,
// it hides internal topics unless all (SHOW ALL TOPICS): those the broker
// marks internal and those whose names start with '_' (this service's
// _streamlite-sql-... topics, ksqlDB's _confluent-ksql-..., __consumer_offsets,
// _schemas, ...). extended adds the consumer counts, read from the groups'
// assignments.
func (s *Server) topics(ctx context.Context, all, extended bool) ([]TopicInfo, error) {
	td, err := s.listTopics(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing topics: %w", err)
	}
	var out []TopicInfo
	for _, d := range td.Sorted() {
		if d.Err != nil || !all && (d.IsInternal || strings.HasPrefix(d.Topic, "_")) {
			continue
		}
		ti := TopicInfo{Name: d.Topic}
		for _, p := range d.Partitions.Sorted() {
			ti.Replicas = append(ti.Replicas, len(p.Replicas))
		}
		out = append(out, ti)
	}
	if !extended || len(out) == 0 {
		return out, nil
	}
	consumers, groups, err := s.topicConsumers(ctx)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Consumers = consumers[out[i].Name]
		out[i].ConsumerGroups = len(groups[out[i].Name])
	}
	return out, nil
}

// topicConsumers counts, per topic, the partition assignments of consumer
// group members and the groups that hold them, as ksqlDB's SHOW TOPICS
// EXTENDED does.
func (s *Server) topicConsumers(ctx context.Context) (map[string]int, map[string]map[string]bool, error) {
	lg, err := s.adm.ListGroups(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("listing consumer groups: %w", err)
	}
	consumers, groups := map[string]int{}, map[string]map[string]bool{}
	names := lg.Groups()
	if len(names) == 0 {
		return consumers, groups, nil
	}
	dg, err := s.adm.DescribeGroups(ctx, names...)
	if err != nil {
		return nil, nil, fmt.Errorf("describing consumer groups: %w", err)
	}
	for name, g := range dg {
		for _, m := range g.Members {
			a, ok := m.Assigned.AsConsumer()
			if !ok {
				continue
			}
			for _, t := range a.Topics {
				consumers[t.Topic] += len(t.Partitions)
				if len(t.Partitions) > 0 {
					if groups[t.Topic] == nil {
						groups[t.Topic] = map[string]bool{}
					}
					groups[t.Topic][name] = true
				}
			}
		}
	}
	return consumers, groups, nil
}
