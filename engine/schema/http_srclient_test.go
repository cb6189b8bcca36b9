package schema

import (
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/riferrei/srclient"
)

// A second, independent client, riferrei/srclient (written against
// Confluent's registry, with its own request and response types), registers
// and fetches schemas of each format, checks compatibility and deletes
// (issue 7, must-show 2).
func TestSRClientSecondClient(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(NewHandler(f.Registry, nil))
	t.Cleanup(srv.Close)
	cl := srclient.NewSchemaRegistryClient(srv.URL)
	cl.CachingEnabled(false)

	v1, err := cl.CreateSchema("orders-value", avroV1, srclient.Avro)
	if err != nil {
		t.Fatalf("CreateSchema: %v", err)
	}
	// srclient answers CreateSchema with GET /schemas/ids/{id}, which has no
	// version, so only the id is there to check.
	if v1.ID() != 1 || v1.Schema() != avroV1 {
		t.Fatalf("CreateSchema = id %d %q, want id 1", v1.ID(), v1.Schema())
	}
	// srclient compiles an Avro codec (linkedin/goavro) from what we return.
	if v1.Codec() == nil {
		t.Fatal("srclient could not build a codec from the returned schema")
	}
	v2, err := cl.CreateSchema("orders-value", avroV2, srclient.Avro)
	if err != nil || v2.ID() != 2 {
		t.Fatalf("second version: %+v %v", v2, err)
	}
	if _, err := cl.CreateSchema("orders-value", avroBad, srclient.Avro); err == nil || !strings.Contains(err.Error(), "409") {
		t.Fatalf("incompatible schema: %v, want a 409", err)
	}

	byID, err := cl.GetSchema(1)
	if err != nil || byID.Schema() != avroV1 {
		t.Fatalf("GetSchema(1) = %+v, %v", byID, err)
	}
	latest, err := cl.GetLatestSchema("orders-value")
	if err != nil || latest.ID() != 2 || latest.Version() != 2 {
		t.Fatalf("GetLatestSchema = %+v, %v", latest, err)
	}
	byVersion, err := cl.GetSchemaByVersion("orders-value", 1)
	if err != nil || byVersion.ID() != 1 {
		t.Fatalf("GetSchemaByVersion = %+v, %v", byVersion, err)
	}
	versions, err := cl.GetSchemaVersions("orders-value")
	if err != nil || !slices.Equal(versions, []int{1, 2}) {
		t.Fatalf("GetSchemaVersions = %v, %v", versions, err)
	}
	uses, err := cl.GetSubjectVersionsById(2)
	if err != nil || len(uses) != 1 {
		t.Fatalf("GetSubjectVersionsById = %+v, %v", uses, err)
	}
	looked, err := cl.LookupSchema("orders-value", avroV1, srclient.Avro)
	if err != nil || looked.ID() != 1 || looked.Version() != 1 {
		t.Fatalf("LookupSchema = %+v, %v", looked, err)
	}
	ok, err := cl.IsSchemaCompatible("orders-value", avroBad, "latest", srclient.Avro)
	if err != nil || ok {
		t.Fatalf("IsSchemaCompatible(bad) = %v, %v", ok, err)
	}
	ok, err = cl.IsSchemaCompatible("orders-value", avroV2, "latest", srclient.Avro)
	if err != nil || !ok {
		t.Fatalf("IsSchemaCompatible(v2) = %v, %v", ok, err)
	}

	level, err := cl.ChangeSubjectCompatibilityLevel("orders-value", srclient.Full)
	if err != nil || *level != srclient.Full {
		t.Fatalf("ChangeSubjectCompatibilityLevel = %v, %v", level, err)
	}
	level, err = cl.GetCompatibilityLevel("orders-value", true)
	if err != nil || *level != srclient.Full {
		t.Fatalf("GetCompatibilityLevel = %v, %v", level, err)
	}
	global, err := cl.GetGlobalCompatibilityLevel()
	if err != nil || *global != srclient.Backward {
		t.Fatalf("GetGlobalCompatibilityLevel = %v, %v", global, err)
	}

	js, err := cl.CreateSchema("events-value", `{"type":"object","properties":{"id":{"type":"integer"}}}`, srclient.Json)
	if err != nil || js.JsonSchema() == nil {
		t.Fatalf("JSON schema: %+v, %v", js, err)
	}
	pb, err := cl.CreateSchema("pb-value", "syntax = \"proto3\";\nmessage M { string a = 1; }\n", srclient.Protobuf)
	if err != nil || pb.SchemaType() == nil || *pb.SchemaType() != srclient.Protobuf {
		t.Fatalf("Protobuf schema: %+v, %v", pb, err)
	}
	subjects, err := cl.GetSubjects()
	if err != nil || !slices.Equal(subjects, []string{"events-value", "orders-value", "pb-value"}) {
		t.Fatalf("GetSubjects = %v, %v", subjects, err)
	}

	if err := cl.DeleteSubjectByVersion("orders-value", 1, false); err != nil {
		t.Fatalf("DeleteSubjectByVersion: %v", err)
	}
	// srclient's permanent delete is a soft one, then the hard one.
	if err := cl.DeleteSubject("events-value", true); err != nil {
		t.Fatalf("DeleteSubject permanent: %v", err)
	}
	all, err := cl.GetSubjectsIncludingDeleted()
	if err != nil || !slices.Equal(all, []string{"orders-value", "pb-value"}) {
		t.Fatalf("GetSubjectsIncludingDeleted = %v, %v", all, err)
	}
	if _, err := cl.GetLatestSchema("events-value"); err == nil || !strings.Contains(err.Error(), "40401") {
		t.Fatalf("latest of a deleted subject: %v, want 40401", err)
	}
}
