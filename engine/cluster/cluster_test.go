package cluster

import (
	"strings"
	"testing"

	"github.com/streamlite/streamlite/engine/log"
	"github.com/streamlite/streamlite/engine/meta"
)

// A topic loaded from the metadata log with no configs set takes incremental config changes:
// its config map used to be nil after a restart, and the first change panicked the broker.
func TestAlterConfigsOfTopicLoadedWithoutConfigs(t *testing.T) {
	m := meta.OpenMemory()
	c, err := Open(Options{Meta: m})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateTopic(CreateSpec{Name: "plain", Partitions: 1, ReplicationFactor: -1}, false); err != nil {
		t.Fatal(err)
	}
	c.Close()
	c, err = Open(Options{Meta: m}) // as after a restart
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.AlterConfigs("plain", map[string]string{"retention.ms": "1000"}, nil, false, false); err != nil {
		t.Fatal(err)
	}
	if v, set := c.Topic("plain").Config("retention.ms"); !set || v != "1000" {
		t.Fatalf("retention.ms = %q (set %t)", v, set)
	}
}

// __cluster_metadata shows every metadata change as JSON, in order, and refuses changes.
func TestMetadataTopicMirrorsTheLog(t *testing.T) {
	c, err := Open(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.CreateTopic(CreateSpec{Name: "orders", Partitions: 2, ReplicationFactor: -1}, false); err != nil {
		t.Fatal(err)
	}
	if err := c.CreatePartitions("orders", 3, nil, false); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteTopic("orders"); err != nil {
		t.Fatal(err)
	}
	mt := c.Topic(MetadataTopic)
	if mt == nil {
		t.Fatal("no __cluster_metadata topic")
	}
	p := mt.Partition(0)
	var types []string
	if err := p.EachBatch(func(batch []byte) {
		_ = eachRecordKey(batch, func(k string) { types = append(types, k) })
	}); err != nil {
		t.Fatal(err)
	}
	if want := []string{"TopicCreated", "PartitionsAdded", "TopicDeleted"}; fmtList(types) != fmtList(want) {
		t.Fatalf("__cluster_metadata keys %v, want %v", types, want)
	}
	for _, err := range []error{
		c.DeleteTopic(MetadataTopic),
		c.CreatePartitions(MetadataTopic, 2, nil, false),
		c.AlterConfigs(MetadataTopic, map[string]string{"retention.ms": "1"}, nil, false, false),
	} {
		if err != ErrReadOnlyTopic {
			t.Fatalf("change to %s: %v, want ErrReadOnlyTopic", MetadataTopic, err)
		}
	}
	if _, err := c.CreateTopic(CreateSpec{Name: MetadataTopic, Partitions: 1, ReplicationFactor: -1}, false); err == nil {
		t.Fatalf("creating %s succeeded", MetadataTopic)
	}
}

func eachRecordKey(batch []byte, fn func(string)) error {
	return log.EachRecord(batch, func(_ int64, k, _ []byte) bool { fn(string(k)); return true })
}

func fmtList(s []string) string { return strings.Join(s, ",") }
