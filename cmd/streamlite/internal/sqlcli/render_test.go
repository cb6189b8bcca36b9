package sqlcli

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestPrintTopics checks the shell's table for SHOW TOPICS and SHOW TOPICS
// EXTENDED, from the entities ksqlDB (and our server) answer with.
func TestPrintTopics(t *testing.T) {
	for _, tc := range []struct{ entity, want string }{
		{`{"@type":"kafka_topics","topics":[{"name":"orders","replicaInfo":[3,3]},{"name":"s","replicaInfo":[1]}]}`,
			"Kafka Topic  Partitions  Partition Replicas\n" +
				"orders       2           3\n" +
				"s            1           1\n"},
		{`{"@type":"kafka_topics_extended","topics":[{"name":"s","replicaInfo":[1,1],"consumerCount":2,"consumerGroupCount":1}]}`,
			"Kafka Topic  Partitions  Partition Replicas  Consumers  ConsumerGroups\n" +
				"s            2           1                   2          1\n"},
	} {
		var e map[string]any
		if err := json.Unmarshal([]byte(tc.entity), &e); err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		printShellEntity(&b, e, outputTable)
		if b.String() != tc.want {
			t.Errorf("%s:\n%s\nwant:\n%s", e["@type"], b.String(), tc.want)
		}
	}
}
