package protobuf

import (
	"sync"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"

	"github.com/bufbuild/protocompile/protoutil"
)

// denseLimit bounds the field numbers a message plan indexes by slice position; larger
// numbers (rare: extensions, sparse numbering) go to a map.
const denseLimit = 512

// maxRequired is how many required fields per message Validate tracks (a bit each in a
// uint64); required fields past the 64th are not checked.
const maxRequired = 64

// wireTables is what Validate walks instead of the descriptors: every message of the schema's
// files with its fields by number, resolved once. Built on first use; read-only after, so
// any number of goroutines may validate with one Schema.
type wireTables struct {
	once sync.Once
	top  []*msgPlan // the schema file's top-level messages, in declaration order
}

// msgPlan is one message type as the wire walk needs it.
type msgPlan struct {
	md       protoreflect.MessageDescriptor
	name     string       // full name, for errors
	nested   []*msgPlan   // md.Messages() in order, map entries included
	dense    []*fieldPlan // by field number below denseLimit
	sparse   map[protowire.Number]*fieldPlan
	required []*fieldPlan // required fields; bit i of the seen mask is required[i]
}

// fieldPlan is one field (or extension) of a message.
type fieldPlan struct {
	name     string // field name, "[full.name]" for an extension
	num      protowire.Number
	kind     protoreflect.Kind
	wire     protowire.Type // wire type of one element
	repeated bool           // a list or a map: path elements get an index
	packable bool           // repeated numeric scalar: a length-delimited record is packed
	utf8     bool           // string whose bytes must be valid UTF-8
	reqBit   int            // index into msgPlan.required, -1 when not required
	msg      *msgPlan       // message and group kinds; nil (content unchecked) if the type is unknown
}

// field returns the field numbered num, or nil.
func (m *msgPlan) field(num protowire.Number) *fieldPlan {
	if uint(num) < uint(len(m.dense)) {
		return m.dense[num]
	}
	return m.sparse[num]
}

// tables returns the schema's wire tables, building them on the first call.
func (s *Schema) tables() *wireTables {
	s.wire.once.Do(func() { s.wire.top = buildTables(s.file) })
	return &s.wire
}

// buildTables plans every message of file and of the files it imports (transitively, so
// field types and extensions from imports resolve), then returns file's top-level plans.
func buildTables(file protoreflect.FileDescriptor) []*msgPlan {
	b := tableBuilder{plans: map[protoreflect.FullName]*msgPlan{}, seen: map[string]bool{}}
	b.collectFile(file)
	for _, p := range b.order {
		b.fill(p)
	}
	for _, x := range b.exts {
		if p := b.plans[x.ContainingMessage().FullName()]; p != nil {
			b.add(p, b.planField(x))
		}
	}
	top := make([]*msgPlan, file.Messages().Len())
	for i := range top {
		top[i] = b.plans[file.Messages().Get(i).FullName()]
	}
	return top
}

// tableBuilder holds the state of one buildTables run.
type tableBuilder struct {
	plans map[protoreflect.FullName]*msgPlan
	order []*msgPlan
	exts  []protoreflect.ExtensionDescriptor
	seen  map[string]bool // file paths already collected
}

// collectFile creates an empty plan for every message of f and its imports and gathers
// their extensions.
func (b *tableBuilder) collectFile(f protoreflect.FileDescriptor) {
	if f == nil || f.IsPlaceholder() || b.seen[f.Path()] {
		return
	}
	b.seen[f.Path()] = true
	imps := f.Imports()
	for i := range imps.Len() {
		b.collectFile(imps.Get(i).FileDescriptor)
	}
	b.collectExts(f.Extensions())
	ms := f.Messages()
	for i := range ms.Len() {
		b.collectMessage(ms.Get(i))
	}
}

// collectMessage creates m's plan and its nested messages' plans.
func (b *tableBuilder) collectMessage(m protoreflect.MessageDescriptor) *msgPlan {
	p := &msgPlan{md: m, name: string(m.FullName())}
	b.plans[m.FullName()] = p
	b.order = append(b.order, p)
	b.collectExts(m.Extensions())
	ms := m.Messages()
	p.nested = make([]*msgPlan, ms.Len())
	for i := range ms.Len() {
		p.nested[i] = b.collectMessage(ms.Get(i))
	}
	return p
}

func (b *tableBuilder) collectExts(xs protoreflect.ExtensionDescriptors) {
	for i := range xs.Len() {
		b.exts = append(b.exts, xs.Get(i))
	}
}

// fill plans p's own fields.
func (b *tableBuilder) fill(p *msgPlan) {
	fs := p.md.Fields()
	for i := range fs.Len() {
		fd := fs.Get(i)
		f := b.planField(fd)
		if fd.Cardinality() == protoreflect.Required && len(p.required) < maxRequired {
			f.reqBit = len(p.required)
			p.required = append(p.required, f)
		}
		b.add(p, f)
	}
}

// add indexes f in p by number.
func (b *tableBuilder) add(p *msgPlan, f *fieldPlan) {
	if f.num >= denseLimit {
		if p.sparse == nil {
			p.sparse = map[protowire.Number]*fieldPlan{}
		}
		p.sparse[f.num] = f
		return
	}
	if int(f.num) >= len(p.dense) {
		p.dense = append(p.dense, make([]*fieldPlan, int(f.num)+1-len(p.dense))...)
	}
	p.dense[f.num] = f
}

// planField describes fd for the wire walk.
func (b *tableBuilder) planField(fd protoreflect.FieldDescriptor) *fieldPlan {
	f := &fieldPlan{
		name:     string(fd.Name()),
		num:      fd.Number(),
		kind:     fd.Kind(),
		repeated: fd.Cardinality() == protoreflect.Repeated,
		reqBit:   -1,
	}
	if fd.IsExtension() {
		f.name = "[" + string(fd.FullName()) + "]"
	}
	switch f.kind {
	case protoreflect.BoolKind, protoreflect.EnumKind,
		protoreflect.Int32Kind, protoreflect.Int64Kind, protoreflect.Uint32Kind, protoreflect.Uint64Kind,
		protoreflect.Sint32Kind, protoreflect.Sint64Kind:
		f.wire = protowire.VarintType
		f.packable = f.repeated
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind, protoreflect.FloatKind:
		f.wire = protowire.Fixed32Type
		f.packable = f.repeated
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind, protoreflect.DoubleKind:
		f.wire = protowire.Fixed64Type
		f.packable = f.repeated
	case protoreflect.StringKind:
		f.wire = protowire.BytesType
		f.utf8 = enforceUTF8(fd)
	case protoreflect.BytesKind:
		f.wire = protowire.BytesType
	case protoreflect.MessageKind:
		f.wire = protowire.BytesType
		f.msg = b.plans[fd.Message().FullName()]
	case protoreflect.GroupKind:
		f.wire = protowire.StartGroupType
		f.msg = b.plans[fd.Message().FullName()]
	default:
		// No kind the compiler produces; a record of it will not match f.wire (-1).
		f.wire = -1
	}
	return f
}

// utf8Feature is FeatureSet.utf8_validation, resolved per field with protoutil.
var utf8Feature = (&descriptorpb.FeatureSet{}).ProtoReflect().Descriptor().Fields().ByName("utf8_validation")

// enforceUTF8 reports whether a string field's bytes must be valid UTF-8: the resolved
// utf8_validation feature (VERIFY for proto3 and editions by default, NONE for proto2), or
// the file syntax when the feature cannot be resolved.
func enforceUTF8(fd protoreflect.FieldDescriptor) bool {
	if utf8Feature != nil {
		if v, err := protoutil.ResolveFeature(fd, utf8Feature); err == nil && v.IsValid() {
			return descriptorpb.FeatureSet_Utf8Validation(v.Enum()) == descriptorpb.FeatureSet_VERIFY
		}
	}
	return fd.Syntax() == protoreflect.Proto3
}
