package cluster

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"

	"github.com/streamlite/streamlite/engine/log"
	"github.com/streamlite/streamlite/engine/meta"
)

// MetadataTopic is the read-only internal topic that shows the metadata log: one record per
// change of cluster state, in order, key the record type, value a JSON object (see
// MetadataRecordJSON). Like Kafka's KRaft log it has the name __cluster_metadata and the
// topic id 0...01; unlike Kafka's, any client may read it.
const MetadataTopic = "__cluster_metadata"

// metadataTopicID is Kafka's fixed id of __cluster_metadata (AAAAAAAAAAAAAAAAAAAAAQ).
var metadataTopicID = [16]byte{15: 1}

// ErrReadOnlyTopic is returned for a change to __cluster_metadata: only the metadata log
// writes it.
var ErrReadOnlyTopic = errors.New("cluster: __cluster_metadata is written by the metadata log only")

// metadataTopicConfigs keep the whole history up to 1 GiB: it is what a developer watches.
var metadataTopicConfigs = map[string]string{
	"retention.ms":    "-1",
	"retention.bytes": "1073741824",
	"segment.bytes":   "16777216",
}

// metaMirror copies metadata records into __cluster_metadata. The metadata log calls
// Append (its OnAppend hook) under its own append lock, so records come in index order; mu
// orders them with the catch-up that Open runs.
type metaMirror struct {
	mu     sync.Mutex
	p      *log.Partition
	next   uint64 // index of the next record to copy
	logger interface{ Warn(string, ...any) }
}

// openMetadataTopic opens __cluster_metadata's one partition (creating it on first use) and
// copies into it the records of the metadata log it does not hold yet: those a crash kept
// from reaching it, or all of them the first time. It is not a record of the metadata log
// itself, so it is opened here, not from meta.Topics.
func (c *Cluster) openMetadataTopic(live map[string]bool) error {
	t := &Topic{Name: MetadataTopic, ID: metadataTopicID}
	cfgs := maps.Clone(metadataTopicConfigs)
	// Broker overrides do not reach it: its configs keep every record (say, no compaction).
	lc := t.setConfigs(cfgs, nil)
	parts, err := c.openPartitions(t, 0, 1, lc, true)
	if err != nil {
		return err
	}
	t.parts.Store(&parts)
	c.topics[t.Name] = t
	c.byID[t.ID] = t
	live[c.topicDirName(t)] = true
	m := &metaMirror{p: parts[0], logger: c.logger}
	last, err := lastMirrored(parts[0])
	if err != nil {
		// A derived view never keeps the broker from starting: carry on after its end.
		c.logger.Warn("cannot tell how far "+MetadataTopic+" got; copying on from its end", "err", err)
		last = uint64(parts[0].LogEndOffset())
	}
	m.next = last + 1
	c.mirror = m
	return m.catchUp(c.meta)
}

// lastMirrored is the index of the last record in the mirror partition, 0 if it is empty.
func lastMirrored(p *log.Partition) (uint64, error) {
	end := p.LogEndOffset()
	if end == p.LogStartOffset() {
		return uint64(end), nil // empty (or emptied by retention): offsets are indexes - 1
	}
	b, err := p.Read(end-1, 1<<20, true, nil)
	if err != nil {
		return 0, fmt.Errorf("cluster: reading the end of %s: %w", MetadataTopic, err)
	}
	var last uint64
	var bad error
	log.WalkBatches(b, func(batch []byte) {
		bad = errors.Join(bad, log.EachRecord(batch, func(_ int64, _, value []byte) bool {
			var v struct {
				Index uint64 `json:"index"`
			}
			if err := json.Unmarshal(value, &v); err != nil {
				bad = err
				return false
			}
			last = v.Index
			return true
		}))
	})
	if bad != nil || last == 0 {
		return 0, fmt.Errorf("cluster: the last record of %s has no metadata index: %v", MetadataTopic, bad)
	}
	return last, nil
}

// catchUp copies the records from m.next to the metadata log's end.
func (m *metaMirror) catchUp(l *meta.Log) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if first := l.FirstIndex(); m.next < first && m.next <= l.LastIndex() {
		// Dropped by a snapshot before they were copied: say so, and go on from what is left.
		m.logger.Warn("metadata records were compacted into a snapshot before reaching "+MetadataTopic,
			"from_index", m.next, "to_index", first-1)
		m.next = first
	}
	var recs []meta.Record
	first := m.next
	err := l.ReadRecords(m.next, func(index uint64, r meta.Record) bool {
		if len(recs) == 0 {
			first = index
		}
		recs = append(recs, r)
		if len(recs) == 1000 {
			m.appendLocked(first, recs)
			recs = recs[:0]
		}
		return true
	})
	if len(recs) > 0 {
		m.appendLocked(first, recs)
	}
	if err != nil {
		return fmt.Errorf("cluster: copying the metadata log to %s: %w", MetadataTopic, err)
	}
	return nil
}

// MetadataAppended copies records the metadata log has just applied into
// __cluster_metadata; the engine passes it to the metadata log as its OnAppend hook.
func (c *Cluster) MetadataAppended(first uint64, recs []meta.Record) {
	if c.mirror != nil {
		c.mirror.append(first, recs)
	}
}

// append copies records unless they were copied already.
func (m *metaMirror) append(first uint64, recs []meta.Record) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.appendLocked(first, recs)
}

// appendLocked writes the records from m.next on as one batch. The copy is best effort and
// not waited for: the metadata log is the durable truth, and what a crash keeps from the
// mirror is copied again by the next Open.
func (m *metaMirror) appendLocked(first uint64, recs []meta.Record) {
	if skip := int(m.next - first); m.next > first {
		if skip >= len(recs) {
			return
		}
		recs, first = recs[skip:], m.next
	}
	now := time.Now().UnixMilli()
	kvs := make([]log.KV, 0, len(recs))
	for i, r := range recs {
		v, err := MetadataRecordJSON(first+uint64(i), r)
		if err != nil {
			m.logger.Warn("cannot show a metadata record in "+MetadataTopic, "index", first+uint64(i), "err", err)
			v = []byte(fmt.Sprintf(`{"index":%d,"type":%q}`, first+uint64(i), r.Type().String()))
		}
		kvs = append(kvs, log.KV{Key: []byte(r.Type().String()), Value: v})
	}
	if _, err := m.p.Append(log.EncodeBatch(kvs, now, -1, -1, false), time.Now()); err != nil {
		m.logger.Warn("cannot copy metadata records to "+MetadataTopic+"; the next start copies them",
			"from_index", first, "records", len(recs), "err", err)
		return
	}
	m.next = first + uint64(len(recs))
}

// topicIDString is a topic id as Kafka's tools print it: URL-safe base64 without padding.
func topicIDString(id [16]byte) string { return base64.RawURLEncoding.EncodeToString(id[:]) }

// MetadataRecordJSON is a metadata record as __cluster_metadata shows it:
//
//	{"index": 12, "type": "TopicCreated", "record": {"name": "orders", "topicId": "...", ...}}
//
// index is the record's place in the metadata log, type its RecordType, and record its fields
// with Kafka's names (topic ids in Kafka's base64 form). New fields may appear; readers should
// ignore the ones they do not know.
func MetadataRecordJSON(index uint64, r meta.Record) ([]byte, error) {
	var body any
	switch r := r.(type) {
	case meta.TopicCreated:
		body = struct {
			Name       string            `json:"name"`
			TopicID    string            `json:"topicId"`
			Partitions int32             `json:"partitions"`
			Configs    map[string]string `json:"configs,omitempty"`
		}{r.Name, topicIDString(r.ID), r.Partitions, r.Configs}
	case meta.TopicDeleted:
		body = struct {
			Name    string `json:"name"`
			TopicID string `json:"topicId"`
		}{r.Name, topicIDString(r.ID)}
	case meta.PartitionsAdded:
		body = struct {
			Name       string `json:"name"`
			TopicID    string `json:"topicId"`
			Partitions int32  `json:"partitions"`
		}{r.Name, topicIDString(r.ID), r.Total}
	case meta.ConfigChanged:
		body = struct {
			Name    string            `json:"name"`
			TopicID string            `json:"topicId"`
			Set     map[string]string `json:"set,omitempty"`
			Delete  []string          `json:"delete,omitempty"`
		}{r.Name, topicIDString(r.ID), r.Set, r.Delete}
	case meta.ProducerIDBlock:
		body = struct {
			NextProducerID int64 `json:"nextProducerId"`
		}{r.Next}
	case meta.BrokerConfigChanged:
		body = struct {
			Set    map[string]string `json:"set,omitempty"`
			Delete []string          `json:"delete,omitempty"`
		}{r.Set, r.Delete}
	case meta.SchemaRegistered:
		type ref struct {
			Name    string `json:"name"`
			Subject string `json:"subject"`
			Version int32  `json:"version"`
		}
		refs := make([]ref, len(r.References))
		for i, x := range r.References {
			refs[i] = ref(x)
		}
		body = struct {
			Subject    string `json:"subject"`
			Version    int32  `json:"version"`
			ID         int32  `json:"id"`
			SchemaType string `json:"schemaType"`
			Schema     string `json:"schema"`
			References []ref  `json:"references,omitempty"`
		}{r.Subject, r.Version, r.ID, r.SchemaType, r.Schema, refs}
	case meta.SchemaDeleted:
		body = struct {
			Subject   string `json:"subject"`
			Version   int32  `json:"version,omitempty"` // absent: every version
			Permanent bool   `json:"permanent"`
		}{r.Subject, r.Version, r.Permanent}
	case meta.RegistryConfigChanged:
		body = struct {
			Subject       string `json:"subject"` // "": global
			Compatibility string `json:"compatibilityLevel,omitempty"`
			Normalize     *bool  `json:"normalize,omitempty"`
		}{r.Subject, r.Compatibility, r.Normalize}
	case meta.RegistryModeChanged:
		body = struct {
			Subject string `json:"subject"` // "": global
			Mode    string `json:"mode,omitempty"`
		}{r.Subject, r.Mode}
	default:
		body = r
	}
	return json.Marshal(struct {
		Index  uint64 `json:"index"`
		Type   string `json:"type"`
		Record any    `json:"record"`
	}{index, r.Type().String(), body})
}
