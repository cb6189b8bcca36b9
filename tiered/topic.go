package tiered

import (
	"bytes"
	"cmp"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"slices"
	"strings"

	"github.com/streamlite/streamlite/tiered/objstore"
)

// topicVersion is the only topic.json version this package reads and writes.
const topicVersion = 1

// TopicInfo describes a topic in the bucket, so that the bucket alone can
// rebuild it (streamlite restore).
type TopicInfo struct {
	Name       string
	ID         [16]byte
	Partitions int32
	Configs    map[string]string // the topic's non-default configs, Kafka names
}

// topicFile is topic.json: the same fields, the id in hex, a version and a
// CRC-32C of the compact encoding with crc32c 0, as in the manifest.
type topicFile struct {
	Version    int               `json:"version"`
	Name       string            `json:"name"`
	ID         string            `json:"id"`
	Partitions int32             `json:"partitions"`
	Configs    map[string]string `json:"configs"`
	CRC        uint32            `json:"crc32c"`
}

// WriteTopic stores t as topics/<name>-<id>/topic.json, replacing an
// earlier version (call it when the topic is created and when its
// partitions or configs change).
func WriteTopic(ctx context.Context, store objstore.Store, t TopicInfo) error {
	if err := validTopicName(t.Name); err != nil {
		return err
	}
	if t.Partitions <= 0 {
		return fmt.Errorf("tiered: topic %s: %d partitions", t.Name, t.Partitions)
	}
	f := topicFile{Version: topicVersion, Name: t.Name, ID: hex.EncodeToString(t.ID[:]),
		Partitions: t.Partitions, Configs: t.Configs}
	if f.Configs == nil {
		f.Configs = map[string]string{}
	}
	b, err := json.Marshal(&f)
	if err != nil {
		return fmt.Errorf("tiered: encoding topic %s: %w", t.Name, err)
	}
	f.CRC = crc32.Checksum(b, castagnoli)
	if b, err = json.Marshal(&f); err != nil {
		return fmt.Errorf("tiered: encoding topic %s: %w", t.Name, err)
	}
	key := topicPrefix(t.Name, t.ID) + topicInfoName
	if err := putBytes(ctx, store, key, append(b, '\n')); err != nil {
		return fmt.Errorf("tiered: writing topic %s: %w", t.Name, err)
	}
	return nil
}

// ReadTopics returns every topic described in the store, by name then id.
// A topic.json that fails to decode or validate, or whose name and id do
// not match its key, is an error wrapping ErrCorrupt. It lists every key
// under topics/, segments included.
func ReadTopics(ctx context.Context, store objstore.Store) ([]TopicInfo, error) {
	objs, err := store.List(ctx, topicsRoot)
	if err != nil {
		return nil, fmt.Errorf("tiered: listing topics: %w", err)
	}
	var out []TopicInfo
	for _, o := range objs {
		dir, ok := strings.CutSuffix(strings.TrimPrefix(o.Key, topicsRoot), "/"+topicInfoName)
		if !ok || strings.Contains(dir, "/") {
			continue
		}
		name, id, ok := parseTopicDir(dir)
		if !ok {
			return nil, fmt.Errorf("tiered: %w: topic key %s", ErrCorrupt, o.Key)
		}
		b, err := store.Get(ctx, o.Key)
		if errors.Is(err, objstore.ErrNotFound) {
			continue // deleted since the listing
		}
		if err != nil {
			return nil, fmt.Errorf("tiered: reading %s: %w", o.Key, err)
		}
		t, err := decodeTopic(b)
		if err != nil {
			return nil, fmt.Errorf("tiered: %s: %w", o.Key, err)
		}
		if t.Name != name || t.ID != id {
			return nil, fmt.Errorf("tiered: %w: %s describes topic %s-%x", ErrCorrupt, o.Key, t.Name, t.ID)
		}
		out = append(out, t)
	}
	slices.SortFunc(out, func(a, b TopicInfo) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), bytes.Compare(a.ID[:], b.ID[:]))
	})
	return out, nil
}

// decodeTopic parses and validates topic.json; failures wrap ErrCorrupt.
func decodeTopic(b []byte) (TopicInfo, error) {
	var f topicFile
	if err := decodeStrict(b, &f); err != nil {
		return TopicInfo{}, fmt.Errorf("%w: topic: %v", ErrCorrupt, err)
	}
	if f.Version != topicVersion {
		return TopicInfo{}, fmt.Errorf("%w: topic version %d, want %d", ErrCorrupt, f.Version, topicVersion)
	}
	want := f.CRC
	f.CRC = 0
	plain, err := json.Marshal(&f)
	if err != nil {
		return TopicInfo{}, fmt.Errorf("%w: topic: %v", ErrCorrupt, err)
	}
	if got := crc32.Checksum(plain, castagnoli); got != want {
		return TopicInfo{}, fmt.Errorf("%w: topic crc32c %d, computed %d", ErrCorrupt, want, got)
	}
	t := TopicInfo{Name: f.Name, Partitions: f.Partitions, Configs: f.Configs}
	if n, err := hex.Decode(t.ID[:], []byte(f.ID)); err != nil || n != len(t.ID) || len(f.ID) != 2*len(t.ID) {
		return TopicInfo{}, fmt.Errorf("%w: topic id %q", ErrCorrupt, f.ID)
	}
	if err := validTopicName(t.Name); err != nil || t.Partitions <= 0 || t.Configs == nil {
		return TopicInfo{}, fmt.Errorf("%w: topic %q with %d partitions", ErrCorrupt, t.Name, t.Partitions)
	}
	return t, nil
}

// DeleteTopic removes a deleted topic from the store: its topic.json first
// (so a restore never brings back a half-deleted topic), then every object
// under its prefix, each partition's manifest before that partition's
// segments. Running it again finishes an interrupted deletion. No Remote of
// the topic may be in use.
func DeleteTopic(ctx context.Context, store objstore.Store, name string, id [16]byte) error {
	if err := validTopicName(name); err != nil {
		return err
	}
	prefix := topicPrefix(name, id)
	if err := store.Delete(ctx, prefix+topicInfoName); err != nil {
		return fmt.Errorf("tiered: deleting topic %s: %w", name, err)
	}
	objs, err := store.List(ctx, prefix)
	if err != nil {
		return fmt.Errorf("tiered: deleting topic %s: listing: %w", name, err)
	}
	var manifests, rest []string
	for _, o := range objs {
		if strings.HasSuffix(o.Key, "/"+manifestName) {
			manifests = append(manifests, o.Key)
		} else {
			rest = append(rest, o.Key)
		}
	}
	for _, keys := range [][]string{manifests, rest} {
		if len(keys) == 0 {
			continue
		}
		if err := store.Delete(ctx, keys...); err != nil {
			return fmt.Errorf("tiered: deleting topic %s: %w", name, err)
		}
	}
	return nil
}
