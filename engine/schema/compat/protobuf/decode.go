package protobuf

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Payload validation: the broker strips Confluent's header (magic byte, schema id, message
// indexes) and hands Validate the indexes and the bytes after them. Validate walks the bytes
// as the wire encoding of the message the indexes name, without building the message:
//
//   - every record's field number must be a field of the message, or an extension of it
//     declared in the schema's file or a file it imports (directly or not);
//   - the wire type must fit the field's kind; repeated numeric fields may be packed
//     (length-delimited) or not, and packed data must hold whole elements;
//   - lengths must stay inside the enclosing data, varints must end within 10 bytes;
//   - strings must be valid UTF-8 when the field's utf8_validation feature is VERIFY (proto3
//     and editions by default, never proto2);
//   - message and group fields (map entries included) are walked recursively, at most
//     MaxDepth messages below the top-level one;
//   - proto2 (and editions LEGACY_REQUIRED) required fields must be present, as Java's and
//     Go's parsers demand by default (the first 64 per message are checked).
//
// Bool and enum varints of any value, int32 varints wider than 32 bits and singular fields
// repeated on the wire are accepted, as parsers do. google.protobuf.Any's value is bytes;
// the message it holds is not checked. message_set_wire_format messages are not supported:
// their items are undeclared fields and fail.

// MaxDepth is how many messages may nest below the top-level message, the default recursion
// limit of Java's protobuf parser (CodedInputStream). A deeper payload fails validation.
const MaxDepth = 100

// maxPathInError bounds the field path an error message shows (its tail is kept), so
// messages returned to Kafka clients stay short even for deeply nested payloads.
const maxPathInError = 100

var (
	// ErrMessageIndex is wrapped by the errors of Message, MessageName and Validate when the
	// message indexes do not name a message of the schema.
	ErrMessageIndex = errors.New("protobuf: message indexes name no message of the schema")
	// ErrInvalidPayload is wrapped by every *ValidationError: the payload is not a wire
	// encoding of the message.
	ErrInvalidPayload = errors.New("protobuf: payload is not a valid encoding of the message")

	errNoSchema = errors.New("protobuf: no schema")
	zeroIndex   = []int{0}
)

// ValidationError says where and why a payload is not a wire encoding of its message. Its
// Error text is meant for the producer: "at byte 7, field \"lines[2].sku\": ...".
type ValidationError struct {
	// Offset is the byte offset into the payload given to Validate (after Confluent's
	// header and message indexes) where the problem starts.
	Offset int
	// Path names the field the problem is in, field names joined with '.', with the
	// element index of repeated and map fields ("lines[2].sku"; extensions as
	// "[pkg.ext]"). Empty for a problem in the top-level message itself.
	Path string
	// Reason says what is wrong.
	Reason string

	segs []pathSeg // innermost first, while the walk unwinds
}

// pathSeg is one field of a ValidationError's path; index is -1 for a singular field.
type pathSeg struct {
	name  string
	index int
}

// Error returns "at byte N, field "path": reason", without the field part at top level.
// A path longer than 100 bytes is cut to its tail.
func (e *ValidationError) Error() string {
	p := e.Path
	if p == "" {
		return fmt.Sprintf("at byte %d: %s", e.Offset, e.Reason)
	}
	if len(p) > maxPathInError {
		p = p[len(p)-maxPathInError:]
		if i := strings.IndexByte(p, '.'); i >= 0 {
			p = p[i+1:] // start at a whole field name
		}
		p = "..." + p
	}
	return fmt.Sprintf("at byte %d, field %q: %s", e.Offset, p, e.Reason)
}

// Unwrap returns ErrInvalidPayload.
func (e *ValidationError) Unwrap() error { return ErrInvalidPayload }

// finish builds Path from the segments gathered while unwinding.
func (e *ValidationError) finish() {
	var sb strings.Builder
	for i := len(e.segs) - 1; i >= 0; i-- {
		s := e.segs[i]
		if sb.Len() > 0 {
			sb.WriteByte('.')
		}
		sb.WriteString(s.name)
		if s.index >= 0 {
			fmt.Fprintf(&sb, "[%d]", s.index)
		}
	}
	e.Path = sb.String()
	e.segs = nil
}

// indexError is a bad message index path; it wraps ErrMessageIndex.
type indexError struct{ msg string }

func (e *indexError) Error() string { return e.msg }
func (e *indexError) Unwrap() error { return ErrMessageIndex }

// badIndex describes index idx, at position pos of the path, out of range of the n messages
// declared at the top level (parent nil) or in parent.
func badIndex(pos, idx int, parent protoreflect.MessageDescriptor, n int) error {
	plural := "s"
	if n == 1 {
		plural = ""
	}
	if parent == nil {
		return &indexError{fmt.Sprintf("message index %d out of range: %s declares %d top-level message%s",
			idx, SchemaFileName, n, plural)}
	}
	return &indexError{fmt.Sprintf("message index %d (position %d of the index path) out of range: %s declares %d nested message%s",
		idx, pos, parent.FullName(), n, plural)}
}

// Message returns the message type Confluent's message indexes name: the first index picks
// a top-level message of the schema's file, each next one a message nested in the previous
// (map entry messages count, in declaration order, as protoreflect lists them). An empty path
// means [0], as sr.ConfluentHeader.DecodeIndex's shortcut does. Errors wrap ErrMessageIndex.
func (s *Schema) Message(indexes []int) (protoreflect.MessageDescriptor, error) {
	if s == nil || s.file == nil {
		return nil, errNoSchema
	}
	if len(indexes) == 0 {
		indexes = zeroIndex
	}
	ms := s.file.Messages()
	var md protoreflect.MessageDescriptor
	for pos, i := range indexes {
		if i < 0 || i >= ms.Len() {
			return nil, badIndex(pos, i, md, ms.Len())
		}
		md = ms.Get(i)
		ms = md.Messages()
	}
	return md, nil
}

// MessageName returns the full name ("shop.Order") of the message the indexes name, as
// Confluent's RecordNameStrategy uses it. Errors are Message's.
func (s *Schema) MessageName(indexes []int) (string, error) {
	md, err := s.Message(indexes)
	if err != nil {
		return "", err
	}
	return string(md.FullName()), nil
}

// Validate returns nil iff data is a well-formed wire encoding of the message the indexes
// name (see Message); the rules are listed at the top of decode.go. A payload problem is a
// *ValidationError (wrapping ErrInvalidPayload), a bad index path wraps ErrMessageIndex.
// Validate does not allocate on valid input (after the first call on a Schema, which builds
// its lookup tables) and is safe for concurrent use.
func (s *Schema) Validate(indexes []int, data []byte) error {
	if s == nil || s.file == nil {
		return errNoSchema
	}
	if len(indexes) == 0 {
		indexes = zeroIndex
	}
	plans := s.tables().top
	var m *msgPlan
	for pos, i := range indexes {
		if i < 0 || i >= len(plans) {
			var parent protoreflect.MessageDescriptor
			if m != nil {
				parent = m.md
			}
			return badIndex(pos, i, parent, len(plans))
		}
		m = plans[i]
		plans = m.nested
	}
	if _, e := m.walk(data, 0, 0, 0); e != nil {
		e.finish()
		return e
	}
	return nil
}

// walk validates b, the encoding of m's fields starting at byte base of the payload, depth
// messages below the top-level one. For a group's content, group is the group's field
// number: the walk ends at the matching end-group tag and returns the bytes consumed, the
// tag included. Otherwise group is 0 and the walk consumes all of b.
func (m *msgPlan) walk(b []byte, base, depth int, group protowire.Number) (int, *ValidationError) {
	var seen uint64
	i := 0
	for i < len(b) {
		tagAt := i
		var num protowire.Number
		var typ protowire.Type
		n := 1
		if c := b[i]; c < 0x80 && c >= 8 { // one-byte tag: fields 1 to 15
			num, typ = protowire.Number(c>>3), protowire.Type(c&7)
		} else if num, typ, n = protowire.ConsumeTag(b[i:]); n < 0 {
			return 0, tagError(b[i:], base+i, n)
		}
		i += n
		if typ == protowire.EndGroupType {
			if num != group {
				return 0, endGroupError(base+tagAt, num, group)
			}
			if e := m.checkRequired(seen, base+tagAt); e != nil {
				return 0, e
			}
			return i, nil
		}
		f := m.field(num)
		if f == nil {
			return 0, failf(base+tagAt, "field %d is not declared in %s", num, m.name)
		}
		if typ != f.wire {
			if typ == protowire.BytesType && f.packable {
				n, e := m.packed(f, b, tagAt, i, base)
				if e != nil {
					return 0, e
				}
				i += n
				continue
			}
			return 0, m.fieldErr(b, tagAt, base+tagAt, f, -1, wrongWire(f, typ))
		}
		switch typ {
		case protowire.VarintType:
			if n = 1; i < len(b) && b[i] < 0x80 {
				break
			}
			if _, n = protowire.ConsumeVarint(b[i:]); n < 0 {
				return 0, m.fieldErr(b, tagAt, base+i, f, -1, varintProblem(n))
			}
		case protowire.Fixed32Type, protowire.Fixed64Type:
			n = 4
			if typ == protowire.Fixed64Type {
				n = 8
			}
			if len(b)-i < n {
				return 0, m.fieldErr(b, tagAt, base+i, f, -1,
					fmt.Sprintf("%s value needs %d bytes, only %d left", f.kind, n, len(b)-i))
			}
		case protowire.BytesType:
			var v []byte
			if l := len(b) - i - 1; l >= 0 && b[i] < 0x80 && int(b[i]) <= l { // one-byte length that fits
				n = 1 + int(b[i])
				v = b[i+1 : i+n]
			} else if v, n = protowire.ConsumeBytes(b[i:]); n < 0 {
				return 0, m.fieldErr(b, tagAt, base+i, f, -1, lengthProblem(b[i:]))
			}
			at := base + i + n - len(v)
			if f.utf8 {
				if !utf8.Valid(v) {
					bad := max(invalidUTF8(v), 0)
					return 0, m.fieldErr(b, tagAt, at+bad, f, -1,
						fmt.Sprintf("string is not valid UTF-8 (byte 0x%02x at offset %d of the string)", v[bad], bad))
				}
			} else if f.msg != nil {
				if depth >= MaxDepth {
					return 0, m.fieldErr(b, tagAt, at, f, -1, depthProblem())
				}
				if _, e := f.msg.walk(v, at, depth+1, 0); e != nil {
					return 0, m.wrap(e, b, tagAt, f, -1)
				}
			}
		case protowire.StartGroupType:
			if f.msg == nil {
				n = protowire.ConsumeFieldValue(num, typ, b[i:])
				if n < 0 {
					return 0, m.fieldErr(b, tagAt, base+i, f, -1, "group is malformed")
				}
				break
			}
			if depth >= MaxDepth {
				return 0, m.fieldErr(b, tagAt, base+i, f, -1, depthProblem())
			}
			var e *ValidationError
			n, e = f.msg.walk(b[i:], base+i, depth+1, num)
			if e != nil {
				return 0, m.wrap(e, b, tagAt, f, -1)
			}
		}
		i += n
		if f.reqBit >= 0 {
			seen |= 1 << uint(f.reqBit)
		}
	}
	if group != 0 {
		return 0, failf(base+len(b), "group is not closed: the data ends before its end-group tag")
	}
	if e := m.checkRequired(seen, base+len(b)); e != nil {
		return 0, e
	}
	return i, nil
}

// packed checks the packed record of repeated numeric field f whose length prefix starts
// at b[i] (its tag at b[tagAt]), and returns the bytes it takes after the tag.
func (m *msgPlan) packed(f *fieldPlan, b []byte, tagAt, i, base int) (int, *ValidationError) {
	v, n := protowire.ConsumeBytes(b[i:])
	if n < 0 {
		return 0, m.fieldErr(b, tagAt, base+i, f, -1, lengthProblem(b[i:]))
	}
	at := base + i + n - len(v)
	switch f.wire {
	case protowire.VarintType:
		for j, k := 0, 0; j < len(v); k++ {
			_, c := protowire.ConsumeVarint(v[j:])
			if c < 0 {
				return 0, m.fieldErr(b, tagAt, at+j, f, k, "packed "+varintProblem(c))
			}
			j += c
		}
	case protowire.Fixed32Type, protowire.Fixed64Type:
		size := 4
		if f.wire == protowire.Fixed64Type {
			size = 8
		}
		if r := len(v) % size; r != 0 {
			whole := len(v) / size
			return 0, m.fieldErr(b, tagAt, at+whole*size, f, whole,
				fmt.Sprintf("packed %s data of %d bytes is not a whole number of %d-byte values", f.kind, len(v), size))
		}
	}
	return n, nil
}

// checkRequired fails when a required field of m is missing from seen.
func (m *msgPlan) checkRequired(seen uint64, at int) *ValidationError {
	if len(m.required) == 0 {
		return nil
	}
	want := ^uint64(0)
	if len(m.required) < 64 {
		want = 1<<uint(len(m.required)) - 1
	}
	missing := want &^ seen
	if missing == 0 {
		return nil
	}
	for _, f := range m.required {
		if missing&(1<<uint(f.reqBit)) != 0 {
			return failf(at, "required field %q (number %d) of %s is missing", f.name, f.num, m.name)
		}
	}
	return nil
}

// failf builds an error at the payload offset at, in the current message.
func failf(at int, format string, args ...any) *ValidationError {
	return &ValidationError{Offset: at, Reason: fmt.Sprintf(format, args...)}
}

// fieldErr builds an error at offset at in field f, whose record starts at b[tagAt] (b being
// the enclosing message's bytes). elem is the element index inside a packed record, or -1.
func (m *msgPlan) fieldErr(b []byte, tagAt, at int, f *fieldPlan, elem int, reason string) *ValidationError {
	e := &ValidationError{Offset: at, Reason: reason}
	return m.wrap(e, b, tagAt, f, elem)
}

// wrap adds field f (its record at b[tagAt]) to the path of e, an error inside that field.
func (m *msgPlan) wrap(e *ValidationError, b []byte, tagAt int, f *fieldPlan, elem int) *ValidationError {
	idx := -1
	if f.repeated {
		idx = countBefore(b[:tagAt], f) + max(elem, 0)
	}
	e.segs = append(e.segs, pathSeg{name: f.name, index: idx})
	return e
}

// countBefore counts the elements of repeated field f encoded in b (already validated), so
// an error can name the element it is in.
func countBefore(b []byte, f *fieldPlan) int {
	c := 0
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			break
		}
		b = b[n:]
		n = protowire.ConsumeFieldValue(num, typ, b)
		if n < 0 {
			break
		}
		if num == f.num {
			if typ == protowire.BytesType && f.packable {
				v, _ := protowire.ConsumeBytes(b)
				c += packedCount(v, f.wire)
			} else {
				c++
			}
		}
		b = b[n:]
	}
	return c
}

// packedCount is the number of elements in well-formed packed data of wire type w.
func packedCount(v []byte, w protowire.Type) int {
	switch w {
	case protowire.Fixed32Type:
		return len(v) / 4
	case protowire.Fixed64Type:
		return len(v) / 8
	}
	c := 0
	for _, x := range v {
		if x < 0x80 {
			c++
		}
	}
	return c
}

// invalidUTF8 returns the offset of the first byte of v that is not valid UTF-8, or -1.
func invalidUTF8(v []byte) int {
	for i := 0; i < len(v); {
		if v[i] < 0x80 {
			i++
			continue
		}
		r, size := utf8.DecodeRune(v[i:])
		if r == utf8.RuneError && size <= 1 {
			return i
		}
		i += size
	}
	return -1
}

// tagError describes a tag that could not be read at the start of rest; n is ConsumeTag's
// error code.
func tagError(rest []byte, at, n int) *ValidationError {
	v, m := protowire.ConsumeVarint(rest)
	switch {
	case m < 0:
		return failf(at, "field tag: %s", varintProblem(m))
	case v>>3 == 0:
		return failf(at, "field tag 0x%x has field number 0 (field numbers start at 1)", v)
	default:
		return failf(at, "field tag has field number %d, above the maximum %d", v>>3, protowire.MaxValidNumber)
	}
}

// endGroupError describes an end-group tag for num where the open group is group (0: none).
func endGroupError(at int, num, group protowire.Number) *ValidationError {
	if group == 0 {
		return failf(at, "end-group tag for field %d without a matching start-group", num)
	}
	return failf(at, "end-group tag for field %d inside group field %d", num, group)
}

// varintProblem names why ConsumeVarint failed with code n.
func varintProblem(n int) string {
	if protowire.ParseError(n) == io.ErrUnexpectedEOF {
		return "varint cut off by the end of the data"
	}
	return "varint longer than 10 bytes or above 64 bits"
}

// lengthProblem names why the length-delimited value at the start of rest is malformed.
func lengthProblem(rest []byte) string {
	l, n := protowire.ConsumeVarint(rest)
	if n < 0 {
		return "length prefix: " + varintProblem(n)
	}
	left := len(rest) - n
	unit := "bytes"
	if left == 1 {
		unit = "byte"
	}
	return fmt.Sprintf("length %d runs past the end of the data: only %d %s left", l, left, unit)
}

func depthProblem() string {
	return fmt.Sprintf("messages nest deeper than %d levels", MaxDepth)
}

// wrongWire describes a record of wire type typ for field f.
func wrongWire(f *fieldPlan, typ protowire.Type) string {
	want := wireName(f.wire)
	if f.packable {
		want += ", or 2 (length-delimited) when packed"
	}
	what := f.kind.String()
	if f.kind == protoreflect.MessageKind && f.msg != nil && f.msg.md.IsMapEntry() {
		what = "map"
	}
	article := "a"
	if what[0] == 'i' || what[0] == 'e' { // int32, int64, enum
		article = "an"
	}
	return fmt.Sprintf("wire type %s does not fit %s %s field; expected %s", wireName(typ), article, what, want)
}

// wireName names a wire type for error messages.
func wireName(t protowire.Type) string {
	switch t {
	case protowire.VarintType:
		return "0 (varint)"
	case protowire.Fixed64Type:
		return "1 (fixed64)"
	case protowire.BytesType:
		return "2 (length-delimited)"
	case protowire.StartGroupType:
		return "3 (start-group)"
	case protowire.EndGroupType:
		return "4 (end-group)"
	case protowire.Fixed32Type:
		return "5 (fixed32)"
	}
	return fmt.Sprintf("%d (invalid)", t)
}
