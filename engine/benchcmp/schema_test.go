package benchcmp

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"text/tabwriter"

	"github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/streamlite/streamlite/engine"
	"github.com/streamlite/streamlite/engine/loadgen"
)

// checkSchema is the Avro schema of the schema-check benchmark's records: a
// ten-field order, about 200 bytes encoded.
const checkSchema = `{"type":"record","name":"Order","namespace":"bench","fields":[
	{"name":"id","type":"long"},
	{"name":"customer","type":"string"},
	{"name":"sku","type":"string"},
	{"name":"qty","type":"int"},
	{"name":"price","type":"double"},
	{"name":"currency","type":{"type":"enum","name":"Currency","symbols":["EUR","USD","GBP"]}},
	{"name":"express","type":"boolean"},
	{"name":"note","type":["null","string"],"default":null},
	{"name":"tags","type":{"type":"array","items":"string"}},
	{"name":"created","type":{"type":"long","logicalType":"timestamp-millis"}}]}`

type checkOrder struct {
	ID       int64    `avro:"id"`
	Customer string   `avro:"customer"`
	SKU      string   `avro:"sku"`
	Qty      int32    `avro:"qty"`
	Price    float64  `avro:"price"`
	Currency string   `avro:"currency"`
	Express  bool     `avro:"express"`
	Note     *string  `avro:"note"`
	Tags     []string `avro:"tags"`
	Created  int64    `avro:"created"`
}

// checkModes are the topic configs of each mode compared, the baseline
// (no check) first.
var checkModes = []struct {
	name    string
	configs map[string]*string
}{
	{"off", nil},
	{"id", map[string]*string{"confluent.value.schema.validation": kadm.StringPtr("true")}},
	{"decode", map[string]*string{
		"confluent.value.schema.validation": kadm.StringPtr("true"),
		"streamlite.schema.validation.mode": kadm.StringPtr("decode"),
	}},
}

// runCheck starts streamlite durable, registers the schema, creates a topic
// of partitions partitions with mode's configs and produces records framed
// records to it.
func runCheck(t *testing.T, mode int, partitions, records, round int) loadgen.Result {
	t.Helper()
	settle()
	b, err := engine.Start(context.Background(), engine.Config{
		DataDir: t.TempDir(), Flush: engine.FlushSync, SchemaRegistryAddr: "127.0.0.1:0",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := context.Background()
	src, err := sr.NewClient(sr.URLs("http://" + b.SchemaRegistryAddr()))
	if err != nil {
		t.Fatal(err)
	}
	topic := fmt.Sprintf("check-%s-p%d-r%d", checkModes[mode].name, partitions, round)
	ss, err := src.CreateSchema(ctx, topic+"-value", sr.Schema{Schema: checkSchema})
	if err != nil {
		t.Fatal(err)
	}
	note := "leave at the door"
	payload, err := avro.Marshal(avro.MustParse(checkSchema), checkOrder{
		ID: 123456789, Customer: "customer-000042", SKU: "sku-9f8e7d6c5b4a", Qty: 3, Price: 19.99,
		Currency: "EUR", Note: &note, Tags: []string{"gift", "fragile", "priority", "eu-west"},
		Created: 1_700_000_000_000,
	})
	if err != nil {
		t.Fatal(err)
	}
	var h sr.ConfluentHeader
	value, _ := h.AppendEncode(nil, ss.ID, nil)
	value = append(value, payload...)

	cl, err := kgo.NewClient(kgo.SeedBrokers(b.KafkaAddr()))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := kadm.NewClient(cl).CreateTopic(ctx, int32(partitions), 1, checkModes[mode].configs, topic)
	cl.Close()
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatal(err)
	}
	o := produceOptions([]string{b.KafkaAddr()}, topic, partitions, records)
	o.Value = value
	res, err := loadgen.Produce(ctx, o)
	if err != nil {
		t.Fatalf("%s: %v", checkModes[mode].name, err)
	}
	return res
}

// TestCompareSchemaCheck measures what checking produced records costs:
// records/s producing framed Avro records to a topic without checks, with
// the id check, and with decode mode, each on a fresh durable broker
// (acks=all after fsync), the order rotating every round, and prints the
// medians and the median per-round ratio of each mode to no check.
func TestCompareSchemaCheck(t *testing.T) {
	if os.Getenv("STREAMLITE_BENCH_SCHEMA") != "1" {
		t.Skip("schema-check cost benchmark (about 20 s of disk-bound load at the defaults); " +
			"set STREAMLITE_BENCH_SCHEMA=1 to run it (STREAMLITE_BENCH_RECORDS, STREAMLITE_BENCH_ROUNDS tune it)")
	}
	records := envInt(t, "STREAMLITE_BENCH_RECORDS", 500_000)
	rounds := envInt(t, "STREAMLITE_BENCH_ROUNDS", 3)
	type key struct {
		partitions int
		mode       int
	}
	results := map[key][]loadgen.Result{}
	for round := range rounds {
		for _, p := range partitionCounts {
			order := []int{0, 1, 2}
			for range round % len(order) {
				order = append(order[1:], order[0])
			}
			for _, m := range order {
				res := runCheck(t, m, p, records, round)
				results[key{p, m}] = append(results[key{p, m}], res)
				t.Logf("round %d p%d %-6s %9.0f rec/s %6.1f MiB/s p99 %v", round+1, p, checkModes[m].name,
					res.RecordsPerSec(), res.MBPerSec(), res.P99)
			}
		}
	}
	var sb strings.Builder
	w := tabwriter.NewWriter(&sb, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "scenario\tmode\trec/s\tvs off\tratio range\t\n")
	for _, p := range partitionCounts {
		base := results[key{p, 0}]
		for m := range checkModes {
			rs := results[key{p, m}]
			ratios := make([]float64, len(rs))
			for i := range rs {
				ratios[i] = rs[i].RecordsPerSec() / base[i].RecordsPerSec()
			}
			fmt.Fprintf(w, "produce-p%d\t%s\t%.0f\t%.2fx\t%.2f–%.2f\t\n", p, checkModes[m].name,
				median(rs, loadgen.Result.RecordsPerSec), medianOf(ratios), slices.Min(ratios), slices.Max(ratios))
		}
	}
	w.Flush()
	fmt.Printf("\nschema checks on produce, durable (fsync), acks=all, %d framed Avro records, median of %d rounds, GOMAXPROCS %d:\n\n%s\n",
		records, rounds, runtime.GOMAXPROCS(0), sb.String())
}
