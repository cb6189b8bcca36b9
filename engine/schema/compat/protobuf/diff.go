package protobuf

import (
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// Backward reports the changes from previous to next, and whether next can read data written
// with previous (Confluent's BACKWARD check): compatible iff every change is allowed. A nil
// schema is never compatible and yields no changes.
func Backward(previous, next *Schema) (compatible bool, changes []Change) {
	if previous == nil || next == nil || previous.file == nil || next.file == nil {
		return false, nil
	}
	d := &differ{old: previous, new: next, active: map[protoreflect.MessageDescriptor]bool{}}
	if previous.file.Package() != next.file.Package() {
		d.add(PackageChanged)
	}
	d.compareTypes(previous.file, next.file)
	compatible = true
	for _, c := range d.changes {
		if !c.Compatible {
			compatible = false
		}
	}
	return compatible, d.changes
}

// differ is one walk over a pair of schemas. Sub-walks (messages from imported files) share
// active, the messages being compared, so recursive types end.
type differ struct {
	old, new *Schema
	path     []string
	active   map[protoreflect.MessageDescriptor]bool
	changes  []Change
}

// add records a change of type typ at the current path plus extra tokens.
func (d *differ) add(typ string, extra ...string) {
	p := "#/" + strings.Join(append(slices.Clip(d.path), extra...), "/")
	d.changes = append(d.changes, Change{Type: typ, Path: p, Compatible: Allowed(typ)})
}

// push enters a path token; pop leaves it.
func (d *differ) push(tok string) { d.path = append(d.path, tok) }
func (d *differ) pop()            { d.path = d.path[:len(d.path)-1] }

// container is a file or a message: something holding messages and enums.
type container interface {
	Messages() protoreflect.MessageDescriptors
	Enums() protoreflect.EnumDescriptors
}

// compareTypes compares the messages and enums declared directly in o and n, by name.
func (d *differ) compareTypes(o, n container) {
	oMsgs, oIdx := messagesByName(o)
	nMsgs, nIdx := messagesByName(n)
	for _, name := range unionNames(oMsgs, nMsgs) {
		om, nm := oMsgs[name], nMsgs[name]
		d.push(name)
		switch {
		case nm == nil:
			d.add(MessageRemoved)
		case om == nil:
			d.add(MessageAdded)
		default:
			d.compareMessage(om, nm)
			if oIdx[name] != nIdx[name] {
				d.add(MessageMoved)
			}
		}
		d.pop()
	}
	oEnums, nEnums := enumsByName(o), enumsByName(n)
	for _, name := range unionNames(oEnums, nEnums) {
		oe, ne := oEnums[name], nEnums[name]
		d.push(name)
		switch {
		case ne == nil:
			d.add(EnumRemoved)
		case oe == nil:
			d.add(EnumAdded)
		default:
			d.compareEnum(oe, ne)
		}
		d.pop()
	}
}

// messagesByName indexes c's messages, map entries left out, with their position among them.
func messagesByName(c container) (map[string]protoreflect.MessageDescriptor, map[string]int) {
	byName := map[string]protoreflect.MessageDescriptor{}
	index := map[string]int{}
	ms := c.Messages()
	for i := range ms.Len() {
		m := ms.Get(i)
		if m.IsMapEntry() {
			continue
		}
		name := string(m.Name())
		index[name] = len(byName)
		byName[name] = m
	}
	return byName, index
}

// enumsByName indexes c's enums.
func enumsByName(c container) map[string]protoreflect.EnumDescriptor {
	byName := map[string]protoreflect.EnumDescriptor{}
	es := c.Enums()
	for i := range es.Len() {
		byName[string(es.Get(i).Name())] = es.Get(i)
	}
	return byName
}

// unionNames returns the keys of a and b, sorted.
func unionNames[V any](a, b map[string]V) []string {
	names := make([]string, 0, len(a)+len(b))
	for k := range a {
		names = append(names, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	return names
}

// compareEnum compares two enums' constants by number.
func (d *differ) compareEnum(o, n protoreflect.EnumDescriptor) {
	oc, nc := constantsByNumber(o), constantsByNumber(n)
	nums := make([]protoreflect.EnumNumber, 0, len(oc)+len(nc))
	for k := range oc {
		nums = append(nums, k)
	}
	for k := range nc {
		if _, ok := oc[k]; !ok {
			nums = append(nums, k)
		}
	}
	slices.Sort(nums)
	for _, num := range nums {
		on, inOld := oc[num]
		nn, inNew := nc[num]
		tok := strconv.Itoa(int(num))
		switch {
		case !inNew:
			d.add(EnumConstRemoved, tok)
		case !inOld:
			d.add(EnumConstAdded, tok)
		case on != nn:
			d.add(EnumConstChanged, tok)
		}
	}
}

// constantsByNumber maps each number to its first constant's name (aliases share numbers).
func constantsByNumber(e protoreflect.EnumDescriptor) map[protoreflect.EnumNumber]string {
	out := map[protoreflect.EnumNumber]string{}
	vs := e.Values()
	for i := range vs.Len() {
		v := vs.Get(i)
		if _, ok := out[v.Number()]; !ok {
			out[v.Number()] = string(v.Name())
		}
	}
	return out
}
