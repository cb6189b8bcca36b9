package protobuf

import (
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// compareField compares two fields with the same number at the current path.
func (d *differ) compareField(of, nf protoreflect.FieldDescriptor) {
	if of.Name() != nf.Name() {
		d.add(FieldNameChanged)
	}
	d.compareType(of, nf, label(of), label(nf))
}

// kind is how Confluent groups field types: a change between kinds is FIELD_KIND_CHANGED.
type kind int

const (
	kindScalar kind = iota // numbers, bool, string, bytes and enums
	kindMessage
	kindMap
)

func kindOf(f protoreflect.FieldDescriptor) kind {
	switch {
	case f.IsMap():
		return kindMap
	case f.Kind() == protoreflect.MessageKind || f.Kind() == protoreflect.GroupKind:
		return kindMessage
	}
	return kindScalar
}

// scalarGroup is a set of scalar types that share a wire encoding, so that data written as
// one reads as another (protobuf's "updating a message type" rules).
type scalarGroup int

const (
	groupVarint  scalarGroup = iota // int32 int64 uint32 uint64 bool enum
	groupZigZag                     // sint32 sint64
	groupLength                     // string bytes
	groupFixed32                    // fixed32 sfixed32
	groupFixed64                    // fixed64 sfixed64
	groupFloat
	groupDouble
)

func scalarGroupOf(k protoreflect.Kind) scalarGroup {
	switch k {
	case protoreflect.Sint32Kind, protoreflect.Sint64Kind:
		return groupZigZag
	case protoreflect.StringKind, protoreflect.BytesKind:
		return groupLength
	case protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind:
		return groupFixed32
	case protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind:
		return groupFixed64
	case protoreflect.FloatKind:
		return groupFloat
	case protoreflect.DoubleKind:
		return groupDouble
	}
	return groupVarint
}

// label is the label a field is written with: "repeated", "required", "optional", or "" for
// none (proto3 singular fields, oneof members, map fields, map keys and values).
func label(f protoreflect.FieldDescriptor) string {
	switch {
	case f.IsMap():
		return ""
	case f.Cardinality() == protoreflect.Repeated:
		return "repeated"
	case f.Cardinality() == protoreflect.Required:
		return "required"
	}
	if o := f.ContainingOneof(); o != nil {
		if o.IsSynthetic() {
			return "optional"
		}
		return ""
	}
	if f.ParentFile() != nil && f.ParentFile().Syntax() == protoreflect.Proto2 {
		return "optional"
	}
	return ""
}

// compareType compares the types of two fields (or map keys or values) at the current path;
// labels are compared for scalars when both are written.
func (d *differ) compareType(of, nf protoreflect.FieldDescriptor, ol, nl string) {
	ok, nk := kindOf(of), kindOf(nf)
	if ok != nk {
		d.add(FieldKindChanged)
		return
	}
	switch ok {
	case kindScalar:
		og := scalarGroupOf(of.Kind())
		if og != scalarGroupOf(nf.Kind()) {
			d.add(FieldScalarKindChanged)
			return
		}
		if ol == "" || nl == "" || ol == nl {
			return
		}
		if og == groupLength {
			d.add(FieldStringOrBytesLabelChanged)
		} else {
			d.add(FieldNumericLabelChanged)
		}
	case kindMap:
		d.compareType(of.MapKey(), nf.MapKey(), "", "")
		d.compareType(of.MapValue(), nf.MapValue(), "", "")
	case kindMessage:
		d.compareMessageType(of.Message(), nf.Message())
	}
}

// localName is a type's full name without its file's package: the name Confluent compares.
func localName(m protoreflect.MessageDescriptor) string {
	full := string(m.FullName())
	if f := m.ParentFile(); f != nil && f.Package() != "" {
		return strings.TrimPrefix(full, string(f.Package())+".")
	}
	return full
}

// compareMessageType compares the message types two fields name. Same local names are the same
// type, unless they come from imported files with different references: then the messages are
// compared at their own path and a disallowed difference there changes the field's type too.
func (d *differ) compareMessageType(om, nm protoreflect.MessageDescriptor) {
	if om == nil || nm == nil {
		if om != nm {
			d.add(FieldNamedTypeChanged)
		}
		return
	}
	name := localName(om)
	if name != localName(nm) {
		d.add(FieldNamedTypeChanged)
		return
	}
	oRef, oOK := d.old.refOf(filePath(om))
	nRef, nOK := d.new.refOf(filePath(nm))
	if oOK && nOK && oRef == nRef {
		return
	}
	sub := &differ{old: d.old, new: d.new, path: strings.Split(name, "."), active: d.active}
	sub.compareMessage(om, nm)
	d.changes = append(d.changes, sub.changes...)
	for _, c := range sub.changes {
		if !c.Compatible {
			d.add(FieldNamedTypeChanged)
			return
		}
	}
}

// filePath is the path of the file declaring m.
func filePath(m protoreflect.MessageDescriptor) string {
	if f := m.ParentFile(); f != nil {
		return f.Path()
	}
	return ""
}
