package schema

import (
	"context"
	"errors"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
)

// The REST API driven by franz-go's sr client, a real Confluent client,
// over a real listener (../shared/notes/schema-registry.md, 1.2).

const (
	avroV1 = `{"type":"record","name":"Order","fields":[{"name":"id","type":"long"}]}`
	// avroV2 adds a field with a default: BACKWARD compatible with avroV1.
	avroV2 = `{"type":"record","name":"Order","fields":[{"name":"id","type":"long"},{"name":"note","type":"string","default":""}]}`
	// avroBad adds a field without a default: BACKWARD incompatible.
	avroBad = `{"type":"record","name":"Order","fields":[{"name":"id","type":"long"},{"name":"qty","type":"int"}]}`
)

// newSRClient serves f's registry on a real listener and returns an sr
// client for it.
func newSRClient(t *testing.T, f *fixture) *sr.Client {
	t.Helper()
	srv := httptest.NewServer(NewHandler(f.Registry, nil))
	t.Cleanup(srv.Close)
	cl, err := sr.NewClient(sr.URLs(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// wantHTTPCode checks that err is a registry answer with error_code code.
func wantHTTPCode(t *testing.T, err error, code int) {
	t.Helper()
	var re *sr.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("err = %v, want a registry error %d", err, code)
	}
	if re.ErrorCode != code || re.StatusCode != (&Error{Code: code}).Status() {
		t.Fatalf("err = %d (HTTP %d) %q, want %d", re.ErrorCode, re.StatusCode, re.Message, code)
	}
}

func TestSRRegisterLookupGet(t *testing.T) {
	f := newFixture(t)
	cl := newSRClient(t, f)
	ctx := context.Background()

	types, err := cl.SupportedTypes(ctx)
	if err != nil || len(types) != 3 {
		t.Fatalf("SupportedTypes = %v, %v", types, err)
	}

	s1, err := cl.CreateSchema(ctx, "orders-value", sr.Schema{Schema: avroV1})
	if err != nil {
		t.Fatal(err)
	}
	if s1.ID != 1 || s1.Version != 1 || s1.Subject != "orders-value" {
		t.Fatalf("CreateSchema = %+v, want id 1 version 1", s1)
	}
	// The same schema with other whitespace is the same schema: no new version.
	again, err := cl.CreateSchema(ctx, "orders-value", sr.Schema{Schema: strings.ReplaceAll(avroV1, ",", ", ")})
	if err != nil || again.ID != 1 || again.Version != 1 {
		t.Fatalf("re-register = %+v, %v; want id 1 version 1", again, err)
	}
	s2, err := cl.CreateSchema(ctx, "orders-value", sr.Schema{Schema: avroV2})
	if err != nil || s2.ID != 2 || s2.Version != 2 {
		t.Fatalf("register v2 = %+v, %v", s2, err)
	}
	// The same content under a second subject keeps its id.
	other, err := cl.CreateSchema(ctx, "audit/orders", sr.Schema{Schema: avroV1})
	if err != nil || other.ID != 1 || other.Version != 1 {
		t.Fatalf("register under a subject with a slash = %+v, %v", other, err)
	}
	js, err := cl.CreateSchema(ctx, "people-value", sr.Schema{Schema: `{"type":"object","properties":{"name":{"type":"string"}}}`, Type: sr.TypeJSON})
	if err != nil || js.ID != 3 || js.Type != sr.TypeJSON {
		t.Fatalf("register JSON = %+v, %v", js, err)
	}

	got, err := cl.LookupSchema(ctx, "orders-value", sr.Schema{Schema: avroV2})
	if err != nil || got.ID != 2 || got.Version != 2 || got.Schema.Schema != avroV2 {
		t.Fatalf("LookupSchema = %+v, %v", got, err)
	}
	_, err = cl.LookupSchema(ctx, "orders-value", sr.Schema{Schema: avroBad})
	wantHTTPCode(t, err, CodeSchemaNotFound)
	_, err = cl.LookupSchema(ctx, "nobody", sr.Schema{Schema: avroV1})
	wantHTTPCode(t, err, CodeSubjectNotFound)

	byID, err := cl.SchemaByID(ctx, 1)
	if err != nil || byID.Schema != avroV1 || byID.Type != sr.TypeAvro {
		t.Fatalf("SchemaByID(1) = %+v, %v", byID, err)
	}
	if byID, err := cl.SchemaByID(ctx, 3); err != nil || byID.Type != sr.TypeJSON {
		t.Fatalf("SchemaByID(3) = %+v, %v", byID, err)
	}
	_, err = cl.SchemaByID(ctx, 99)
	wantHTTPCode(t, err, CodeSchemaNotFound)
	text, err := cl.SchemaTextByID(ctx, 2)
	if err != nil || text != avroV2 {
		t.Fatalf("SchemaTextByID = %q, %v", text, err)
	}
	subjects, err := cl.SubjectsByID(ctx, 1)
	if err != nil || !slices.Equal(subjects, []string{"audit/orders", "orders-value"}) {
		t.Fatalf("SubjectsByID = %v, %v", subjects, err)
	}
	uses, err := cl.SchemaUsagesByID(ctx, 1)
	// sr deduplicates the usages through a map, so their order is its own.
	slices.SortFunc(uses, func(a, b sr.SubjectSchema) int { return strings.Compare(a.Subject, b.Subject) })
	if err != nil || len(uses) != 2 || uses[0].Subject != "audit/orders" || uses[1].Version != 1 {
		t.Fatalf("SchemaUsagesByID = %+v, %v", uses, err)
	}

	latest, err := cl.SchemaByVersion(ctx, "orders-value", -1)
	if err != nil || latest.Version != 2 || latest.ID != 2 {
		t.Fatalf("latest = %+v, %v", latest, err)
	}
	v1, err := cl.SchemaByVersion(ctx, "orders-value", 1)
	if err != nil || v1.Schema.Schema != avroV1 {
		t.Fatalf("version 1 = %+v, %v", v1, err)
	}
	_, err = cl.SchemaByVersion(ctx, "orders-value", 7)
	wantHTTPCode(t, err, CodeVersionNotFound)
	_, err = cl.SchemaByVersion(ctx, "nobody", 1)
	wantHTTPCode(t, err, CodeSubjectNotFound)
	if text, err := cl.SchemaTextByVersion(ctx, "orders-value", 1); err != nil || text != avroV1 {
		t.Fatalf("SchemaTextByVersion = %q, %v", text, err)
	}

	all, err := cl.Subjects(ctx)
	if err != nil || !slices.Equal(all, []string{"audit/orders", "orders-value", "people-value"}) {
		t.Fatalf("Subjects = %v, %v", all, err)
	}
	pfx, err := cl.Subjects(sr.WithParams(ctx, sr.SubjectPrefix("orders")))
	if err != nil || !slices.Equal(pfx, []string{"orders-value"}) {
		t.Fatalf("Subjects(prefix orders) = %v, %v", pfx, err)
	}
	versions, err := cl.SubjectVersions(ctx, "orders-value")
	if err != nil || !slices.Equal(versions, []int{1, 2}) {
		t.Fatalf("SubjectVersions = %v, %v", versions, err)
	}
	schemas, err := cl.Schemas(ctx, "orders-value")
	if err != nil || len(schemas) != 2 || schemas[1].Schema.Schema != avroV2 {
		t.Fatalf("Schemas = %+v, %v", schemas, err)
	}
}

func TestSRReferences(t *testing.T) {
	f := newFixture(t)
	cl := newSRClient(t, f)
	ctx := context.Background()
	item := `{"type":"record","name":"Item","namespace":"shop","fields":[{"name":"sku","type":"string"}]}`
	if _, err := cl.CreateSchema(ctx, "item", sr.Schema{Schema: item}); err != nil {
		t.Fatal(err)
	}
	cart := sr.Schema{
		Schema:     `{"type":"record","name":"Cart","namespace":"shop","fields":[{"name":"items","type":{"type":"array","items":"shop.Item"}}]}`,
		References: []sr.SchemaReference{{Name: "shop.Item", Subject: "item", Version: 1}},
	}
	got, err := cl.CreateSchema(ctx, "cart", cart)
	if err != nil {
		t.Fatal(err)
	}
	byID, err := cl.SchemaByID(ctx, got.ID)
	if err != nil || len(byID.References) != 1 || byID.References[0] != cart.References[0] {
		t.Fatalf("SchemaByID = %+v, %v", byID, err)
	}
	refs, err := cl.SchemaReferences(ctx, "item", 1)
	if err != nil || len(refs) != 1 || refs[0].Subject != "cart" {
		t.Fatalf("SchemaReferences = %+v, %v", refs, err)
	}
	err = cl.DeleteSchema(ctx, "item", 1, sr.SoftDelete)
	wantHTTPCode(t, err, CodeReferenceExists)
	_, err = cl.CreateSchema(ctx, "cart2", sr.Schema{Schema: cart.Schema, References: []sr.SchemaReference{{Name: "shop.Item", Subject: "item", Version: 9}}})
	wantHTTPCode(t, err, CodeInvalidSchema)
}

func TestSRDelete(t *testing.T) {
	f := newFixture(t)
	cl := newSRClient(t, f)
	ctx := context.Background()
	for _, s := range []string{avroV1, avroV2} {
		if _, err := cl.CreateSchema(ctx, "orders-value", sr.Schema{Schema: s}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := cl.CreateSchema(ctx, "other", sr.Schema{Schema: avroV1}); err != nil {
		t.Fatal(err)
	}

	// A hard delete needs a soft one first.
	err := cl.DeleteSchema(ctx, "orders-value", 2, sr.HardDelete)
	wantHTTPCode(t, err, CodeVersionNotSoftDeleted)
	if err := cl.DeleteSchema(ctx, "orders-value", 2, sr.SoftDelete); err != nil {
		t.Fatal(err)
	}
	err = cl.DeleteSchema(ctx, "orders-value", 2, sr.SoftDelete)
	wantHTTPCode(t, err, CodeVersionSoftDeleted)
	if vs, err := cl.SubjectVersions(ctx, "orders-value"); err != nil || !slices.Equal(vs, []int{1}) {
		t.Fatalf("versions after soft delete = %v, %v", vs, err)
	}
	if vs, err := cl.SubjectVersions(sr.WithParams(ctx, sr.ShowDeleted), "orders-value"); err != nil || !slices.Equal(vs, []int{1, 2}) {
		t.Fatalf("versions with deleted = %v, %v", vs, err)
	}
	// A soft-deleted version's id still resolves: old records stay readable.
	if _, err := cl.SchemaByID(ctx, 2); err != nil {
		t.Fatalf("SchemaByID of a soft-deleted version: %v", err)
	}
	if err := cl.DeleteSchema(ctx, "orders-value", 2, sr.HardDelete); err != nil {
		t.Fatal(err)
	}
	_, err = cl.SchemaByID(ctx, 2)
	wantHTTPCode(t, err, CodeSchemaNotFound)

	_, err = cl.DeleteSubject(ctx, "orders-value", sr.HardDelete)
	wantHTTPCode(t, err, CodeSubjectNotSoftDeleted)
	vs, err := cl.DeleteSubject(ctx, "orders-value", sr.SoftDelete)
	if err != nil || !slices.Equal(vs, []int{1}) {
		t.Fatalf("soft DeleteSubject = %v, %v", vs, err)
	}
	_, err = cl.DeleteSubject(ctx, "orders-value", sr.SoftDelete)
	wantHTTPCode(t, err, CodeSubjectSoftDeleted)
	if all, err := cl.Subjects(ctx); err != nil || !slices.Equal(all, []string{"other"}) {
		t.Fatalf("Subjects after soft delete = %v, %v", all, err)
	}
	if all, err := cl.Subjects(sr.WithParams(ctx, sr.ShowDeleted)); err != nil || !slices.Equal(all, []string{"orders-value", "other"}) {
		t.Fatalf("Subjects with deleted = %v, %v", all, err)
	}
	if vs, err := cl.DeleteSubject(ctx, "orders-value", sr.HardDelete); err != nil || !slices.Equal(vs, []int{1}) {
		t.Fatalf("hard DeleteSubject = %v, %v", vs, err)
	}
	_, err = cl.DeleteSubject(ctx, "orders-value", sr.SoftDelete)
	wantHTTPCode(t, err, CodeSubjectNotFound)
	// Versions are never reused.
	if s, err := cl.CreateSchema(ctx, "orders-value", sr.Schema{Schema: avroV1}); err != nil || s.Version != 3 || s.ID != 1 {
		t.Fatalf("register after hard delete = %+v, %v; want version 3, id 1", s, err)
	}
}

func TestSRCompatibility(t *testing.T) {
	f := newFixture(t)
	cl := newSRClient(t, f)
	ctx := context.Background()
	// Nothing registered: compatible with latest, as Confluent answers.
	if res, err := cl.CheckCompatibility(ctx, "orders-value", -1, sr.Schema{Schema: avroV1}); err != nil || !res.Is {
		t.Fatalf("check against an empty subject = %+v, %v", res, err)
	}
	if _, err := cl.CreateSchema(ctx, "orders-value", sr.Schema{Schema: avroV1}); err != nil {
		t.Fatal(err)
	}
	res, err := cl.CheckCompatibility(ctx, "orders-value", -1, sr.Schema{Schema: avroV2})
	if err != nil || !res.Is || res.Messages != nil {
		t.Fatalf("check compatible = %+v, %v", res, err)
	}
	res, err = cl.CheckCompatibility(ctx, "orders-value", 1, sr.Schema{Schema: avroBad})
	if err != nil || res.Is || res.Messages != nil {
		t.Fatalf("check incompatible without verbose = %+v, %v", res, err)
	}
	verbose := sr.WithParams(ctx, sr.Verbose)
	res, err = cl.CheckCompatibility(verbose, "orders-value", -1, sr.Schema{Schema: avroBad})
	if err != nil || res.Is || len(res.Messages) == 0 || !strings.Contains(strings.Join(res.Messages, " "), "qty") {
		t.Fatalf("check incompatible verbose = %+v, %v; want a message naming qty", res, err)
	}
	res, err = cl.CheckCompatibility(verbose, "orders-value", -2, sr.Schema{Schema: avroBad})
	if err != nil || res.Is || len(res.Messages) == 0 {
		t.Fatalf("check against all versions = %+v, %v", res, err)
	}
	_, err = cl.CheckCompatibility(ctx, "orders-value", 5, sr.Schema{Schema: avroV2})
	wantHTTPCode(t, err, CodeVersionNotFound)
	_, err = cl.CheckCompatibility(ctx, "orders-value", -1, sr.Schema{Schema: `{"type":"record"`})
	wantHTTPCode(t, err, CodeInvalidSchema)

	_, err = cl.CreateSchema(ctx, "orders-value", sr.Schema{Schema: avroBad})
	wantHTTPCode(t, err, CodeIncompatible)
	if !strings.Contains(err.Error(), "incompatible with an earlier schema") {
		t.Errorf("409 message = %q", err)
	}
	if vs, _ := cl.SubjectVersions(ctx, "orders-value"); !slices.Equal(vs, []int{1}) {
		t.Fatalf("a refused registration changed the subject: versions %v", vs)
	}
}

func TestSRConfigAndMode(t *testing.T) {
	f := newFixture(t)
	cl := newSRClient(t, f)
	ctx := context.Background()

	global := cl.Compatibility(ctx)
	if global[0].Err != nil || global[0].Level != sr.CompatBackward {
		t.Fatalf("global config = %+v", global[0])
	}
	sub := cl.Compatibility(ctx, "orders-value")
	wantHTTPCode(t, sub[0].Err, CodeSubjectConfigNotFound)
	sub = cl.Compatibility(sr.WithParams(ctx, sr.DefaultToGlobal), "orders-value")
	if sub[0].Err != nil || sub[0].Level != sr.CompatBackward {
		t.Fatalf("subject config defaulting to global = %+v", sub[0])
	}

	set := cl.SetCompatibility(ctx, sr.SetCompatibility{Level: sr.CompatFull}, "orders-value")
	if set[0].Err != nil || set[0].Level != sr.CompatFull {
		t.Fatalf("SetCompatibility = %+v", set[0])
	}
	if got := cl.Compatibility(ctx, "orders-value"); got[0].Err != nil || got[0].Level != sr.CompatFull {
		t.Fatalf("subject config after set = %+v", got[0])
	}
	set = cl.SetCompatibility(ctx, sr.SetCompatibility{Level: sr.CompatNone})
	if set[0].Err != nil || set[0].Level != sr.CompatNone {
		t.Fatalf("SetCompatibility global = %+v", set[0])
	}
	reset := cl.ResetCompatibility(ctx, "orders-value")
	if reset[0].Err != nil || reset[0].Level != sr.CompatFull {
		t.Fatalf("ResetCompatibility = %+v; want the removed FULL", reset[0])
	}
	reset = cl.ResetCompatibility(ctx, "orders-value")
	wantHTTPCode(t, reset[0].Err, CodeSubjectNotFound)
	reset = cl.ResetCompatibility(ctx)
	if reset[0].Err != nil || reset[0].Level != sr.CompatNone {
		t.Fatalf("ResetCompatibility global = %+v", reset[0])
	}
	if got := cl.Compatibility(ctx); got[0].Level != sr.CompatBackward {
		t.Fatalf("global after reset = %+v", got[0])
	}

	if m := cl.Mode(ctx); m[0].Err != nil || m[0].Mode != sr.ModeReadWrite {
		t.Fatalf("global mode = %+v", m[0])
	}
	m := cl.Mode(ctx, "orders-value")
	wantHTTPCode(t, m[0].Err, CodeSubjectModeNotFound)
	if m := cl.SetMode(ctx, sr.ModeReadOnly, "orders-value"); m[0].Err != nil || m[0].Mode != sr.ModeReadOnly {
		t.Fatalf("SetMode = %+v", m[0])
	}
	_, err := cl.CreateSchema(ctx, "orders-value", sr.Schema{Schema: avroV1})
	wantHTTPCode(t, err, CodeOperationNotPermitted)
	if _, err := cl.CreateSchema(ctx, "other", sr.Schema{Schema: avroV1}); err != nil {
		t.Fatalf("register under another subject in read-only mode of one: %v", err)
	}
	if m := cl.ResetMode(ctx, "orders-value"); m[0].Err != nil || m[0].Mode != sr.ModeReadOnly {
		t.Fatalf("ResetMode = %+v; want the removed READONLY", m[0])
	}
	if _, err := cl.CreateSchema(ctx, "orders-value", sr.Schema{Schema: avroV1}); err != nil {
		t.Fatalf("register after ResetMode: %v", err)
	}
	// IMPORT on a registry with schemas needs force.
	m = cl.SetMode(ctx, sr.ModeImport)
	wantHTTPCode(t, m[0].Err, CodeOperationNotPermitted)
}

// TestSRSurvivesRestart checks that what the API registered is there after
// the metadata log is reopened, with the same ids.
func TestSRSurvivesRestart(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	cl := newSRClient(t, f)
	if _, err := cl.CreateSchema(ctx, "orders-value", sr.Schema{Schema: avroV1}); err != nil {
		t.Fatal(err)
	}
	f.reopen()
	cl = newSRClient(t, f)
	if s, err := cl.SchemaByVersion(ctx, "orders-value", -1); err != nil || s.ID != 1 || s.Schema.Schema != avroV1 {
		t.Fatalf("after restart = %+v, %v", s, err)
	}
}

// GET /schemas (AllSchemas) with its filters, paging on the listings, and
// /contexts, through sr's params.
func TestSRListingsAndPaging(t *testing.T) {
	f := newFixture(t)
	cl := newSRClient(t, f)
	ctx := context.Background()
	for _, s := range []string{"a-value", "b-value", "c-value"} {
		f.register(s, avroV1)
	}
	f.register("b-value", avroV2)
	all, err := cl.AllSchemas(ctx)
	if err != nil || len(all) != 4 || all[1].Subject != "b-value" || all[1].Version != 1 || all[2].Version != 2 || all[2].ID != 2 {
		t.Fatalf("AllSchemas = %+v, %v", all, err)
	}
	latest, err := cl.AllSchemas(sr.WithParams(ctx, sr.LatestOnly, sr.SubjectPrefix("b")))
	if err != nil || len(latest) != 1 || latest[0].Version != 2 || latest[0].Schema.Schema != avroV2 {
		t.Fatalf("AllSchemas latest b = %+v, %v", latest, err)
	}
	subjects, err := cl.Subjects(sr.WithParams(ctx, sr.Offset(1), sr.Limit(1)))
	if err != nil || !slices.Equal(subjects, []string{"b-value"}) {
		t.Fatalf("Subjects offset 1 limit 1 = %v, %v", subjects, err)
	}
	versions, err := cl.SubjectVersions(sr.WithParams(ctx, sr.Limit(1)), "b-value")
	if err != nil || !slices.Equal(versions, []int{1}) {
		t.Fatalf("SubjectVersions limit 1 = %v, %v", versions, err)
	}
	contexts, err := cl.Contexts(ctx)
	if err != nil || !slices.Equal(contexts, []string{"."}) {
		t.Fatalf("Contexts = %v, %v", contexts, err)
	}
}

// IMPORT mode registers with the ids and versions the importer gives,
// without compatibility checks; ids are refused in READWRITE and required
// in IMPORT, and new ids continue above the imported ones.
func TestSRImportMode(t *testing.T) {
	f := newFixture(t)
	cl := newSRClient(t, f)
	ctx := context.Background()
	if err := cl.SetMode(ctx, sr.ModeImport); len(err) > 0 && err[0].Err != nil {
		t.Fatalf("SetMode IMPORT: %v", err[0].Err)
	}
	id, err := cl.RegisterSchema(ctx, "orders-value", sr.Schema{Schema: avroV1}, 100, 5)
	if err != nil || id != 100 {
		t.Fatalf("import id 100 version 5: %d, %v", id, err)
	}
	if id, err = cl.RegisterSchema(ctx, "orders-value", sr.Schema{Schema: avroBad}, 101, 6); err != nil || id != 101 {
		t.Fatalf("import of an incompatible schema: %d, %v", id, err)
	}
	got, err := cl.SchemaByVersion(ctx, "orders-value", 5)
	if err != nil || got.ID != 100 || got.Schema.Schema != avroV1 {
		t.Fatalf("imported version 5 = %+v, %v", got, err)
	}
	_, err = cl.RegisterSchema(ctx, "orders-value", sr.Schema{Schema: avroV2}, -1, -1)
	wantHTTPCode(t, err, CodeOperationNotPermitted) // import mode wants the id
	_, err = cl.RegisterSchema(ctx, "x", sr.Schema{Schema: avroV2}, 100, 1)
	wantHTTPCode(t, err, CodeOperationNotPermitted) // id 100 names another schema
	_, err = cl.RegisterSchema(ctx, "orders-value", sr.Schema{Schema: avroV2}, 102, 4)
	wantHTTPCode(t, err, CodeOperationNotPermitted) // version not above 6
	_, err = cl.RegisterSchema(ctx, "y", sr.Schema{Schema: avroV1}, 103, 1)
	wantHTTPCode(t, err, CodeOperationNotPermitted) // the schema already has id 100

	if err := cl.SetMode(ctx, sr.ModeReadWrite); len(err) > 0 && err[0].Err != nil {
		t.Fatalf("SetMode READWRITE: %v", err[0].Err)
	}
	_, err = cl.RegisterSchema(ctx, "orders-value", sr.Schema{Schema: avroV2}, 200, 1)
	wantHTTPCode(t, err, CodeOperationNotPermitted) // an id outside import mode
	if _, err := f.SetConfig("orders-value", "NONE", nil); err != nil {
		t.Fatal(err)
	}
	next, err := cl.CreateSchema(ctx, "orders-value", sr.Schema{Schema: avroV2})
	if err != nil || next.ID != 102 || next.Version != 7 {
		t.Fatalf("registration after an import = id %d version %d, %v; want 102 and 7", next.ID, next.Version, err)
	}
}
