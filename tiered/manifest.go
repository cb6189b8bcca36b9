package tiered

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"sort"
)

// manifestVersion is the only manifest version this package reads and writes.
const manifestVersion = 1

// castagnoli is the CRC-32C table; read-only after init.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// SegmentInfo describes one segment of the remote tier, as its manifest
// entry records it.
type SegmentInfo struct {
	Base           int64 `json:"base"`           // first offset the segment may hold (its name)
	Next           int64 `json:"next"`           // offset after its last batch
	Size           int64 `json:"size"`           // bytes of the .log object
	IndexSize      int64 `json:"indexSize"`      // bytes of the .index object
	TimeIndexSize  int64 `json:"timeIndexSize"`  // bytes of the .timeindex object
	FirstTimestamp int64 `json:"firstTimestamp"` // the first batch's firstTimestamp
	MaxTimestamp   int64 `json:"maxTimestamp"`   // largest batch max timestamp, -1 if none
}

// manifest is a partition's manifest. A published manifest is never
// modified: changes build a new one (see with).
type manifest struct {
	Version     int           `json:"version"`
	Topic       string        `json:"topic"`
	TopicID     string        `json:"topicId"`
	Partition   int32         `json:"partition"`
	StartOffset int64         `json:"startOffset"`
	EndOffset   int64         `json:"endOffset"`
	Segments    []SegmentInfo `json:"segments"`
	CRC         uint32        `json:"crc32c"`

	bytes int64 // sum of segment sizes; not stored
}

// emptyManifest is the manifest of a partition nothing was ever uploaded for.
func emptyManifest(ref PartitionRef) *manifest {
	return &manifest{
		Version: manifestVersion, Topic: ref.Topic, TopicID: hex.EncodeToString(ref.TopicID[:]),
		Partition: ref.Partition, StartOffset: -1, EndOffset: -1, Segments: []SegmentInfo{},
	}
}

// with returns a copy of m holding segs (which it takes over), start and
// end. A non-empty tier starts at or after its first segment's base; an
// empty one keeps start as a floor for the next upload (see Upload).
func (m *manifest) with(segs []SegmentInfo, start, end int64) *manifest {
	if segs == nil {
		segs = []SegmentInfo{}
	}
	n := *m
	n.Segments, n.StartOffset, n.EndOffset, n.CRC = segs, start, end, 0
	if len(segs) > 0 {
		n.StartOffset = max(start, segs[0].Base)
	}
	n.bytes = 0
	for _, s := range segs {
		n.bytes += s.Size
	}
	return &n
}

// find returns the index of the segment holding offset, or of the first
// segment after it when offset falls in a gap between segments; len if
// none.
func (m *manifest) find(offset int64) int {
	return sort.Search(len(m.Segments), func(i int) bool { return m.Segments[i].Next > offset })
}

// encode returns the manifest's file form with its CRC set.
func (m *manifest) encode() ([]byte, error) {
	c := *m
	c.CRC = 0
	b, err := json.Marshal(&c)
	if err != nil {
		return nil, fmt.Errorf("tiered: encoding manifest: %w", err)
	}
	c.CRC = crc32.Checksum(b, castagnoli)
	b, err = json.Marshal(&c)
	if err != nil {
		return nil, fmt.Errorf("tiered: encoding manifest: %w", err)
	}
	return append(b, '\n'), nil
}

// decodeManifest parses and validates a manifest file for ref. Every
// failure wraps ErrCorrupt.
func decodeManifest(b []byte, ref PartitionRef) (*manifest, error) {
	var m manifest
	if err := decodeStrict(b, &m); err != nil {
		return nil, fmt.Errorf("%w: manifest: %v", ErrCorrupt, err)
	}
	if m.Version != manifestVersion {
		return nil, fmt.Errorf("%w: manifest version %d, want %d", ErrCorrupt, m.Version, manifestVersion)
	}
	want := m.CRC
	m.CRC = 0
	plain, err := json.Marshal(&m)
	if err != nil {
		return nil, fmt.Errorf("%w: manifest: %v", ErrCorrupt, err)
	}
	if got := crc32.Checksum(plain, castagnoli); got != want {
		return nil, fmt.Errorf("%w: manifest crc32c %d, computed %d", ErrCorrupt, want, got)
	}
	if err := m.validate(ref); err != nil {
		return nil, fmt.Errorf("%w: manifest: %v", ErrCorrupt, err)
	}
	return m.with(m.Segments, m.StartOffset, m.EndOffset), nil
}

// validate checks the manifest's invariants (see the package doc).
func (m *manifest) validate(ref PartitionRef) error {
	if m.Topic != ref.Topic || m.TopicID != hex.EncodeToString(ref.TopicID[:]) || m.Partition != ref.Partition {
		return fmt.Errorf("describes %s-%s/%d, not %s", m.Topic, m.TopicID, m.Partition, ref)
	}
	if m.Segments == nil {
		return fmt.Errorf("no segments list")
	}
	if len(m.Segments) == 0 {
		// Start may lie past the end: a DeleteBefore beyond what was
		// uploaded, remembered for the next upload.
		if m.EndOffset < -1 || m.StartOffset < m.EndOffset {
			return fmt.Errorf("empty tier with start %d, end %d", m.StartOffset, m.EndOffset)
		}
		return nil
	}
	prevNext := int64(0)
	for i, s := range m.Segments {
		switch {
		case s.Base < prevNext:
			return fmt.Errorf("segment %d (base %d) overlaps the previous one (next %d)", i, s.Base, prevNext)
		case s.Next <= s.Base || s.Next-s.Base-1 > 1<<32-1:
			return fmt.Errorf("segment %d: base %d, next %d", i, s.Base, s.Next)
		case s.Size < batchHeaderSize || s.Size > 1<<32-1:
			return fmt.Errorf("segment %d: size %d", i, s.Size)
		case s.IndexSize < 0 || s.IndexSize%indexEntrySize != 0:
			return fmt.Errorf("segment %d: index size %d", i, s.IndexSize)
		case s.TimeIndexSize < 0 || s.TimeIndexSize%timeEntrySize != 0:
			return fmt.Errorf("segment %d: time index size %d", i, s.TimeIndexSize)
		case s.MaxTimestamp < -1:
			return fmt.Errorf("segment %d: max timestamp %d", i, s.MaxTimestamp)
		}
		prevNext = s.Next
	}
	first, last := m.Segments[0], m.Segments[len(m.Segments)-1]
	if m.StartOffset < first.Base || m.StartOffset >= first.Next {
		return fmt.Errorf("start offset %d outside the first segment [%d, %d)", m.StartOffset, first.Base, first.Next)
	}
	if m.EndOffset != last.Next {
		return fmt.Errorf("end offset %d, last segment ends at %d", m.EndOffset, last.Next)
	}
	return nil
}

// decodeStrict decodes one JSON value into v, refusing unknown fields and
// trailing data.
func decodeStrict(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if _, err := d.Token(); err != io.EOF {
		return fmt.Errorf("trailing data after the JSON value")
	}
	return nil
}
