package engine

import (
	"fmt"
	"slices"
	"strings"

	"github.com/streamlite/streamlite/sql/ast"
	"github.com/streamlite/streamlite/sql/expr"
	"github.com/streamlite/streamlite/sql/serde"
	"github.com/streamlite/streamlite/sql/types"
)

// PARTITION BY, as ksqlDB plans it: the re-keying applies to the input,
// so its expressions name source columns (never select aliases); the new
// key columns come first, in PARTITION BY order, named by the select items
// that repeat the expressions; every expression must be selected once; the
// old key columns become value columns (after the source's, for *).

// partitionPlan is how a PARTITION BY query computes the key of a
// tombstone: ksqlDB evaluates an expression over key columns only (or
// constants) on the key alone, and any other on the missing value, which
// gives null.
type partitionPlan struct {
	// keyOnly[i] reports whether query.keys[i] reads no value column nor
	// pseudocolumn.
	keyOnly []bool
}

// selItem is one select item of a PARTITION BY query, * expanded.
type selItem struct {
	name string
	e    ast.Expr
	// key is the PARTITION BY expression the item repeats, -1 for none.
	key int
}

// planPartitionBy plans the select list of a stateless query over from
// with PARTITION BY into q and sink's columns.
func (e *Engine) planPartitionBy(qa *ast.Query, q *query, from *Source, qual string, scope *expr.Scope, sink *Source, w withProps, opts expr.Options) error {
	pbs := qa.PartitionBy
	if len(pbs) == 0 {
		return statementErr("PARTITION BY requires at least one expression")
	}
	var byNull ast.Expr // the first NULL literal, nil when none
	for _, pb := range pbs {
		if l, ok := pb.(*ast.Literal); ok && l.Kind == ast.LitNull && byNull == nil {
			byNull = l
		}
	}
	if byNull != nil && len(pbs) > 1 {
		return errAt(byNull, "Cannot PARTITION BY multiple columns including NULL")
	}
	aliases := map[string]bool{}
	for _, si := range qa.Select {
		if si.Alias != "" {
			aliases[si.Alias] = true
		}
	}
	// The PARTITION BY expressions, over the input.
	var keyExprs []expr.Compiled
	var keyNames []string // the column each expression names, "" for others
	plan := &partitionPlan{}
	if byNull == nil {
		for _, pb := range pbs {
			refs, known := partitionRefs(pb)
			for _, r := range refs {
				if !inScope(scope, qual, r) {
					msg := fmt.Sprintf("PARTITION BY column '%s' cannot be resolved.", r.Name)
					if aliases[r.Name] {
						msg += fmt.Sprintf(" '%s' must be a column in the source schema since PARTITION BY is applied on the input.", r.Name)
					}
					return errAt(r, "%s", msg)
				}
			}
			c, err := expr.Compile(pb, scope, opts)
			if err != nil {
				return statementErr("%v", err)
			}
			keyExprs = append(keyExprs, c)
			name := ""
			if cr, ok := pb.(*ast.ColumnRef); ok {
				name = cr.Name
			}
			keyNames = append(keyNames, name)
			only := known
			for _, r := range refs {
				if !isKeyColumn(from, r.Name) {
					only = false
				}
			}
			plan.keyOnly = append(plan.keyOnly, only)
		}
	}

	// The select list, * expanded over the re-keyed input: the new key
	// columns, the source's value columns, then its old key columns.
	isKey := func(e ast.Expr) int {
		if byNull != nil {
			return -1
		}
		f := unqualified(e, qual)
		for i, pb := range pbs {
			if f == unqualified(pb, qual) {
				return i
			}
		}
		return -1
	}
	var items []selItem
	generated := 0
	for _, si := range qa.Select {
		if all, ok := si.Expr.(*ast.AllColumns); ok {
			if all.Qualifier != "" && all.Qualifier != qual {
				return errAt(all, "Source %s not found.", all.Qualifier)
			}
			for i, pb := range pbs {
				if byNull != nil {
					break
				}
				name := keyNames[i]
				if name == "" {
					name = fmt.Sprintf("KSQL_COL_%d", generated)
					generated++
				}
				items = append(items, selItem{name: name, e: pb, key: i})
			}
			for _, ns := range []Namespace{NSValue, NSKey} {
				for _, c := range from.Columns {
					if c.NS != ns || (byNull == nil && slices.Contains(keyNames, c.Name)) {
						continue
					}
					items = append(items, selItem{name: c.Name, e: &ast.ColumnRef{At: all.At, Name: c.Name}, key: -1})
				}
			}
			continue
		}
		if reservedColumn(si.Alias) {
			return errAt(si.Expr, "`%s` is a reserved column name. You cannot use it as an alias for a column.", si.Alias)
		}
		name := si.Alias
		if name == "" {
			if cr, ok := si.Expr.(*ast.ColumnRef); ok {
				name = cr.Name
			} else {
				name = fmt.Sprintf("KSQL_COL_%d", generated)
				generated++
			}
		}
		items = append(items, selItem{name: name, e: si.Expr, key: isKey(si.Expr)})
	}

	keyCols := make([]Column, len(keyExprs))
	var valCols []Column
	seen := map[string]bool{}
	for _, it := range items {
		if seen[it.name] {
			return errAt(it.e, "Duplicate column names:\n\t%s", it.name)
		}
		seen[it.name] = true
		if it.key >= 0 {
			if keyCols[it.key].Name != "" {
				var names []string
				for _, o := range items {
					if o.key == it.key {
						names = append(names, o.name)
					}
				}
				slices.Sort(names)
				shown := keyNames[it.key]
				if shown == "" {
					shown = keyCols[it.key].Name
				}
				return errAt(it.e, "The projection contains a key column (`%s`) more than once, aliased as: %s.", shown, strings.Join(names, " and "))
			}
			keyCols[it.key] = Column{Name: it.name, Type: keyExprs[it.key].Type(), NS: NSKey}
			continue
		}
		c, err := expr.Compile(it.e, scope, opts)
		if err != nil {
			return statementErr("%v", err)
		}
		valCols = append(valCols, Column{Name: it.name, Type: c.Type()})
		q.values = append(q.values, c)
	}
	for i, k := range keyCols {
		if k.Name == "" {
			f := ast.Format(qualified(pbs[i], qual))
			return errAt(pbs[i], "The query used to build `%s` must include the partitioning expression %s in its projection (eg, SELECT %s...).", sink.Name, f, f)
		}
	}
	if len(valCols) == 0 {
		return statementErr("The projection contains no value columns.")
	}
	// (INSERT INTO plans with its existing sink's formats: not checked.)
	if _, insert := e.sources[sink.Name]; byNull != nil && !insert {
		if kf, ok := w.str("KEY_FORMAT"); ok && !strings.EqualFold(kf, string(serde.FormatNone)) {
			return statementErr("Key format specified for stream without key columns.")
		}
	}
	q.keys = keyExprs
	q.partition = plan
	sink.Columns = append(keyCols, valCols...)
	return nil
}

// rekeyedSinkProps is w for a re-keyed sink of from, when w names no key
// format, as ksqlDB does: a sink without key columns (PARTITION BY NULL)
// has key format NONE, and a sink with key columns of a source without
// (KEY_FORMAT NONE) the session's default key format, or KAFKA.
func (e *Engine) rekeyedSinkProps(w withProps, from, sink *Source) withProps {
	if _, ok := w.str("KEY_FORMAT"); ok {
		return w
	}
	if _, ok := w.str("FORMAT"); ok {
		return w
	}
	var kf string
	switch keyed := len(sink.keyColumns()) > 0; {
	case !keyed:
		kf = string(serde.FormatNone)
	case from.KeyFormat == serde.FormatNone:
		if kf = e.props["ksql.persistence.default.format.key"]; kf == "" {
			kf = string(serde.FormatKafka)
		}
	default:
		return w
	}
	out := withProps{}
	for k, v := range w {
		out[k] = v
	}
	out["KEY_FORMAT"] = lit(kf)
	return out
}

// partitionRefs lists the column references in e; known is false when e has
// a kind of expression the walk does not look into.
func partitionRefs(e ast.Expr) (refs []*ast.ColumnRef, known bool) {
	known = true
	rewrite(e, func(x ast.Expr) ast.Expr {
		switch x := x.(type) {
		case *ast.ColumnRef:
			refs = append(refs, x)
			return x
		case *ast.Literal, *ast.TypedLiteral, *ast.Arithmetic, *ast.Negate, *ast.Comparison,
			*ast.Logical, *ast.Not, *ast.IsNull, *ast.Between, *ast.InList, *ast.Cast,
			*ast.FunctionCall, *ast.Case:
			return nil
		}
		known = false
		return x
	})
	return refs, known
}

// inScope reports whether the column reference r resolves in scope, whose
// columns are all qualified by qual.
func inScope(scope *expr.Scope, qual string, r *ast.ColumnRef) bool {
	if r.Qualifier != "" && r.Qualifier != qual {
		return false
	}
	for _, c := range scope.Columns {
		if c.Name == r.Name {
			return true
		}
	}
	return false
}

// isKeyColumn reports whether src has a key column named name.
func isKeyColumn(src *Source, name string) bool {
	for _, c := range src.Columns {
		if c.NS == NSKey && c.Name == name {
			return true
		}
	}
	return false
}

// unqualified formats e with its references to the source qual unqualified,
// so a select item and a PARTITION BY expression compare as text.
func unqualified(e ast.Expr, qual string) string {
	return ast.Format(rewrite(e, func(x ast.Expr) ast.Expr {
		if cr, ok := x.(*ast.ColumnRef); ok && cr.Qualifier == qual {
			c := *cr
			c.Qualifier = ""
			return &c
		}
		return nil
	}))
}

// qualified is e with every unqualified column reference qualified by
// qual, as ksqlDB prints expressions in its error messages.
func qualified(e ast.Expr, qual string) ast.Expr {
	return rewrite(e, func(x ast.Expr) ast.Expr {
		if cr, ok := x.(*ast.ColumnRef); ok && cr.Qualifier == "" {
			c := *cr
			c.Qualifier = qual
			return &c
		}
		return nil
	})
}

// streamTombstone forwards a stream record with a null value, as ksqlDB's
// stateless stream queries do when they have no WHERE (which drops it): the
// output has a null value and the key the query computes from the input's
// key alone. ok is false when q does not forward such records.
func (e *Engine) streamTombstone(q *query, r Record, depth int) (ok bool, err error) {
	if q.from.Table || q.agg != nil || q.join != nil || r.Value != nil {
		return false, nil
	}
	if q.where != nil || q.from.TimestampColumn != "" {
		return true, nil // WHERE is false on a null row; no time to extract
	}
	c, err := codecFor(&q.fromCodec, q.from)
	if err != nil {
		return true, err
	}
	row := make([]types.Value, len(q.from.Columns)+3)
	if c.keyCols > 0 && r.Key != nil {
		keys, err := c.key.Decode(r.Key)
		if err != nil {
			e.skip(q)
			return true, nil
		}
		ki := 0
		for i, col := range q.from.Columns {
			if col.NS == NSKey {
				row[i] = keys[ki]
				ki++
			}
		}
	}
	var keys []types.Value
	switch {
	case q.partition != nil:
		keys = make([]types.Value, len(q.keys))
		for i, k := range q.keys {
			if !q.partition.keyOnly[i] {
				continue
			}
			if keys[i], err = k.Eval(row); err != nil {
				return true, &Error{Phase: PhaseRuntime, Msg: err.Error()}
			}
		}
	case r.Key != nil:
		keys = make([]types.Value, len(q.keys))
		for i, k := range q.keys {
			if keys[i], err = k.Eval(row); err != nil {
				return true, &Error{Phase: PhaseRuntime, Msg: err.Error()}
			}
		}
	}
	return true, e.emit(q, r, keys, nil, depth)
}
