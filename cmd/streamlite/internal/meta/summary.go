package meta

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// envelope is the value of a __cluster_metadata record.
type envelope struct {
	Index  *uint64         `json:"index"`
	Type   string          `json:"type"`
	Record json.RawMessage `json:"record"`
}

// parseEnvelope decodes value; key (the record type) names the type when
// the value does not. ok is false when value is not a JSON object.
func parseEnvelope(key, value []byte) (env envelope, ok bool) {
	if err := json.Unmarshal(value, &env); err != nil {
		return envelope{Type: string(key)}, false
	}
	if env.Type == "" {
		env.Type = string(key)
	}
	return env, true
}

// topicRecord holds the fields of every topic record type; each type
// fills some: TopicCreated {name, topicId, partitions, configs},
// TopicDeleted {name, topicId}, PartitionsAdded {name, topicId, partitions}
// (the new count), ConfigChanged {name, topicId, set, delete}.
type topicRecord struct {
	Name       string                     `json:"name"`
	Partitions *int64                     `json:"partitions"`
	Configs    map[string]json.RawMessage `json:"configs"`
	Set        map[string]json.RawMessage `json:"set"`
	Delete     []string                   `json:"delete"`
}

// producerIDRecord is a ProducerIDBlock: every producer ID below
// NextProducerID has been handed out.
type producerIDRecord struct {
	NextProducerID *int64 `json:"nextProducerId"`
}

// summary describes a record of type typ for people, in one line:
// "topic orders created (3 partitions, retention.ms=1000)". A type it does
// not know, or a record without the fields its type needs, is shown as its
// compact JSON, so that new record types still print something useful.
func summary(typ string, rec json.RawMessage) string {
	if s, ok := knownSummary(typ, rec); ok {
		return s
	}
	return compact(rec)
}

func knownSummary(typ string, rec json.RawMessage) (string, bool) {
	switch typ {
	case "TopicCreated", "TopicDeleted", "PartitionsAdded", "ConfigChanged":
		var r topicRecord
		if json.Unmarshal(rec, &r) != nil || r.Name == "" {
			return "", false
		}
		switch typ {
		case "TopicCreated":
			var details []string
			if r.Partitions != nil {
				details = append(details, plural(*r.Partitions, "partition"))
			}
			details = append(details, configList(r.Configs)...)
			if len(details) == 0 {
				return fmt.Sprintf("topic %s created", r.Name), true
			}
			return fmt.Sprintf("topic %s created (%s)", r.Name, strings.Join(details, ", ")), true
		case "TopicDeleted":
			return fmt.Sprintf("topic %s deleted", r.Name), true
		case "PartitionsAdded":
			if r.Partitions == nil {
				return "", false
			}
			return fmt.Sprintf("topic %s grown to %s", r.Name, plural(*r.Partitions, "partition")), true
		case "ConfigChanged":
			return changeSummary(fmt.Sprintf("topic %s config", r.Name), r), true
		}
	case "ProducerIDBlock":
		var r producerIDRecord
		if json.Unmarshal(rec, &r) != nil || r.NextProducerID == nil {
			return "", false
		}
		return fmt.Sprintf("producer ids below %d allocated", *r.NextProducerID), true
	case "BrokerConfigChanged":
		var r topicRecord // {set, delete}, as ConfigChanged without a topic
		if json.Unmarshal(rec, &r) != nil {
			return "", false
		}
		return changeSummary("broker config", r), true
	case "SchemaRegistered", "SchemaDeleted", "RegistryConfigChanged", "RegistryModeChanged":
		return registrySummary(typ, rec)
	}
	return "", false
}

// changeSummary is what follows subject for a record's set and delete:
// "topic orders config set a=1 deleted b".
func changeSummary(subject string, r topicRecord) string {
	s := subject
	if set := configList(r.Set); len(set) > 0 {
		s += " set " + strings.Join(set, ", ")
	}
	if len(r.Delete) > 0 {
		s += " deleted " + strings.Join(r.Delete, ", ")
	}
	if len(r.Set) == 0 && len(r.Delete) == 0 {
		s += " unchanged"
	}
	return s
}

// configList renders configs as "k=v" items sorted by key.
func configList(configs map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(configs))
	for k := range configs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k + "=" + scalarString(configs[k])
	}
	return out
}

func plural(n int64, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// compact returns v as compact JSON, or as it is if it is not JSON.
func compact(v []byte) string {
	var buf bytes.Buffer
	if json.Compact(&buf, v) != nil {
		return string(bytes.TrimSpace(v))
	}
	return buf.String()
}

// registryRecord holds the fields of the schema registry's records:
// SchemaRegistered {subject, version, id, schemaType, schema, references},
// SchemaDeleted {subject, version (absent: all), permanent},
// RegistryConfigChanged {subject, compatibilityLevel, normalize},
// RegistryModeChanged {subject, mode}. Subject "" is the global setting.
type registryRecord struct {
	Subject       *string `json:"subject"`
	Version       int32   `json:"version"`
	ID            int32   `json:"id"`
	SchemaType    string  `json:"schemaType"`
	Permanent     bool    `json:"permanent"`
	Compatibility string  `json:"compatibilityLevel"`
	Normalize     *bool   `json:"normalize"`
	Mode          string  `json:"mode"`
}

func registrySummary(typ string, rec json.RawMessage) (string, bool) {
	var r registryRecord
	if json.Unmarshal(rec, &r) != nil || r.Subject == nil {
		return "", false
	}
	scope := "global"
	if *r.Subject != "" {
		scope = "subject " + *r.Subject
	}
	switch typ {
	case "SchemaRegistered":
		return fmt.Sprintf("schema id %d registered as subject %s version %d (%s)", r.ID, *r.Subject, r.Version, r.SchemaType), true
	case "SchemaDeleted":
		what := "every version"
		if r.Version != 0 {
			what = fmt.Sprintf("version %d", r.Version)
		}
		how := "soft-deleted"
		if r.Permanent {
			how = "permanently deleted"
		}
		return fmt.Sprintf("subject %s %s %s", *r.Subject, what, how), true
	case "RegistryConfigChanged":
		if r.Compatibility == "" && r.Normalize == nil {
			return fmt.Sprintf("schema registry config of %s deleted", scope), true
		}
		s := fmt.Sprintf("schema registry config of %s set", scope)
		if r.Compatibility != "" {
			s += " compatibility=" + r.Compatibility
		}
		if r.Normalize != nil {
			s += fmt.Sprintf(" normalize=%t", *r.Normalize)
		}
		return s, true
	case "RegistryModeChanged":
		if r.Mode == "" {
			return fmt.Sprintf("schema registry mode of %s deleted", scope), true
		}
		return fmt.Sprintf("schema registry mode of %s set to %s", scope, r.Mode), true
	}
	return "", false
}
