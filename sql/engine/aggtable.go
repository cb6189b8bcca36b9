package engine

import "github.com/streamlite/streamlite/sql/types"

// Aggregation over a table: the helpers processTableAgg uses.

// groupKey evaluates row's grouping expressions; ok is false when one is
// null (the row joins no group).
func (aq *aggQuery) groupKey(row []types.Value) (key []types.Value, h uint64, ok bool, err error) {
	key = make([]types.Value, len(aq.groups))
	for i, g := range aq.groups {
		v, err := g.Eval(row)
		if err != nil || v == nil {
			return nil, 0, false, err
		}
		key[i] = v
		h = h*31 + types.Hash(v)
	}
	return key, h, true, nil
}

// sameGroup reports whether the table rows old and row (nil for none)
// belong to the same group.
func (aq *aggQuery) sameGroup(old, row []types.Value) bool {
	if row == nil {
		return false
	}
	a, _, okA, errA := aq.groupKey(old)
	b, _, okB, errB := aq.groupKey(row)
	return okA && okB && errA == nil && errB == nil && equalRow(a, b)
}

// havingRetracted applies HAVING to the row retract returned for the
// group with key: a group that no longer passes is deleted (a tombstone)
// if it was shown, and not written at all if it was not.
func (aq *aggQuery) havingRetracted(key, val []types.Value) ([]types.Value, []types.Value, bool, error) {
	if aq.having == nil {
		return key, val, true, nil
	}
	var h uint64
	for _, v := range key {
		h = h*31 + types.Hash(v)
	}
	for _, gs := range aq.state[h] {
		if gs.start != 0 || !equalRow(gs.key, key) {
			continue
		}
		pass, err := aq.having.Eval(aq.postRow(gs.key, gs.accs))
		if err != nil {
			return nil, nil, false, err
		}
		if pass == true {
			gs.shown = true
			return key, val, true, nil
		}
		if !gs.shown {
			return nil, nil, false, nil
		}
		gs.shown = false
		return key, nil, true, nil
	}
	return key, val, true, nil
}
