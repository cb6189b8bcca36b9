package cluster

import (
	"testing"

	"github.com/streamlite/streamlite/engine/meta"
)

// The schema registry's records show in __cluster_metadata with
// Confluent's field names (compatibilityLevel, schemaType).
func TestMetadataRecordJSONRegistry(t *testing.T) {
	yes := true
	for _, c := range []struct {
		rec  meta.Record
		want string
	}{
		{meta.SchemaRegistered{Subject: "o-value", Version: 2, ID: 7, SchemaType: "AVRO", Schema: `"int"`,
			References: []meta.SchemaReference{{Name: "x.A", Subject: "a", Version: 1}}},
			`{"index":5,"type":"SchemaRegistered","record":{"subject":"o-value","version":2,"id":7,"schemaType":"AVRO","schema":"\"int\"","references":[{"name":"x.A","subject":"a","version":1}]}}`},
		{meta.SchemaDeleted{Subject: "s", Permanent: true},
			`{"index":5,"type":"SchemaDeleted","record":{"subject":"s","permanent":true}}`},
		{meta.RegistryConfigChanged{Compatibility: "FULL", Normalize: &yes},
			`{"index":5,"type":"RegistryConfigChanged","record":{"subject":"","compatibilityLevel":"FULL","normalize":true}}`},
		{meta.RegistryModeChanged{Subject: "s", Mode: "READONLY"},
			`{"index":5,"type":"RegistryModeChanged","record":{"subject":"s","mode":"READONLY"}}`},
	} {
		b, err := MetadataRecordJSON(5, c.rec)
		if err != nil || string(b) != c.want {
			t.Errorf("%v:\n got %s (%v)\nwant %s", c.rec.Type(), b, err, c.want)
		}
	}
}
