package jsonschema

import (
	"encoding/json"
	"math/big"
	"sort"
)

// kind is the class of a model node; two nodes of different kinds are a TYPE_CHANGED
// (except that anything may become the empty schema, and false may become anything).
type kind int

const (
	kEmpty kind = iota // {} or true: accepts everything
	kFalse             // false: accepts nothing
	kObject
	kArray
	kString
	kNumber
	kBoolean
	kNull
	kEnum
	kConst
	kCombined
	kNot
	kRef
)

// loc is one schema value inside a document: where references resolve from, and the value.
type loc struct {
	doc *Schema
	raw any
}

// node is one level of a schema: its keywords of one kind. Subschemas stay as locs and are
// built when the walk reaches them, so building never follows "$ref" (no cycles here).
type node struct {
	kind   kind
	prefix string // with raw, identity for deduplicating combined subschemas (see key)
	raw    any
	doc    *Schema

	id, title, description *string
	def                    *string // canonical "default"

	// string
	minLength, maxLength *big.Rat
	pattern              *string
	// number
	integer                                    bool
	minimum, maximum, exclMin, exclMax, multOf *big.Rat
	// object
	props           map[string]any
	patternProps    []patternProp
	permitsAddProps bool
	addProps        *loc
	required        []string
	minProps        *big.Rat
	maxProps        *big.Rat
	propDeps        map[string][]string
	schemaDeps      map[string]any
	propertyNames   *loc
	// array
	allItems        *loc
	items           []any
	permitsAddItems bool
	addItems        *loc
	minItems        *big.Rat
	maxItems        *big.Rat
	unique          bool
	contains        *loc
	minContains     *big.Rat
	maxContains     *big.Rat
	// enum / const
	enum  []any
	value any
	// combined
	criterion string // "allOf", "anyOf" or "oneOf"
	subs      []*node
	// not
	not *loc
	// ref
	ref string
}

type patternProp struct {
	pattern string
	schema  any
}

// key is the identity of n for deduplicating combined subschemas: its kind's prefix and the
// canonical text of the value it was read from.
func (n *node) key() string {
	if n.raw == nil {
		return n.prefix
	}
	return n.prefix + canonical(n.raw)
}

// canonical is a stable text form of a JSON value (object keys sorted by encoding/json).
func canonical(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "?"
	}
	return string(b)
}

// build reads one level of the schema at l into a node.
func build(l loc) *node {
	switch v := l.raw.(type) {
	case bool:
		if v {
			return &node{kind: kEmpty, prefix: "true", doc: l.doc}
		}
		return &node{kind: kFalse, prefix: "false", doc: l.doc}
	case map[string]any:
		return buildObject(l.doc, v)
	default:
		return &node{kind: kEmpty, prefix: "value:", raw: v, doc: l.doc}
	}
}

func str(m map[string]any, k string) *string {
	if s, ok := m[k].(string); ok {
		return &s
	}
	return nil
}

func num(m map[string]any, k string) *big.Rat {
	n, ok := m[k].(json.Number)
	if !ok {
		return nil
	}
	r, ok := new(big.Rat).SetString(string(n))
	if !ok {
		return nil
	}
	return r
}

func buildObject(doc *Schema, m map[string]any) *node {
	var parts []*node
	withMeta := func(n *node) *node {
		if doc.draft4 {
			n.id = str(m, "id")
		} else if !doc.modern {
			n.id = str(m, "$id")
		}
		n.title = str(m, "title")
		n.description = str(m, "description")
		if d, ok := m["default"]; ok {
			c := canonical(d)
			n.def = &c
		}
		return n
	}
	if ref, ok := m["$ref"].(string); ok {
		r := &node{kind: kRef, prefix: "ref:", raw: m, doc: doc, ref: ref}
		if !doc.modern {
			// Drafts 4 to 7 ignore the keywords next to "$ref".
			return withMeta(r)
		}
		parts = append(parts, r)
	}
	switch t := m["type"].(type) {
	case string:
		parts = append(parts, typed(doc, m, t))
	case []any:
		var subs []*node
		for _, e := range t {
			if s, ok := e.(string); ok {
				subs = append(subs, typed(doc, m, s))
			}
		}
		switch len(subs) {
		case 0:
		case 1:
			parts = append(parts, subs[0])
		default:
			parts = append(parts, &node{kind: kCombined, prefix: "types:", raw: m, doc: doc, criterion: "anyOf", subs: subs})
		}
	default:
		for _, t := range []string{"object", "array", "string", "number"} {
			if hasKeywords(doc, m, t) {
				parts = append(parts, typed(doc, m, t))
			}
		}
	}
	if e, ok := m["enum"].([]any); ok {
		parts = append(parts, &node{kind: kEnum, prefix: "enum:", raw: e, doc: doc, enum: e})
	}
	if c, ok := m["const"]; ok {
		parts = append(parts, &node{kind: kConst, prefix: "const:", raw: c, doc: doc, value: c})
	}
	if n, ok := m["not"]; ok {
		parts = append(parts, &node{kind: kNot, prefix: "not:", raw: n, doc: doc, not: &loc{doc, n}})
	}
	for _, crit := range []string{"allOf", "anyOf", "oneOf"} {
		list, ok := m[crit].([]any)
		if !ok {
			continue
		}
		c := &node{kind: kCombined, prefix: crit + ":", raw: list, doc: doc, criterion: crit}
		for _, s := range list {
			c.subs = append(c.subs, build(loc{doc, s}))
		}
		parts = append(parts, c)
	}
	switch len(parts) {
	case 0:
		return withMeta(&node{kind: kEmpty, prefix: "empty:", raw: m, doc: doc})
	case 1:
		return withMeta(parts[0])
	default:
		return withMeta(&node{kind: kCombined, prefix: "synthetic:", raw: m, doc: doc, criterion: "allOf", subs: parts})
	}
}

// hasKeywords reports whether m (without "type") has keywords of the given type.
func hasKeywords(doc *Schema, m map[string]any, t string) bool {
	var kws []string
	switch t {
	case "object":
		kws = []string{"properties", "patternProperties", "additionalProperties", "required",
			"minProperties", "maxProperties", "dependencies", "propertyNames"}
		if doc.modern {
			kws = append(kws, "dependentRequired", "dependentSchemas", "unevaluatedProperties")
		}
	case "array":
		kws = []string{"items", "additionalItems", "minItems", "maxItems", "uniqueItems", "contains"}
		if doc.modern {
			kws = append(kws, "prefixItems", "unevaluatedItems", "minContains", "maxContains")
		}
	case "string":
		kws = []string{"minLength", "maxLength", "pattern", "format"}
	case "number":
		kws = []string{"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
	}
	for _, k := range kws {
		v, ok := m[k]
		if !ok {
			continue
		}
		if k == "properties" && doc.modern {
			// Confluent's 2019-09/2020-12 reader drops an empty "properties".
			if p, isMap := v.(map[string]any); isMap && len(p) == 0 {
				continue
			}
		}
		return true
	}
	return false
}

// typed builds the node of type t from the keywords of m.
func typed(doc *Schema, m map[string]any, t string) *node {
	n := &node{doc: doc, prefix: t + ":", raw: m}
	switch t {
	case "string":
		n.kind = kString
		n.minLength, n.maxLength, n.pattern = num(m, "minLength"), num(m, "maxLength"), str(m, "pattern")
	case "integer", "number":
		n.kind = kNumber
		n.integer = t == "integer"
		n.minimum, n.maximum, n.multOf = num(m, "minimum"), num(m, "maximum"), num(m, "multipleOf")
		n.exclMin, n.exclMax = num(m, "exclusiveMinimum"), num(m, "exclusiveMaximum")
		// Draft 4's boolean exclusiveMinimum/Maximum make the bound exclusive: report the
		// flag as an exclusive bound of the same value, so dropping it widens.
		if b, ok := m["exclusiveMinimum"].(bool); ok && b {
			n.exclMin = n.minimum
		}
		if b, ok := m["exclusiveMaximum"].(bool); ok && b {
			n.exclMax = n.maximum
		}
	case "boolean":
		n.kind = kBoolean
	case "null":
		n.kind = kNull
	case "object":
		n.kind = kObject
		buildObjectKeywords(doc, m, n)
	case "array":
		n.kind = kArray
		buildArrayKeywords(doc, m, n)
	default:
		n.kind = kEmpty
	}
	return n
}

func buildObjectKeywords(doc *Schema, m map[string]any, n *node) {
	n.props, _ = m["properties"].(map[string]any)
	if pp, ok := m["patternProperties"].(map[string]any); ok {
		for _, k := range sortedKeys(pp) {
			n.patternProps = append(n.patternProps, patternProp{k, pp[k]})
		}
	}
	n.permitsAddProps = true
	ap, ok := m["additionalProperties"]
	if !ok && doc.modern {
		ap, ok = m["unevaluatedProperties"]
	}
	if ok {
		if b, isBool := ap.(bool); isBool {
			n.permitsAddProps = b
		} else {
			n.addProps = &loc{doc, ap}
		}
	}
	for _, r := range asList(m["required"]) {
		if s, ok := r.(string); ok {
			n.required = append(n.required, s)
		}
	}
	n.minProps, n.maxProps = num(m, "minProperties"), num(m, "maxProperties")
	n.propDeps = map[string][]string{}
	n.schemaDeps = map[string]any{}
	addDeps := func(deps map[string]any, arraysOnly, schemasOnly bool) {
		for k, v := range deps {
			if list, isList := v.([]any); isList && !schemasOnly {
				var names []string
				for _, e := range list {
					if s, ok := e.(string); ok {
						names = append(names, s)
					}
				}
				n.propDeps[k] = names
			} else if !isList && !arraysOnly {
				n.schemaDeps[k] = v
			}
		}
	}
	if d, ok := m["dependencies"].(map[string]any); ok {
		addDeps(d, false, false)
	}
	if doc.modern {
		if d, ok := m["dependentRequired"].(map[string]any); ok {
			addDeps(d, true, false)
		}
		if d, ok := m["dependentSchemas"].(map[string]any); ok {
			addDeps(d, false, true)
		}
	}
	if pn, ok := m["propertyNames"]; ok {
		n.propertyNames = &loc{doc, pn}
	}
}

func buildArrayKeywords(doc *Schema, m map[string]any, n *node) {
	n.permitsAddItems = true
	setAdditional := func(v any) {
		if b, isBool := v.(bool); isBool {
			n.permitsAddItems = b
		} else {
			n.addItems = &loc{doc, v}
		}
	}
	if doc.d2020 {
		prefix, hasPrefix := m["prefixItems"].([]any)
		items, hasItems := m["items"]
		switch {
		case hasPrefix:
			n.items = prefix
			if hasItems {
				setAdditional(items)
			}
		case hasItems:
			if _, isBool := items.(bool); isBool {
				setAdditional(items)
			} else {
				n.allItems = &loc{doc, items}
			}
		}
		if !hasItems {
			if u, ok := m["unevaluatedItems"]; ok {
				setAdditional(u)
			}
		}
	} else {
		switch items := m["items"].(type) {
		case nil:
		case []any:
			n.items = items
		default:
			n.allItems = &loc{doc, items}
		}
		if a, ok := m["additionalItems"]; ok {
			setAdditional(a)
		} else if u, ok := m["unevaluatedItems"]; ok && doc.modern {
			setAdditional(u)
		}
	}
	n.minItems, n.maxItems = num(m, "minItems"), num(m, "maxItems")
	n.unique, _ = m["uniqueItems"].(bool)
	if c, ok := m["contains"]; ok {
		n.contains = &loc{doc, c}
	}
	n.minContains, n.maxContains = num(m, "minContains"), num(m, "maxContains")
	if doc.modern && n.minContains == nil && n.contains != nil {
		n.minContains = big.NewRat(1, 1) // the keyword's default
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
