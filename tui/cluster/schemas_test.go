package cluster

import (
	"errors"
	"strings"
	"testing"

	"github.com/streamlite/streamlite/engine/enginetest"
	"github.com/twmb/franz-go/pkg/sr"
)

func TestSchemas(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t)
	c := testClient(t, b, "")
	ctx := testCtx(t)
	if !c.HasRegistry() || c.HasSQL() {
		t.Fatalf("HasRegistry %v, HasSQL %v", c.HasRegistry(), c.HasSQL())
	}
	reg, err := sr.NewClient(sr.URLs(b.SchemaRegistryURL()))
	if err != nil {
		t.Fatal(err)
	}
	v1 := `{"type":"record","name":"R","fields":[{"name":"a","type":"long"}]}`
	v2 := `{"type":"record","name":"R","fields":[{"name":"a","type":"long"},{"name":"b","type":"string","default":""}]}`
	id1, err := reg.RegisterSchema(ctx, "orders-value", sr.Schema{Schema: v1}, -1, -1)
	if err != nil {
		t.Fatal(err)
	}
	id2, err := reg.RegisterSchema(ctx, "orders-value", sr.Schema{Schema: v2}, -1, -1)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := reg.RegisterSchema(ctx, "items", sr.Schema{Type: sr.TypeProtobuf, Schema: protoShop}, -1, -1); err != nil {
		t.Fatal(err)
	}
	if res := reg.SetCompatibility(ctx, sr.SetCompatibility{Level: sr.CompatFull}, "items"); res[0].Err != nil {
		t.Fatal(res[0].Err)
	}

	subjects, err := c.Subjects(ctx)
	if err != nil {
		t.Fatalf("Subjects: %v", err)
	}
	if len(subjects) != 2 || subjects[0].Name != "items" || subjects[1].Name != "orders-value" {
		t.Fatalf("subjects: %+v", subjects)
	}
	if s := subjects[0]; s.LatestType != "PROTOBUF" || s.Compatibility != "FULL" || len(s.Versions) != 1 {
		t.Errorf("items: %+v", s)
	}
	if s := subjects[1]; s.LatestID != id2 || s.LatestType != "AVRO" || s.Compatibility != "BACKWARD" || len(s.Versions) != 2 || s.Versions[0] != 1 || s.Versions[1] != 2 {
		t.Errorf("orders-value: %+v (want the global BACKWARD)", s)
	}

	latest, err := c.Schema(ctx, "orders-value", -1)
	if err != nil {
		t.Fatalf("Schema latest: %v", err)
	}
	if latest.Version != 2 || latest.ID != id2 || latest.Type != "AVRO" || !strings.Contains(latest.Text, "\n  \"fields\": [") {
		t.Errorf("latest: %+v", latest)
	}
	first, err := c.Schema(ctx, "orders-value", 1)
	if err != nil || first.ID != id1 || first.Version != 1 || first.Subject != "orders-value" {
		t.Errorf("version 1: %+v, %v", first, err)
	}
	pb, err := c.Schema(ctx, "items", -1)
	if err != nil || pb.Type != "PROTOBUF" || !strings.Contains(pb.Text, "message Item") {
		t.Errorf("protobuf: %+v, %v", pb, err)
	}
	if _, err := c.Schema(ctx, "nope", 1); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("missing subject: %v", err)
	}

	plain, err := New(Config{Brokers: []string{b.Addr()}})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if _, err := plain.Subjects(ctx); !errors.Is(err, ErrNoRegistry) {
		t.Errorf("Subjects without a registry: %v", err)
	}
	if _, err := plain.Queries(ctx); !errors.Is(err, ErrNoSQL) {
		t.Errorf("Queries without a SQL server: %v", err)
	}
}
