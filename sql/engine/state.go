package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"

	"github.com/streamlite/streamlite/sql/types"
)

// State persistence. A query's operator state lives in maps bucketed by a
// hash of the key (a hash collision shares a bucket). When the runtime
// turns persistence on, every change marks its bucket dirty; FlushState
// writes each dirty bucket whole as one changelog entry (key: the map's
// kind byte and the bucket's hash; value: the bucket encoded, nil once it
// is empty), and RestoreState puts an entry back. Compaction then keeps
// exactly the latest version of every bucket.

// Kinds of state entries: which map of which operator a bucket belongs to.
const (
	stGroups     = 'g' // aggQuery.state
	stSessions   = 's' // aggQuery.sessions
	stTableRows  = 'r' // aggQuery.tableRows (string-keyed)
	stStreamTime = 'T' // aggQuery.streamTime
	stJoinTable  = 't' // joinQuery.table
	stJoinLeft   = 'l' // joinQuery.leftRows
	stJoinShown  = 'w' // joinQuery.shown
	stLeftBuf    = 'a' // joinQuery.leftBuf
	stRightBuf   = 'b' // joinQuery.rightBuf
	stPendLeft   = 'p' // joinQuery.pendLeft
	stPendRight  = 'q' // joinQuery.pendRight
	stJoinTimes  = 'J' // joinQuery.times
	stFKIndex    = 'f' // joinQuery.fkIndex
)

// stateKey names one bucket: a kind and either a hash or, for
// string-keyed maps, a string. node numbers the join of an n-way join the
// bucket belongs to (0: the query's top join; see joinQuery.nodes).
type stateKey struct {
	kind byte
	h    uint64
	s    string
	node uint8
}

// stateLog collects the buckets changed since the last flush. A nil
// stateLog (driver mode) records nothing. The joins of an n-way join
// share one dirty set through a stateLog each, with their node number.
type stateLog struct {
	dirty map[stateKey]struct{}
	node  uint8
}

func (l *stateLog) touch(kind byte, h uint64) {
	if l != nil {
		l.dirty[stateKey{kind: kind, h: h, node: l.node}] = struct{}{}
	}
}

func (l *stateLog) touchString(kind byte, s string) {
	if l != nil {
		l.dirty[stateKey{kind: kind, s: s}] = struct{}{}
	}
}

// encode is the changelog key of k: the kind, then the string or the
// hash, then the node when it is not 0.
func (k stateKey) encode() []byte {
	if k.kind == stTableRows {
		return append([]byte{k.kind}, k.s...)
	}
	b := binary.BigEndian.AppendUint64([]byte{k.kind}, k.h)
	if k.node != 0 {
		b = append(b, k.node)
	}
	return b
}

func decodeStateKey(b []byte) (stateKey, error) {
	if len(b) == 0 {
		return stateKey{}, errors.New("empty state key")
	}
	k := stateKey{kind: b[0]}
	if k.kind == stTableRows {
		k.s = string(b[1:])
		return k, nil
	}
	if len(b) == 10 && b[9] != 0 {
		k.node = b[9]
	} else if len(b) != 9 {
		return stateKey{}, fmt.Errorf("state key of kind %q is %d bytes, want 9", k.kind, len(b))
	}
	k.h = binary.BigEndian.Uint64(b[1:9])
	return k, nil
}

// enableState turns on change tracking for q's operators.
func (q *query) enableState() {
	if q.state != nil {
		return
	}
	q.state = &stateLog{dirty: map[stateKey]struct{}{}}
	if q.agg != nil {
		q.agg.log = q.state
	}
	for i, n := range q.join.nodes() {
		n.log = &stateLog{dirty: q.state.dirty, node: uint8(i)}
	}
}

// flushState calls fn with the changelog entry of every bucket changed
// since the last flush (value nil for a bucket now empty) and forgets them.
func (q *query) flushState(fn func(key, value []byte) error) error {
	if q.state == nil {
		return nil
	}
	for k := range q.state.dirty {
		v, err := q.encodeBucket(k)
		if err != nil {
			return fmt.Errorf("query %s: persisting state: %w", q.id, err)
		}
		if err := fn(k.encode(), v); err != nil {
			return err
		}
	}
	clear(q.state.dirty)
	return nil
}

// encodeBucket encodes the bucket k names, nil when it is empty.
func (q *query) encodeBucket(k stateKey) ([]byte, error) {
	var w stateWriter
	aq, jq := q.agg, q.joinNode(k.node)
	switch k.kind {
	case stGroups:
		gs := aq.state[k.h]
		if len(gs) == 0 {
			return nil, nil
		}
		w.uvarint(uint64(len(gs)))
		for _, g := range gs {
			w.row(g.key)
			w.varint(g.start)
			w.row(g.accs)
			w.bool(g.shown)
			w.varint(g.ts)
		}
	case stSessions:
		sgs := aq.sessions[k.h]
		if len(sgs) == 0 {
			return nil, nil
		}
		w.uvarint(uint64(len(sgs)))
		for _, g := range sgs {
			w.row(g.key)
			w.uvarint(uint64(len(g.sessions)))
			for _, s := range g.sessions {
				w.varint(s.start)
				w.varint(s.end)
				w.row(s.accs)
			}
		}
	case stTableRows:
		c, ok := aq.tableRows[k.s]
		if !ok {
			return nil, nil
		}
		w.row(c.row)
	case stStreamTime:
		w.varint(aq.streamTime)
	case stJoinTable, stJoinLeft, stFKIndex:
		rows := jq.rowMap(k.kind)[k.h]
		if len(rows) == 0 {
			return nil, nil
		}
		w.uvarint(uint64(len(rows)))
		for _, r := range rows {
			w.value(r.key)
			w.row(r.row)
		}
	case stJoinShown:
		ks := jq.shown[k.h]
		if len(ks) == 0 {
			return nil, nil
		}
		w.row(ks)
	case stLeftBuf, stRightBuf, stPendLeft, stPendRight:
		rows := jq.bufMap(k.kind)[k.h]
		if len(rows) == 0 {
			return nil, nil
		}
		w.uvarint(uint64(len(rows)))
		for _, r := range rows {
			w.value(r.key)
			w.row(r.row)
			w.varint(r.ts)
		}
	case stJoinTimes:
		t := jq.times
		for _, v := range []int64{t.left, t.right, t.stream, t.minPending, t.swept} {
			w.varint(v)
		}
	default:
		return nil, fmt.Errorf("unknown state kind %q", k.kind)
	}
	return w.b, w.err
}

// restoreState puts one changelog entry back into q's operators; a nil
// value empties the bucket.
func (q *query) restoreState(key, value []byte) error {
	k, err := decodeStateKey(key)
	if err != nil {
		return err
	}
	aq, jq := q.agg, q.joinNode(k.node)
	needAgg := k.kind == stGroups || k.kind == stSessions || k.kind == stTableRows || k.kind == stStreamTime
	if (needAgg && aq == nil) || (!needAgg && jq == nil) {
		return fmt.Errorf("state entry of kind %q does not belong to query %s", k.kind, q.id)
	}
	r := stateReader{b: value}
	switch k.kind {
	case stGroups:
		aq.oldestKnown = false
		if value == nil {
			delete(aq.state, k.h)
			break
		}
		gs := make([]*groupState, r.count())
		for i := range gs {
			g := &groupState{key: r.row(), start: r.varint()}
			g.accs = r.row()
			g.shown = r.bool()
			g.ts = r.varint()
			gs[i] = g
		}
		aq.state[k.h] = gs
	case stSessions:
		if value == nil {
			delete(aq.sessions, k.h)
			break
		}
		sgs := make([]*sessionGroup, r.count())
		for i := range sgs {
			g := &sessionGroup{key: r.row()}
			g.sessions = make([]*session, r.count())
			for j := range g.sessions {
				s := &session{start: r.varint(), end: r.varint()}
				s.accs = r.row()
				g.sessions[j] = s
			}
			sgs[i] = g
		}
		aq.sessions[k.h] = sgs
	case stTableRows:
		if value == nil {
			delete(aq.tableRows, k.s)
			break
		}
		aq.tableRows[k.s] = tableContribution{row: r.row()}
	case stStreamTime:
		if value != nil {
			aq.streamTime = r.varint()
		}
	case stJoinTable, stJoinLeft, stFKIndex:
		m := jq.rowMap(k.kind)
		if value == nil {
			delete(m, k.h)
			break
		}
		rows := make([]joinRow, r.count())
		for i := range rows {
			rows[i] = joinRow{key: r.value(), row: r.row()}
		}
		m[k.h] = rows
	case stJoinShown:
		if value == nil {
			delete(jq.shown, k.h)
			break
		}
		jq.shown[k.h] = r.row()
	case stLeftBuf, stRightBuf, stPendLeft, stPendRight:
		m := jq.bufMap(k.kind)
		if value == nil {
			delete(m, k.h)
			break
		}
		rows := make([]bufRow, r.count())
		for i := range rows {
			rows[i] = bufRow{key: r.value(), row: r.row(), ts: r.varint()}
		}
		m[k.h] = rows
	case stJoinTimes:
		if value == nil {
			jq.times = newJoinTimes()
			break
		}
		jq.times = joinTimes{left: r.varint(), right: r.varint(), stream: r.varint(), minPending: r.varint(), swept: r.varint()}
	default:
		return fmt.Errorf("unknown state kind %q", k.kind)
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%d trailing bytes", len(r.b))
	}
	if r.err != nil {
		return fmt.Errorf("query %s: state entry of kind %q: %w", q.id, k.kind, r.err)
	}
	return nil
}

// resetState empties q's operator state, as before its first record.
func (q *query) resetState() {
	if aq := q.agg; aq != nil {
		clear(aq.state)
		aq.oldestKnown = false
		clear(aq.sessions)
		clear(aq.tableRows)
		aq.streamTime = 0
	}
	for _, jq := range q.join.nodes() {
		jq.resetState()
	}
	if q.state != nil {
		clear(q.state.dirty)
	}
}

// Tags of encoded values.
const (
	tagNil byte = iota
	tagFalse
	tagTrue
	tagInt
	tagBigint
	tagDouble
	tagString
	tagBytes
	tagDecimal
	tagDate
	tagTime
	tagTimestamp
	tagArray
	tagStruct
	tagAttr
)

// stateWriter appends encoded state; the first error sticks.
type stateWriter struct {
	b   []byte
	err error
}

func (w *stateWriter) uvarint(n uint64) { w.b = binary.AppendUvarint(w.b, n) }
func (w *stateWriter) varint(n int64)   { w.b = binary.AppendVarint(w.b, n) }

func (w *stateWriter) bool(v bool) {
	if v {
		w.b = append(w.b, 1)
	} else {
		w.b = append(w.b, 0)
	}
}

func (w *stateWriter) bytes(p []byte) {
	w.uvarint(uint64(len(p)))
	w.b = append(w.b, p...)
}

// row writes a list of values; nil and empty differ.
func (w *stateWriter) row(vs []any) {
	if vs == nil {
		w.uvarint(0)
		return
	}
	w.uvarint(uint64(len(vs)) + 1)
	for _, v := range vs {
		w.value(v)
	}
}

// value writes a SQL value or an accumulator.
func (w *stateWriter) value(v any) {
	switch v := v.(type) {
	case nil:
		w.b = append(w.b, tagNil)
	case bool:
		if v {
			w.b = append(w.b, tagTrue)
		} else {
			w.b = append(w.b, tagFalse)
		}
	case int32:
		w.b = append(w.b, tagInt)
		w.varint(int64(v))
	case int64:
		w.b = append(w.b, tagBigint)
		w.varint(v)
	case float64:
		w.b = append(w.b, tagDouble)
		w.b = binary.BigEndian.AppendUint64(w.b, math.Float64bits(v))
	case string:
		w.b = append(w.b, tagString)
		w.uvarint(uint64(len(v)))
		w.b = append(w.b, v...)
	case []byte:
		w.b = append(w.b, tagBytes)
		w.bytes(v)
	case types.Decimal:
		w.b = append(w.b, tagDecimal)
		w.varint(int64(v.Scale))
		u := v.Unscaled
		if u == nil {
			u = new(big.Int)
		}
		w.bool(u.Sign() < 0)
		w.bytes(u.Bytes())
	case types.Date:
		w.b = append(w.b, tagDate)
		w.varint(int64(v))
	case types.Time:
		w.b = append(w.b, tagTime)
		w.varint(int64(v))
	case types.Timestamp:
		w.b = append(w.b, tagTimestamp)
		w.varint(int64(v))
	case []types.Value:
		w.b = append(w.b, tagArray)
		w.row(v)
	case types.Struct:
		w.b = append(w.b, tagStruct)
		w.row(v)
	case *attrState:
		if v == nil {
			w.b = append(w.b, tagNil)
			return
		}
		w.b = append(w.b, tagAttr)
		w.value(v.v)
		w.bool(v.seen)
		w.bool(v.mixed)
	default:
		if w.err == nil {
			w.err = fmt.Errorf("cannot persist a value of Go type %T", v)
		}
	}
}

// stateReader reads what stateWriter wrote; the first error sticks and
// later reads return zero values.
type stateReader struct {
	b     []byte
	err   error
	depth int
}

// maxStateDepth bounds nesting, so a corrupt entry cannot exhaust the
// stack.
const maxStateDepth = 100

func (r *stateReader) fail(msg string) {
	if r.err == nil {
		r.err = errors.New(msg)
	}
	r.b = nil
}

func (r *stateReader) uvarint() uint64 {
	n, k := binary.Uvarint(r.b)
	if k <= 0 {
		r.fail("bad uvarint")
		return 0
	}
	r.b = r.b[k:]
	return n
}

func (r *stateReader) varint() int64 {
	n, k := binary.Varint(r.b)
	if k <= 0 {
		r.fail("bad varint")
		return 0
	}
	r.b = r.b[k:]
	return n
}

// count reads a length that cannot exceed the bytes left (each element
// takes at least one byte), so a corrupt entry cannot allocate much.
func (r *stateReader) count() int {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail("count larger than the entry")
		return 0
	}
	return int(n)
}

func (r *stateReader) bool() bool {
	if len(r.b) == 0 {
		r.fail("short entry")
		return false
	}
	v := r.b[0] != 0
	r.b = r.b[1:]
	return v
}

func (r *stateReader) bytes() []byte {
	n := r.count()
	p := append([]byte{}, r.b[:n]...)
	r.b = r.b[n:]
	return p
}

func (r *stateReader) row() []any {
	n := r.uvarint()
	if n == 0 {
		return nil
	}
	n--
	if n > uint64(len(r.b)) {
		r.fail("row longer than the entry")
		return nil
	}
	vs := make([]any, n)
	for i := range vs {
		vs[i] = r.value()
	}
	return vs
}

func (r *stateReader) value() any {
	if len(r.b) == 0 {
		r.fail("short entry")
		return nil
	}
	if r.depth++; r.depth > maxStateDepth {
		r.fail("values nested too deep")
		return nil
	}
	defer func() { r.depth-- }()
	tag := r.b[0]
	r.b = r.b[1:]
	switch tag {
	case tagNil:
		return nil
	case tagFalse:
		return false
	case tagTrue:
		return true
	case tagInt:
		return int32(r.varint())
	case tagBigint:
		return r.varint()
	case tagDouble:
		if len(r.b) < 8 {
			r.fail("short double")
			return nil
		}
		f := math.Float64frombits(binary.BigEndian.Uint64(r.b))
		r.b = r.b[8:]
		return f
	case tagString:
		return string(r.bytes())
	case tagBytes:
		return r.bytes()
	case tagDecimal:
		scale := int32(r.varint())
		neg := r.bool()
		u := new(big.Int).SetBytes(r.bytes())
		if neg {
			u.Neg(u)
		}
		return types.Decimal{Unscaled: u, Scale: scale}
	case tagDate:
		return types.Date(r.varint())
	case tagTime:
		return types.Time(r.varint())
	case tagTimestamp:
		return types.Timestamp(r.varint())
	case tagArray:
		vs := r.row()
		if vs == nil {
			return []types.Value(nil)
		}
		return vs
	case tagStruct:
		return types.Struct(r.row())
	case tagAttr:
		st := &attrState{v: r.value()}
		st.seen = r.bool()
		st.mixed = r.bool()
		return st
	}
	r.fail(fmt.Sprintf("unknown value tag %d", tag))
	return nil
}

// evictClosed drops the windows and sessions that have closed for good,
// which no record can update again, so a windowed query's state (and its
// changelog, through tombstones) stays bounded by its grace period. It
// scans at most once per window size (or session gap) of stream time.
func (aq *aggQuery) evictClosed() {
	var every int64
	switch {
	case aq.window != nil:
		every = aq.window.size
	case aq.session != nil:
		every = aq.session.gap
	default:
		return
	}
	if aq.streamTime < aq.evictedAt+max(every, 1) {
		return
	}
	aq.evictedAt = aq.streamTime
	if w := aq.window; w != nil && (!aq.oldestKnown || aq.oldestStart+w.size+w.grace <= aq.streamTime) {
		oldest := int64(math.MaxInt64)
		for h, gs := range aq.state {
			var kept []*groupState // allocated only when something goes
			for i, g := range gs {
				if g.start+w.size+w.grace > aq.streamTime {
					oldest = min(oldest, g.start)
					if kept != nil {
						kept = append(kept, g)
					}
				} else if kept == nil {
					kept = append(make([]*groupState, 0, len(gs)), gs[:i]...)
				}
			}
			if kept != nil {
				aq.replaceGroups(h, gs, kept)
			}
		}
		aq.oldestStart, aq.oldestKnown = oldest, true
	}
	if sw := aq.session; sw != nil {
		// A record is taken when ts+gap+grace >= stream time, and joins
		// sessions ending at ts-gap or later.
		horizon := aq.streamTime - 2*sw.gap - sw.grace
		for h, sgs := range aq.sessions {
			changed := false
			kept := make([]*sessionGroup, 0, len(sgs))
			for _, g := range sgs {
				live := make([]*session, 0, len(g.sessions))
				for _, s := range g.sessions {
					if s.end >= horizon {
						live = append(live, s)
					}
				}
				if len(live) != len(g.sessions) {
					changed = true
					g.sessions = live
				}
				if len(live) > 0 {
					kept = append(kept, g)
				}
			}
			if !changed {
				continue
			}
			aq.log.touch(stSessions, h)
			if len(kept) == 0 {
				delete(aq.sessions, h)
			} else {
				aq.sessions[h] = kept
			}
		}
	}
}

// replaceGroups sets bucket h to kept, which is shorter than old.
func (aq *aggQuery) replaceGroups(h uint64, old, kept []*groupState) {
	if len(kept) == len(old) {
		return
	}
	aq.log.touch(stGroups, h)
	if len(kept) == 0 {
		delete(aq.state, h)
	} else {
		aq.state[h] = kept
	}
}
