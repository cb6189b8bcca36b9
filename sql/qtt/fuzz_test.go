package qtt

import (
	"context"
	"strings"
	"testing"
	"time"
)

// FuzzParseFile feeds arbitrary bytes to the case reader and runs what it
// reads. Invariants: ParseFile, Expand, the comparison of every expected
// record against every input, CheckPost and the run itself never panic; a
// case either loads or yields a LoadError, never both.
func FuzzParseFile(f *testing.F) {
	f.Add([]byte(`{"tests":[{"name":"a","statements":["CREATE STREAM S (ID INT KEY, V DOUBLE) WITH (kafka_topic='t', value_format='JSON');","CREATE STREAM O AS SELECT * FROM S;"],"inputs":[{"topic":"t","key":1,"value":{"v":1.5},"timestamp":3}],"outputs":[{"topic":"O","key":1,"value":{"V":1.5},"window":{"start":0,"end":1,"type":"time"}}]}]}`))
	f.Add([]byte(`{"tests":[{"name":"b","format":["JSON"],"config":["x"],"properties":{"p":"{CONFIG}"},"statements":["{FORMAT}"],"expectedException":{"type":"KsqlException","message":"m"},"post":{"sources":[{"name":"S","keyFormat":{"format":"KAFKA","windowSize":null}}],"topics":{"blacklist":"(","topics":[{"name":"t","partitions":2}]}}}]}`))
	f.Add([]byte(`{"tests":[{"name":"c","statements":["x"],"outputs":[{"topic":"t","value":[1,"a",null,{"A":1e400}],"headers":[{"KEY":"k","VALUE":"!!"}]}]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cases, bad := ParseFile("fuzz.json", data)
		for i := range cases {
			c := &cases[i]
			for _, r := range Expand(c) {
				_ = r.Name
				for _, e := range c.Outputs {
					for _, in := range c.Inputs {
						_ = CompareRecord(e, in, len(c.Inputs) == 0)
					}
				}
				if len(c.Statements) < 8 && len(c.Inputs) < 8 {
					res := runWithLimit(context.Background(), r, newFake, 50*time.Millisecond, Result{})
					if strings.HasPrefix(res.Detail, "engine panic") && !strings.Contains(strings.Join(r.Statements, ""), "PANIC") {
						t.Fatalf("harness panic: %s", res.Detail)
					}
				}
			}
		}
		for _, b := range bad {
			_ = b.Error()
		}
	})
}
