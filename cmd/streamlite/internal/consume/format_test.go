package consume

import (
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func TestTextFormat(t *testing.T) {
	r := &kgo.Record{
		Topic: "t", Partition: 2, Offset: 7, Key: []byte("k"), Value: nil,
		Timestamp: time.UnixMilli(1700000000123),
		Headers:   []kgo.RecordHeader{{Key: "a", Value: []byte("1")}, {Key: "b"}},
	}
	for format, want := range map[string]string{
		`%t/%p/%o`:        "t/2/7",
		`%k=%v;%K;%S`:     "k=;1;-1",
		`%T`:              "1700000000123",
		`[%h]`:            "[a=1,b=]",
		`100%% \\ \t\r\n`: "100% \\ \t\r\n",
		`no tokens`:       "no tokens",
		`%v%v%k`:          "k",
	} {
		f, err := parseFormat(format)
		if err != nil {
			t.Fatalf("%q: %v", format, err)
		}
		got, _ := f.appendRecord([]byte("prefix:"), r)
		if string(got) != "prefix:"+want {
			t.Errorf("%q: got %q, want %q", format, got, "prefix:"+want)
		}
	}
	for _, bad := range []string{`%`, `%z`, `\`, `\q`} {
		if _, err := parseFormat(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestParseStart(t *testing.T) {
	for s, want := range map[string]int64{ // start 10, end 100, at 50
		"beginning": 10, "oldest": 10, "end": 100, "newest": 100,
		"0": 10, "42": 42, "1000": 100, "-5": 95, "-500": 10,
		"@123": 50,
	} {
		spec, err := parseStart(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if got := spec.resolve(10, 100, 50); got != want {
			t.Errorf("%q: resolved to %d, want %d", s, got, want)
		}
	}
	spec, _ := parseStart("@123")
	if got := spec.resolve(10, 100, -1); got != 100 {
		t.Errorf("@ with no offset after: %d, want the end", got)
	}
	for _, bad := range []string{"", "x", "@", "@-1", "1.5"} {
		if _, err := parseStart(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
