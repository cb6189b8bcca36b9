package tiered

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"testing"
)

func TestTopics(t *testing.T) {
	ctx := context.Background()
	st := newFileStore(t)
	if got, err := ReadTopics(ctx, st); err != nil || len(got) != 0 {
		t.Fatalf("ReadTopics of an empty store = %v, %v", got, err)
	}
	a := TopicInfo{Name: "orders", ID: testRef.TopicID, Partitions: 6,
		Configs: map[string]string{"retention.ms": "-1", "remote.storage.enable": "true"}}
	b := TopicInfo{Name: "a.b_c-d", ID: [16]byte{1}, Partitions: 1, Configs: map[string]string{}}
	recreated := TopicInfo{Name: "orders", ID: [16]byte{0xff}, Partitions: 2, Configs: map[string]string{}}
	for _, ti := range []TopicInfo{a, b, recreated} {
		if err := WriteTopic(ctx, st, ti); err != nil {
			t.Fatal(err)
		}
	}
	// A partition's data beside them is not a topic.
	r := mustOpen(t, st, nil)
	w := newSegWriter(t, 100)
	w.add()
	mustUpload(t, r, w.segments()...)

	a.Partitions, a.Configs["cleanup.policy"] = 8, "delete"
	if err := WriteTopic(ctx, st, a); err != nil { // an update replaces it
		t.Fatal(err)
	}
	got, err := ReadTopics(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if want := []TopicInfo{b, a, recreated}; !reflect.DeepEqual(got, want) {
		t.Fatalf("ReadTopics:\n%+v\nwant\n%+v", got, want)
	}

	for _, bad := range []TopicInfo{{Name: "a/b", Partitions: 1}, {Name: "..", Partitions: 1}, {Name: "x", Partitions: 0}} {
		if err := WriteTopic(ctx, st, bad); err == nil {
			t.Fatalf("WriteTopic(%+v) accepted", bad)
		}
	}

	key := topicPrefix(b.Name, b.ID) + topicInfoName
	orig, err := st.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	for name, mangled := range map[string][]byte{
		"changed":  bytes.Replace(orig, []byte(`"partitions":1`), []byte(`"partitions":2`), 1),
		"garbage":  []byte("{"),
		"moved":    mustGet(t, st, topicPrefix(a.Name, a.ID)+topicInfoName),
		"no crc32": bytes.Replace(orig, []byte(`,"crc32c"`), []byte(`,"crc"`), 1),
	} {
		if err := putBytes(ctx, st, key, mangled); err != nil {
			t.Fatal(err)
		}
		if _, err := ReadTopics(ctx, st); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("%s topic.json: %v, want ErrCorrupt", name, err)
		}
	}
	if err := putBytes(ctx, st, key, orig); err != nil {
		t.Fatal(err)
	}

	if err := DeleteTopic(ctx, st, a.Name, a.ID); err != nil {
		t.Fatal(err)
	}
	if left := keys(t, st, topicPrefix(a.Name, a.ID)); len(left) != 0 {
		t.Fatalf("left after DeleteTopic: %v", left)
	}
	got, err = ReadTopics(ctx, st)
	if err != nil || !reflect.DeepEqual(got, []TopicInfo{b, recreated}) {
		t.Fatalf("after DeleteTopic: %+v, %v", got, err)
	}
}

func mustGet(t *testing.T, st interface {
	Get(context.Context, string) ([]byte, error)
}, key string) []byte {
	t.Helper()
	b, err := st.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
