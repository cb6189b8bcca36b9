package engine

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/streamlite/streamlite/sql/ast"
	"github.com/streamlite/streamlite/sql/expr"
	"github.com/streamlite/streamlite/sql/types"
)

// prepareFailed prefixes the errors ksqlDB raises while preparing an
// INSERT ... VALUES statement, before it looks at the target.
const prepareFailed = "Failed to prepare statement: "

// InsertValues plans INSERT INTO name [(cols)] VALUES (...) with ksqlDB's
// type coercion and returns the topic and the record to write: key and
// value serialized in the target's formats (a key whose columns are all
// null is a null key), the timestamp from a ROWTIME column or else the
// wall clock, partition 0 (the caller partitions). Without a column list
// the values are for the key columns, then the value columns. It refuses,
// as ksqlDB does, targets with header columns, windowed and read-only
// ones, ROWPARTITION and ROWOFFSET, and (ksql.insert.into.values.enabled
// false) every INSERT VALUES. Errors are *Error with ksqlDB's messages;
// those about the values say "Failed to insert values into 'NAME'." first.
func (e *Engine) InsertValues(text string, props map[string]string) (topic string, r Record, err error) {
	st, err := parseOne(text)
	if err != nil {
		return "", Record{}, err
	}
	s, ok := st.(*ast.InsertValues)
	if !ok {
		return "", Record{}, statementErr("Not an INSERT ... VALUES statement: %s", strings.TrimSpace(text))
	}
	merged := maps.Clone(e.props)
	maps.Copy(merged, props)
	if len(s.Columns) > 0 && len(s.Columns) != len(s.Values) {
		return "", Record{}, statementErr(prepareFailed+"Expected number columns and values to match: %d, %d", len(s.Columns), len(s.Values))
	}
	for _, v := range s.Values {
		for _, cr := range columnRefs(v, nil) {
			if cr.Qualifier != "" && cr.Qualifier != s.Target {
				return "", Record{}, statementErr(prepareFailed+"'%s' is not a valid stream/table name or alias.", cr.Qualifier)
			}
		}
	}
	target, err := e.insertTarget(s.Target)
	if err != nil {
		return "", Record{}, err
	}
	colIdx := map[string]int{}
	for i, c := range target.Columns {
		colIdx[c.Name] = i
	}
	for _, name := range s.Columns {
		switch _, ok := colIdx[name]; {
		case name == "ROWPARTITION" || name == "ROWOFFSET":
			return "", Record{}, statementErr("Inserting into column `%s` is not allowed.", name)
		case !ok && name != "ROWTIME":
			return "", Record{}, statementErr("Column name `%s` does not exist.", name)
		}
	}
	if merged["ksql.insert.into.values.enabled"] == "false" {
		return "", Record{}, statementErr("The server has disabled INSERT INTO ... VALUES functionality. To enable it, restart your ksqlDB server with 'ksql.insert.into.values.enabled'=true")
	}
	failed := func(format string, args ...any) error {
		return statementErr("Failed to insert values into '%s'. %s", target.Name, fmt.Sprintf(format, args...))
	}
	cols := s.Columns
	if len(cols) == 0 {
		for _, c := range append(target.keyColumns(), target.valueColumns()...) {
			cols = append(cols, c.Name)
		}
		if len(cols) != len(s.Values) {
			vals := make([]string, len(s.Values))
			for i, v := range s.Values {
				vals[i] = ast.Format(v)
			}
			return "", Record{}, failed("Expected a value for each column. Expected Columns: [%s]. Got [%s]", strings.Join(cols, ", "), strings.Join(vals, ", "))
		}
	}
	row := make([]types.Value, len(target.Columns))
	r.Timestamp = time.Now().UnixMilli()
	opts := expr.Options{Props: merged}
	for i, name := range cols {
		want := types.TBigint() // ROWTIME
		ci, isCol := colIdx[name]
		if isCol {
			want = target.Columns[ci].Type
		}
		c, err := expr.Compile(s.Values[i], nil, opts)
		if err != nil {
			return "", Record{}, failed("%s", exprMessage(err))
		}
		v, err := c.Eval(nil)
		if err != nil {
			return "", Record{}, failed("%v", err)
		}
		cv, err := coerceValue(v, c.Type(), want)
		if err != nil {
			return "", Record{}, failed("Expected type %s for field `%s` but got %s(%s)", want, name, types.ValueString(v), c.Type())
		}
		if !isCol {
			if cv != nil {
				r.Timestamp = cv.(int64)
			}
			continue
		}
		row[ci] = cv
	}
	var keys, vals []types.Value
	var nullKeys []string
	for i, c := range target.Columns {
		switch c.NS {
		case NSKey:
			keys = append(keys, row[i])
			if row[i] == nil {
				nullKeys = append(nullKeys, c.Name)
			}
		case NSValue:
			vals = append(vals, row[i])
		}
	}
	if target.Table && len(nullKeys) > 0 {
		return "", Record{}, failed("Value for primary key column(s) %s is required for tables", strings.Join(nullKeys, ", "))
	}
	if len(nullKeys) < len(keys) {
		ks, err := target.keySerde()
		if err != nil {
			return "", Record{}, failed("%v", err)
		}
		if r.Key, err = ks.Encode(keys); err != nil {
			return "", Record{}, failed("Could not serialize key: %v", err)
		}
	}
	vs, err := target.valueSerde()
	if err != nil {
		return "", Record{}, failed("%v", err)
	}
	if r.Value, err = vs.Encode(vals); err != nil {
		return "", Record{}, failed("Could not serialize value: %v", err)
	}
	if r.Value == nil {
		r.Value = []byte{} // a row, never a tombstone
	}
	return target.Topic, r, nil
}

// insertTarget is the source INSERT VALUES may write, by name.
func (e *Engine) insertTarget(name string) (*Source, error) {
	target, ok := e.sources[name]
	if !ok {
		return nil, statementErr("Cannot insert values into an unknown stream/table: `%s`%s", name, e.caseHint(name))
	}
	if e.windowOf(target).kind != "" {
		return nil, statementErr("Cannot insert values into windowed stream/table!")
	}
	if target.IsSource {
		kind := "stream"
		if target.Table {
			kind = "table"
		}
		return nil, statementErr("Cannot insert values into read-only %s: %s", kind, target.Name)
	}
	if slices.ContainsFunc(target.Columns, func(c Column) bool { return c.NS == NSHeader || c.NS == NSHeaders }) {
		return nil, statementErr("Cannot insert into %s because it has header columns", target.Name)
	}
	return target, nil
}

// coerceValue converts v, of type from, to a column of type to as ksqlDB's
// INSERT VALUES does: numbers widen (INTEGER to BIGINT, DECIMAL or
// DOUBLE, ...), arrays element by element, a DECIMAL fits a DECIMAL
// column its value fits, and a STRING parses as a DATE, TIME or
// TIMESTAMP.
func coerceValue(v types.Value, from, to types.Type) (types.Value, error) {
	if v == nil || from.Kind == types.KindInvalid {
		return nil, nil
	}
	if from.Equal(to) {
		return v, nil
	}
	if types.CanWiden(from, to) {
		return types.Widen(v, from, to)
	}
	if from.Kind == types.KindDecimal && to.Kind == types.KindDecimal {
		out, err := types.Cast(v, from, to)
		if err == nil && types.Equal(out, v) {
			return out, nil
		}
	}
	if from.Kind == types.KindString {
		switch to.Kind {
		case types.KindDate, types.KindTime, types.KindTimestamp:
			return types.Cast(v, from, to)
		}
	}
	return nil, fmt.Errorf("cannot coerce %s to %s", from, to)
}

// caseHint is ksqlDB's hint for an unknown source name that another
// source's name matches but for case.
func (e *Engine) caseHint(name string) string {
	for _, n := range e.order {
		if n == name || !strings.EqualFold(n, name) || e.sources[n] == nil {
			continue
		}
		if name == strings.ToUpper(name) {
			return fmt.Sprintf("\nDid you mean \"%s\"? Hint: wrap the source name in double quotes to make it case-sensitive.", n)
		}
		if n == strings.ToUpper(n) {
			return fmt.Sprintf("\nDid you mean %s? Hint: try removing double quotes from the source name.", n)
		}
	}
	return ""
}
