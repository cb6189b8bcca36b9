package engine

import "fmt"

// joinStateScenarios are TestStateRestore's scenarios for the joins whose
// state goes beyond one join's tables and buffers: n-way joins (state of
// several joins in one query), outer stream-stream joins with a grace
// period (records waiting for their window to close, the join's clocks,
// expired records swept) and foreign-key joins (the foreign-key index).
// stream (topic s), stream2 and table (topic t) are the scenario sources;
// a third source reads topic u.
func joinStateScenarios(stream, stream2, table string, inputs []stateInput) []stateScenario {
	var more []stateInput
	for i, in := range inputs {
		more = append(more, in)
		if i%7 == 2 {
			more = append(more, stateInput{topic: "u", key: fmt.Sprint(i % 4), value: fmt.Sprintf(`{"M":"m%d"}`, i), ts: in.ts})
		}
		if i%17 == 9 {
			more = append(more, stateInput{topic: "u", key: fmt.Sprint(i % 3), ts: in.ts})
		}
		if i%6 == 4 {
			// Out of order, within and beyond the grace period.
			more = append(more, stateInput{topic: "t", key: fmt.Sprint(i % 4), value: fmt.Sprintf(`{"L":"late%d"}`, i), ts: in.ts - int64(1000*(i%5))})
		}
		if i%13 == 6 {
			more = append(more, stateInput{topic: "s", key: fmt.Sprint(i % 4), ts: in.ts})
		}
	}
	tableU := `CREATE TABLE U (ID INT PRIMARY KEY, M STRING) WITH (kafka_topic='u', key_format='JSON', value_format='JSON');`
	table1 := `CREATE TABLE T1 (ID INT PRIMARY KEY, NAME STRING, V INT) WITH (kafka_topic='s', key_format='JSON', value_format='JSON');`
	return []stateScenario{
		{"n-way stream-stream-table join", []string{stream, stream2, tableU,
			`CREATE STREAM J AS SELECT S.ID, NAME, L, M FROM S JOIN S2 WITHIN 3 SECONDS ON S.ID = S2.ID LEFT JOIN U ON S.ID = U.ID;`}, more},
		{"outer stream-stream join with grace", []string{stream, stream2,
			`CREATE STREAM J AS SELECT ROWKEY AS K, NAME, L FROM S FULL OUTER JOIN S2 WITHIN 2 SECONDS GRACE PERIOD 1 SECOND ON S.ID = S2.ID;`}, more},
		{"left stream-stream join with grace", []string{stream, stream2,
			`CREATE STREAM J AS SELECT S.ID, NAME, L FROM S LEFT JOIN S2 WITHIN (1 SECOND, 3 SECONDS) GRACE PERIOD 2 SECONDS ON S.ID = S2.ID;`}, more},
		{"foreign-key join", []string{table1, table,
			`CREATE TABLE J AS SELECT T1.ID, NAME, L FROM T1 LEFT JOIN T ON T1.V % 4 = T.ID;`}, more},
		{"n-way table join", []string{table1, table, tableU,
			`CREATE TABLE J AS SELECT ROWKEY AS ID, NAME, L, M FROM T1 JOIN T ON T1.V % 4 = T.ID FULL OUTER JOIN U ON T1.ID = U.ID;`}, more},
	}
}
