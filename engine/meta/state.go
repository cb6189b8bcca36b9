package meta

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"
)

// Topic is a topic as the metadata log knows it. Values returned by Log
// are copies the caller owns.
type Topic struct {
	Name       string
	ID         [16]byte
	Partitions int32
	// Configs holds only the topic configs set explicitly, by their Kafka
	// names (retention.ms, cleanup.policy, ...); nil when none are set.
	Configs map[string]string
}

func (t Topic) clone() Topic {
	t.Configs = maps.Clone(t.Configs)
	return t
}

// state is what the records replay into. A published state is never
// modified: Append applies records to a clone and swaps it in, so readers
// need no lock. The maps are persistent (see pmap): a clone shares them
// with the original, and apply replaces only the entries a record changes,
// in O(log n) rather than a copy of every topic. Maps inside Topic values
// are shared between copies and are replaced, never written. The fields
// are plain values so a snapshot can serialize them.
type state struct {
	topics         pmap[string, Topic]
	ids            pmap[[16]byte, string] // topic id to name, for uniqueness
	nextProducerID int64                  // highest producer id block end handed out
	brokerConfigs  map[string]string      // broker config overrides; replaced, never written; nil when none
	registry       *registry              // the schema registry's state; nil when it never had any
	lastIndex      uint64                 // index of the last record applied
}

func newState() *state {
	return &state{topics: newPmap[string, Topic](), ids: newPmap[[16]byte, string]()}
}

// clone returns a copy that apply may modify; s stays as it is.
func (s *state) clone() *state {
	c := *s
	c.topics = s.topics.edit()
	c.ids = s.ids.edit()
	if s.registry != nil {
		c.registry = s.registry.clone()
	}
	return &c
}

// apply validates r against s and applies it, returning the record as it
// must be stored (with a zero topic ID filled in). On error s is
// unchanged. Maps in r are copied, not kept.
func (s *state) apply(r Record) (Record, error) {
	switch r := r.(type) {
	case TopicCreated:
		if err := checkName(r.Name); err != nil {
			return nil, err
		}
		if _, ok := s.topics.Get(r.Name); ok {
			return nil, fmt.Errorf("%w: %q", ErrTopicExists, r.Name)
		}
		if r.ID == ([16]byte{}) {
			return nil, fmt.Errorf("%w: topic %q has a zero id", ErrInvalidRecord, r.Name)
		}
		if other, ok := s.ids.Get(r.ID); ok {
			return nil, fmt.Errorf("%w: topic id of %q already used by %q", ErrInvalidRecord, r.Name, other)
		}
		if r.Partitions < 1 {
			return nil, fmt.Errorf("%w: topic %q with %d partitions", ErrInvalidPartitions, r.Name, r.Partitions)
		}
		if err := checkConfigs(r.Configs, nil); err != nil {
			return nil, err
		}
		r.Configs = cloneNonEmpty(r.Configs)
		s.topics = s.topics.Set(r.Name, Topic(r))
		s.ids = s.ids.Set(r.ID, r.Name)
		return r, nil

	case TopicDeleted:
		t, err := s.lookup(r.Name, &r.ID)
		if err != nil {
			return nil, err
		}
		s.topics = s.topics.Delete(t.Name)
		s.ids = s.ids.Delete(t.ID)
		return r, nil

	case PartitionsAdded:
		t, err := s.lookup(r.Name, &r.ID)
		if err != nil {
			return nil, err
		}
		if r.Total <= t.Partitions {
			return nil, fmt.Errorf("%w: topic %q has %d partitions, asked for %d", ErrInvalidPartitions, r.Name, t.Partitions, r.Total)
		}
		t.Partitions = r.Total
		s.topics = s.topics.Set(t.Name, t)
		return r, nil

	case ConfigChanged:
		t, err := s.lookup(r.Name, &r.ID)
		if err != nil {
			return nil, err
		}
		if err := checkConfigs(r.Set, r.Delete); err != nil {
			return nil, err
		}
		cfg := make(map[string]string, len(t.Configs)+len(r.Set))
		maps.Copy(cfg, t.Configs)
		maps.Copy(cfg, r.Set)
		for _, k := range r.Delete {
			delete(cfg, k)
		}
		if len(cfg) == 0 {
			cfg = nil // as a state rebuilt from JSON has it
		}
		t.Configs = cfg
		s.topics = s.topics.Set(t.Name, t)
		r.Set = cloneNonEmpty(r.Set)
		r.Delete = slices.Clone(r.Delete)
		return r, nil

	case BrokerConfigChanged:
		if err := checkConfigs(r.Set, r.Delete); err != nil {
			return nil, err
		}
		cfg := maps.Clone(s.brokerConfigs)
		if cfg == nil {
			cfg = make(map[string]string, len(r.Set))
		}
		maps.Copy(cfg, r.Set)
		for _, k := range r.Delete {
			delete(cfg, k)
		}
		s.brokerConfigs = cloneNonEmpty(cfg)
		r.Set = cloneNonEmpty(r.Set)
		r.Delete = slices.Clone(r.Delete)
		return r, nil

	case SchemaRegistered, SchemaDeleted, RegistryConfigChanged, RegistryModeChanged:
		return s.applyRegistry(r)

	case ProducerIDBlock:
		if r.Next <= s.nextProducerID {
			return nil, fmt.Errorf("%w: producer id block end %d is not above %d", ErrInvalidRecord, r.Next, s.nextProducerID)
		}
		s.nextProducerID = r.Next
		return r, nil
	}
	return nil, fmt.Errorf("%w: record %T", ErrInvalidRecord, r)
}

// lookup finds the topic a record names. A zero *id is filled in with the
// topic's id; a non-zero one must match it.
func (s *state) lookup(name string, id *[16]byte) (Topic, error) {
	t, ok := s.topics.Get(name)
	if !ok {
		return Topic{}, fmt.Errorf("%w: %q", ErrUnknownTopic, name)
	}
	if *id == ([16]byte{}) {
		*id = t.ID
	} else if *id != t.ID {
		return Topic{}, fmt.Errorf("%w: %q has another id (deleted and created again)", ErrUnknownTopic, name)
	}
	return t, nil
}

// checkName rejects names the log could not store faithfully. The Kafka
// rules for topic names belong to the caller.
func checkName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty topic name", ErrInvalidRecord)
	}
	if !utf8.ValidString(name) {
		return fmt.Errorf("%w: topic name %q is not UTF-8", ErrInvalidRecord, name)
	}
	return nil
}

// checkConfigs rejects empty or non-UTF-8 names and values (JSON would not
// store them as given) and a name both set and deleted. Whether a config
// name or value means anything is the caller's business.
func checkConfigs(set map[string]string, del []string) error {
	for k, v := range set {
		if k == "" || !utf8.ValidString(k) || !utf8.ValidString(v) {
			return fmt.Errorf("%w: config %q=%q", ErrInvalidRecord, k, v)
		}
	}
	for _, k := range del {
		if k == "" || !utf8.ValidString(k) {
			return fmt.Errorf("%w: config name %q", ErrInvalidRecord, k)
		}
		if _, ok := set[k]; ok {
			return fmt.Errorf("%w: config %q both set and deleted", ErrInvalidRecord, k)
		}
	}
	return nil
}

// cloneNonEmpty copies m, returning nil for an empty map so that a state
// rebuilt from JSON (which omits empty maps) compares equal.
func cloneNonEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return maps.Clone(m)
}

// topicsSorted returns copies of the topics, sorted by name.
func (s *state) topicsSorted() []Topic {
	out := make([]Topic, 0, s.topics.Len())
	for _, t := range s.topics.All() {
		out = append(out, t.clone())
	}
	slices.SortFunc(out, func(a, b Topic) int { return strings.Compare(a.Name, b.Name) })
	return out
}
