package avro

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/hamba/avro/v2"
)

// This file validates payloads: [Schema.Validate] decides whether bytes are one datum of the
// schema in Avro's binary encoding (Apache Avro specification, "Binary Encoding"), without
// building the datum. The schema is compiled once, on the first call, into an immutable graph
// of nodes that many goroutines then walk at once; a walk over valid data allocates nothing.
// Paths for errors are gathered only as a failed walk unwinds.
//
// Rules beyond the letter of the specification, so that what passes is what readers read:
//   - union branch and enum indexes are ints as the specification says (5 bytes at most,
//     32 bits), as Apache Avro's Java reader reads them;
//   - nesting: at most maxDepth records, arrays, maps and unions inside one another;
//   - an array or map holds at most maxItems items (the Java reader's limit);
//   - a block written with a byte size (negative count) must hold exactly that many bytes,
//     since a reader that skips the block by its size and one that reads its items must
//     land on the same byte.

// maxDepth bounds how many records, arrays, maps and unions a datum may nest, so a recursive
// schema cannot make Validate recurse without bound.
const maxDepth = 256

// maxItems bounds the items of one array or map, as Apache Avro's Java reader bounds them
// (Integer.MAX_VALUE - 8). Without it an array of nulls, which take no bytes, could claim
// 2^63 items and keep the validator (and every consumer) busy forever.
const maxItems = math.MaxInt32 - 8

// maxPath bounds the rendered field path in an error, which goes back to Kafka clients.
const maxPath = 100

// op is what a node decodes.
type op uint8

const (
	opNull op = iota
	opBoolean
	opInt
	opLong
	opFloat
	opDouble
	opBytes
	opString
	opRecord
	opEnum
	opArray
	opMap
	opUnion
	opFixed
	opUnsupported
)

// node is one compiled schema type. Named types are compiled once, so a recursive type is a
// cycle in the graph. Nodes never change once compile returns.
type node struct {
	op       op
	size     int    // fixed: byte size; enum: symbol count
	min      int64  // a lower bound on the bytes a datum of this type takes
	what     string // unsupported: the hamba/avro type, for the error
	fields   []field
	elem     *node   // array items, map values
	branches []*node // union
}

type field struct {
	name string
	node *node
}

// program is a schema's compiled form, built on the first [Schema.Validate].
type program struct {
	once sync.Once
	root *node
}

func (s *Schema) compiled() *node {
	s.prog.once.Do(func() {
		c := compiler{named: map[string]*node{}}
		s.prog.root = c.compile(s.root)
	})
	return s.prog.root
}

// minCap keeps sums of least sizes from overflowing: nothing that large fits in a payload.
const minCap = 1 << 40

type compiler struct {
	named map[string]*node
}

func (c *compiler) compile(s avro.Schema) *node {
	if s == nil {
		return &node{op: opUnsupported, what: "missing"}
	}
	switch s.Type() {
	case avro.Null:
		return &node{op: opNull}
	case avro.Boolean:
		return &node{op: opBoolean, min: 1}
	case avro.Int:
		return &node{op: opInt, min: 1}
	case avro.Long:
		return &node{op: opLong, min: 1}
	case avro.Float:
		return &node{op: opFloat, min: 4}
	case avro.Double:
		return &node{op: opDouble, min: 8}
	case avro.Bytes:
		return &node{op: opBytes, min: 1}
	case avro.String:
		return &node{op: opString, min: 1}
	case avro.Ref:
		if r, ok := s.(*avro.RefSchema); ok && r != nil && r.Schema() != nil {
			return c.compile(r.Schema())
		}
	case avro.Record, avro.Error:
		r, ok := s.(*avro.RecordSchema)
		if !ok || r == nil {
			break
		}
		if n := c.named[r.FullName()]; n != nil {
			return n
		}
		// A record met again while its fields are compiled counts 0 towards min.
		n := &node{op: opRecord}
		c.named[r.FullName()] = n // before the fields, which may refer back to it
		fs := r.Fields()
		n.fields = make([]field, len(fs))
		for i, f := range fs {
			n.fields[i] = field{name: f.Name(), node: c.compile(f.Type())}
			n.min = min(n.min+n.fields[i].node.min, minCap)
		}
		return n
	case avro.Enum:
		e, ok := s.(*avro.EnumSchema)
		if !ok || e == nil {
			break
		}
		if n := c.named[e.FullName()]; n != nil {
			return n
		}
		n := &node{op: opEnum, size: len(e.Symbols()), min: 1}
		c.named[e.FullName()] = n
		return n
	case avro.Fixed:
		f, ok := s.(*avro.FixedSchema)
		if !ok || f == nil {
			break
		}
		if n := c.named[f.FullName()]; n != nil {
			return n
		}
		size := max(f.Size(), 0)
		n := &node{op: opFixed, size: size, min: min(int64(size), minCap)}
		c.named[f.FullName()] = n
		return n
	case avro.Array:
		if a, ok := s.(*avro.ArraySchema); ok && a != nil {
			return &node{op: opArray, min: 1, elem: c.compile(a.Items())}
		}
	case avro.Map:
		if m, ok := s.(*avro.MapSchema); ok && m != nil {
			return &node{op: opMap, min: 1, elem: c.compile(m.Values())}
		}
	case avro.Union:
		u, ok := s.(*avro.UnionSchema)
		if !ok || u == nil {
			break
		}
		n := &node{op: opUnion, min: 1}
		for _, t := range u.Types() {
			n.branches = append(n.branches, c.compile(t))
		}
		return n
	}
	return &node{op: opUnsupported, what: string(s.Type())}
}

// Validate reports whether data is exactly one datum of the schema in Avro's binary encoding:
// the payload of a Confluent-framed record, after the magic byte and the schema id. It
// returns nil if so; otherwise an error saying at which byte of data (counted from the start
// of the payload), in which field (a path like "order.lines[3].sku", a map value as
// "attrs[key]"), and what is wrong, in under 200 bytes.
//
// Logical types are checked as the types under them. Beyond the specification, Validate
// refuses data nesting more than 256 records, arrays, maps and unions, an array or map of
// more than 2^31-9 items (Apache Avro's Java reader refuses those too), and a block whose
// declared byte size is not the size of its items.
//
// Validate is safe for concurrent use, never panics, and allocates nothing when data is
// valid (the first call compiles the schema).
func (s *Schema) Validate(data []byte) error {
	if s == nil || s.root == nil {
		return &dataError{problem: "no schema to validate against"}
	}
	v := validator{data: data}
	if f := v.value(s.compiled()); f != nil {
		return f.render(data)
	}
	if left := len(data) - v.off; left > 0 {
		return &dataError{off: v.off, problem: fmt.Sprintf("%s left after the datum", plural(left, "byte"))}
	}
	return nil
}

// FullName returns the full name (namespace.name) of the schema's root type when it is a
// named type — record, enum or fixed, directly or through a reference — as Confluent's
// RecordNameStrategy needs it. It reports false for primitives, arrays, maps and unions.
func (s *Schema) FullName() (string, bool) {
	if s == nil || s.root == nil {
		return "", false
	}
	t := s.root
	for range 16 { // a reference names a named type; the bound only guards the loop
		r, ok := t.(*avro.RefSchema)
		if !ok || r == nil || r.Schema() == nil {
			break
		}
		t = r.Schema()
	}
	switch n := t.(type) {
	case *avro.RecordSchema:
		return n.FullName(), n != nil
	case *avro.EnumSchema:
		return n.FullName(), n != nil
	case *avro.FixedSchema:
		return n.FullName(), n != nil
	}
	return "", false
}

// validator walks data along a compiled schema. It lives on Validate's stack.
type validator struct {
	data  []byte
	off   int // next byte to read
	depth int // records, arrays, maps and unions entered
}

// item names what a varint being read is, for errors.
type item uint8

const (
	itemInt item = iota
	itemLong
	itemBytesLen
	itemStringLen
	itemKeyLen
	itemEnum
	itemBranch
	itemArrayCount
	itemMapCount
	itemArraySize
	itemMapSize
)

var itemNames = [...]string{
	itemInt:        "an int",
	itemLong:       "a long",
	itemBytesLen:   "a bytes length",
	itemStringLen:  "a string length",
	itemKeyLen:     "a map key length",
	itemEnum:       "an enum index",
	itemBranch:     "a union branch index",
	itemArrayCount: "an array block count",
	itemMapCount:   "a map block count",
	itemArraySize:  "an array block byte size",
	itemMapSize:    "a map block byte size",
}

func (i item) String() string { return itemNames[i] }

func (v *validator) value(n *node) *fault {
	switch n.op {
	case opNull:
		return nil
	case opBoolean:
		if v.off < len(v.data) && v.data[v.off] <= 1 {
			v.off++
			return nil
		}
		return v.badBoolean()
	case opInt:
		if off := v.off; off < len(v.data) && v.data[off] < 0x80 { // one-byte fast path
			v.off = off + 1
			return nil
		}
		_, f := v.readIntSlow(itemInt)
		return f
	case opLong:
		if off := v.off; off < len(v.data) && v.data[off] < 0x80 {
			v.off = off + 1
			return nil
		}
		_, f := v.readLongSlow(itemLong)
		return f
	case opFloat:
		return v.skip(4, "a float")
	case opDouble:
		return v.skip(8, "a double")
	case opBytes:
		_, f := v.readBytes(itemBytesLen)
		return f
	case opString:
		// Fast path: a length of one byte (under 64), non-negative, within the data.
		if off := v.off; off < len(v.data) && v.data[off]&0x81 == 0 {
			start, end := off+1, off+1+int(v.data[off]>>1)
			if end <= len(v.data) {
				if !utf8.Valid(v.data[start:end]) {
					return v.badUTF8(start, end, "string")
				}
				v.off = end
				return nil
			}
		}
		start, f := v.readBytes(itemStringLen)
		if f != nil {
			return f
		}
		if !utf8.Valid(v.data[start:v.off]) {
			return v.badUTF8(start, v.off, "string")
		}
		return nil
	case opRecord:
		return v.record(n)
	case opEnum:
		at := v.off
		i, f := v.readInt(itemEnum)
		if f != nil {
			return f
		}
		if uint64(uint32(i)) >= uint64(n.size) {
			return v.outOfRange(at, "enum index", int64(i), "the enum has", n.size, "symbols")
		}
		return nil
	case opArray, opMap:
		return v.blocks(n)
	case opUnion:
		return v.union(n)
	case opFixed:
		return v.skip(n.size, "a fixed")
	}
	return v.fail(v.off, fmt.Sprintf("the schema has a type (%.40s) the validator cannot read", n.what))
}

func (v *validator) record(n *node) *fault {
	if v.depth >= maxDepth {
		return v.tooDeep()
	}
	v.depth++
	for i := range n.fields {
		if f := v.value(n.fields[i].node); f != nil {
			return f.in(seg{name: n.fields[i].name})
		}
	}
	v.depth--
	return nil
}

func (v *validator) union(n *node) *fault {
	if v.depth >= maxDepth {
		return v.tooDeep()
	}
	at := v.off
	i, f := v.readInt(itemBranch)
	if f != nil {
		return f
	}
	if uint64(uint32(i)) >= uint64(len(n.branches)) {
		return v.outOfRange(at, "union branch", int64(i), "the union has", len(n.branches), "branches")
	}
	v.depth++
	if f := v.value(n.branches[i]); f != nil {
		return f
	}
	v.depth--
	return nil
}

// blocks reads an array or a map: blocks of items, each a count then the items, the last
// block empty. A negative count -n is n items preceded by their size in bytes.
func (v *validator) blocks(n *node) *fault {
	if v.depth >= maxDepth {
		return v.tooDeep()
	}
	v.depth++
	isMap := n.op == opMap
	countItem, sizeItem, noun, least := itemArrayCount, itemArraySize, "array", n.elem.min
	if isMap {
		countItem, sizeItem, noun, least = itemMapCount, itemMapSize, "map", min(least+1, minCap)
	}
	var total int64
	for {
		at := v.off
		count, f := v.readLong(countItem)
		if f != nil {
			return f
		}
		if count == 0 {
			break
		}
		size := int64(-1)
		if count < 0 {
			if count == math.MinInt64 {
				return v.fail(at, fmt.Sprintf("%s block count %d is out of range", noun, count))
			}
			count = -count
			sizeAt := v.off
			if size, f = v.readLong(sizeItem); f != nil {
				return f
			}
			if size < 0 {
				return v.fail(sizeAt, fmt.Sprintf("negative %s block byte size %d", noun, size))
			}
			if left := int64(len(v.data) - v.off); size > left {
				return v.fail(sizeAt, fmt.Sprintf("%s block byte size %d but only %s left", noun, size, plural(int(left), "byte")))
			}
		}
		if count > maxItems-total {
			return v.fail(at, fmt.Sprintf("%s has more than %d items", noun, maxItems))
		}
		if left := int64(len(v.data) - v.off); least > 0 && count > left/least {
			return v.fail(at, fmt.Sprintf("%s block of %d items needs at least %s each, only %d left", noun, count, plural(int(least), "byte"), left))
		}
		start := v.off
		for i := range count {
			itemStart := v.off
			if isMap {
				keyStart, f := v.readBytes(itemKeyLen)
				if f != nil {
					return f
				}
				keyEnd := v.off
				if !utf8.Valid(v.data[keyStart:keyEnd]) {
					return v.badUTF8(keyStart, keyEnd, "map key")
				}
				if f := v.value(n.elem); f != nil {
					return f.in(seg{keyOff: keyStart, keyLen: keyEnd - keyStart})
				}
				continue
			}
			if f := v.value(n.elem); f != nil {
				return f.in(seg{index: total + i, keyOff: -1})
			}
			if v.off == itemStart {
				// The item took no bytes (null, fixed of size 0, records of those): the
				// others, read from the same offset, would do the same.
				break
			}
		}
		if size >= 0 && int64(v.off-start) != size {
			return v.fail(start, fmt.Sprintf("%s block says its items take %s, but they take %d", noun, plural(int(size), "byte"), v.off-start))
		}
		total += count
	}
	v.depth--
	return nil
}

// readLong reads a zig-zag varint of at most 10 bytes.
func (v *validator) readLong(what item) (int64, *fault) {
	if off := v.off; uint(off) < uint(len(v.data)) && v.data[off] < 0x80 {
		b := v.data[off]
		v.off = off + 1
		return int64(b>>1) ^ -int64(b&1), nil
	}
	return v.readLongSlow(what)
}

func (v *validator) readLongSlow(what item) (int64, *fault) {
	var x uint64
	var s uint
	for i := range 10 {
		if v.off+i >= len(v.data) {
			return 0, v.fail(v.off, "data ends while reading "+what.String())
		}
		b := v.data[v.off+i]
		if i == 9 && b >= 0x80 {
			return 0, v.fail(v.off, what.String()+" is longer than 10 bytes")
		}
		if i == 9 && b > 1 {
			return 0, v.fail(v.off, what.String()+" overflows 64 bits")
		}
		x |= uint64(b&0x7f) << s
		if b < 0x80 {
			v.off += i + 1
			return int64(x>>1) ^ -int64(x&1), nil
		}
		s += 7
	}
	return 0, v.fail(v.off, what.String()+" is longer than 10 bytes") // not reached: byte 10 ends or fails
}

// readInt reads a zig-zag varint of at most 5 bytes whose value fits in 32 bits.
func (v *validator) readInt(what item) (int32, *fault) {
	if off := v.off; uint(off) < uint(len(v.data)) && v.data[off] < 0x80 {
		b := v.data[off]
		v.off = off + 1
		return int32(b>>1) ^ -int32(b&1), nil
	}
	return v.readIntSlow(what)
}

func (v *validator) readIntSlow(what item) (int32, *fault) {
	var x uint32
	var s uint
	for i := range 5 {
		if v.off+i >= len(v.data) {
			return 0, v.fail(v.off, "data ends while reading "+what.String())
		}
		b := v.data[v.off+i]
		if i == 4 && b >= 0x80 {
			return 0, v.fail(v.off, what.String()+" is longer than 5 bytes")
		}
		if i == 4 && b > 0x0f {
			return 0, v.fail(v.off, what.String()+" overflows 32 bits")
		}
		x |= uint32(b&0x7f) << s
		if b < 0x80 {
			v.off += i + 1
			return int32(x>>1) ^ -int32(x&1), nil
		}
		s += 7
	}
	return 0, v.fail(v.off, what.String()+" is longer than 5 bytes") // not reached: byte 5 ends or fails
}

// readBytes reads a length then that many bytes, returning where they start.
func (v *validator) readBytes(what item) (int, *fault) {
	at := v.off
	n, f := v.readLong(what)
	if f != nil {
		return 0, f
	}
	if n < 0 {
		return 0, v.fail(at, fmt.Sprintf("negative %s %d", what.String()[2:], n))
	}
	if left := int64(len(v.data) - v.off); n > left {
		return 0, v.fail(at, fmt.Sprintf("%s %d but only %s left", what.String()[2:], n, plural(int(left), "byte")))
	}
	start := v.off
	v.off += int(n)
	return start, nil
}

// skip passes n bytes of a float, double or fixed.
func (v *validator) skip(n int, what string) *fault {
	if len(v.data)-v.off < n {
		return v.short(n, what)
	}
	v.off += n
	return nil
}

func (v *validator) short(n int, what string) *fault {
	left := len(v.data) - v.off
	return v.fail(v.off, fmt.Sprintf("data ends while reading %s (%s, only %d left)", what, plural(n, "byte"), left))
}

func (v *validator) badBoolean() *fault {
	if v.off >= len(v.data) {
		return v.fail(v.off, "data ends while reading a boolean")
	}
	return v.fail(v.off, fmt.Sprintf("boolean byte is %d; it must be 0 or 1", v.data[v.off]))
}

func (v *validator) outOfRange(at int, what string, i int64, has string, n int, things string) *fault {
	return v.fail(at, fmt.Sprintf("%s %d out of range (%s %d %s)", what, i, has, n, things))
}

// badUTF8 reports the first byte of data[start:end] that is not valid UTF-8.
func (v *validator) badUTF8(start, end int, what string) *fault {
	at := start
	for at < end {
		r, size := utf8.DecodeRune(v.data[at:end])
		if r == utf8.RuneError && size <= 1 {
			break
		}
		at += size
	}
	b := byte(0)
	if at < end {
		b = v.data[at]
	}
	return v.fail(at, fmt.Sprintf("%s is not valid UTF-8 (byte 0x%02x)", what, b))
}

func (v *validator) tooDeep() *fault {
	return v.fail(v.off, fmt.Sprintf("data nests deeper than %d records, arrays, maps and unions", maxDepth))
}

func (v *validator) fail(at int, problem string) *fault {
	return &fault{off: at, problem: problem}
}

// fault is a problem found while walking, with the path to it gathered as the walk unwinds
// (innermost first), so valid data never pays for paths.
type fault struct {
	off     int
	problem string
	segs    []seg
}

// seg is one step of a path: a record field (name), an array item (index), or a map value
// (its key at data[keyOff:keyOff+keyLen]). keyOff is -1 when the step is not a map value.
type seg struct {
	name           string
	index          int64
	keyOff, keyLen int
}

func (f *fault) in(s seg) *fault {
	f.segs = append(f.segs, s)
	return f
}

// render turns the fault into the error Validate returns, copying what it needs from data
// (the caller may reuse it).
func (f *fault) render(data []byte) *dataError {
	var p []byte
	for i := len(f.segs) - 1; i >= 0; i-- {
		s := f.segs[i]
		switch {
		case s.name != "":
			if len(p) > 0 {
				p = append(p, '.')
			}
			p = append(p, s.name...)
		case s.keyOff >= 0:
			p = append(p, '[')
			p = appendKey(p, data[s.keyOff:s.keyOff+s.keyLen])
			p = append(p, ']')
		default:
			p = append(p, '[')
			p = strconv.AppendInt(p, s.index, 10)
			p = append(p, ']')
		}
	}
	if len(p) > maxPath {
		// Keep the innermost steps, whole: cut before a '.' or '[' near the start of the tail.
		tail := p[len(p)-maxPath+3:]
		if i := bytes.IndexAny(tail, ".["); i >= 0 {
			tail = tail[i:]
			if tail[0] == '.' {
				tail = tail[1:]
			}
		}
		p = append([]byte("..."), tail...)
	}
	return &dataError{off: f.off, path: string(p), problem: f.problem}
}

// appendKey appends a map key for a path: at most 24 bytes, characters that would confuse
// the path or the reader (quotes, brackets, backslashes, unprintable) as '?'.
func appendKey(p, key []byte) []byte {
	const most = 24
	n := 0
	for len(key) > 0 {
		r, size := utf8.DecodeRune(key)
		if n+size > most {
			return append(p, "..."...)
		}
		switch {
		case r == utf8.RuneError && size <= 1, !unicode.IsPrint(r), r == '"', r == '[', r == ']', r == '\\':
			p = append(p, '?')
		default:
			p = append(p, key[:size]...)
		}
		key = key[size:]
		n += size
	}
	return p
}

// dataError is the error Validate returns for data that is not a datum of the schema.
type dataError struct {
	off     int    // byte offset in the payload
	path    string // field path, "" at the root
	problem string
}

func (e *dataError) Error() string {
	if e.path == "" {
		return fmt.Sprintf("at byte %d: %s", e.off, e.problem)
	}
	return fmt.Sprintf("at byte %d, field %q: %s", e.off, e.path, e.problem)
}

// plural says "1 byte", "2 bytes".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
