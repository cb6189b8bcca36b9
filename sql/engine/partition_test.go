package engine

import (
	"strings"
	"testing"
)

// TestPartitionByTombstones checks how a stream record with a null value
// goes through a stateless query: forwarded with a null value, its key
// computed from the input key when the key expression reads only key
// columns and null otherwise, and dropped by a WHERE.
func TestPartitionByTombstones(t *testing.T) {
	for _, c := range []struct {
		name, query string
		want        []string // key, value pairs as text; "<nil>" for nil
	}{
		{"no partition", `SELECT * FROM S`, []string{"7", "<nil>"}},
		{"key expression", `SELECT CONCAT(K, 'x') AS K1, V FROM S PARTITION BY CONCAT(K, 'x')`, []string{"7x", "<nil>"}},
		{"value expression", `SELECT V, K FROM S PARTITION BY V`, []string{"<nil>", "<nil>"}},
		{"constant", `SELECT 'c' AS C, V FROM S PARTITION BY 'c'`, []string{"c", "<nil>"}},
		{"where", `SELECT * FROM S WHERE V = 'v'`, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := New(nil)
			for _, s := range []string{
				`CREATE STREAM S (K STRING KEY, V STRING) WITH (kafka_topic='s', value_format='JSON');`,
				`CREATE STREAM O AS ` + c.query + `;`,
			} {
				if err := e.Execute(s); err != nil {
					t.Fatalf("%s: %v", s, err)
				}
			}
			e.Produce("s", Record{Key: []byte("7")})
			if err := e.Drain(); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range e.Records("O") {
				for _, b := range [][]byte{r.Key, r.Value} {
					if b == nil {
						got = append(got, "<nil>")
					} else {
						got = append(got, string(b))
					}
				}
			}
			if strings.Join(got, "|") != strings.Join(c.want, "|") {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}

// TestPartitionByPlan checks the sink schema PARTITION BY gives and the
// statements it rejects, with ksqlDB's messages.
func TestPartitionByPlan(t *testing.T) {
	for _, c := range []struct {
		query, want string // want: the sink schema, or an error's start
	}{
		{`SELECT * FROM S PARTITION BY NAME`, "NAME STRING KEY, AGE INTEGER, ID INTEGER"},
		{`SELECT AGE, NAME AS N, ID FROM S PARTITION BY NAME`, "N STRING KEY, AGE INTEGER, ID INTEGER"},
		{`SELECT ID, AGE, NAME FROM S PARTITION BY AGE, ID`, "AGE INTEGER KEY, ID INTEGER KEY, NAME STRING"},
		{`SELECT ABS(ID), NAME FROM S PARTITION BY ABS(S.ID)`, "KSQL_COL_0 INTEGER KEY, NAME STRING"},
		{`SELECT * FROM S PARTITION BY NULL`, "NAME STRING, AGE INTEGER, ID INTEGER"},
		{`SELECT NAME, ID FROM S PARTITION BY ABS(ID)`, "The query used to build `O` must include the partitioning expression ABS(S.ID) in its projection"},
		{`SELECT NAME, NAME AS N2, ID FROM S PARTITION BY NAME`, "The projection contains a key column (`NAME`) more than once, aliased as: N2 and NAME."},
		{`SELECT NAME AS X, ID FROM S PARTITION BY X`, "PARTITION BY column 'X' cannot be resolved. 'X' must be a column in the source schema"},
		{`SELECT NAME, ID FROM S PARTITION BY NULL, ID`, "Cannot PARTITION BY multiple columns including NULL"},
		{`SELECT NAME, ID FROM S PARTITION BY ()`, "PARTITION BY requires at least one expression"},
	} {
		e := New(nil)
		if err := e.Execute(`CREATE STREAM S (ID INT KEY, NAME STRING, AGE INT) WITH (kafka_topic='s', key_format='JSON', value_format='JSON');`); err != nil {
			t.Fatal(err)
		}
		err := e.Execute(`CREATE STREAM O AS ` + c.query + `;`)
		got := ""
		if err != nil {
			got = err.Error()
		} else {
			got = e.Source("O").SchemaString()
		}
		if !strings.HasPrefix(got, c.want) {
			t.Errorf("%s:\ngot  %s\nwant %s", c.query, got, c.want)
		}
	}
}
