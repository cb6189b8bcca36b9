package tiered

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
)

// Object names inside a partition's prefix.
const (
	manifestName  = "manifest.json"
	topicInfoName = "topic.json"
	topicsRoot    = "topics/"
	extLog        = ".log"
	extIndex      = ".index"
	extTimeIndex  = ".timeindex"
)

// PartitionRef names a partition: the topic's name and id (the id keeps a
// topic re-created under the same name apart from the deleted one) and the
// partition number.
type PartitionRef struct {
	Topic     string
	TopicID   [16]byte
	Partition int32
}

// String returns "topic-<id>/partition" as in the key layout.
func (r PartitionRef) String() string {
	return topicDirName(r.Topic, r.TopicID) + "/" + strconv.Itoa(int(r.Partition))
}

func (r PartitionRef) validate() error {
	if err := validTopicName(r.Topic); err != nil {
		return err
	}
	if r.Partition < 0 {
		return fmt.Errorf("tiered: invalid partition %d", r.Partition)
	}
	return nil
}

// validTopicName applies Kafka's rule (1 to 249 of [a-zA-Z0-9._-], not "."
// or ".."), which also keeps names safe inside keys.
func validTopicName(name string) error {
	if name == "" || len(name) > 249 || name == "." || name == ".." {
		return fmt.Errorf("tiered: invalid topic name %q", name)
	}
	for _, c := range []byte(name) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
		if !ok {
			return fmt.Errorf("tiered: invalid topic name %q", name)
		}
	}
	return nil
}

// topicDirName is "<topic>-<id as 32 hex>".
func topicDirName(topic string, id [16]byte) string {
	return topic + "-" + hex.EncodeToString(id[:])
}

// topicPrefix is "topics/<topic>-<id>/", under which all of a topic's keys lie.
func topicPrefix(topic string, id [16]byte) string {
	return topicsRoot + topicDirName(topic, id) + "/"
}

// partitionPrefix is "topics/<topic>-<id>/<partition>/".
func partitionPrefix(r PartitionRef) string {
	return topicPrefix(r.Topic, r.TopicID) + strconv.Itoa(int(r.Partition)) + "/"
}

// segmentKey is the key of the segment object at base with extension ext.
func segmentKey(prefix string, base int64, ext string) string {
	return fmt.Sprintf("%s%020d%s", prefix, base, ext)
}

// segmentKeys returns the three keys of the segment at base.
func segmentKeys(prefix string, base int64) [3]string {
	return [3]string{
		segmentKey(prefix, base, extLog),
		segmentKey(prefix, base, extIndex),
		segmentKey(prefix, base, extTimeIndex),
	}
}

// parseTopicDir splits "<topic>-<32 hex>" into name and id.
func parseTopicDir(dir string) (string, [16]byte, bool) {
	var id [16]byte
	i := strings.LastIndexByte(dir, '-')
	if i < 0 || len(dir)-i-1 != 32 {
		return "", id, false
	}
	if _, err := hex.Decode(id[:], []byte(dir[i+1:])); err != nil {
		return "", id, false
	}
	return dir[:i], id, true
}
