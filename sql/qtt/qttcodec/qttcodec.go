// Package qttcodec turns the JSON-level keys and values that ksqlDB's
// query-validation corpora write into record bytes with a catalog
// source's formats, and record bytes back into that JSON level, with the
// SQL types of what was decoded. The QTT and RQTT runners of sql/engine
// and sql/rest share it.
package qttcodec

import (
	"encoding/json"
	"fmt"

	"github.com/streamlite/streamlite/sql/engine"
	"github.com/streamlite/streamlite/sql/serde"
	"github.com/streamlite/streamlite/sql/types"
)

// Encode serializes key and value (JSON-level, as the corpus writes them)
// for src: nil stays nil (a null key, a tombstone).
func Encode(src *engine.Source, key, value any) (k, v []byte, err error) {
	keys, vals := split(src)
	if k, err = encode(key, src.KeyFormat, keys, src.KeyDelimiter); err != nil {
		return nil, nil, fmt.Errorf("key %v: %w", key, err)
	}
	if v, err = encode(value, src.ValueFormat, vals, src.ValueDelimiter); err != nil {
		return nil, nil, fmt.Errorf("value %v: %w", value, err)
	}
	return k, v, nil
}

// Decoded is a record's key and value at the corpus's JSON level.
type Decoded struct {
	Key any
	// KeyType is the SQL type of a single key column, "" when the source
	// has no key columns.
	KeyType string
	Value   any
	// ValueTypes are the SQL types of the value's fields by name ("" for
	// an unwrapped single value).
	ValueTypes map[string]string
}

// Decode deserializes key and value bytes of src.
func Decode(src *engine.Source, key, value []byte) (Decoded, error) {
	keys, vals := split(src)
	var d Decoded
	if len(keys) > 0 {
		k, kt, err := jsonLevel(key, src.KeyFormat, keys, true, src.KeyDelimiter)
		if err != nil {
			return Decoded{}, fmt.Errorf("key: %w", err)
		}
		d.Key, d.KeyType = k, kt[""]
	}
	v, vt, err := jsonLevel(value, src.ValueFormat, vals, len(vals) == 1 && !src.WrapSingleValue, src.ValueDelimiter)
	if err != nil {
		return Decoded{}, fmt.Errorf("value: %w", err)
	}
	d.Value, d.ValueTypes = v, vt
	return d, nil
}

// split returns a source's key and value columns.
func split(s *engine.Source) (keys, vals []engine.Column) {
	for _, c := range s.Columns {
		switch c.NS {
		case engine.NSKey:
			keys = append(keys, c)
		case engine.NSValue:
			vals = append(vals, c)
		}
	}
	return keys, vals
}

// encode serializes a JSON-level key or value for cols in format f.
func encode(j any, f serde.Format, cols []engine.Column, delim rune) ([]byte, error) {
	if j == nil {
		return nil, nil
	}
	switch f {
	case serde.FormatJSON:
		return json.Marshal(j)
	case serde.FormatDelimited:
		if s, ok := j.(string); ok {
			return []byte(s), nil
		}
		return []byte(fmt.Sprint(j)), nil
	case serde.FormatNone:
		return nil, nil
	}
	if len(cols) == 0 {
		return nil, nil // a source without key columns ignores the key
	}
	if len(cols) != 1 {
		return nil, fmt.Errorf("KAFKA format with %d columns", len(cols))
	}
	v, err := serde.FromJSONValue(j, cols[0].Type)
	if err != nil {
		return nil, err
	}
	s, err := serde.New(serde.Options{Format: f, Columns: []serde.Column{{Name: cols[0].Name, Type: cols[0].Type}}, Unwrapped: true, Delimiter: delim})
	if err != nil {
		return nil, err
	}
	return s.Encode([]types.Value{v})
}

// jsonLevel decodes bytes of cols in format f to what the corpus writes,
// with the SQL types of the decoded fields.
func jsonLevel(b []byte, f serde.Format, cols []engine.Column, unwrapped bool, delim rune) (any, map[string]string, error) {
	if b == nil {
		return nil, nil, nil
	}
	typesOf := map[string]string{}
	if f == serde.FormatDelimited {
		return string(b), nil, nil
	}
	sc := make([]serde.Column, len(cols))
	for i, c := range cols {
		sc[i] = serde.Column{Name: c.Name, Type: c.Type}
	}
	s, err := serde.New(serde.Options{Format: f, Columns: sc, Unwrapped: unwrapped, Delimiter: delim})
	if err != nil {
		return nil, nil, err
	}
	row, err := s.Decode(b)
	if err != nil {
		return nil, nil, err
	}
	if len(row) < len(cols) {
		return nil, typesOf, nil // a null row (JSON null)
	}
	if f == serde.FormatKafka || (unwrapped && len(cols) == 1) {
		typesOf[""] = cols[0].Type.String()
		v, err := serde.ToJSONValue(row[0], cols[0].Type)
		return v, typesOf, err
	}
	m := map[string]any{}
	for i, c := range cols {
		v, err := serde.ToJSONValue(row[i], c.Type)
		if err != nil {
			return nil, nil, err
		}
		m[c.Name] = v
		typesOf[c.Name] = c.Type.String()
	}
	return m, typesOf, nil
}
