package meta

import (
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
)

func TestSummary(t *testing.T) {
	for _, tc := range []struct{ typ, rec, want string }{
		{"TopicCreated", `{"name":"orders","topicId":"AAAAAAAAAAAAAAAAAAAAAQ","partitions":3,"configs":{"retention.ms":"1000","cleanup.policy":"compact"}}`,
			"topic orders created (3 partitions, cleanup.policy=compact, retention.ms=1000)"},
		{"TopicCreated", `{"name":"one","partitions":1}`, "topic one created (1 partition)"},
		{"TopicCreated", `{"name":"bare"}`, "topic bare created"},
		{"TopicDeleted", `{"name":"orders","topicId":"x"}`, "topic orders deleted"},
		{"PartitionsAdded", `{"name":"orders","partitions":6}`, "topic orders grown to 6 partitions"},
		{"ConfigChanged", `{"name":"orders","set":{"retention.ms":"5"},"delete":["x"]}`,
			"topic orders config set retention.ms=5 deleted x"},
		{"ConfigChanged", `{"name":"orders","set":{"b":"2","a":"1"}}`, "topic orders config set a=1, b=2"},
		{"ConfigChanged", `{"name":"orders","delete":["x","y"]}`, "topic orders config deleted x, y"},
		{"ConfigChanged", `{"name":"orders"}`, "topic orders config unchanged"},
		{"ProducerIDBlock", `{"nextProducerId":2000}`, "producer ids below 2000 allocated"},
		{"BrokerConfigChanged", `{"set":{"log.retention.ms":"1000"},"delete":["message.max.bytes"]}`,
			"broker config set log.retention.ms=1000 deleted message.max.bytes"},
		{"SchemaRegistered", `{"subject":"orders-value","version":2,"id":7,"schemaType":"AVRO","schema":"\"int\""}`,
			"schema id 7 registered as subject orders-value version 2 (AVRO)"},
		{"SchemaDeleted", `{"subject":"s","version":3,"permanent":false}`, "subject s version 3 soft-deleted"},
		{"SchemaDeleted", `{"subject":"s","permanent":true}`, "subject s every version permanently deleted"},
		{"RegistryConfigChanged", `{"subject":"","compatibilityLevel":"FULL","normalize":true}`,
			"schema registry config of global set compatibility=FULL normalize=true"},
		{"RegistryConfigChanged", `{"subject":"s"}`, "schema registry config of subject s deleted"},
		{"RegistryModeChanged", `{"subject":"s","mode":"READONLY"}`, "schema registry mode of subject s set to READONLY"},
		{"RegistryModeChanged", `{"subject":""}`, "schema registry mode of global deleted"},
		{"SchemaDeleted", `{"version":3}`, `{"version":3}`},
		// Unknown types, and known ones missing what they need, show
		// their JSON rather than a wrong sentence.
		{"AclCreated", `{"principal": "User:alice",  "op":"Read"}`, `{"principal":"User:alice","op":"Read"}`},
		{"TopicDeleted", `{"topicId":"x"}`, `{"topicId":"x"}`},
		{"PartitionsAdded", `{"name":"orders"}`, `{"name":"orders"}`},
		{"ProducerIDBlock", `{}`, `{}`},
		{"TopicCreated", `[1, 2]`, `[1,2]`},
	} {
		if got := summary(tc.typ, []byte(tc.rec)); got != tc.want {
			t.Errorf("summary(%s, %s)\n got %q\nwant %q", tc.typ, tc.rec, got, tc.want)
		}
	}
}

func TestAppendText(t *testing.T) {
	for _, tc := range []struct{ key, value, want string }{
		{"TopicDeleted", `{"index":12,"type":"TopicDeleted","record":{"name":"orders"}}`,
			"12       TopicDeleted     topic orders deleted\n"},
		// The key names the type when the value does not.
		{"TopicDeleted", `{"index":3,"record":{"name":"a"}}`, "3        TopicDeleted     topic a deleted\n"},
		// Not a metadata record: shown as it is.
		{"k", `not json`, "-        k                not json\n"},
		{"", `{"index":4}`, `4        -                {"index":4}` + "\n"},
	} {
		got := string(appendText(nil, &kgo.Record{Key: []byte(tc.key), Value: []byte(tc.value)}))
		if got != tc.want {
			t.Errorf("appendText(%s, %s)\n got %q\nwant %q", tc.key, tc.value, got, tc.want)
		}
	}
}

func TestFlatten(t *testing.T) {
	fields, err := flatten([]byte(`{"lastIndex": 12, "snapshot": {"index": 10, "time": "2026-01-02T03:04:05Z", "extra": {}},
		"name": "x", "none": null, "list": [1, 2], "big": 18446744073709551615, "a": true}`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range fields {
		got = append(got, f.key+"="+f.value)
	}
	// The broker's order, not sorted; numbers exactly as sent.
	want := "lastIndex=12 snapshot.index=10 snapshot.time=2026-01-02T03:04:05Z snapshot.extra={} name=x none=- list=[1,2] big=18446744073709551615 a=true"
	if strings.Join(got, " ") != want {
		t.Errorf("flatten\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	if fields, err := flatten([]byte(`42`)); err != nil || len(fields) != 1 || fields[0].value != "42" {
		t.Errorf("not an object: %v %v", fields, err)
	}
	if _, err := flatten([]byte(`{"a": `)); err == nil {
		t.Error("truncated object: no error")
	}
}
