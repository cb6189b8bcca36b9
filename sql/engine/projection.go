package engine

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/streamlite/streamlite/sql/ast"
	"github.com/streamlite/streamlite/sql/expr"
	"github.com/streamlite/streamlite/sql/types"
)

// projection is a transient query's select list and filter over one
// source. Its rows are the source's columns, then ROWTIME, ROWPARTITION
// and ROWOFFSET and, for a windowed source, WINDOWSTART and WINDOWEND.
type projection struct {
	src    *Source
	codec  *codec
	window sourceWindow
	where  expr.Compiled
	items  []expr.Compiled
	cols   []Column
	// shown holds, for a push query over a table with a WHERE, the keys
	// (shownKey) whose last row passed it.
	shown map[string]bool
	// headerCols, when set, is the column order of the header schema,
	// which ksqlDB gives a source's * with header columns apart from
	// its rows: header columns before the value columns.
	headerCols []Column
}

// newProjection plans qa's select list and WHERE over src, qualified as
// qual. A plain reference to a key column or window bound stays a key
// column (NSKey).
func (e *Engine) newProjection(qa *ast.Query, src *Source, qual string) (*projection, error) {
	c, err := newCodec(src)
	if err != nil {
		return nil, err
	}
	p := &projection{src: src, codec: c, window: e.windowOf(src)}
	scope := scopeOf(src, qual)
	if p.window.kind != "" {
		for _, b := range []string{"WINDOWSTART", "WINDOWEND"} {
			scope.Columns = append(scope.Columns, expr.Column{Qualifier: qual, Name: b, Type: types.TBigint()})
		}
	}
	opts := expr.Options{Props: e.props}
	if qa.Where != nil {
		w, err := expr.Compile(qa.Where, scope, opts)
		if err != nil {
			if b := windowBoundRef(qa.Where); b != nil && p.window.kind == "" {
				return nil, errAt(b, "Error in WHERE expression: Unknown column %s.", b.Name)
			}
			at := errPos(err, qa.Where)
			if name, ok := unresolved(err); ok {
				return nil, posErr(at, "WHERE column '%s' cannot be resolved.", name)
			}
			return nil, posErr(at, "Error in WHERE expression: %s\nStatement: %s", exprMessage(err), ast.Format(qa.Where))
		}
		if w.Type().Kind != types.KindBoolean {
			return nil, errAt(qa.Where, "Type error in WHERE expression: Should evaluate to boolean but is %s (%s) instead.", ast.Format(qa.Where), w.Type())
		}
		p.where = w
	}
	keyNames := map[string]bool{}
	for _, k := range src.keyColumns() {
		keyNames[k.Name] = true
	}
	if p.window.kind != "" {
		keyNames["WINDOWSTART"], keyNames["WINDOWEND"] = true, true
	}
	generated := 0
	starHeaders := false
	seen := map[string]bool{}
	add := func(name string, x ast.Expr, key bool) error {
		if seen[name] {
			return errAt(x, "Duplicate column names:\n\t%s", name)
		}
		seen[name] = true
		c, err := expr.Compile(x, scope, opts)
		if name, ok := unresolved(err); ok {
			return posErr(errPos(err, x), "SELECT column '%s' cannot be resolved.", name)
		}
		if err != nil {
			return posErr(errPos(err, x), "%s", exprMessage(err))
		}
		col := Column{Name: name, Type: c.Type()}
		if key {
			col.NS = NSKey
		}
		p.items = append(p.items, c)
		p.cols = append(p.cols, col)
		return nil
	}
	for _, si := range qa.Select {
		if all, ok := si.Expr.(*ast.AllColumns); ok {
			if all.Qualifier != "" && all.Qualifier != qual {
				return nil, errAt(all, "Source %s not found.", all.Qualifier)
			}
			for _, c := range p.starColumns() {
				if err := add(c.Name, &ast.ColumnRef{At: all.At, Name: c.Name}, keyNames[c.Name]); err != nil {
					return nil, err
				}
				if c.NS == NSHeader || c.NS == NSHeaders {
					starHeaders = true
					p.cols[len(p.cols)-1].NS, p.cols[len(p.cols)-1].HeaderKey = c.NS, c.HeaderKey
				}
			}
			continue
		}
		name := si.Alias
		cr, isRef := si.Expr.(*ast.ColumnRef)
		if name == "" {
			if isRef {
				name = cr.Name
			} else {
				name = fmt.Sprintf("KSQL_COL_%d", generated)
				generated++
			}
		}
		if err := add(name, si.Expr, isRef && keyNames[cr.Name]); err != nil {
			return nil, err
		}
	}
	if starHeaders {
		// The header schema lists header columns before the values.
		var keys, headers, vals []Column
		for _, c := range p.cols {
			switch c.NS {
			case NSKey:
				keys = append(keys, c)
			case NSHeader, NSHeaders:
				headers = append(headers, c)
			default:
				vals = append(vals, c)
			}
		}
		p.headerCols = append(append(keys, headers...), vals...)
		for i := range p.cols {
			if p.cols[i].NS == NSHeader || p.cols[i].NS == NSHeaders {
				p.cols[i].NS = NSValue
			}
		}
	}
	return p, nil
}

// unresolved names the column a compile error says cannot be resolved.
func unresolved(err error) (string, bool) {
	var ee *expr.Error
	if !errors.As(err, &ee) {
		return "", false
	}
	name, ok := strings.CutPrefix(ee.Message, "Column '")
	if !ok {
		return "", false
	}
	return strings.CutSuffix(name, "' cannot be resolved.")
}

// exprMessage is a compile error's message without its position.
func exprMessage(err error) string {
	var ee *expr.Error
	if errors.As(err, &ee) {
		return ee.Message
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Msg
	}
	return err.Error()
}

// starColumns are the columns * stands for: the keys, the window bounds
// of a windowed source, the values, then the header columns.
func (p *projection) starColumns() []Column {
	out := p.src.keyColumns()
	if p.window.kind != "" {
		out = append(out, Column{Name: "WINDOWSTART", Type: types.TBigint()}, Column{Name: "WINDOWEND", Type: types.TBigint()})
	}
	out = append(out, p.src.valueColumns()...)
	for _, c := range p.src.Columns {
		if c.NS == NSHeader || c.NS == NSHeaders {
			out = append(out, c)
		}
	}
	return out
}

// decode is r's row: the source row, then the window bounds for a
// windowed source. ok is false for a record that does not deserialize
// and for a tombstone.
func (p *projection) decode(r Record) ([]types.Value, bool, error) {
	row, ok, err := decodeWith(p.codec, p.src, r)
	if err != nil || !ok {
		return nil, false, err
	}
	return p.withWindow(row, r), true, nil
}

// withWindow appends r's window bounds to row for a windowed source.
func (p *projection) withWindow(row []types.Value, r Record) []types.Value {
	if p.window.kind == "" {
		return row
	}
	if w := r.Window; w != nil {
		end := w.End
		if end == 0 && !w.Session && p.window.size > 0 {
			end = w.Start + p.window.size
		}
		return append(row, w.Start, end)
	}
	return append(row, nil, nil)
}

// keyRow is the row of a table's tombstone r: its key columns, null
// values and the pseudocolumns; ok is false when the key does not
// deserialize.
func (p *projection) keyRow(r Record) ([]types.Value, bool) {
	var keys []types.Value
	if p.codec.keyCols > 0 {
		var err error
		if keys, err = p.codec.key.Decode(r.Key); err != nil || len(keys) < p.codec.keyCols {
			return nil, false
		}
	}
	row := make([]types.Value, 0, len(p.src.Columns)+5)
	ki := 0
	for _, c := range p.src.Columns {
		if c.NS == NSKey {
			row = append(row, keys[ki])
			ki++
			continue
		}
		row = append(row, nil)
	}
	row = append(row, r.Timestamp, int32(r.Partition), r.Offset)
	return p.withWindow(row, r), true
}

// match applies the WHERE to row.
func (p *projection) match(row []types.Value) (bool, error) {
	if p.where == nil {
		return true, nil
	}
	v, err := p.where.Eval(row)
	if err != nil {
		return false, &Error{Phase: PhaseRuntime, Msg: err.Error()}
	}
	return v == true, nil
}

// project evaluates the select list over row.
func (p *projection) project(row []types.Value) ([]types.Value, error) {
	out := make([]types.Value, len(p.items))
	for i, c := range p.items {
		v, err := c.Eval(row)
		if err != nil {
			return nil, &Error{Phase: PhaseRuntime, Msg: err.Error()}
		}
		out[i] = v
	}
	return out, nil
}

// process runs one record of a push query through the projection. A
// table's tombstone comes out as a deletion of its key; under a WHERE,
// only of a key whose last row passed it, and a row the WHERE drops then
// deletes its key too, as a filtered KTable forwards them.
func (p *projection) process(r Record, t *Transient) error {
	if p.src.Table && r.Key == nil && p.codec.keyCols > 0 {
		return nil // a table row needs a key
	}
	if r.Value == nil {
		if !p.src.Table || !p.unshow(r) {
			return nil // a stream's null value is no row
		}
		return p.deleted(r, t)
	}
	row, ok, err := p.decode(r)
	if err != nil {
		return err
	}
	if !ok {
		t.skipped++
		return nil
	}
	if ok, err := p.match(row); err != nil || !ok {
		if err == nil && p.src.Table && p.unshow(r) {
			return p.deleted(r, t)
		}
		return err
	}
	if p.src.Table && p.where != nil {
		if p.shown == nil {
			p.shown = map[string]bool{}
		}
		p.shown[shownKey(r)] = true
	}
	out, err := p.project(row)
	if err != nil {
		return err
	}
	return t.deliver(out, false)
}

// unshow reports whether a deletion of r's key is to be passed on, and
// forgets the key: always without a WHERE, else when its last row passed.
func (p *projection) unshow(r Record) bool {
	if p.where == nil {
		return true
	}
	k := shownKey(r)
	was := p.shown[k]
	delete(p.shown, k)
	return was
}

// shownKey identifies r's key and window.
func shownKey(r Record) string {
	k := string(r.Key)
	if w := r.Window; w != nil {
		k += fmt.Sprintf("\x00%d", w.Start)
		if w.Session {
			k += fmt.Sprintf("/%d", w.End)
		}
	}
	return k
}

// deleted passes on the deletion of table record r's key.
func (p *projection) deleted(r Record, t *Transient) error {
	row, ok := p.keyRow(r)
	if !ok {
		t.skipped++
		return nil
	}
	out, err := p.project(row)
	if err != nil {
		return err
	}
	return t.deliver(out, true)
}

// pseudoColumns lists the ROWPARTITION and ROWOFFSET references in x, as
// `NAME`, once each.
func pseudoColumns(xs ...ast.Expr) []string {
	var out []string
	for _, x := range xs {
		if x == nil {
			continue
		}
		for _, cr := range columnRefs(x, nil) {
			n := "`" + cr.Name + "`"
			if (cr.Name == "ROWPARTITION" || cr.Name == "ROWOFFSET") && !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	return out
}
