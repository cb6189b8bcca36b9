package meta

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"testing"
)

// smallKey keys come from a small range, so random operations often hit
// keys that exist: sets replace, deletes find, nodes split and fold. The
// collision lists are covered by TestPmapCollisions.
type smallKey uint16

func checkPmap[K comparable](t *testing.T, m pmap[K, int], want map[K]int) {
	t.Helper()
	if m.Len() != len(want) {
		t.Fatalf("Len %d, want %d", m.Len(), len(want))
	}
	got := maps.Collect(m.All())
	if !maps.Equal(got, want) {
		t.Fatalf("All differs: %d keys, want %d", len(got), len(want))
	}
	for k, v := range want {
		if g, ok := m.Get(k); !ok || g != v {
			t.Fatalf("Get(%v) = %d, %v; want %d", k, g, ok, v)
		}
	}
}

// TestPmap runs random Sets and Deletes against a Go map, editing in
// batches as Append does, and checks that every older version is
// unchanged by later edits.
func TestPmap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	type version struct {
		m    pmap[smallKey, int]
		want map[smallKey]int
	}
	m := newPmap[smallKey, int]()
	want := map[smallKey]int{}
	var old []version
	for batch := range 400 {
		m = m.edit()
		for range 1 + r.IntN(20) {
			k := smallKey(r.IntN(300))
			if r.IntN(3) == 0 {
				m = m.Delete(k)
				delete(want, k)
			} else {
				m = m.Set(k, batch)
				want[k] = batch
			}
		}
		checkPmap(t, m, want)
		old = append(old, version{m, maps.Clone(want)})
	}
	for i, v := range old {
		t.Run(fmt.Sprint("version", i), func(t *testing.T) { checkPmap(t, v.m, v.want) })
	}
	for k := range want {
		m = m.Delete(k)
	}
	if m.Len() != 0 || m.root != nil {
		t.Fatalf("emptied map: len %d, root %v", m.Len(), m.root)
	}
}

// TestPmapCollisions drives keys with equal full hashes into the
// collision lists by building nodes below pMaxShift by hand.
func TestPmapCollisions(t *testing.T) {
	m := newPmap[string, int]()
	own := m.own
	var root *pnode[string, int]
	for i := range 5 {
		l := &pleaf[string, int]{hash: 42, key: fmt.Sprint("k", i), val: i}
		if root == nil {
			root = &pnode[string, int]{own: own}
		}
		root, _ = root.set(own, 0, l)
	}
	find := func(k string) (int, bool) {
		n := root
		for shift := uint(0); ; shift += pBits {
			if n == nil {
				return 0, false
			}
			if shift >= pMaxShift {
				for _, l := range n.coll {
					if l.key == k {
						return l.val, true
					}
				}
				return 0, false
			}
			if len(n.slots) != 1 {
				t.Fatalf("shift %d: %d slots", shift, len(n.slots))
			}
			if n.slots[0].leaf != nil {
				if n.slots[0].leaf.key == k {
					return n.slots[0].leaf.val, true
				}
				return 0, false
			}
			n = n.slots[0].sub
		}
	}
	for i := range 5 {
		if v, ok := find(fmt.Sprint("k", i)); !ok || v != i {
			t.Fatalf("k%d: %d, %v", i, v, ok)
		}
	}
	// Deleting all but one folds the chain back into a single leaf.
	for i := range 4 {
		var ok bool
		root, ok = root.del(own, 0, 42, fmt.Sprint("k", i))
		if !ok {
			t.Fatalf("del k%d missed", i)
		}
	}
	if v, ok := find("k4"); !ok || v != 4 {
		t.Fatalf("k4 after deletes: %d, %v", v, ok)
	}
	if len(root.slots) != 1 || root.slots[0].leaf == nil {
		t.Fatalf("chain not folded: %+v", root.slots)
	}
	if root, ok := root.del(own, 0, 42, "k4"); !ok || root != nil {
		t.Fatalf("last delete: %v, %v", root, ok)
	}
}
