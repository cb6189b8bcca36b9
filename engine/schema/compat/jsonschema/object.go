package jsonschema

import (
	"regexp"
)

func openObject(n *node) bool {
	return len(n.patternProps) == 0 && n.addProps == nil && n.permitsAddProps
}

// partialObjectSchema is the schema a partially open object gives property key, or nil.
func partialObjectSchema(n *node, key string) *loc {
	for _, pp := range n.patternProps {
		re, err := regexp.Compile(pp.pattern)
		if err == nil && re.MatchString(key) {
			return &loc{n.doc, pp.schema}
		}
	}
	return n.addProps
}

func hasDefault(raw any) bool {
	m, ok := raw.(map[string]any)
	if !ok {
		return false
	}
	_, ok = m["default"]
	return ok
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// compareObject compares two object schemas in Confluent's order: required, properties,
// dependencies, additionalProperties, then the other keywords.
func compareObject(c *ctx, o, u *node) {
	compareRequired(c, o, u)
	compareProperties(c, o, u)
	compareDependencies(c, o, u)
	compareAdditionalProperties(c, o, u)
	bound(c, "maxProperties", "MAX_PROPERTIES", o.maxProps, u.maxProps)
	bound(c, "minProperties", "MIN_PROPERTIES", o.minProps, u.minProps)
	if o.propertyNames != nil || u.propertyNames != nil {
		c.push("propertyNames")
		compareLoc(c, o.propertyNames, u.propertyNames)
		c.pop()
	}
}

// compareRequired reports properties that stopped or started being required.
func compareRequired(c *ctx, o, u *node) {
	for _, k := range unionKeys(stringSet(o.required), stringSet(u.required)) {
		inO, inU := contains(o.required, k), contains(u.required, k)
		switch {
		case inO && !inU:
			c.addAt("required/"+k, "REQUIRED_ATTRIBUTE_REMOVED")
		case !inO && inU:
			if _, had := o.props[k]; !had {
				continue // not defined before: judged under properties
			}
			if hasDefault(u.props[k]) {
				c.addAt("required/"+k, "REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED")
			} else {
				c.addAt("required/"+k, "REQUIRED_ATTRIBUTE_ADDED")
			}
		}
	}
}

// compareProperties compares the properties both define and judges the ones added or
// removed by the content model of the side that lacks them.
func compareProperties(c *ctx, o, u *node) {
	keys := unionKeys(o.props, u.props)
	for _, k := range keys {
		ov, inO := o.props[k]
		uv, inU := u.props[k]
		c.push("properties/" + k)
		switch {
		case !inU:
			if openObject(u) {
				c.add("PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL")
			} else if p := partialObjectSchema(u, k); p != nil {
				sc := c.sub()
				compareLoc(sc, &loc{o.doc, ov}, p)
				c.merge(sc)
				if sc.ok() {
					c.add("PROPERTY_REMOVED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
				} else {
					c.add("PROPERTY_REMOVED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
				}
			} else if b, isBool := ov.(bool); isBool && !b {
				c.add("PROPERTY_WITH_FALSE_REMOVED_FROM_CLOSED_CONTENT_MODEL")
			} else {
				c.add("PROPERTY_REMOVED_FROM_CLOSED_CONTENT_MODEL")
			}
		case !inO:
			required := contains(u.required, k)
			if openObject(o) {
				switch {
				case build(loc{u.doc, uv}).kind == kEmpty:
					c.add("PROPERTY_WITH_EMPTY_SCHEMA_ADDED_TO_OPEN_CONTENT_MODEL")
				case required:
					c.add("REQUIRED_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL")
				default:
					c.add("OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL")
				}
				break
			}
			if p := partialObjectSchema(o, k); p != nil {
				sc := c.sub()
				compareLoc(sc, p, &loc{u.doc, uv})
				c.merge(sc)
				if sc.ok() {
					c.add("PROPERTY_ADDED_IS_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
				} else {
					c.add("PROPERTY_ADDED_NOT_COVERED_BY_PARTIALLY_OPEN_CONTENT_MODEL")
				}
			}
			switch {
			case required && hasDefault(uv):
				c.add("REQUIRED_PROPERTY_WITH_DEFAULT_ADDED_TO_UNOPEN_CONTENT_MODEL")
			case required:
				c.add("REQUIRED_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL")
			default:
				c.add("OPTIONAL_PROPERTY_ADDED_TO_UNOPEN_CONTENT_MODEL")
			}
		default:
			compareLoc(c, &loc{o.doc, ov}, &loc{u.doc, uv})
		}
		c.pop()
	}
}

// compareDependencies compares "dependencies" (dependentRequired, dependentSchemas).
func compareDependencies(c *ctx, o, u *node) {
	for _, k := range unionKeys(o.propDeps, u.propDeps) {
		ov, inO := o.propDeps[k]
		uv, inU := u.propDeps[k]
		seg := "dependencies/" + k
		switch {
		case !inU:
			c.addAt(seg, "DEPENDENCY_ARRAY_REMOVED")
		case !inO:
			c.addAt(seg, "DEPENDENCY_ARRAY_ADDED")
		default:
			os, us := stringSet(ov), stringSet(uv)
			switch {
			case subset(os, us) && subset(us, os):
			case subset(os, us):
				c.addAt(seg, "DEPENDENCY_ARRAY_EXTENDED")
			case subset(us, os):
				c.addAt(seg, "DEPENDENCY_ARRAY_NARROWED")
			default:
				c.addAt(seg, "DEPENDENCY_ARRAY_CHANGED")
			}
		}
	}
	for _, k := range unionKeys(o.schemaDeps, u.schemaDeps) {
		ov, inO := o.schemaDeps[k]
		uv, inU := u.schemaDeps[k]
		seg := "dependencies/" + k
		switch {
		case !inU:
			c.addAt(seg, "DEPENDENCY_SCHEMA_REMOVED")
		case !inO:
			c.addAt(seg, "DEPENDENCY_SCHEMA_ADDED")
		default:
			c.push(seg)
			compareLoc(c, &loc{o.doc, ov}, &loc{u.doc, uv})
			c.pop()
		}
	}
}

// compareAdditionalProperties compares additionalProperties (unevaluatedProperties).
func compareAdditionalProperties(c *ctx, o, u *node) {
	if o.permitsAddProps != u.permitsAddProps {
		if o.permitsAddProps {
			c.addAt("additionalProperties", "ADDITIONAL_PROPERTIES_REMOVED")
		} else {
			c.addAt("additionalProperties", "ADDITIONAL_PROPERTIES_ADDED")
		}
	} else {
		switch {
		case o.addProps == nil && u.addProps == nil:
		case o.addProps == nil:
			c.addAt("additionalProperties", "ADDITIONAL_PROPERTIES_NARROWED")
		case u.addProps == nil:
			c.addAt("additionalProperties", "ADDITIONAL_PROPERTIES_EXTENDED")
		default:
			c.push("additionalProperties")
			compareLoc(c, o.addProps, u.addProps)
			c.pop()
		}
	}
}

func stringSet(l []string) map[string]bool {
	s := make(map[string]bool, len(l))
	for _, e := range l {
		s[e] = true
	}
	return s
}

func unionKeys[V any](a, b map[string]V) []string {
	m := make(map[string]bool, len(a)+len(b))
	for k := range a {
		m[k] = true
	}
	for k := range b {
		m[k] = true
	}
	return sortedKeys(m)
}
