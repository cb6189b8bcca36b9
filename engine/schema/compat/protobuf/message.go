package protobuf

import (
	"slices"
	"strconv"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// fieldSet is a message's fields by number, with the real oneof (if any) each belongs to.
type fieldSet struct {
	byNum   map[protoreflect.FieldNumber]protoreflect.FieldDescriptor
	oneofOf map[protoreflect.FieldNumber]string
	oneofs  map[string]protoreflect.OneofDescriptor
	order   []protoreflect.OneofDescriptor // real oneofs in declaration order
}

// fieldsOf collects m's fields. Synthetic oneofs (proto3 "optional") are not oneofs here.
func fieldsOf(m protoreflect.MessageDescriptor) fieldSet {
	s := fieldSet{
		byNum:   map[protoreflect.FieldNumber]protoreflect.FieldDescriptor{},
		oneofOf: map[protoreflect.FieldNumber]string{},
		oneofs:  map[string]protoreflect.OneofDescriptor{},
	}
	fs := m.Fields()
	for i := range fs.Len() {
		f := fs.Get(i)
		s.byNum[f.Number()] = f
		if o := f.ContainingOneof(); o != nil && !o.IsSynthetic() {
			s.oneofOf[f.Number()] = string(o.Name())
		}
	}
	os := m.Oneofs()
	for i := range os.Len() {
		if o := os.Get(i); !o.IsSynthetic() {
			s.oneofs[string(o.Name())] = o
			s.order = append(s.order, o)
		}
	}
	return s
}

// compareMessage compares two messages with the same name at the current path: their
// fields, oneofs and nested types. A message already being compared higher up the walk is
// skipped, so recursive types end.
func (d *differ) compareMessage(om, nm protoreflect.MessageDescriptor) {
	if d.active[om] {
		return
	}
	d.active[om] = true
	defer delete(d.active, om)

	o, n := fieldsOf(om), fieldsOf(nm)
	d.checkOneofMembership(o, n)

	// Oneofs removed as a whole: none of their members is left anywhere in the new message.
	goneWhole := map[string]bool{}
	for name, oo := range o.oneofs {
		if _, ok := n.oneofs[name]; ok {
			continue
		}
		survives := false
		fs := oo.Fields()
		for i := range fs.Len() {
			if _, ok := n.byNum[fs.Get(i).Number()]; ok {
				survives = true
			}
		}
		if !survives {
			goneWhole[name] = true
		}
	}
	for _, name := range unionNames(o.oneofs, n.oneofs) {
		if _, ok := n.oneofs[name]; !ok {
			d.add(OneofRemoved, name)
		} else if _, ok := o.oneofs[name]; !ok {
			d.add(OneofAdded, name)
		}
	}

	for _, num := range unionNumbers(o.byNum, n.byNum) {
		of, nf := o.byNum[num], n.byNum[num]
		oOneof, nOneof := o.oneofOf[num], n.oneofOf[num]
		tok := strconv.Itoa(int(num))
		switch {
		case nf == nil && oOneof != "":
			if !goneWhole[oOneof] {
				d.add(OneofFieldRemoved, oOneof, tok)
			}
		case nf == nil && of.Cardinality() == protoreflect.Required:
			d.add(RequiredFieldRemoved, tok)
		case nf == nil:
			d.add(FieldRemoved, tok)
		case of == nil && nOneof != "":
			d.add(OneofFieldAdded, nOneof, tok)
		case of == nil && nf.Cardinality() == protoreflect.Required:
			d.add(RequiredFieldAdded, tok)
		case of == nil:
			d.add(FieldAdded, tok)
		default:
			if oOneof != "" && nOneof == "" {
				d.add(OneofFieldMovedToTopLevel, tok)
			}
			if nOneof != "" {
				d.push(nOneof)
			}
			d.push(tok)
			d.compareField(of, nf)
			d.pop()
			if nOneof != "" {
				d.pop()
			}
		}
	}

	d.compareTypes(om, nm)
}

// checkOneofMembership reports new oneofs that make formerly independent fields mutually
// exclusive. Members that existed before each come from an origin: their old oneof, or
// themselves when they were top-level; new members have none. More than one origin in a new
// oneof means data written with the old schema may set two of its members at once.
func (d *differ) checkOneofMembership(o, n fieldSet) {
	for _, no := range n.order {
		origins := map[string]bool{}
		movedTop := 0
		fs := no.Fields()
		for i := range fs.Len() {
			num := fs.Get(i).Number()
			if name, ok := o.oneofOf[num]; ok {
				origins["oneof "+name] = true
			} else if _, ok := o.byNum[num]; ok {
				origins["field "+strconv.Itoa(int(num))] = true
				movedTop++
			}
		}
		if len(origins) <= 1 {
			continue
		}
		if movedTop > 1 {
			d.add(MultipleFieldsMovedToOneof, string(no.Name()))
		} else {
			d.add(FieldMovedToExistingOneof, string(no.Name()))
		}
	}
}

// unionNumbers returns the field numbers of a and b, ascending.
func unionNumbers(a, b map[protoreflect.FieldNumber]protoreflect.FieldDescriptor) []protoreflect.FieldNumber {
	nums := make([]protoreflect.FieldNumber, 0, len(a)+len(b))
	for k := range a {
		nums = append(nums, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			nums = append(nums, k)
		}
	}
	slices.Sort(nums)
	return nums
}
