package schema

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Plain HTTP against the REST API: content types, statuses and error
// bodies as ../shared/notes/schema-registry.md, 1.1, gives them.
//
// TestHTTP's cases are a transcript: they run in order on one registry,
// each seeing what the earlier ones left, so run the whole test rather
// than a single case.

type httpCase struct {
	name        string
	method      string
	path        string
	contentType string // "" sends none
	accept      string // "" sends none
	body        string
	status      int
	code        int    // error_code; 0 for a success
	wantType    string // response Content-Type; "" means contentTypeV1
	wantBody    string // exact body (trimmed) when set
	contains    string // a substring of the body when set
}

func TestHTTP(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(NewHandler(f.Registry, nil))
	t.Cleanup(srv.Close)
	const v1 = contentTypeV1
	proto := `syntax = \"proto3\";\npackage shop;\nmessage Item { string sku = 1; }\n`

	cases := []httpCase{
		{name: "root", method: "GET", path: "/", status: 200, wantBody: `{}`},
		{name: "types", method: "GET", path: "/schemas/types", status: 200, wantBody: `["JSON","PROTOBUF","AVRO"]`},
		{name: "accept json", method: "GET", path: "/schemas/types", accept: "application/json", status: 200, wantType: "application/json"},
		{name: "accept v1 and json", method: "GET", path: "/schemas/types", accept: "application/vnd.schemaregistry.v1+json, application/json;q=0.9", status: 200},
		{name: "accept anything", method: "GET", path: "/schemas/types", accept: "*/*", status: 200},
		{name: "register v1 content type", method: "POST", path: "/subjects/orders-value/versions", contentType: v1, body: `{"schema":` + jsonQuote(avroV1) + `}`, status: 200, wantBody: `{"id":1}`},
		{name: "register application/json", method: "POST", path: "/subjects/orders-value/versions", contentType: "application/json; charset=utf-8", body: `{"schema":` + jsonQuote(avroV2) + `}`, status: 200, wantBody: `{"id":2}`},
		{name: "register generic type", method: "POST", path: "/subjects/b/versions", contentType: contentTypeGeneric, body: `{"schema":` + jsonQuote(avroV1) + `}`, status: 200, wantBody: `{"id":1}`},
		{name: "register octet-stream", method: "POST", path: "/subjects/c/versions", contentType: contentTypeOctet, body: `{"schema":` + jsonQuote(avroV1) + `}`, status: 200, wantBody: `{"id":1}`},
		{name: "register no content type", method: "POST", path: "/subjects/d/versions", body: `{"schema":` + jsonQuote(avroV1) + `}`, status: 200, wantBody: `{"id":1}`},
		{name: "register protobuf", method: "POST", path: "/subjects/item/versions", contentType: v1, body: `{"schemaType":"PROTOBUF","schema":"` + proto + `"}`, status: 200, wantBody: `{"id":3}`},
		{name: "register form content type", method: "POST", path: "/subjects/e/versions", contentType: "application/x-www-form-urlencoded", body: `{"schema":` + jsonQuote(avroV1) + `}`, status: 415, code: 415},
		{name: "register not JSON", method: "POST", path: "/subjects/orders-value/versions", contentType: v1, body: `{"schema":`, status: 400, code: 400},
		{name: "register wrong JSON shape", method: "POST", path: "/subjects/orders-value/versions", contentType: v1, body: `{"schema":17}`, status: 400, code: 400},
		{name: "register empty body", method: "POST", path: "/subjects/orders-value/versions", contentType: v1, status: 422, code: 42201},
		{name: "register invalid avro", method: "POST", path: "/subjects/orders-value/versions", contentType: v1, body: `{"schema":"{\"type\":\"record\",\"name\":\"X\"}"}`, status: 422, code: 42201, contains: "Invalid schema"},
		{name: "register unknown type", method: "POST", path: "/subjects/orders-value/versions", contentType: v1, body: `{"schemaType":"XML","schema":"<a/>"}`, status: 422, code: 42201},
		{name: "register incompatible", method: "POST", path: "/subjects/orders-value/versions", contentType: v1, body: `{"schema":` + jsonQuote(avroBad) + `}`, status: 409, code: 409, contains: "incompatible with an earlier schema"},
		{name: "register bad subject", method: "POST", path: "/subjects/:.ctx:x/versions", contentType: v1, body: `{"schema":` + jsonQuote(avroV1) + `}`, status: 422, code: 42208},
		{name: "by id", method: "GET", path: "/schemas/ids/1", status: 200, wantBody: `{"schema":` + jsonQuote(avroV1) + `}`},
		{name: "by id protobuf", method: "GET", path: "/schemas/ids/3", status: 200, wantBody: `{"schema":"` + proto + `","schemaType":"PROTOBUF"}`},
		{name: "by id raw", method: "GET", path: "/schemas/ids/1/schema", status: 200, wantBody: avroV1},
		{name: "by id raw protobuf", method: "GET", path: "/schemas/ids/3/schema", status: 200, contains: "message Item { string sku = 1; }"},
		{name: "by id unknown", method: "GET", path: "/schemas/ids/42", status: 404, code: 40403},
		{name: "by id not a number", method: "GET", path: "/schemas/ids/x", status: 404, code: 40403},
		{name: "id versions", method: "GET", path: "/schemas/ids/1/versions", status: 200, wantBody: `[{"subject":"b","version":1},{"subject":"c","version":1},{"subject":"d","version":1},{"subject":"orders-value","version":1}]`},
		{name: "id subjects narrowed", method: "GET", path: "/schemas/ids/1/subjects?subject=c", status: 200, wantBody: `["c"]`},
		{name: "subjects", method: "GET", path: "/subjects", status: 200, wantBody: `["b","c","d","item","orders-value"]`},
		{name: "subjects prefix none", method: "GET", path: "/subjects?subjectPrefix=zz", status: 200, wantBody: `[]`},
		{name: "versions", method: "GET", path: "/subjects/orders-value/versions", status: 200, wantBody: `[1,2]`},
		{name: "versions unknown subject", method: "GET", path: "/subjects/nobody/versions", status: 404, code: 40401, wantBody: `{"error_code":40401,"message":"Subject 'nobody' not found."}`},
		{name: "version", method: "GET", path: "/subjects/orders-value/versions/1", status: 200, wantBody: `{"subject":"orders-value","version":1,"id":1,"schema":` + jsonQuote(avroV1) + `}`},
		{name: "version latest", method: "GET", path: "/subjects/orders-value/versions/latest", status: 200, contains: `"version":2,"id":2`},
		{name: "version -1", method: "GET", path: "/subjects/orders-value/versions/-1", status: 200, contains: `"version":2,"id":2`},
		{name: "version unknown", method: "GET", path: "/subjects/orders-value/versions/9", status: 404, code: 40402, wantBody: `{"error_code":40402,"message":"Version 9 not found."}`},
		{name: "version invalid", method: "GET", path: "/subjects/orders-value/versions/0", status: 422, code: 42202},
		{name: "version not a number", method: "GET", path: "/subjects/orders-value/versions/abc", status: 422, code: 42202},
		{name: "version unknown subject", method: "GET", path: "/subjects/nobody/versions/1", status: 404, code: 40401},
		{name: "version raw", method: "GET", path: "/subjects/orders-value/versions/2/schema", status: 200, wantBody: avroV2},
		{name: "lookup", method: "POST", path: "/subjects/orders-value", contentType: v1, body: `{"schema":` + jsonQuote(avroV2) + `}`, status: 200, contains: `"subject":"orders-value","version":2,"id":2`},
		{name: "lookup unknown schema", method: "POST", path: "/subjects/orders-value", contentType: v1, body: `{"schema":` + jsonQuote(avroBad) + `}`, status: 404, code: 40403},
		{name: "referencedby", method: "GET", path: "/subjects/orders-value/versions/1/referencedby", status: 200, wantBody: `[]`},
		{name: "compat", method: "POST", path: "/compatibility/subjects/orders-value/versions/latest", contentType: v1, body: `{"schema":` + jsonQuote(avroBad) + `}`, status: 200, wantBody: `{"is_compatible":false}`},
		{name: "compat verbose", method: "POST", path: "/compatibility/subjects/orders-value/versions/latest?verbose=true", contentType: v1, body: `{"schema":` + jsonQuote(avroV2) + `}`, status: 200, wantBody: `{"is_compatible":true,"messages":[]}`},
		{name: "compat all verbose", method: "POST", path: "/compatibility/subjects/orders-value/versions?verbose=true", contentType: v1, body: `{"schema":` + jsonQuote(avroBad) + `}`, status: 200, contains: `"is_compatible":false,"messages":["`},
		{name: "compat invalid schema", method: "POST", path: "/compatibility/subjects/orders-value/versions/1", contentType: v1, body: `{"schema":"nope"}`, status: 422, code: 42201},
		{name: "config", method: "GET", path: "/config", status: 200, wantBody: `{"compatibilityLevel":"BACKWARD"}`},
		{name: "config subject unset", method: "GET", path: "/config/orders-value", status: 404, code: 40408},
		{name: "config subject to global", method: "GET", path: "/config/orders-value?defaultToGlobal=true", status: 200, wantBody: `{"compatibilityLevel":"BACKWARD"}`},
		{name: "config set", method: "PUT", path: "/config/orders-value", contentType: v1, body: `{"compatibility":"full_transitive"}`, status: 200, wantBody: `{"compatibility":"FULL_TRANSITIVE"}`},
		{name: "config set invalid", method: "PUT", path: "/config", contentType: v1, body: `{"compatibility":"SIDEWAYS"}`, status: 422, code: 42203},
		{name: "config set not JSON", method: "PUT", path: "/config", contentType: v1, body: `compatibility=FULL`, status: 400, code: 400},
		{name: "config get subject", method: "GET", path: "/config/orders-value", status: 200, wantBody: `{"compatibilityLevel":"FULL_TRANSITIVE"}`},
		{name: "config delete", method: "DELETE", path: "/config/orders-value", status: 200, wantBody: `{"compatibilityLevel":"FULL_TRANSITIVE","compatibility":"FULL_TRANSITIVE"}`},
		{name: "mode", method: "GET", path: "/mode", status: 200, wantBody: `{"mode":"READWRITE"}`},
		{name: "mode set invalid", method: "PUT", path: "/mode", contentType: v1, body: `{"mode":"SOMETIMES"}`, status: 422, code: 42204},
		{name: "mode subject unset", method: "GET", path: "/mode/orders-value", status: 404, code: 40409},
		{name: "mode set subject", method: "PUT", path: "/mode/orders-value", contentType: v1, body: `{"mode":"readonly"}`, status: 200, wantBody: `{"mode":"READONLY"}`},
		{name: "delete in read-only", method: "DELETE", path: "/subjects/orders-value", status: 422, code: 42205},
		{name: "mode delete subject", method: "DELETE", path: "/mode/orders-value", status: 200, wantBody: `{"mode":"READONLY"}`},
		{name: "delete version", method: "DELETE", path: "/subjects/orders-value/versions/2", status: 200, wantBody: `2`},
		{name: "delete version permanent", method: "DELETE", path: "/subjects/orders-value/versions/2?permanent=true", status: 200, wantBody: `2`},
		{name: "delete subject permanent first", method: "DELETE", path: "/subjects/b?permanent=true", status: 404, code: 40405},
		{name: "delete subject", method: "DELETE", path: "/subjects/b", status: 200, wantBody: `[1]`},
		{name: "subjects deleted only", method: "GET", path: "/subjects?deletedOnly=true", status: 200, wantBody: `["b"]`},
		{name: "schemas by prefix", method: "GET", path: "/schemas?subjectPrefix=orders", status: 200, wantBody: `[{"subject":"orders-value","version":1,"id":1,"schema":` + jsonQuote(avroV1) + `}]`},
		{name: "schemas paged", method: "GET", path: "/schemas?latestOnly=true&offset=1&limit=1", status: 200, wantBody: `[{"subject":"d","version":1,"id":1,"schema":` + jsonQuote(avroV1) + `}]`},
		{name: "schemas deleted", method: "GET", path: "/schemas?deleted=true&limit=1", status: 200, contains: `"subject":"b"`},
		{name: "schemas past the end", method: "GET", path: "/schemas?offset=99", status: 200, wantBody: `[]`},
		{name: "subjects paged", method: "GET", path: "/subjects?limit=2", status: 200, wantBody: `["c","d"]`},
		{name: "subjects limit -1", method: "GET", path: "/subjects?offset=3&limit=-1", status: 200, wantBody: `["orders-value"]`},
		{name: "subjects bad limit", method: "GET", path: "/subjects?limit=ten", status: 400, code: 400},
		{name: "subjects bad offset", method: "GET", path: "/subjects?offset=-2", status: 400, code: 400},
		{name: "versions deleted as negative", method: "GET", path: "/subjects/b/versions?deleted=true&deletedAsNegative=true", status: 200, wantBody: `[-1]`},
		{name: "versions deleted", method: "GET", path: "/subjects/b/versions?deleted=true", status: 200, wantBody: `[1]`},
		{name: "contexts", method: "GET", path: "/contexts", status: 200, wantBody: `["."]`},
		{name: "unknown route", method: "GET", path: "/nothing/here", status: 404, code: 404},
		{name: "wrong method", method: "PATCH", path: "/subjects", status: 404, code: 404},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, srv.URL) })
	}
}

func (c httpCase) run(t *testing.T, base string) {
	t.Helper()
	req, err := http.NewRequest(c.method, base+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if c.contentType != "" {
		req.Header.Set("Content-Type", c.contentType)
	}
	if c.accept != "" {
		req.Header.Set("Accept", c.accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	body := strings.TrimSpace(string(raw))
	if resp.StatusCode != c.status {
		t.Fatalf("status %d, want %d; body %s", resp.StatusCode, c.status, body)
	}
	wantType := c.wantType
	if wantType == "" {
		wantType = contentTypeV1
	}
	if got := resp.Header.Get("Content-Type"); got != wantType {
		t.Errorf("Content-Type %q, want %q", got, wantType)
	}
	if c.code != 0 {
		var e errorBody
		if err := json.Unmarshal(raw, &e); err != nil || e.Code != c.code || e.Message == "" {
			t.Errorf("error body %s, want error_code %d and a message", body, c.code)
		}
	}
	if c.wantBody != "" && body != c.wantBody {
		t.Errorf("body\n%s\nwant\n%s", body, c.wantBody)
	}
	if c.contains != "" && !strings.Contains(body, c.contains) {
		t.Errorf("body %s does not contain %s", body, c.contains)
	}
}

func jsonQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestHTTPTooLarge checks that a body over the limit is refused with
// 42209 and does not reach the registry.
func TestHTTPTooLarge(t *testing.T) {
	f := newFixture(t)
	srv := httptest.NewServer(NewHandler(f.Registry, nil))
	t.Cleanup(srv.Close)
	big := `{"schema":"` + strings.Repeat("a", maxBody) + `"}`
	c := httpCase{method: "POST", path: "/subjects/big/versions", contentType: contentTypeV1, body: big, status: 422, code: codeSchemaTooLarge}
	c.run(t, srv.URL)
	if got := f.Subjects("", true); len(got) != 0 {
		t.Fatalf("subjects after a refused request: %v", got)
	}
}
