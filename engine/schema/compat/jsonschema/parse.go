package jsonschema

import (
	"errors"
	"fmt"
	"strings"

	sjs "github.com/santhosh-tekuri/jsonschema/v6"
)

// Reference is a schema another schema refers to by Name (the "name" of a Confluent schema
// reference, which is what "$ref" uses), with its text.
type Reference struct {
	Name   string
	Schema string
}

// Schema is a parsed, validated JSON Schema document ready for [Backward] and
// [Schema.Validate]. It is immutable and safe for concurrent use.
type Schema struct {
	doc     any                // decoded document; numbers are json.Number
	modern  bool               // draft 2019-09 or 2020-12
	d2020   bool               // draft 2020-12 (prefixItems/items)
	draft4  bool               // draft 4 ("id", boolean exclusiveMaximum)
	refs    map[string]*Schema // referenced documents by name (shared by all documents of one Parse)
	baseURL string             // URL the document was compiled under

	// compiled validates payloads (see [Schema.Validate]); set by Parse for the root
	// document only, nil for referenced documents.
	compiled *sjs.Schema
}

// rootURL is the URL the schema being parsed is compiled under; references are compiled
// under the same base, so a relative "$ref": "other.json" finds the reference named
// "other.json".
const rootURL = "mem://streamlite/schema.json"

// ErrInvalidSchema is wrapped by every error Parse returns for text that is not a valid
// JSON Schema (bad JSON, a keyword of the wrong shape, an unresolvable reference...).
var ErrInvalidSchema = errors.New("invalid JSON schema")

// Parse decodes text as a JSON Schema and validates it against its draft's meta-schema
// (draft 7 when "$schema" is absent), resolving "$ref"s to refs by name. Remote URLs are
// never fetched. Errors wrap [ErrInvalidSchema] and say where the problem is.
func Parse(text string, refs ...Reference) (*Schema, error) {
	shared := make(map[string]*Schema, len(refs))
	c := sjs.NewCompiler()
	c.DefaultDraft(sjs.Draft7)
	c.UseLoader(noLoader{})
	for _, r := range refs {
		doc, err := sjs.UnmarshalJSON(strings.NewReader(r.Schema))
		if err != nil {
			return nil, fmt.Errorf("%w: reference %q: parsing JSON: %v", ErrInvalidSchema, r.Name, err)
		}
		u := refURL(r.Name)
		if err := c.AddResource(u, doc); err != nil {
			return nil, fmt.Errorf("%w: reference %q: %v", ErrInvalidSchema, r.Name, err)
		}
		s, err := newSchema(doc, u, shared)
		if err != nil {
			return nil, fmt.Errorf("%w: reference %q: %v", ErrInvalidSchema, r.Name, err)
		}
		shared[r.Name] = s
	}
	doc, err := sjs.UnmarshalJSON(strings.NewReader(text))
	if err != nil {
		return nil, fmt.Errorf("%w: parsing JSON: %v", ErrInvalidSchema, err)
	}
	if err := c.AddResource(rootURL, doc); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidSchema, err)
	}
	compiled, err := c.Compile(rootURL)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidSchema, err)
	}
	for _, r := range refs {
		if _, err := c.Compile(refURL(r.Name)); err != nil {
			return nil, fmt.Errorf("%w: reference %q: %v", ErrInvalidSchema, r.Name, err)
		}
	}
	s, err := newSchema(doc, rootURL, shared)
	if err != nil {
		return nil, err
	}
	s.compiled = compiled
	return s, nil
}

// refURL is the URL a reference named name is compiled under.
func refURL(name string) string {
	if strings.Contains(name, "://") {
		return name
	}
	return "mem://streamlite/" + strings.TrimPrefix(name, "/")
}

// newSchema wraps a decoded document, reading its draft from "$schema".
func newSchema(doc any, url string, refs map[string]*Schema) (*Schema, error) {
	s := &Schema{doc: doc, refs: refs, baseURL: url}
	m, ok := doc.(map[string]any)
	if !ok {
		if _, isBool := doc.(bool); !isBool {
			return nil, errors.New("a schema must be a JSON object or boolean")
		}
		return s, nil
	}
	if v, ok := m["$schema"].(string); ok {
		switch {
		case strings.Contains(v, "2020-12"):
			s.modern, s.d2020 = true, true
		case strings.Contains(v, "2019-09"):
			s.modern = true
		case strings.Contains(v, "draft-04"):
			s.draft4 = true
		}
	}
	return s, nil
}

// noLoader refuses every URL: schemas never fetch anything; references come from the caller.
type noLoader struct{}

// Load implements jsonschema.URLLoader.
func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("loading %q: remote and file references are not supported; register it as a schema reference", url)
}
