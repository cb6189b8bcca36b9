package schema

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/streamlite/streamlite/engine/meta"
	"github.com/twmb/franz-go/pkg/sr"
)

// SubjectNameStrategy is how a produced record's subject is named, as
// Confluent's serializers and broker-side validation name it.
type SubjectNameStrategy uint8

// The subject name strategies.
const (
	// TopicNameStrategy: "<topic>-key" or "<topic>-value".
	TopicNameStrategy SubjectNameStrategy = iota
	// RecordNameStrategy: the full name of the record's type.
	RecordNameStrategy
	// TopicRecordNameStrategy: "<topic>-<full name of the record's type>".
	TopicRecordNameStrategy
)

// confluentStrategyPackage prefixes Confluent's class names of the
// strategies, the values its topic configs take.
const confluentStrategyPackage = "io.confluent.kafka.serializers.subject."

var strategyNames = [...]string{"TopicNameStrategy", "RecordNameStrategy", "TopicRecordNameStrategy"}

// String returns the strategy's short name, as Redpanda spells it.
func (s SubjectNameStrategy) String() string {
	if int(s) < len(strategyNames) {
		return strategyNames[s]
	}
	return "SubjectNameStrategy(" + strconv.Itoa(int(s)) + ")"
}

// ParseSubjectNameStrategy reads a strategy as Confluent's configs spell it
// (the class name, io.confluent.kafka.serializers.subject.TopicNameStrategy)
// or Redpanda's (TopicNameStrategy).
func ParseSubjectNameStrategy(name string) (SubjectNameStrategy, bool) {
	name = strings.TrimPrefix(strings.TrimSpace(name), confluentStrategyPackage)
	for i, n := range strategyNames {
		if n == name {
			return SubjectNameStrategy(i), true
		}
	}
	return 0, false
}

// Topic configs that turn on checks of produced records. Confluent's and
// Redpanda's names are both accepted; either of a side's two switches
// turns its check on, and where both strategies are set Confluent's wins.
const (
	ConfigConfluentKeyValidation   = "confluent.key.schema.validation"
	ConfigConfluentValueValidation = "confluent.value.schema.validation"
	ConfigConfluentKeyStrategy     = "confluent.key.subject.name.strategy"
	ConfigConfluentValueStrategy   = "confluent.value.subject.name.strategy"
	ConfigRedpandaKeyValidation    = "redpanda.key.schema.id.validation"
	ConfigRedpandaValueValidation  = "redpanda.value.schema.id.validation"
	ConfigRedpandaKeyStrategy      = "redpanda.key.subject.name.strategy"
	ConfigRedpandaValueStrategy    = "redpanda.value.subject.name.strategy"
	// ConfigValidationMode is streamlite's: "id" (the default) checks the
	// schema id as Confluent and Redpanda do; "decode" also decodes the
	// payload against the schema.
	ConfigValidationMode = "streamlite.schema.validation.mode"
	// ConfigDeadLetterTopic is streamlite's: when set, records that fail
	// the check are moved to this topic instead of failing their batch.
	ConfigDeadLetterTopic = "streamlite.schema.validation.dead.letter.topic"
)

// Values of [ConfigValidationMode].
const (
	ValidationModeID     = "id"
	ValidationModeDecode = "decode"
)

// ProduceRules is what a topic asks the broker to check in the records
// produced to it. The zero value checks nothing.
type ProduceRules struct {
	// Key and Value turn on the check of the record's key and value.
	Key, Value bool
	// KeyStrategy and ValueStrategy name the subject a schema id must be
	// registered under.
	KeyStrategy, ValueStrategy SubjectNameStrategy
	// Decode also decodes the payload against the schema.
	Decode bool
	// DeadLetterTopic, when not empty, receives failing records instead of
	// their batch failing.
	DeadLetterTopic string
}

// Enabled reports whether r checks anything.
func (r ProduceRules) Enabled() bool { return r.Key || r.Value }

// ProduceRulesFromConfigs reads the rules from a topic's effective
// configs (its own over the broker's defaults; defaults absent). Values
// were validated when set; one that does not parse counts as unset.
func ProduceRulesFromConfigs(cfg map[string]string) ProduceRules {
	on := func(name string) bool { return strings.EqualFold(strings.TrimSpace(cfg[name]), "true") }
	strategy := func(confluent, redpanda string) SubjectNameStrategy {
		for _, name := range [...]string{confluent, redpanda} {
			if v, ok := cfg[name]; ok {
				if s, ok := ParseSubjectNameStrategy(v); ok {
					return s
				}
			}
		}
		return TopicNameStrategy
	}
	return ProduceRules{
		Key:             on(ConfigConfluentKeyValidation) || on(ConfigRedpandaKeyValidation),
		Value:           on(ConfigConfluentValueValidation) || on(ConfigRedpandaValueValidation),
		KeyStrategy:     strategy(ConfigConfluentKeyStrategy, ConfigRedpandaKeyStrategy),
		ValueStrategy:   strategy(ConfigConfluentValueStrategy, ConfigRedpandaValueStrategy),
		Decode:          strings.TrimSpace(cfg[ConfigValidationMode]) == ValidationModeDecode,
		DeadLetterTopic: strings.TrimSpace(cfg[ConfigDeadLetterTopic]),
	}
}

// maxMessageIndexes bounds the Protobuf message-index path a record may
// carry (a nesting depth no real schema reaches), so a forged count cannot
// make the header decoder allocate without bound.
const maxMessageIndexes = 32

// Validator checks produced records against the registry, as the broker
// does for topics whose [ProduceRules] ask for it. Its methods are safe for
// concurrent use.
type Validator struct {
	reg *Registry
	// schemas caches schemas parsed for checking, by id (int32 →
	// *checkedSchema). An id names one content for ever, so an entry never
	// goes stale; an id hard-deleted and never reused wastes its entry.
	schemas sync.Map
}

// NewValidator returns a validator over r's schemas.
func NewValidator(r *Registry) *Validator { return &Validator{reg: r} }

// checkedSchema is a stored schema parsed for checking records.
type checkedSchema struct {
	p parsed
	// name is the full name of an Avro or JSON schema's record type, for
	// the record strategies; nameErr says why there is none. Protobuf
	// names depend on the record's message indexes.
	name    string
	nameErr string
}

// schema returns the schema with id, parsed, or nil if no schema has id.
func (v *Validator) schema(view meta.RegistryState, id int32) (*checkedSchema, error) {
	if c, ok := v.schemas.Load(id); ok {
		return c.(*checkedSchema), nil
	}
	s, ok := view.SchemaByID(id)
	if !ok {
		return nil, nil
	}
	deps, err := resolve(view, s.References, map[[2]string]bool{})
	if err != nil {
		return nil, err
	}
	p, err := parse(s.Type, s.Text, deps)
	if err != nil {
		return nil, err
	}
	c := &checkedSchema{p: p}
	switch p.typ {
	case meta.SchemaTypeAvro:
		var ok bool
		if c.name, ok = p.avro.FullName(); !ok {
			c.nameErr = "the schema's root is not a named Avro type (record, enum or fixed), so it has no record name"
		}
	case meta.SchemaTypeJSON:
		var ok bool
		if c.name, ok = p.json.Title(); !ok {
			c.nameErr = "the JSON schema has no \"title\", which names its record"
		}
	}
	got, _ := v.schemas.LoadOrStore(id, c)
	return got.(*checkedSchema), nil
}

// RecordCheck checks the records of one batch produced to one topic, as
// its rules ask. It remembers the verdict on the last schema id of each
// side, so a batch whose records share a schema looks it up once. One
// RecordCheck is used by one goroutine; get one per batch with
// [Validator.Check].
type RecordCheck struct {
	v     *Validator
	view  meta.RegistryState
	topic string
	rules ProduceRules
	last  [2]verdict // key, value
}

// verdict is the outcome of checking a schema id (and, for Protobuf, its
// message indexes) against a side's subject.
type verdict struct {
	set     bool
	id      int32
	indexes []int
	schema  *checkedSchema
	err     string // why the id is refused; "" if it is accepted
}

// Check returns a RecordCheck for one batch produced to topic under rules.
func (v *Validator) Check(topic string, rules ProduceRules) *RecordCheck {
	return &RecordCheck{v: v, view: v.reg.log.Registry(), topic: topic, rules: rules}
}

// Record checks one record's key and value, returning nil if they pass or
// an error saying which failed and why, in words for the producer's
// author. A null key or value (a tombstone) passes.
func (c *RecordCheck) Record(key, value []byte) error {
	if c.rules.Key && key != nil {
		if msg := c.side(0, key); msg != "" {
			return &RecordError{Key: true, Reason: msg}
		}
	}
	if c.rules.Value && value != nil {
		if msg := c.side(1, value); msg != "" {
			return &RecordError{Reason: msg}
		}
	}
	return nil
}

// RecordError is a record refused by a [RecordCheck].
type RecordError struct {
	// Key is true when the key failed, false for the value.
	Key bool
	// Reason says why.
	Reason string
}

func (e *RecordError) Error() string {
	if e.Key {
		return "key: " + e.Reason
	}
	return "value: " + e.Reason
}

// side checks data, a key (side 0) or value (side 1), and returns why it
// fails or "".
func (c *RecordCheck) side(side int, data []byte) string {
	var h sr.ConfluentHeader
	id, rest, err := h.DecodeID(data)
	if err != nil {
		return noHeader(data)
	}
	last := &c.last[side]
	var indexes []int
	if last.set && last.id == int32(id) && last.schema != nil && last.schema.p.typ != meta.SchemaTypeProtobuf {
		// Same schema as the record before: same verdict.
	} else {
		s := last.schema
		if !last.set || last.id != int32(id) {
			s, err = c.v.schema(c.view, int32(id))
			if err != nil {
				return fmt.Sprintf("schema id %d cannot be used: %v", id, err)
			}
		}
		if s != nil && s.p.typ == meta.SchemaTypeProtobuf {
			if indexes, rest, err = h.DecodeIndex(rest, maxMessageIndexes); err != nil {
				return fmt.Sprintf("bad Protobuf message indexes after schema id %d: %v", id, err)
			}
		}
		if !last.set || last.id != int32(id) || !slices.Equal(last.indexes, indexes) {
			*last = c.judge(side, int32(id), s, indexes)
		}
	}
	if last.err != "" {
		return last.err
	}
	if !c.rules.Decode {
		return ""
	}
	p := last.schema.p
	switch p.typ {
	case meta.SchemaTypeAvro:
		err = p.avro.Validate(rest)
	case meta.SchemaTypeJSON:
		err = p.json.Validate(rest)
	case meta.SchemaTypeProtobuf:
		err = p.proto.Validate(last.indexes, rest)
	}
	if err != nil {
		return fmt.Sprintf("payload does not match schema id %d (%s): %v", id, p.typ, err)
	}
	return ""
}

// judge decides whether schema id (s; nil if unknown) with Protobuf
// message indexes may be used for a side of the topic's records.
func (c *RecordCheck) judge(side int, id int32, s *checkedSchema, indexes []int) verdict {
	out := verdict{set: true, id: id, indexes: indexes, schema: s}
	if s == nil {
		out.err = fmt.Sprintf("schema id %d is not registered", id)
		return out
	}
	strategy, suffix := c.rules.KeyStrategy, "-key"
	if side == 1 {
		strategy, suffix = c.rules.ValueStrategy, "-value"
	}
	var subject string
	if strategy == TopicNameStrategy {
		subject = c.topic + suffix
	} else {
		name := s.name
		if s.p.typ == meta.SchemaTypeProtobuf {
			n, err := s.p.proto.MessageName(indexes)
			if err != nil {
				out.err = fmt.Sprintf("schema id %d: %v", id, err)
				return out
			}
			name = n
		} else if s.nameErr != "" {
			out.err = fmt.Sprintf("schema id %d cannot be used with %s: %s", id, strategy, s.nameErr)
			return out
		}
		subject = name
		if strategy == TopicRecordNameStrategy {
			subject = c.topic + "-" + name
		}
	}
	live, softDeleted := c.view.SubjectHolds(subject, id)
	switch {
	case live:
	case softDeleted:
		out.err = fmt.Sprintf("schema id %d is soft-deleted from subject %q (%s)", id, subject, strategy)
	default:
		out.err = fmt.Sprintf("schema id %d is not registered under subject %q (%s)%s", id, subject, strategy, c.registeredUnder(id))
	}
	return out
}

// registeredUnder names the subjects that hold id, for an error message.
func (c *RecordCheck) registeredUnder(id int32) string {
	var subjects []string
	for _, sv := range c.view.SchemaUses(id) {
		if !sv.Deleted {
			subjects = append(subjects, strconv.Quote(sv.Subject))
		}
	}
	switch {
	case len(subjects) == 0:
		return ""
	case len(subjects) > 3:
		subjects = append(subjects[:3], "...")
	}
	return "; it is registered under " + strings.Join(subjects, ", ")
}

// noHeader says why data does not start with Confluent's wire header.
func noHeader(data []byte) string {
	const want = "Confluent's wire format: magic byte 0 and a 4-byte schema id"
	switch {
	case len(data) < 5:
		return fmt.Sprintf("%d bytes are too short for a schema id (%s)", len(data), want)
	default:
		return fmt.Sprintf("no schema id: the first byte is 0x%02x, not 0 (%s)", data[0], want)
	}
}
