package schema

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/streamlite/streamlite/engine/meta"
	"github.com/streamlite/streamlite/engine/schema/compat"
	"github.com/streamlite/streamlite/engine/schema/compat/avro"
	"github.com/streamlite/streamlite/engine/schema/compat/jsonschema"
	"github.com/streamlite/streamlite/engine/schema/compat/protobuf"
)

// parsed is a schema parsed by its format's package; exactly the field of
// its type is set.
type parsed struct {
	typ   string
	avro  *avro.Schema
	json  *jsonschema.Schema
	proto *protobuf.Schema
}

// dep is a schema a schema depends on, directly or through another
// reference, in the order a parser needs them (dependencies first).
type dep struct {
	name    string // as the referring schema names it
	subject string
	version int32
	text    string
}

// parse parses text of type typ with its resolved dependencies.
func parse(typ, text string, deps []dep) (parsed, error) {
	p := parsed{typ: typ}
	var err error
	switch typ {
	case meta.SchemaTypeAvro:
		refs := make([]avro.Reference, len(deps))
		for i, d := range deps {
			refs[i] = avro.Reference{Name: d.name, Schema: d.text}
		}
		p.avro, err = avro.Parse(text, refs...)
	case meta.SchemaTypeJSON:
		refs := make([]jsonschema.Reference, len(deps))
		for i, d := range deps {
			refs[i] = jsonschema.Reference{Name: d.name, Schema: d.text}
		}
		p.json, err = jsonschema.Parse(text, refs...)
	case meta.SchemaTypeProtobuf:
		ds := make([]protobuf.Dependency, len(deps))
		for i, d := range deps {
			ds[i] = protobuf.Dependency{Name: d.name, Text: d.text, Subject: d.subject, Version: int(d.version)}
		}
		p.proto, err = protobuf.Parse(text, ds)
	default:
		return p, errInvalidSchema("Invalid schema type %s", typ)
	}
	if err != nil {
		return p, errInvalidSchema("Invalid schema %s with refs %v of type %s, details: %v", abbreviate(text), depNames(deps), typ, err)
	}
	return p, nil
}

// backward is the compat.Checker over every format. compat.Check calls it
// only for pairs of one type.
func backward(previous, next parsed) (bool, []compat.Change) {
	var out []compat.Change
	switch next.typ {
	case meta.SchemaTypeAvro:
		ok, cs := avro.Backward(previous.avro, next.avro)
		for _, c := range cs {
			out = append(out, compat.Change{Type: c.Type, Path: c.Path, Compatible: c.Compatible, Description: c.Description})
		}
		return ok, out
	case meta.SchemaTypeJSON:
		ok, cs := jsonschema.Backward(previous.json, next.json)
		for _, c := range cs {
			out = append(out, compat.Change{Type: c.Type, Path: c.Path, Compatible: c.Compatible})
		}
		return ok, out
	case meta.SchemaTypeProtobuf:
		ok, cs := protobuf.Backward(previous.proto, next.proto)
		for _, c := range cs {
			out = append(out, compat.Change{Type: c.Type, Path: c.Path, Compatible: c.Compatible})
		}
		return ok, out
	}
	return false, nil
}

// canonical returns the text the registry stores for a schema: for AVRO
// and JSON the JSON compacted, so that whitespace alone never makes a new
// schema (Confluent stores the parsed and reprinted text); PROTOBUF text
// as given.
//
// TODO(issue 7): normalize=true should go further (Avro canonical form
// with Confluent's extensions, Protobuf reprinted with sorted names, JSON
// with sorted keys); today it is the same as without.
func canonical(typ, text string) string {
	if typ == meta.SchemaTypeProtobuf {
		return text
	}
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(text)); err != nil {
		return text // the parser has already accepted it; keep it as given
	}
	return b.String()
}

func depNames(deps []dep) []string {
	names := make([]string, len(deps))
	for i, d := range deps {
		names[i] = d.name
	}
	return names
}

// abbreviate keeps error messages readable for long schemas.
func abbreviate(s string) string {
	const max = 200
	s = strings.TrimSpace(s)
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
