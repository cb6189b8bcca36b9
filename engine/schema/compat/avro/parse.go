package avro

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hamba/avro/v2"
)

// ErrInvalidSchema wraps every error [Parse] returns: the text is not an Avro schema (the
// registry answers it with 42201 and the wrapped message).
var ErrInvalidSchema = errors.New("avro: invalid schema")

// defaultMarker is the field property [Parse] leaves where it had to lift a field's default
// that hamba/avro refused, so the checker still knows the field had one.
const defaultMarker = "x-streamlite-had-default"

// enumDefaultMarker is the enum property left where Parse lifted an enum default hamba/avro
// refused (a symbol not in the list), so the checker still knows the enum had one.
const enumDefaultMarker = "x-streamlite-enum-default"

// Reference is another schema this one names types from, as Confluent's references carry
// them: Name is the referenced type's full name (informational here), Schema its text.
type Reference struct {
	Name   string
	Schema string
}

// Schema is a parsed Avro schema. The zero value is not usable; get one from [Parse].
type Schema struct {
	root    avro.Schema
	lenient bool
	prog    program // built on first Validate; see decode.go
}

// Avro returns the parsed schema as hamba/avro models it (named types that repeat are
// [avro.RefSchema]). If [Schema.LiftedDefaults] is true, some defaults are missing from it.
func (s *Schema) Avro() avro.Schema { return s.root }

// LiftedDefaults reports whether Parse had to lift defaults hamba/avro refuses (a default of
// the wrong type, an enum default that is not a symbol) to accept the schema, as Confluent
// does unless default validation is on. Such a schema is fine for compatibility checks but its
// [Schema.Avro] lacks those defaults.
func (s *Schema) LiftedDefaults() bool { return s.lenient }

// Parse parses an Avro schema. References are parsed first, in order, each able to use the
// named types of those before it; the schema may then name any of their types. Nothing is
// shared between calls.
//
// Like Confluent with default validation off, a field default of the wrong type (the string
// "null" for a ["null","string"] field) or an enum default outside its symbols is accepted;
// see [Schema.LiftedDefaults].
func Parse(text string, refs ...Reference) (*Schema, error) {
	cache := &avro.SchemaCache{}
	for i, r := range refs {
		if err := checkJSON(r.Schema); err != nil {
			return nil, fmt.Errorf("%w: reference %d (%s): %w", ErrInvalidSchema, i, r.Name, err)
		}
		if _, _, err := parseLenient(r.Schema, cache); err != nil {
			return nil, fmt.Errorf("%w: reference %d (%s): %w", ErrInvalidSchema, i, r.Name, err)
		}
	}
	if err := checkJSON(text); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSchema, err)
	}
	root, lenient, err := parseLenient(text, cache)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidSchema, err)
	}
	return &Schema{root: root, lenient: lenient}, nil
}

// checkJSON refuses text that is not one JSON value, with the offset of the fault: hamba/avro
// would otherwise read such text as the name of a type and say only "unknown type".
func checkJSON(text string) error {
	if strings.TrimSpace(text) == "" {
		return errors.New("empty schema")
	}
	dec := json.NewDecoder(strings.NewReader(text))
	var v any
	if err := dec.Decode(&v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("invalid JSON at offset %d: %w", se.Offset, err)
		}
		return fmt.Errorf("invalid JSON: %w", err)
	}
	if _, err := dec.Token(); err == nil {
		return fmt.Errorf("invalid JSON: data after the schema at offset %d", dec.InputOffset())
	}
	return nil
}

// parseLenient parses text into cache; when hamba/avro refuses it, it retries once with
// every field default and enum default lifted into a marker property, and keeps that result
// only if it parses (the first error is returned otherwise). The cache gains the named types
// only on success.
func parseLenient(text string, cache *avro.SchemaCache) (s avro.Schema, lenient bool, err error) {
	s, err = parseGuarded(text, cache)
	if err == nil {
		return s, false, nil
	}
	lifted, ok := liftDefaults(text)
	if !ok {
		return nil, false, err
	}
	s2, err2 := parseGuarded(lifted, cache)
	if err2 != nil {
		return nil, false, err
	}
	return s2, true, nil
}

// parseGuarded calls hamba/avro, turning a panic inside it into an error: Parse must never
// panic, whatever the input.
func parseGuarded(text string, cache *avro.SchemaCache) (s avro.Schema, err error) {
	defer func() {
		if r := recover(); r != nil {
			s, err = nil, fmt.Errorf("avro parser failed: %v", r)
		}
	}()
	s, err = avro.ParseWithCache(text, "", cache)
	if err != nil {
		return nil, stripPrefix(err)
	}
	return s, nil
}

// stripPrefix drops hamba/avro's "avro: " from the outermost message, since ErrInvalidSchema
// already says it; the error chain is kept.
func stripPrefix(err error) error {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "avro: "); ok {
		return &prefixless{msg: rest, err: err}
	}
	return err
}

type prefixless struct {
	msg string
	err error
}

func (p *prefixless) Error() string { return p.msg }
func (p *prefixless) Unwrap() error { return p.err }

// liftDefaults rewrites the schema JSON so that every record field's "default" becomes the
// marker property and every enum's "default" becomes the enum marker. It reports false when
// there was nothing to lift (so a retry cannot help) or the text does not decode.
func liftDefaults(text string) (string, bool) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", false
	}
	changed := false
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		if depth > 10000 {
			return
		}
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				walk(e, depth+1)
			}
		case map[string]any:
			if t, _ := x["type"].(string); t == "enum" {
				if d, ok := x["default"]; ok {
					delete(x, "default")
					x[enumDefaultMarker] = d
					changed = true
				}
			}
			if fields, ok := x["fields"].([]any); ok {
				for _, f := range fields {
					fm, ok := f.(map[string]any)
					if !ok {
						continue
					}
					if _, ok := fm["default"]; ok {
						delete(fm, "default")
						fm[defaultMarker] = true
						changed = true
					}
				}
			}
			for k, e := range x {
				if k != enumDefaultMarker && k != defaultMarker {
					walk(e, depth+1)
				}
			}
		}
	}
	walk(v, 0)
	if !changed {
		return "", false
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", false
	}
	return buf.String(), true
}

// fieldHasDefault reports whether the field declared a default, lifted or not.
func fieldHasDefault(f *avro.Field) bool {
	return f.HasDefault() || f.Prop(defaultMarker) != nil
}

// enumHasDefault reports whether the enum declared a default that is one of its symbols,
// lifted or not: only then can a reader map unknown writer symbols to it.
func enumHasDefault(e *avro.EnumSchema) bool {
	if e.HasDefault() {
		return true
	}
	d, ok := e.Prop(enumDefaultMarker).(string)
	return ok && slices.Contains(e.Symbols(), d)
}
