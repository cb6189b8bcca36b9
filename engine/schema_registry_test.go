package engine_test

import (
	"context"
	"errors"
	"net"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"

	"github.com/streamlite/streamlite/engine"
	"github.com/streamlite/streamlite/engine/enginetest"
)

// The broker serves the schema registry's REST API on SchemaRegistryAddr, keeps what it
// registers across a restart with the same ids, and stops serving it on Close (issue 7).
func TestSchemaRegistryServed(t *testing.T) {
	t.Parallel()
	b := enginetest.New(t, enginetest.Durable())
	ctx := context.Background()
	cl, err := sr.NewClient(sr.URLs(b.SchemaRegistryURL()))
	if err != nil {
		t.Fatal(err)
	}
	schema := `{"type":"record","name":"Order","fields":[{"name":"id","type":"long"}]}`
	got, err := cl.CreateSchema(ctx, "orders-value", sr.Schema{Schema: schema})
	if err != nil {
		t.Fatalf("registering through %s: %v", b.Engine().SchemaRegistryAddr(), err)
	}
	if got.ID != 1 || got.Version != 1 {
		t.Fatalf("CreateSchema = %+v, want id 1 version 1", got)
	}

	addr := b.Engine().SchemaRegistryAddr()
	b.Restart()
	if b.Engine().SchemaRegistryAddr() != addr {
		t.Fatalf("registry moved from %s to %s on restart", addr, b.Engine().SchemaRegistryAddr())
	}
	s, err := cl.SchemaByID(ctx, got.ID)
	if err != nil || s.Schema != schema {
		t.Fatalf("SchemaByID after restart = %+v, %v", s, err)
	}
	if b.Engine().SchemaRegistry() == nil {
		t.Fatal("SchemaRegistry() is nil")
	}
}

// A taken schema registry address fails Start with ErrSchemaRegistryAddrInUse, and
// DisableSchemaRegistry serves none.
func TestSchemaRegistryAddr(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = engine.Start(context.Background(), engine.Config{SchemaRegistryAddr: ln.Addr().String(), DisableAdmin: true})
	if !errors.Is(err, engine.ErrSchemaRegistryAddrInUse) {
		t.Fatalf("Start on a taken registry address: %v, want ErrSchemaRegistryAddrInUse", err)
	}

	b, err := engine.Start(context.Background(), engine.Config{DisableSchemaRegistry: true, DisableAdmin: true})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if got := b.SchemaRegistryAddr(); got != "" {
		t.Fatalf("SchemaRegistryAddr with DisableSchemaRegistry = %q, want empty", got)
	}
}
