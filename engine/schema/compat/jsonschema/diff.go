package jsonschema

import "strings"

// maxSteps bounds the node comparisons of one check (references can make the walk
// exponential); past it the check reports TooComplex.
const maxSteps = 100_000

// maxRefHops bounds a chain of references resolved in one go ("$ref" to a "$ref" ...).
const maxRefHops = 64

// walk is the state shared by one check and all its sub-contexts.
type walk struct {
	policy    Policy
	steps     int
	exhausted bool
	visiting  map[[2]string]bool // reference pairs being compared (cycle guard)
}

// ctx collects the changes found under one path. A sub-context (sub) tries a comparison
// whose changes the caller may keep or drop.
type ctx struct {
	w       *walk
	path    []string
	changes []Change
}

func (c *ctx) sub() *ctx {
	return &ctx{w: c.w, path: append([]string(nil), c.path...)}
}

func (c *ctx) push(seg string) { c.path = append(c.path, seg) }

func (c *ctx) pop() { c.path = c.path[:len(c.path)-1] }

func (c *ctx) add(t string) {
	c.changes = append(c.changes, Change{
		Type:       t,
		Path:       "#/" + strings.Join(c.path, "/"),
		Compatible: allowed(c.w.policy, t),
	})
}

func (c *ctx) addAt(seg, t string) {
	c.push(seg)
	c.add(t)
	c.pop()
}

func (c *ctx) merge(o *ctx) { c.changes = append(c.changes, o.changes...) }

// ok reports whether every change so far is allowed.
func (c *ctx) ok() bool {
	for _, ch := range c.changes {
		if !ch.Compatible {
			return false
		}
	}
	return true
}

// Backward reports the changes from previous to next, and whether next can read data written
// with previous (Confluent's BACKWARD check under the strict policy): compatible iff every
// change is allowed. A nil *Schema is the empty schema (accepts everything).
func Backward(previous, next *Schema) (compatible bool, changes []Change) {
	return BackwardPolicy(previous, next, Strict)
}

// BackwardPolicy is [Backward] under the given policy.
func BackwardPolicy(previous, next *Schema, p Policy) (compatible bool, changes []Change) {
	w := &walk{policy: p, visiting: map[[2]string]bool{}}
	c := &ctx{w: w}
	compareLoc(c, rootLoc(previous), rootLoc(next))
	if w.exhausted {
		c.path = nil
		c.add(TooComplex)
	}
	return c.ok(), c.changes
}

func rootLoc(s *Schema) *loc {
	if s == nil {
		s = &Schema{doc: true}
	}
	return &loc{s, s.doc}
}

// compareLoc compares two possibly absent subschemas.
func compareLoc(c *ctx, o, u *loc) {
	switch {
	case o == nil && u == nil:
	case o == nil:
		c.add("SCHEMA_ADDED")
	case u == nil:
		c.add("SCHEMA_REMOVED")
	default:
		compareNodes(c, build(*o), build(*u))
	}
}

// compareNodes is the heart of the check: special cases for unions, then kind, then the
// keywords of the kind.
func compareNodes(c *ctx, o, u *node) {
	w := c.w
	if w.exhausted {
		return
	}
	w.steps++
	if w.steps > maxSteps {
		w.exhausted = true
		return
	}
	o, ok := resolve(o)
	u, uk := resolve(u)
	if ok != "" || uk != "" {
		key := [2]string{ok, uk}
		if w.visiting[key] {
			return
		}
		w.visiting[key] = true
		defer delete(w.visiting, key)
	}

	if o.kind != kCombined && u.kind == kCombined {
		if len(u.subs) == 1 {
			sc := c.sub()
			compareNodes(sc, o, u.subs[0])
			if sc.ok() {
				c.merge(sc)
				return
			}
		} else if u.criterion != "allOf" {
			for _, s := range u.subs {
				sc := c.sub()
				compareNodes(sc, o, s)
				if sc.ok() {
					c.merge(sc)
					c.add("SUM_TYPE_EXTENDED")
					return
				}
			}
		}
	} else if o.kind == kCombined && u.kind != kCombined {
		if len(o.subs) == 1 {
			sc := c.sub()
			compareNodes(sc, o.subs[0], u)
			if sc.ok() {
				c.merge(sc)
				return
			}
		} else if o.criterion == "allOf" {
			for _, s := range o.subs {
				sc := c.sub()
				compareNodes(sc, s, u)
				if sc.ok() {
					c.merge(sc)
					c.add("PRODUCT_TYPE_NARROWED")
					return
				}
			}
		}
	}

	if o.kind != u.kind {
		if o.kind == kFalse || u.kind == kEmpty {
			return
		}
		c.add("TYPE_CHANGED")
		return
	}
	if !eqStr(o.id, u.id) {
		c.add("ID_CHANGED")
	}
	if !eqStr(o.title, u.title) {
		c.add("TITLE_CHANGED")
	}
	if !eqStr(o.description, u.description) {
		c.add("DESCRIPTION_CHANGED")
	}
	if !eqStr(o.def, u.def) {
		c.add("DEFAULT_CHANGED")
	}
	switch o.kind {
	case kString:
		compareString(c, o, u)
	case kNumber:
		compareNumber(c, o, u)
	case kObject:
		compareObject(c, o, u)
	case kArray:
		compareArray(c, o, u)
	case kEnum:
		compareEnum(c, o, u)
	case kConst:
		if canonical(o.value) != canonical(u.value) {
			c.addAt("const", "ENUM_ARRAY_CHANGED")
		}
	case kNot:
		c.push("not")
		sc := c.sub()
		compareLoc(sc, u.not, o.not) // reversed: a wider "not" accepts less
		if !sc.ok() {
			c.add("NOT_TYPE_EXTENDED")
		} else if len(sc.changes) > 0 {
			c.add("NOT_TYPE_NARROWED")
		}
		c.pop()
	case kCombined:
		compareCombined(c, o, u)
	case kRef:
		if o.ref != u.ref { // unresolved references: only their text can be compared
			c.add("TYPE_CHANGED")
		}
	}
}

func eqStr(a, b *string) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// resolve follows references from n; key names the last target ("" when n is no reference).
func resolve(n *node) (*node, string) {
	key := ""
	for i := 0; n.kind == kRef && i < maxRefHops; i++ {
		target, k, ok := resolveRef(n.doc, n.ref)
		if !ok {
			return n, key
		}
		key = k
		n = build(target)
	}
	return n, key
}
