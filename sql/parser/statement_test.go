package parser

import (
	"reflect"
	"strings"
	"testing"

	"github.com/streamlite/streamlite/sql/ast"
)

func mustParse(t *testing.T, sql string) ast.Statement {
	t.Helper()
	s, err := ParseStatement(sql)
	if err != nil {
		t.Fatalf("ParseStatement(%q): %v", sql, err)
	}
	return s
}

func TestCreateSource(t *testing.T) {
	s := mustParse(t, `CREATE OR REPLACE SOURCE TABLE IF NOT EXISTS t (
		id INT PRIMARY KEY, `+"`Name`"+` STRING, h ARRAY<STRUCT<key STRING, value BYTES>> HEADERS,
		h1 BYTES HEADER('abc'), d DECIMAL(4, 2))
		WITH (kafka_topic='t', value_format='JSON', partitions=4, 'x.y'=true, r=-1.5);`)
	c, ok := s.(*ast.CreateSource)
	if !ok {
		t.Fatalf("got %T", s)
	}
	if c.Kind != ast.KindTable || !c.OrReplace || !c.IsSource || !c.IfNotExists || c.Name != "T" {
		t.Errorf("header = %+v", c)
	}
	wantCols := []struct {
		name string
		typ  string
		con  ast.ColumnConstraint
		hdr  string
	}{
		{"ID", "INTEGER", ast.ColPrimaryKey, ""},
		{"Name", "STRING", ast.ColValue, ""},
		{"H", "ARRAY<STRUCT<`KEY` STRING, `VALUE` BYTES>>", ast.ColHeaders, ""},
		{"H1", "BYTES", ast.ColHeader, "abc"},
		{"D", "DECIMAL(4, 2)", ast.ColValue, ""},
	}
	if len(c.Columns) != len(wantCols) {
		t.Fatalf("columns = %d", len(c.Columns))
	}
	for i, w := range wantCols {
		g := c.Columns[i]
		if g.Name != w.name || g.Type.String() != w.typ || g.Constraint != w.con || g.HeaderKey != w.hdr {
			t.Errorf("column %d = %s %s %d %q, want %+v", i, g.Name, g.Type, g.Constraint, g.HeaderKey, w)
		}
	}
	var props []string
	for _, p := range c.Properties {
		props = append(props, p.Name+"="+ast.Format(p.Value))
	}
	want := []string{"KAFKA_TOPIC='t'", "VALUE_FORMAT='JSON'", "PARTITIONS=4", "X.Y=true", "R=-1.5"}
	if !reflect.DeepEqual(props, want) {
		t.Errorf("properties = %v, want %v", props, want)
	}
}

func TestCreateAsSelect(t *testing.T) {
	s := mustParse(t, `CREATE TABLE out WITH (key_format='JSON') AS
		SELECT s.id, COUNT(*) AS cnt, LATEST_BY_OFFSET(v) last FROM src s
		WINDOW TUMBLING (SIZE 30 SECONDS, RETENTION 2 DAYS, GRACE PERIOD 1 MILLISECOND)
		WHERE v > 0 GROUP BY s.id HAVING COUNT(*) > 1 EMIT FINAL`)
	c, ok := s.(*ast.CreateAsSelect)
	if !ok {
		t.Fatalf("got %T", s)
	}
	q := c.Query
	if c.Kind != ast.KindTable || c.Name != "OUT" || len(c.Properties) != 1 {
		t.Errorf("header = %+v", c)
	}
	var items []string
	for _, it := range q.Select {
		items = append(items, ast.Format(it.Expr)+"/"+it.Alias)
	}
	if want := []string{"S.ID/", "COUNT(*)/CNT", "LATEST_BY_OFFSET(V)/LAST"}; !reflect.DeepEqual(items, want) {
		t.Errorf("select = %v, want %v", items, want)
	}
	src := q.From.(*ast.SourceRef)
	if src.Name != "SRC" || src.Alias != "S" {
		t.Errorf("from = %+v", src)
	}
	w := q.Window
	if w.Kind != ast.WindowTumbling || w.Size.Millis() != 30000 || w.Retention.Millis() != 2*86400000 || w.Grace.Millis() != 1 {
		t.Errorf("window = %+v", w)
	}
	if ast.Format(q.Where) != "(V > 0)" || len(q.GroupBy) != 1 || ast.Format(q.Having) != "(COUNT(*) > 1)" || q.Emit != ast.EmitFinal {
		t.Errorf("query = %+v", q)
	}
}

func TestWindows(t *testing.T) {
	tests := []struct {
		sql                  string
		kind                 ast.WindowKind
		size, advance, grace int64
	}{
		{"HOPPING (SIZE 30 SECONDS, ADVANCE BY 10 SECONDS)", ast.WindowHopping, 30000, 10000, -1},
		{"SESSION (1 MINUTE, GRACE PERIOD 0 MILLISECONDS)", ast.WindowSession, 60000, -1, 0},
		{"w TUMBLING (SIZE 1 HOUR)", ast.WindowTumbling, 3600000, -1, -1},
	}
	for _, tc := range tests {
		s := mustParse(t, "SELECT * FROM x WINDOW "+tc.sql+" GROUP BY a EMIT CHANGES;").(*ast.Select)
		w := s.Query.Window
		adv, grace := int64(-1), int64(-1)
		if w.Advance != nil {
			adv = w.Advance.Millis()
		}
		if w.Grace != nil {
			grace = w.Grace.Millis()
		}
		if w.Kind != tc.kind || w.Size.Millis() != tc.size || adv != tc.advance || grace != tc.grace {
			t.Errorf("%s: got kind %v size %d advance %d grace %d", tc.sql, w.Kind, w.Size.Millis(), adv, grace)
		}
	}
}

func TestJoins(t *testing.T) {
	s := mustParse(t, `SELECT * FROM a
		JOIN b WITHIN 10 SECONDS ON a.id = b.id
		LEFT OUTER JOIN c AS cc WITHIN (1 SECOND, 2 SECONDS) GRACE PERIOD 1 MINUTE ON a.id = cc.id
		RIGHT JOIN d ON a.id = d.id
		FULL OUTER JOIN e ON a.id = e.id
		INNER JOIN f ON a.id = f.id
		WHERE a.x = 1 PARTITION BY a.y LIMIT 5`).(*ast.Select)
	var kinds []string
	rel := s.Query.From
	for {
		j, ok := rel.(*ast.Join)
		if !ok {
			break
		}
		kinds = append([]string{j.Type.String() + " " + j.Right.Name + "/" + j.Right.Alias}, kinds...)
		rel = j.Left
	}
	want := []string{"INNER B/", "LEFT C/CC", "RIGHT D/", "FULL E/", "INNER F/"}
	if !reflect.DeepEqual(kinds, want) {
		t.Errorf("joins = %v, want %v", kinds, want)
	}
	j := s.Query.From.(*ast.Join).Left.(*ast.Join).Left.(*ast.Join).Left.(*ast.Join)
	if j.Within == nil || j.Within.Before.Millis() != 1000 || j.Within.After.Millis() != 2000 || j.Within.Grace.Millis() != 60000 {
		t.Errorf("within = %+v", j.Within)
	}
	if !s.Query.HasLimit || s.Query.Limit != 5 || len(s.Query.PartitionBy) != 1 {
		t.Errorf("query = %+v", s.Query)
	}
}

// TestEmptyPartitionBy checks PARTITION BY () parses to an empty, non-nil
// list: ksqlDB rejects it when planning ("PARTITION BY requires at least
// one expression"), as a statement error rather than a syntax error.
func TestEmptyPartitionBy(t *testing.T) {
	st, err := ParseStatement("SELECT * FROM x PARTITION BY ()")
	if err != nil {
		t.Fatal(err)
	}
	q := st.(*ast.Select).Query
	if q.PartitionBy == nil || len(q.PartitionBy) != 0 {
		t.Errorf("PartitionBy = %#v, want empty and non-nil", q.PartitionBy)
	}
}

func TestOtherStatements(t *testing.T) {
	tests := []struct {
		sql  string
		want ast.Statement
	}{
		{"INSERT INTO t (a, `b`) VALUES (1, 'x')", &ast.InsertValues{Target: "T", Columns: []string{"A", "b"}}},
		{"DROP STREAM IF EXISTS s DELETE TOPIC", &ast.DropSource{Kind: ast.KindStream, IfExists: true, Name: "S", DeleteTopic: true}},
		{"DROP TABLE t", &ast.DropSource{Kind: ast.KindTable, Name: "T"}},
		{"DROP TYPE IF EXISTS ty", &ast.DropType{IfExists: true, Name: "TY"}},
		{"TERMINATE CSAS_Out_1", &ast.Terminate{QueryID: "CSAS_Out_1"}},
		{"TERMINATE ALL", &ast.Terminate{All: true}},
		{"SHOW STREAMS", &ast.Show{What: ast.ShowStreams}},
		{"LIST TOPICS EXTENDED", &ast.Show{What: ast.ShowTopics, Extended: true}},
		{"SHOW QUERIES", &ast.Show{What: ast.ShowQueries}},
		{"show properties", &ast.Show{What: ast.ShowProperties}},
		{"LIST TABLES", &ast.Show{What: ast.ShowTables}},
		{"DESCRIBE EXTENDED s", &ast.Describe{Extended: true, Name: "S"}},
		{"DESCRIBE extended", &ast.Describe{Name: "EXTENDED"}},
		{"DESCRIBE FUNCTION substring", &ast.Describe{Function: true, Name: "SUBSTRING"}},
		{"SET 'auto.offset.reset'='earliest'", &ast.SetProperty{Name: "auto.offset.reset", Value: "earliest"}},
		{"UNSET 'auto.offset.reset'", &ast.UnsetProperty{Name: "auto.offset.reset"}},
		{"EXPLAIN CSAS_X_0", &ast.Explain{QueryID: "CSAS_X_0"}},
		{"ASSERT NOT EXISTS TOPIC 'foo' WITH (partitions=1) TIMEOUT 3 SECONDS", &ast.Assert{Kind: ast.AssertTopic, NotExists: true, Name: "foo"}},
		{"SHOW ALL TOPICS EXTENDED", &ast.Show{What: ast.ShowTopics, Extended: true, All: true}},
		{"list all topics", &ast.Show{What: ast.ShowTopics, All: true}},
		// PRINT keeps the topic's case however it is written (topic names are
		// case-sensitive); INTERVAL and SAMPLE are the same clause.
		{"PRINT myTopic", &ast.Print{Topic: "myTopic", Interval: 1}},
		{"print 'My-Topic' FROM BEGINNING", &ast.Print{Topic: "My-Topic", FromBeginning: true, Interval: 1}},
		{"PRINT `t.x` INTERVAL 3 LIMIT 0", &ast.Print{Topic: "t.x", Interval: 3, HasLimit: true}},
		{"PRINT s FROM BEGINNING SAMPLE 2 LIMIT 10;", &ast.Print{Topic: "s", FromBeginning: true, Interval: 2, Limit: 10, HasLimit: true}},
	}
	for _, tc := range tests {
		s := mustParse(t, tc.sql)
		if reflect.TypeOf(s) != reflect.TypeOf(tc.want) {
			t.Errorf("%q: got %T, want %T", tc.sql, s, tc.want)
			continue
		}
		// Compare the fields that matter, ignoring positions, text and sub-trees.
		got := reflect.ValueOf(s).Elem()
		want := reflect.ValueOf(tc.want).Elem()
		for i := 0; i < want.NumField(); i++ {
			f := want.Type().Field(i)
			if f.Name == "StmtBase" || f.Name == "Values" || f.Name == "Properties" || f.Name == "Timeout" || f.Name == "Statement" {
				continue
			}
			if !reflect.DeepEqual(got.Field(i).Interface(), want.Field(i).Interface()) {
				t.Errorf("%q: %s = %v, want %v", tc.sql, f.Name, got.Field(i).Interface(), want.Field(i).Interface())
			}
		}
	}
	e := mustParse(t, "EXPLAIN SELECT * FROM s").(*ast.Explain)
	if _, ok := e.Statement.(*ast.Select); !ok {
		t.Errorf("EXPLAIN statement = %T", e.Statement)
	}
	ct := mustParse(t, "CREATE TYPE addr AS ARRAY<STRING>").(*ast.CreateType)
	if ct.Name != "ADDR" || ct.Type.String() != "ARRAY<STRING>" {
		t.Errorf("CREATE TYPE = %+v", ct)
	}
	al := mustParse(t, "ALTER STREAM s ADD COLUMN c INT, ADD d STRING").(*ast.AlterSource)
	if len(al.Columns) != 2 || al.Columns[1].Name != "D" {
		t.Errorf("ALTER = %+v", al)
	}
	ii := mustParse(t, "INSERT INTO out WITH (QUERY_ID='q') SELECT * FROM s").(*ast.InsertInto)
	if ii.Target != "OUT" || len(ii.Properties) != 1 || ii.Query == nil {
		t.Errorf("INSERT INTO = %+v", ii)
	}
}

// TestScript checks statement splitting, comments, and recorded positions and text.
func TestScript(t *testing.T) {
	src := "-- leading comment\nCREATE STREAM a (x INT) WITH (kafka_topic='a', value_format='JSON');\n" +
		"/* block\n comment */ SELECT x\n  FROM a; ;\n\nDROP STREAM a"
	stmts, err := ParseScript(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(stmts) != 3 {
		t.Fatalf("got %d statements", len(stmts))
	}
	want := []struct {
		pos  ast.Pos
		text string
	}{
		{ast.Pos{Line: 2, Column: 1}, "CREATE STREAM a (x INT) WITH (kafka_topic='a', value_format='JSON')"},
		{ast.Pos{Line: 4, Column: 13}, "SELECT x\n  FROM a"},
		{ast.Pos{Line: 7, Column: 1}, "DROP STREAM a"},
	}
	for i, w := range want {
		if stmts[i].Pos() != w.pos || stmts[i].Source() != w.text {
			t.Errorf("statement %d at %v %q, want %v %q", i, stmts[i].Pos(), stmts[i].Source(), w.pos, w.text)
		}
	}
	if stmts, err := ParseScript(" ; -- nothing\n"); err != nil || len(stmts) != 0 {
		t.Errorf("empty script: %v %v", stmts, err)
	}
	stmts, err = ParseScript("SHOW STREAMS;\nSHOW NOTHING;\nSHOW TABLES;")
	if err == nil || len(stmts) != 1 {
		t.Errorf("bad second statement: %d statements, err %v", len(stmts), err)
	}
}

// TestErrors checks positions and ksqlDB-style messages of syntax errors.
func TestErrors(t *testing.T) {
	tests := []struct {
		sql       string
		line, col int
		contains  string
	}{
		{"SELEC * FROM x", 1, 1, "mismatched input 'SELEC' expecting a statement"},
		{"SELECT * FROM", 1, 14, "mismatched input '<EOF>'"},
		{"SELECT a b c FROM x", 1, 12, "Syntax Error"},
		{"CREATE STREAM s (k STRING (KEY))", 1, 28, "line 1:28: Syntax Error\nExpecting {'STRING', INTEGER_VALUE}\nStatement: CREATE STREAM s (k STRING (KEY))"},
		{"CREATE STREAM s (c0 NULL)", 1, 21, "Syntax error at or near 'NULL' at line 1:21"},
		{"SELECT * FROM x\nGROUP BY a, (b, c);", 2, 15, "line 2:15: Syntax Error\nmissing ')' at ','"},
		{"SELECT * FROM x WHERE a IN ( )", 1, 30, "Syntax Error"},
		{"SELECT * FROM x PARTITION BY a AND b", 1, 32, "Syntax Error"},
		{"SELECT * FROM x GROUP BY ()", 1, 26, "GROUP BY requires at least one expression"},
		{"SELECT 'abc FROM x", 1, 8, "unterminated quoted text"},
		{"SELECT a = b = c FROM x", 1, 14, "Syntax Error"},
		{"SELECT # FROM x", 1, 8, "token recognition error at: '#'"},
		{"SELECT -9223372036854775809 FROM x", 1, 8, "Invalid numeric literal: -9223372036854775809"},
		{"CREATE TABLE t (k STRING PRIMARY KEY) WITH (WINDOW_TYPE='Session', WINDOW_SIZE='30 seconds')", 1, 68, "'WINDOW_SIZE' should not be set for SESSION windows."},
		{"ASSERT VALUES foo (id INT) VALUES (123);", 1, 8, "Syntax error at or near 'VALUES' at line 1:8"},
		{"SELECT * FROM x WINDOW TUMBLING (SIZE 1 FORTNIGHT)", 1, 41, "time unit"},
		{"PRINT;", 1, 6, "mismatched input ';' expecting a topic name"},
		{"PRINT FROM BEGINNING", 1, 7, "expecting a topic name"},
		{"PRINT s FROM START", 1, 14, "expecting 'BEGINNING'"},
		{"PRINT s LIMIT -1", 1, 15, "expecting INTEGER_VALUE"},
		{"PRINT s INTERVAL 2147483648", 1, 18, "Invalid numeric literal: 2147483648"},
		{"PRINT s LIMIT 1 FROM BEGINNING", 1, 17, "expecting ';'"},
	}
	for _, tc := range tests {
		_, err := ParseScript(tc.sql)
		pe, ok := err.(*Error)
		if !ok {
			t.Errorf("%q: error %v (%T), want *Error", tc.sql, err, err)
			continue
		}
		if pe.Line != tc.line || pe.Column != tc.col || !strings.Contains(pe.Error(), tc.contains) {
			t.Errorf("%q: got %q at %d:%d, want %d:%d containing %q", tc.sql, pe.Error(), pe.Line, pe.Column, tc.line, tc.col, tc.contains)
		}
	}
}

// TestDepthLimit checks that deep nesting is an error, not a stack overflow.
func TestDepthLimit(t *testing.T) {
	for _, src := range []string{
		"SELECT " + strings.Repeat("(", 10000) + "1" + strings.Repeat(")", 10000) + " FROM x",
		"SELECT " + strings.Repeat("- ", 10000) + "a FROM x",
		"SELECT " + strings.Repeat("NOT ", 10000) + "a FROM x",
		"SELECT " + strings.Repeat("a[", 10000) + "1" + strings.Repeat("]", 10000) + " FROM x",
		"CREATE STREAM s (a " + strings.Repeat("ARRAY<", 10000) + "INT" + strings.Repeat(">", 10000) + ")",
	} {
		_, err := ParseScript(src)
		if err == nil || !strings.Contains(err.Error(), "nested more than") {
			t.Errorf("deep input (%.20s...): err = %v", src, err)
		}
	}
	// Moderate nesting is fine.
	if _, err := ParseExpr(strings.Repeat("(", 50) + "1" + strings.Repeat(")", 50)); err != nil {
		t.Errorf("50 levels: %v", err)
	}
}
