package avro

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/hamba/avro/v2"
)

// Change is one incompatibility found between a reader and a writer schema, as Confluent's
// verbose compatibility messages name it: Type is Avro's incompatibility type (one of the
// constants below), Path where it is in the reader schema ("/fields/0/type"), Compatible
// whether it alone keeps the pair BACKWARD compatible (always false: Avro's checker names only
// problems), Description the problem in words, Confluent style.
type Change struct {
	Type        string
	Path        string
	Compatible  bool
	Description string
}

// Avro's incompatibility types, by Confluent's names.
const (
	// NameMismatch: a record, enum or fixed whose unqualified name differs from the writer's
	// and whose aliases do not list the writer's full name.
	NameMismatch = "NAME_MISMATCH"
	// FixedSizeMismatch: fixed types of different sizes.
	FixedSizeMismatch = "FIXED_SIZE_MISMATCH"
	// MissingEnumSymbols: writer enum symbols the reader lacks, with no reader default.
	MissingEnumSymbols = "MISSING_ENUM_SYMBOLS"
	// ReaderFieldMissingDefaultValue: a reader field absent from the writer, with no default.
	ReaderFieldMissingDefaultValue = "READER_FIELD_MISSING_DEFAULT_VALUE"
	// TypeMismatch: types that cannot be read one as the other, even by promotion.
	TypeMismatch = "TYPE_MISMATCH"
	// MissingUnionBranch: a writer type (or union branch) no reader union branch can read.
	MissingUnionBranch = "MISSING_UNION_BRANCH"
)

// maxChanges bounds the changes reported for one pair, so pathological schemas (a type
// referenced many times over many levels) cannot make the answer grow without bound.
const maxChanges = 1000

// Backward reports whether next can read data written with previous (Confluent's BACKWARD
// check: reader next, writer previous), with every incompatibility found. It is compatible
// iff no change is reported.
func Backward(previous, next *Schema) (compatible bool, changes []Change) {
	return Check(next, previous)
}

// Check reports whether reader can decode every datum written with writer, with every
// incompatibility found (paths are in the reader schema). A nil schema is incompatible with
// anything.
func Check(reader, writer *Schema) (compatible bool, changes []Change) {
	if reader == nil || writer == nil || reader.root == nil || writer.root == nil {
		return false, []Change{{Type: TypeMismatch, Path: "/", Description: "missing schema"}}
	}
	c := &checker{memo: map[pair][]Change{}, busy: map[pair]bool{}}
	changes = dedupe(c.check(reader.root, writer.root))
	return len(changes) == 0, changes
}

type pair struct{ r, w avro.Schema }

// checker walks a reader and a writer schema in parallel, in the manner of Apache Avro's
// ReaderWriterCompatibilityChecker: loc is the path being checked, memo the finished pairs
// (reused, with the paths where they were first found, as Avro does), busy the pairs being
// checked (met again through recursion, they count as compatible).
type checker struct {
	loc  []string
	memo map[pair][]Change
	busy map[pair]bool
}

func (c *checker) path() string { return "/" + strings.Join(c.loc, "/") }

func (c *checker) push(token string) { c.loc = append(c.loc, token) }

func (c *checker) pop() { c.loc = c.loc[:len(c.loc)-1] }

func (c *checker) change(typ, format string, args ...any) []Change {
	return []Change{{Type: typ, Path: c.path(), Description: fmt.Sprintf(format, args...)}}
}

// at checks reader against writer one token deeper.
func (c *checker) at(token string, r, w avro.Schema) []Change {
	c.push(token)
	defer c.pop()
	return c.check(r, w)
}

func (c *checker) check(r, w avro.Schema) []Change {
	r, w = deref(r), deref(w)
	k := pair{r, w}
	if out, ok := c.memo[k]; ok {
		return out
	}
	if c.busy[k] {
		return nil
	}
	c.busy[k] = true
	out := c.calc(r, w)
	if len(out) > maxChanges {
		out = out[:maxChanges]
	}
	delete(c.busy, k)
	c.memo[k] = out
	return out
}

func (c *checker) calc(r, w avro.Schema) []Change {
	rk, wk := kind(r), kind(w)
	if rk == wk && rk != "" {
		switch rk {
		case avro.Null, avro.Boolean, avro.Int, avro.Long, avro.Float, avro.Double, avro.Bytes, avro.String:
			return nil
		case avro.Array:
			return c.at("items", r.(*avro.ArraySchema).Items(), w.(*avro.ArraySchema).Items())
		case avro.Map:
			return c.at("values", r.(*avro.MapSchema).Values(), w.(*avro.MapSchema).Values())
		case avro.Fixed:
			rf, wf := r.(*avro.FixedSchema), w.(*avro.FixedSchema)
			out := c.names(rf, wf)
			if rf.Size() != wf.Size() {
				c.push("size")
				out = append(out, c.change(FixedSizeMismatch,
					"The size of FIXED type field at path '%s' in the new schema does not match with the old schema (expected: %d, found: %d)",
					c.path(), wf.Size(), rf.Size())...)
				c.pop()
			}
			return out
		case avro.Enum:
			re, we := r.(*avro.EnumSchema), w.(*avro.EnumSchema)
			return append(c.names(re, we), c.symbols(re, we)...)
		case avro.Record:
			rr, wr := r.(*avro.RecordSchema), w.(*avro.RecordSchema)
			return append(c.names(rr, wr), c.fields(rr, wr)...)
		case avro.Union:
			var out []Change
			for i, wb := range w.(*avro.UnionSchema).Types() {
				c.push(strconv.Itoa(i))
				if len(c.check(r, wb)) > 0 {
					out = append(out, c.change(MissingUnionBranch,
						"The new schema is missing a type inside a union field at path '%s' in the old schema (reader union lacking writer type: %s)",
						c.path(), typeName(wb))...)
				}
				c.pop()
			}
			return out
		}
	}
	// Different kinds. A writer union is readable when each of its branches is.
	if wk == avro.Union {
		var out []Change
		for _, wb := range w.(*avro.UnionSchema).Types() {
			out = append(out, c.check(r, wb)...)
		}
		return out
	}
	switch rk {
	case avro.Long:
		if wk == avro.Int {
			return nil
		}
	case avro.Float:
		if wk == avro.Int || wk == avro.Long {
			return nil
		}
	case avro.Double:
		if wk == avro.Int || wk == avro.Long || wk == avro.Float {
			return nil
		}
	case avro.Bytes:
		if wk == avro.String {
			return nil
		}
	case avro.String:
		if wk == avro.Bytes {
			return nil
		}
	case avro.Union:
		for _, rb := range r.(*avro.UnionSchema).Types() {
			if len(c.check(rb, w)) == 0 {
				return nil
			}
		}
		return c.change(MissingUnionBranch,
			"The new schema is missing a type inside a union field at path '%s' in the old schema (reader union lacking writer type: %s)",
			c.path(), typeName(w))
	}
	return c.change(TypeMismatch,
		"The type (path '%s') of a field in the new schema does not match with the old schema (reader type: %s not compatible with writer type: %s)",
		c.path(), typeName(r), typeName(w))
}

// names checks the names of two named types: the unqualified names match, or the reader's
// aliases (qualified by its namespace) list the writer's full name.
func (c *checker) names(r, w avro.NamedSchema) []Change {
	if r.Name() == w.Name() || slices.Contains(r.Aliases(), w.FullName()) {
		return nil
	}
	c.push("name")
	defer c.pop()
	return c.change(NameMismatch, "The name of the schema has changed (path '%s'): expected %s, found %s",
		c.path(), w.FullName(), r.FullName())
}

// symbols checks that the reader enum has every writer symbol, or a default to map the
// missing ones to.
func (c *checker) symbols(r, w *avro.EnumSchema) []Change {
	var missing []string
	for _, s := range w.Symbols() {
		if !slices.Contains(r.Symbols(), s) {
			missing = append(missing, s)
		}
	}
	if len(missing) == 0 || enumHasDefault(r) {
		return nil
	}
	slices.Sort(missing)
	c.push("symbols")
	defer c.pop()
	return c.change(MissingEnumSymbols, "The new schema is missing enum symbols '%s' at path '%s' in the old schema",
		"["+strings.Join(missing, ", ")+"]", c.path())
}

// fields checks each reader field against the writer field of the same name (or of one of
// the reader field's aliases); a reader field the writer lacks needs a default.
func (c *checker) fields(r, w *avro.RecordSchema) []Change {
	var out []Change
	c.push("fields")
	defer c.pop()
	byName := make(map[string]*avro.Field, len(w.Fields()))
	for _, wf := range w.Fields() {
		byName[wf.Name()] = wf
	}
	for i, rf := range r.Fields() {
		c.push(strconv.Itoa(i))
		if wf := writerField(byName, rf); wf != nil {
			out = append(out, c.at("type", rf.Type(), wf.Type())...)
		} else if !fieldHasDefault(rf) {
			out = append(out, c.change(ReaderFieldMissingDefaultValue,
				"The field '%s' at path '%s' in the new schema has no default value and is missing in the old schema",
				rf.Name(), c.path())...)
		}
		c.pop()
	}
	return out
}

// writerField finds the writer field a reader field reads: by the reader field's name, then
// by each of its aliases in order (writer aliases play no part, as in Avro).
func writerField(byName map[string]*avro.Field, rf *avro.Field) *avro.Field {
	if wf, ok := byName[rf.Name()]; ok {
		return wf
	}
	for _, a := range rf.Aliases() {
		if wf, ok := byName[a]; ok {
			return wf
		}
	}
	return nil
}

// deref follows a reference to the named type it stands for.
func deref(s avro.Schema) avro.Schema {
	if r, ok := s.(*avro.RefSchema); ok && r.Schema() != nil {
		return r.Schema()
	}
	return s
}

// kind is the schema's type, with error records counted as records; "" for anything unknown.
func kind(s avro.Schema) avro.Type {
	switch x := s.(type) {
	case *avro.NullSchema:
		return avro.Null
	case *avro.PrimitiveSchema:
		return x.Type()
	case *avro.RecordSchema:
		return avro.Record
	case *avro.EnumSchema:
		return avro.Enum
	case *avro.FixedSchema:
		return avro.Fixed
	case *avro.ArraySchema:
		return avro.Array
	case *avro.MapSchema:
		return avro.Map
	case *avro.UnionSchema:
		return avro.Union
	}
	return ""
}

// typeName is Avro's upper-case name of the schema's type ("STRING"), as Avro's messages say.
func typeName(s avro.Schema) string {
	k := kind(deref(s))
	if k == "" {
		return "UNKNOWN"
	}
	return strings.ToUpper(string(k))
}

// dedupe drops repeated (type, path) changes, keeping the first, and returns nil for none.
func dedupe(in []Change) []Change {
	if len(in) == 0 {
		return nil
	}
	seen := map[[2]string]bool{}
	out := make([]Change, 0, len(in))
	for _, ch := range in {
		k := [2]string{ch.Type, ch.Path}
		if !seen[k] {
			seen[k] = true
			out = append(out, ch)
		}
	}
	return out
}
