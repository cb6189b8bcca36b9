package engine_test

import (
	"testing"

	"github.com/streamlite/streamlite/sql/engine"
)

// FuzzExecute runs arbitrary statements against an engine holding a
// stream and a table, then pushes a record through whatever they created:
// nothing may panic, whatever the text.
func FuzzExecute(f *testing.F) {
	for _, s := range []string{
		"CREATE STREAM OUT AS SELECT ID, V * 2 AS W FROM S WHERE V > 1 PARTITION BY V;",
		"CREATE TABLE AGG AS SELECT ID, COUNT(*), SUM(V) / COUNT(V) FROM S WINDOW TUMBLING (SIZE 10 SECONDS) GROUP BY ID HAVING COUNT(*) > 1;",
		"CREATE STREAM J AS SELECT S.ID, T.N FROM S LEFT JOIN T ON S.ID = T.ID;",
		"CREATE TABLE TT AS SELECT * FROM T FULL OUTER JOIN T2 ON T.ID = T2.ID;",
		"CREATE STREAM SS AS SELECT * FROM S JOIN S2 WITHIN 1 SECOND ON S.ID = S2.ID;",
		"INSERT INTO S SELECT * FROM S2;",
		"CREATE TABLE X AS SELECT ID, COLLECT_LIST(V) FROM S WINDOW SESSION (5 SECONDS) GROUP BY ID;",
		"DROP STREAM S DELETE TOPIC;",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, stmt string) {
		e := engine.New(map[string]string{})
		for _, s := range []string{
			"CREATE STREAM S (ID INT KEY, V INT) WITH (kafka_topic='s', value_format='JSON');",
			"CREATE STREAM S2 (ID INT KEY, V INT) WITH (kafka_topic='s2', value_format='JSON');",
			"CREATE TABLE T (ID INT PRIMARY KEY, N STRING) WITH (kafka_topic='t', value_format='JSON');",
			"CREATE TABLE T2 (ID INT PRIMARY KEY, M STRING) WITH (kafka_topic='t2', value_format='JSON');",
		} {
			if err := e.Execute(s); err != nil {
				t.Fatal(err)
			}
		}
		_ = e.Execute(stmt)
		key := []byte{0, 0, 0, 1}
		e.Produce("t", engine.Record{Key: key, Value: []byte(`{"N":"n"}`), Timestamp: 1})
		e.Produce("t2", engine.Record{Key: key, Value: []byte(`{"M":"m"}`), Timestamp: 2})
		e.Produce("s", engine.Record{Key: key, Value: []byte(`{"V":3}`), Timestamp: 3})
		e.Produce("s2", engine.Record{Key: key, Value: []byte(`{"V":4}`), Timestamp: 4})
		e.Produce("s", engine.Record{Key: []byte{1}, Value: []byte(`not json`), Timestamp: 5})
		e.Produce("t", engine.Record{Key: key, Timestamp: 6})
		_ = e.Drain()
	})
}
