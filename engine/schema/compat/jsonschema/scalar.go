package jsonschema

import (
	"math/big"
)

// bound reports an added/removed/increased/decreased numeric keyword kw as NAME_<what>.
func bound(c *ctx, kw, name string, o, u *big.Rat) {
	switch {
	case o == nil && u == nil:
	case o == nil:
		c.addAt(kw, name+"_ADDED")
	case u == nil:
		c.addAt(kw, name+"_REMOVED")
	default:
		switch o.Cmp(u) {
		case -1:
			c.addAt(kw, name+"_INCREASED")
		case 1:
			c.addAt(kw, name+"_DECREASED")
		}
	}
}

func compareString(c *ctx, o, u *node) {
	bound(c, "maxLength", "MAX_LENGTH", o.maxLength, u.maxLength)
	bound(c, "minLength", "MIN_LENGTH", o.minLength, u.minLength)
	switch {
	case o.pattern == nil && u.pattern == nil:
	case o.pattern == nil:
		c.addAt("pattern", "PATTERN_ADDED")
	case u.pattern == nil:
		c.addAt("pattern", "PATTERN_REMOVED")
	case *o.pattern != *u.pattern:
		c.addAt("pattern", "PATTERN_CHANGED")
	}
}

func compareNumber(c *ctx, o, u *node) {
	bound(c, "maximum", "MAXIMUM", o.maximum, u.maximum)
	bound(c, "minimum", "MINIMUM", o.minimum, u.minimum)
	bound(c, "exclusiveMaximum", "EXCLUSIVE_MAXIMUM", o.exclMax, u.exclMax)
	bound(c, "exclusiveMinimum", "EXCLUSIVE_MINIMUM", o.exclMin, u.exclMin)
	switch {
	case o.multOf == nil && u.multOf == nil:
	case o.multOf == nil:
		c.addAt("multipleOf", "MULTIPLE_OF_ADDED")
	case u.multOf == nil:
		c.addAt("multipleOf", "MULTIPLE_OF_REMOVED")
	case o.multOf.Cmp(u.multOf) != 0:
		switch {
		case isMultiple(o.multOf, u.multOf):
			c.addAt("multipleOf", "MULTIPLE_OF_REDUCED")
		case isMultiple(u.multOf, o.multOf):
			c.addAt("multipleOf", "MULTIPLE_OF_EXPANDED")
		default:
			c.addAt("multipleOf", "MULTIPLE_OF_CHANGED")
		}
	}
	if o.integer != u.integer {
		if o.integer {
			c.add("TYPE_EXTENDED")
		} else {
			c.add("TYPE_NARROWED")
		}
	}
}

// isMultiple reports whether a is an integer multiple of b.
func isMultiple(a, b *big.Rat) bool {
	if b.Sign() == 0 {
		return false
	}
	return new(big.Rat).Quo(a, b).IsInt()
}

func compareEnum(c *ctx, o, u *node) {
	os, us := valueSet(o.enum), valueSet(u.enum)
	if subset(os, us) && subset(us, os) {
		return
	}
	switch {
	case subset(os, us):
		c.addAt("enum", "ENUM_ARRAY_EXTENDED")
	case subset(us, os):
		c.addAt("enum", "ENUM_ARRAY_NARROWED")
	default:
		c.addAt("enum", "ENUM_ARRAY_CHANGED")
	}
}

func valueSet(vs []any) map[string]bool {
	s := make(map[string]bool, len(vs))
	for _, v := range vs {
		s[canonical(v)] = true
	}
	return s
}

// subset reports whether every element of a is in b.
func subset(a, b map[string]bool) bool {
	for k := range a {
		if !b[k] {
			return false
		}
	}
	return true
}
