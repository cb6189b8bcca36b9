package jsonschema

import (
	"net/url"
	"strconv"
	"strings"
)

// resolveRef finds the schema "$ref": ref points to from document doc: a JSON pointer or an
// anchor, in doc itself or in a reference registered by name (or by its "$id"). key names the
// target for the cycle guard. ok is false when the target is not found.
func resolveRef(doc *Schema, ref string) (target loc, key string, ok bool) {
	base, frag, _ := strings.Cut(ref, "#")
	d := doc
	if base != "" {
		d = findDoc(doc, base)
		if d == nil {
			return loc{}, "", false
		}
	}
	key = d.baseURL + "#" + frag
	switch {
	case frag == "":
		return loc{d, d.doc}, key, true
	case strings.HasPrefix(frag, "/"):
		v, found := pointer(d.doc, frag)
		return loc{d, v}, key, found
	default:
		v, found := anchor(d.doc, frag, 0)
		return loc{d, v}, key, found
	}
}

// findDoc finds the referenced document called base (its reference name, URL or "$id").
func findDoc(doc *Schema, base string) *Schema {
	if d, ok := doc.refs[base]; ok {
		return d
	}
	for _, d := range doc.refs {
		if d.baseURL == base || d.baseURL == refURL(base) {
			return d
		}
		if m, ok := d.doc.(map[string]any); ok {
			if id, ok := m["$id"].(string); ok && strings.TrimSuffix(id, "#") == base {
				return d
			}
		}
	}
	return nil
}

// pointer evaluates a JSON pointer (URI fragment form) against v.
func pointer(v any, ptr string) (any, bool) {
	if p, err := url.PathUnescape(ptr); err == nil {
		ptr = p
	}
	for _, tok := range strings.Split(ptr, "/")[1:] {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch t := v.(type) {
		case map[string]any:
			next, ok := t[tok]
			if !ok {
				return nil, false
			}
			v = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(t) {
				return nil, false
			}
			v = t[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// maxAnchorDepth bounds the anchor search through nested values.
const maxAnchorDepth = 512

// anchor finds the subschema named name by "$anchor" (2019-09+) or "$id": "#name" (6, 7).
func anchor(v any, name string, depth int) (any, bool) {
	if depth > maxAnchorDepth {
		return nil, false
	}
	switch t := v.(type) {
	case map[string]any:
		if a, _ := t["$anchor"].(string); a == name {
			return t, true
		}
		if id, _ := t["$id"].(string); id == "#"+name {
			return t, true
		}
		for _, k := range sortedKeys(t) {
			if r, ok := anchor(t[k], name, depth+1); ok {
				return r, true
			}
		}
	case []any:
		for _, e := range t {
			if r, ok := anchor(e, name, depth+1); ok {
				return r, true
			}
		}
	}
	return nil, false
}
