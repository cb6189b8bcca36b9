package engine

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"github.com/streamlite/streamlite/sql/ast"
	"github.com/streamlite/streamlite/sql/expr"
	"github.com/streamlite/streamlite/sql/parser"
	"github.com/streamlite/streamlite/sql/types"
)

// col is a Compiled that reads one row column of a fixed type.
type col struct {
	i int
	t types.Type
}

func (c col) Type() types.Type                            { return c.t }
func (c col) Eval(row []types.Value) (types.Value, error) { return row[c.i], nil }
func agg(name string, t types.Type, cols ...expr.Compiled) aggregator {
	ag := aggregator{name: name, arg: col{0, t}, typ: t, limit: 1000}
	if len(cols) > 0 {
		ag.arg = argStruct{args: append([]expr.Compiled{col{0, t}}, cols...)}
	}
	return ag
}

// checkAcc fails unless acc is what the state codec persists: nil, a SQL
// value (arrays and structs of them) or an *attrState.
func checkAcc(t *testing.T, acc any) {
	t.Helper()
	switch x := acc.(type) {
	case nil, bool, int32, int64, float64, string, []byte, types.Decimal, types.Date, types.Time, types.Timestamp, *attrState:
	case []types.Value:
		for _, e := range x {
			checkAcc(t, e)
		}
	case types.Struct:
		for _, e := range x {
			checkAcc(t, e)
		}
	default:
		t.Fatalf("accumulator of Go type %T cannot be persisted", acc)
	}
}

// foldAll folds vs into a fresh accumulator, checking each step leaves the
// previous accumulator as it was.
func foldAll(t *testing.T, ag aggregator, acc any, vs ...types.Value) any {
	t.Helper()
	for _, v := range vs {
		before := fmt.Sprintf("%#v", acc)
		next, err := ag.fold(acc, v)
		if err != nil {
			t.Fatal(err)
		}
		checkAcc(t, next)
		if after := fmt.Sprintf("%#v", acc); after != before {
			t.Fatalf("fold changed the stored accumulator: %s became %s", before, after)
		}
		acc = next
	}
	return acc
}

func near(a, b float64) bool {
	return a == b || math.Abs(a-b) < 1e-9 || (math.IsNaN(a) && math.IsNaN(b))
}

func TestAggregateResults(t *testing.T) {
	i32, i64, f64, str := types.TInt(), types.TBigint(), types.TDouble(), types.TString()
	for _, tc := range []struct {
		name string
		ag   aggregator
		in   []types.Value
		want types.Value
	}{
		{"avg int skips nulls", agg("AVG", i32), []types.Value{int32(1), int32(2), nil, int32(2)}, 5.0 / 3},
		{"avg of nothing", agg("AVG", i64), []types.Value{nil}, 0.0},
		// Java int arithmetic: the INT sum wraps, as ksqlDB's does.
		{"avg int sum wraps", agg("AVG", i32), []types.Value{int32(math.MaxInt32), int32(1)}, float64(math.MinInt32) / 2},
		{"avg double", agg("AVG", f64), []types.Value{-200000.6, 2.3, 0.0}, -66666.1},
		{"stddev_sample", agg("STDDEV_SAMPLE", i64), []types.Value{int64(2), int64(4), int64(4), int64(4), int64(5), int64(5), int64(7), int64(9)}, math.Sqrt(32.0 / 7)},
		// STDDEV_SAMP is ksqlDB's variance (its bug, kept).
		{"stddev_samp", agg("STDDEV_SAMP", f64), []types.Value{2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0}, 32.0 / 7},
		{"stddev of one", agg("STDDEV_SAMPLE", i32), []types.Value{int32(3)}, 0.0},
		{"correlation of one pair", agg("CORRELATION", f64, col{1, f64}), []types.Value{types.Struct{1.5, 8.0}}, math.NaN()},
		{"correlation", agg("CORRELATION", i32, col{1, i32}), []types.Value{
			types.Struct{int32(1), int32(8)}, types.Struct{int32(-1), int32(-2)}, types.Struct{nil, int32(5)}, types.Struct{int32(-4), int32(-1)},
		}, 0.7455284088780169},
		{"count_distinct", agg("COUNT_DISTINCT", str), []types.Value{"one", "two", "one", nil}, int64(2)},
		{"histogram", agg("HISTOGRAM", str), []types.Value{"b", "a", "b", nil}, []types.Value{types.Struct{"b", int64(2)}, types.Struct{"a", int64(1)}}},
		{"histogram of nothing", agg("HISTOGRAM", str), nil, []types.Value{}},
		{"sum_list", aggregator{name: "SUM_LIST", arg: col{0, types.ArrayOf(i32)}, typ: i32}, []types.Value{
			[]types.Value{int32(1), nil, int32(2)}, nil, []types.Value{int32(3)},
		}, int32(6)},
		{"sum_list of nothing", aggregator{name: "SUM_LIST", arg: col{0, types.ArrayOf(f64)}, typ: f64}, []types.Value{nil}, 0.0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.ag.result(foldAll(t, tc.ag, nil, tc.in...))
			if w, ok := tc.want.(float64); ok {
				if g, ok := got.(float64); !ok || !near(g, w) {
					t.Fatalf("got %#v, want %v", got, w)
				}
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

// TestTopKStruct: TOPK(x, c, n) orders by x alone, keeps the earlier of
// equal values first and skips a null x.
func TestTopKStruct(t *testing.T) {
	ag := agg("TOPK", types.TInt(), col{1, types.TString()})
	ag.n = 3
	ag.typ = types.ArrayOf(types.StructOf(types.Field{Name: "sort_col", Type: types.TInt()}, types.Field{Name: "col0", Type: types.TString()}))
	acc := foldAll(t, ag, nil,
		types.Struct{int32(0), "zero"}, types.Struct{int32(100), "one"}, types.Struct{int32(99), "two"},
		types.Struct{nil, "three"}, types.Struct{int32(100), nil})
	want := []types.Value{types.Struct{int32(100), "one"}, types.Struct{int32(100), nil}, types.Struct{int32(99), "two"}}
	if got := ag.result(acc); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestUndo: folding values and undoing some leaves what folding the rest
// alone gives (table aggregation), for every function that can undo.
func TestUndo(t *testing.T) {
	i32, f64, str := types.TInt(), types.TDouble(), types.TString()
	for _, tc := range []struct {
		ag        aggregator
		keep, out []types.Value
	}{
		{agg("AVG", i32), []types.Value{int32(1), int32(4)}, []types.Value{int32(2), nil}},
		{agg("STDDEV_SAMPLE", f64), []types.Value{1.0, 4.0, 9.0}, []types.Value{2.0, 7.5}},
		{agg("STDDEV_SAMP", i32), []types.Value{int32(1), int32(4), int32(9)}, []types.Value{int32(3)}},
		{agg("CORRELATION", f64, col{1, f64}), []types.Value{types.Struct{1.0, 2.0}, types.Struct{2.0, 3.5}, types.Struct{3.0, 7.0}}, []types.Value{types.Struct{5.0, 1.0}, types.Struct{nil, 1.0}}},
		{agg("HISTOGRAM", str), []types.Value{"a", "b", "a"}, []types.Value{"c", "a", "c"}},
		{aggregator{name: "SUM_LIST", arg: col{0, types.ArrayOf(f64)}, typ: f64}, []types.Value{[]types.Value{1.5, 2.0}}, []types.Value{[]types.Value{4.0}, nil}},
	} {
		t.Run(tc.ag.name, func(t *testing.T) {
			want := tc.ag.result(foldAll(t, tc.ag, nil, tc.keep...))
			acc := foldAll(t, tc.ag, nil, append(append([]types.Value(nil), tc.out...), tc.keep...)...)
			for _, v := range tc.out {
				before := fmt.Sprintf("%#v", acc)
				next, err := tc.ag.unfold(acc, v)
				if err != nil {
					t.Fatal(err)
				}
				checkAcc(t, next)
				if fmt.Sprintf("%#v", acc) != before {
					t.Fatal("unfold changed the stored accumulator")
				}
				acc = next
			}
			got := tc.ag.result(acc)
			g, gok := got.(float64)
			w, wok := want.(float64)
			if !(gok && wok && near(g, w)) && !reflect.DeepEqual(sortedEntries(got), sortedEntries(want)) {
				t.Fatalf("after undo got %#v, want %#v", got, want)
			}
		})
	}
}

// sortedEntries orders HISTOGRAM entries, whose order undo may change.
func sortedEntries(v types.Value) types.Value {
	l, ok := v.([]types.Value)
	if !ok {
		return v
	}
	out := append([]types.Value(nil), l...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if fmt.Sprint(out[j]) < fmt.Sprint(out[i]) {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// TestMerge: merging the accumulators of two halves gives what folding
// everything gives (session windows merging).
func TestMerge(t *testing.T) {
	i32, i64, f64, str := types.TInt(), types.TBigint(), types.TDouble(), types.TString()
	topk := agg("TOPK", i64)
	topk.n, topk.typ = 2, types.ArrayOf(i64)
	for _, tc := range []struct {
		ag   aggregator
		a, b []types.Value
	}{
		{agg("AVG", i64), []types.Value{int64(1), int64(2)}, []types.Value{int64(7)}},
		{agg("STDDEV_SAMPLE", f64), []types.Value{1.0, 2.5}, []types.Value{7.0, 3.0}},
		{agg("STDDEV_SAMPLE", i32), []types.Value{int32(1), int32(2)}, []types.Value{int32(8), int32(3)}},
		{agg("CORRELATION", f64, col{1, f64}), []types.Value{types.Struct{1.0, 2.0}}, []types.Value{types.Struct{2.0, 3.5}, types.Struct{3.0, 7.0}}},
		{agg("HISTOGRAM", str), []types.Value{"a", "b"}, []types.Value{"b", "c"}},
		{agg("COUNT_DISTINCT", str), []types.Value{"a", "b"}, []types.Value{"b", "c"}},
		{agg("COLLECT_SET", i32), []types.Value{int32(1), int32(2)}, []types.Value{int32(2), int32(3)}},
		{topk, []types.Value{int64(5), int64(1)}, []types.Value{int64(3), int64(9)}},
		{agg("ATTR", str), []types.Value{"x"}, []types.Value{"x"}},
		{agg("ATTR", str), []types.Value{"x"}, []types.Value{"y"}},
		{aggregator{name: "SUM_LIST", arg: col{0, types.ArrayOf(i64)}, typ: i64}, []types.Value{[]types.Value{int64(1)}}, []types.Value{[]types.Value{int64(2), int64(3)}}},
	} {
		t.Run(tc.ag.name, func(t *testing.T) {
			want := tc.ag.result(foldAll(t, tc.ag, nil, append(append([]types.Value(nil), tc.a...), tc.b...)...))
			m, err := tc.ag.merge(foldAll(t, tc.ag, nil, tc.a...), foldAll(t, tc.ag, nil, tc.b...))
			if err != nil {
				t.Fatal(err)
			}
			checkAcc(t, m)
			got := tc.ag.result(m)
			g, gok := got.(float64)
			w, wok := want.(float64)
			if !(gok && wok && near(g, w)) && !reflect.DeepEqual(got, want) {
				t.Fatalf("merged %#v, want %#v", got, want)
			}
		})
	}
}

// TestBySeqMerge: EARLIEST/LATEST_BY_OFFSET merge sessions by offset, not
// by the order the sessions were kept in.
func TestBySeqMerge(t *testing.T) {
	seqArg := argStruct{args: []expr.Compiled{col{0, types.TBigint()}, col{1, types.TInt()}}}
	in := func(off int64, v types.Value) types.Value { return types.Struct{off, v} }
	for _, tc := range []struct {
		name      string
		n         int
		keepNulls bool
		a, b      []types.Value // a's session was kept first
		want      types.Value
	}{
		{"EARLIEST_BY_OFFSET", 0, false, []types.Value{in(1, int32(10))}, []types.Value{in(0, int32(20)), in(2, int32(30))}, int32(20)},
		{"LATEST_BY_OFFSET", 0, false, []types.Value{in(3, int32(10))}, []types.Value{in(0, int32(20)), in(2, nil)}, int32(10)},
		{"LATEST_BY_OFFSET", 0, true, []types.Value{in(1, int32(10))}, []types.Value{in(2, nil)}, nil},
		{"EARLIEST_BY_OFFSET", 2, true, []types.Value{in(1, nil), in(4, int32(1))}, []types.Value{in(0, int32(2)), in(3, int32(3))}, []types.Value{int32(2), nil}},
		{"LATEST_BY_OFFSET", 2, false, []types.Value{in(1, int32(1)), in(4, nil)}, []types.Value{in(0, int32(2)), in(3, int32(3))}, []types.Value{int32(1), int32(3)}},
		{"LATEST_BY_OFFSET", 3, false, []types.Value{in(1, nil)}, []types.Value{in(2, nil)}, []types.Value{}},
	} {
		t.Run(fmt.Sprintf("%s n=%d keepNulls=%v", tc.name, tc.n, tc.keepNulls), func(t *testing.T) {
			ag := aggregator{name: tc.name, arg: seqArg, n: tc.n, keepNulls: tc.keepNulls, seq: true}
			m, err := ag.merge(foldAll(t, ag, nil, tc.a...), foldAll(t, ag, nil, tc.b...))
			if err != nil {
				t.Fatal(err)
			}
			checkAcc(t, m)
			if got := ag.result(m); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

// TestPlanAggCall checks argument handling and result types.
func TestPlanAggCall(t *testing.T) {
	scope := &expr.Scope{Columns: []expr.Column{
		{Name: "I", Type: types.TInt()}, {Name: "D", Type: types.TDouble()}, {Name: "S", Type: types.TString()},
		{Name: "L", Type: types.ArrayOf(types.TBigint())}, {Name: "ROWTIME", Type: types.TBigint()}, {Name: "ROWOFFSET", Type: types.TBigint()},
	}}
	e := New(nil)
	for _, tc := range []struct{ call, typ, err string }{
		{"AVG(I)", "DOUBLE", ""},
		{"AVG(S)", "", "Function 'AVG' does not accept parameters (STRING)."},
		{"MAX()", "BIGINT", ""}, // ROWTIME
		{"STDDEV_SAMPLE(D)", "DOUBLE", ""},
		{"CORRELATION(I, D)", "DOUBLE", ""},
		{"CORRELATION(I)", "", "Function 'CORRELATION' does not accept parameters (INTEGER)."},
		{"HISTOGRAM(S)", "MAP<STRING, BIGINT>", ""},
		{"HISTOGRAM(I)", "", "does not accept parameters (INTEGER)"},
		{"COUNT_DISTINCT(S)", "BIGINT", ""},
		{"SUM_LIST(L)", "BIGINT", ""},
		{"SUM_LIST(I)", "", "does not accept parameters (INTEGER)"},
		{"TOPK(I, S, D, 2)", "ARRAY<STRUCT<sort_col INTEGER, col0 STRING, col1 DOUBLE>>", ""},
		{"TOPK(I, 2)", "ARRAY<INTEGER>", ""},
		{"TOPK(I)", "", "does not accept parameters (INTEGER)"},
		{"TOPKDISTINCT(I, S, 2)", "", "does not accept parameters"},
		{"LATEST_BY_OFFSET(S, 2, false)", "ARRAY<STRING>", ""},
		{"SUM(I, D)", "", "Function 'SUM' does not accept parameters (INTEGER, DOUBLE)."},
	} {
		x, err := parser.ParseExpr(tc.call)
		if err != nil {
			t.Fatalf("%s: %v", tc.call, err)
		}
		ag, err := e.planAggCall(x.(*ast.FunctionCall), &aggQuery{}, scope, expr.Options{})
		switch {
		case tc.err != "":
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%s: error %v, want %q", tc.call, err, tc.err)
			}
		case err != nil:
			t.Errorf("%s: %v", tc.call, err)
		case ag.typ.String() != tc.typ:
			t.Errorf("%s: type %s, want %s", tc.call, ag.typ, tc.typ)
		}
	}
}

// TestAggStateRestore: the new aggregates' accumulators survive the state
// codec, so a run cut, flushed and restored writes what an uninterrupted
// run writes (see TestStateRestore).
func TestAggStateRestore(t *testing.T) {
	stream := `CREATE STREAM S (ID INT KEY, NAME STRING, V INT, D DOUBLE, L ARRAY<BIGINT>) WITH (kafka_topic='s', key_format='JSON', value_format='JSON');`
	table := `CREATE TABLE T (ID INT PRIMARY KEY, NAME STRING, V INT, D DOUBLE) WITH (kafka_topic='t', key_format='JSON', value_format='JSON');`
	var inputs []stateInput
	for i := range 30 {
		v := fmt.Sprintf(`{"NAME":"n%d","V":%d,"D":%d.5,"L":[%d,null,1]}`, i%3, i*7%5, i%4, i)
		if i%7 == 3 {
			v = `{"NAME":"n1","V":null}`
		}
		// Out of order, so that sessions merge.
		ts := int64(i*1500) - int64(i%4)*2000
		inputs = append(inputs, stateInput{topic: "s", key: fmt.Sprint(i % 4), value: v, ts: ts})
		tv := v
		if i%5 == 4 {
			tv = ""
		}
		inputs = append(inputs, stateInput{topic: "t", key: fmt.Sprint(i % 6), value: tv, ts: ts})
	}
	for _, sc := range []stateScenario{
		{"stream", []string{stream, `CREATE TABLE A AS SELECT NAME, AVG(V) A, STDDEV_SAMPLE(D) SD, STDDEV_SAMP(V) SV, CORRELATION(V, D) C, HISTOGRAM(NAME) H, COUNT_DISTINCT(V) CD, SUM_LIST(L) SL, TOPK(V, D, 2) K FROM S GROUP BY NAME;`}, inputs},
		{"session", []string{stream, `CREATE TABLE A AS SELECT NAME, EARLIEST_BY_OFFSET(V) E, LATEST_BY_OFFSET(V, 2, false) L, AVG(D) A, COLLECT_SET(V) CS, TOPK(V, 2) K FROM S WINDOW SESSION (3 SECONDS) GROUP BY NAME;`}, inputs},
		{"table", []string{table, `CREATE TABLE A AS SELECT NAME, AVG(V) A, STDDEV_SAMPLE(V) SD, CORRELATION(V, D) C, HISTOGRAM(NAME) H FROM T GROUP BY NAME;`}, inputs},
	} {
		t.Run(sc.name, func(t *testing.T) {
			want := runScenario(t, sc, map[string][]byte{}, 0, len(sc.inputs))
			if len(want) == 0 {
				t.Fatal("the scenario writes nothing")
			}
			for _, cut := range []int{1, len(sc.inputs) / 3, len(sc.inputs) - 1} {
				log := map[string][]byte{}
				got := runScenario(t, sc, log, 0, cut)
				got = append(got, runScenario(t, sc, log, cut, len(sc.inputs))...)
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("cut %d: output differs after restore\ngot  %v\nwant %v", cut, got, want)
				}
			}
		})
	}
}

// TestSessionByOffset runs EARLIEST/LATEST_BY_OFFSET through a session
// merge whose sessions are kept in an order other than offset order.
func TestSessionByOffset(t *testing.T) {
	e := New(nil)
	for _, s := range []string{
		`CREATE STREAM S (ID INT KEY, V INT) WITH (kafka_topic='s', key_format='JSON', value_format='JSON');`,
		`CREATE TABLE A AS SELECT ID, EARLIEST_BY_OFFSET(V) E, LATEST_BY_OFFSET(V) L FROM S WINDOW SESSION (3 SECONDS) GROUP BY ID;`,
	} {
		if err := e.Execute(s); err != nil {
			t.Fatal(err)
		}
	}
	// Offsets 0..3: session [0] gets 1, session [5000] gets 2, then [0]
	// gets 3 (and is kept after [5000]); the record at 2500 merges both
	// and its null value is ignored.
	for _, in := range []struct {
		ts int64
		v  string
	}{{0, "1"}, {5000, "2"}, {100, "3"}, {2500, "null"}} {
		e.Produce("s", Record{Key: []byte("7"), Value: []byte(`{"V":` + in.v + `}`), Timestamp: in.ts})
	}
	if err := e.Drain(); err != nil {
		t.Fatal(err)
	}
	recs := e.Records("A")
	last := recs[len(recs)-1]
	if got, want := string(last.Value), `{"E":1,"L":3}`; got != want || last.Window == nil || last.Window.Start != 0 || last.Window.End != 5000 {
		t.Fatalf("last record %s %+v, want %s over [0, 5000]", last.Value, last.Window, want)
	}
}

// TestTableAggUpdate: a table row updated within its group writes one
// change (subtract, then add), moving groups writes both groups, and
// HAVING deletes a group a retraction or an update makes fail.
func TestTableAggUpdate(t *testing.T) {
	e := New(nil)
	for _, s := range []string{
		`CREATE TABLE T (ID INT PRIMARY KEY, G STRING, V INT) WITH (kafka_topic='t', key_format='JSON', value_format='JSON');`,
		`CREATE TABLE A AS SELECT G, COUNT(*) C, AVG(V) AV FROM T GROUP BY G HAVING SUM(V) < 10;`,
	} {
		if err := e.Execute(s); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range []string{`{"G":"a","V":1}`, `{"G":"a","V":20}`, `{"G":"a","V":2}`, `{"G":"b","V":3}`, ``} {
		r := Record{Key: []byte("1")}
		if v != "" {
			r.Value = []byte(v)
		}
		e.Produce("t", r)
	}
	if err := e.Drain(); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range e.Records("A") {
		got = append(got, fmt.Sprintf("%s=%s", r.Key, r.Value))
	}
	want := []string{
		`"a"={"C":1,"AV":1.0}`,
		`"a"=`, // SUM 20 fails HAVING
		`"a"={"C":1,"AV":2.0}`,
		`"a"={"C":0,"AV":0.0}`, // the row moves to b
		`"b"={"C":1,"AV":3.0}`,
		`"b"={"C":0,"AV":0.0}`, // the row is deleted
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
