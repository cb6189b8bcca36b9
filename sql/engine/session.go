package engine

import "github.com/streamlite/streamlite/sql/types"

// sessionWindow is a SESSION window: records of a key closer than gap
// join one session.
type sessionWindow struct {
	gap, grace int64
}

// session is one session of a group: [start, end] and its aggregates.
type session struct {
	start, end int64
	accs       []any
}

// sessionGroup is a group's key and its open sessions.
type sessionGroup struct {
	key      []types.Value
	sessions []*session
}

// updateSession folds a record at ts into its group's sessions: every
// session within the gap of ts merges with it into one. The merged ones are
// deleted (a tombstone each, in the order found) and the new session
// written, as Kafka Streams' session aggregation forwards them.
func (aq *aggQuery) updateSession(row []types.Value, ts int64) ([]windowedOut, error) {
	sw := aq.session
	if ts > aq.streamTime {
		aq.streamTime = ts
		aq.log.touch(stStreamTime, 0)
		aq.evictClosed()
	}
	key := make([]types.Value, len(aq.groups))
	h := uint64(0)
	for i, g := range aq.groups {
		v, err := g.Eval(row)
		if err != nil {
			return nil, err
		}
		if v == nil {
			return nil, nil
		}
		key[i] = v
		h = h*31 + types.Hash(v)
	}
	if ts+sw.gap+sw.grace < aq.streamTime {
		aq.late.Add(1)
		return nil, nil // too late for any session it could join
	}
	aq.log.touch(stSessions, h)
	var g *sessionGroup
	for _, s := range aq.sessions[h] {
		if equalRow(s.key, key) {
			g = s
			break
		}
	}
	if g == nil {
		g = &sessionGroup{key: key}
		aq.sessions[h] = append(aq.sessions[h], g)
	}
	merged := &session{start: ts, end: ts, accs: make([]any, len(aq.aggs))}
	var out []windowedOut
	kept := g.sessions[:0:0]
	for _, s := range g.sessions {
		if s.end+sw.gap < ts || s.start-sw.gap > ts {
			kept = append(kept, s)
			continue
		}
		merged.start, merged.end = min(merged.start, s.start), max(merged.end, s.end)
		for i, ag := range aq.aggs {
			m, err := ag.merge(merged.accs[i], s.accs[i])
			if err != nil {
				return nil, err
			}
			merged.accs[i] = m
		}
		out = append(out, windowedOut{key: g.key, start: s.start, end: s.end})
	}
	for i, ag := range aq.aggs {
		var v types.Value
		if ag.arg != nil {
			var err error
			if v, err = ag.arg.Eval(row); err != nil {
				return nil, err
			}
		}
		acc, err := ag.fold(merged.accs[i], v)
		if err != nil {
			return nil, err
		}
		merged.accs[i] = acc
	}
	g.sessions = append(kept, merged)
	val, err := aq.outputRow(g.key, merged.accs, merged.start, merged.end)
	if err != nil {
		return nil, err
	}
	if aq.having != nil {
		// A new session failing HAVING was never written: nothing to delete.
		pass, err := aq.having.Eval(aq.postRow(g.key, merged.accs))
		if err != nil {
			return nil, err
		}
		if pass != true {
			return out, nil
		}
	}
	return append(out, windowedOut{key: g.key, start: merged.start, end: merged.end, val: val}), nil
}

// merge combines two accumulators of one aggregate (session merging).
func (ag aggregator) merge(a, b any) (any, error) {
	if a == nil {
		return b, nil
	}
	if b == nil {
		return a, nil
	}
	switch ag.name {
	case "COUNT":
		return a.(int64) + b.(int64), nil
	case "SUM":
		return types.Arith(types.OpAdd, a, b, ag.typ, ag.typ)
	case "MIN", "MAX":
		c, err := types.Compare(b, a)
		if err != nil {
			return nil, err
		}
		if (ag.name == "MIN" && c < 0) || (ag.name == "MAX" && c > 0) {
			return b, nil
		}
		return a, nil
	case "COLLECT_LIST":
		return append(append([]types.Value(nil), a.([]types.Value)...), b.([]types.Value)...), nil
	}
	return ag.mergeMore(a, b)
}
