package restore

import (
	"testing"

	"github.com/streamlite/streamlite/engine"
)

func TestOffsetsSummary(t *testing.T) {
	p := func(n int32, start, end int64) engine.RestoredPartition {
		return engine.RestoredPartition{Partition: n, StartOffset: start, EndOffset: end}
	}
	for _, c := range []struct {
		ps   []engine.RestoredPartition
		want string
	}{
		{nil, "-"},
		{[]engine.RestoredPartition{p(0, 0, 240)}, "0-240"},
		{[]engine.RestoredPartition{p(0, -1, 0)}, "none"},
		{[]engine.RestoredPartition{p(0, -1, 90)}, "none@90"},
		{[]engine.RestoredPartition{p(0, 0, 10), p(1, 5, 20), p(2, -1, 0)}, "0:0-10 1:5-20 2:none"},
		{[]engine.RestoredPartition{p(0, 0, 10), p(1, 0, 10), p(2, 0, 10), p(3, 0, 10), p(4, 0, 10)}, "0-10 in each of 5"},
		{[]engine.RestoredPartition{p(0, 3, 10), p(1, 0, 12), p(2, -1, 0), p(3, 0, 10), p(4, 1, 10)}, "0-12 across 5 (1 empty)"},
		{[]engine.RestoredPartition{p(0, -1, 0), p(1, -1, 0), p(2, -1, 0), p(3, -1, 0), p(4, -1, 7)}, "none in 5"},
	} {
		if got := offsetsSummary(c.ps); got != c.want {
			t.Errorf("offsetsSummary(%v) = %q, want %q", c.ps, got, c.want)
		}
	}
}

func TestUpCommandQuotes(t *testing.T) {
	got := upCommand("/data/my dir", flags{from: "s3://b/p?endpoint=http://h:1&region=x", s3Region: "eu-west-1"})
	want := `streamlite up --data-dir '/data/my dir' --remote-storage 's3://b/p?endpoint=http://h:1&region=x' --s3-region eu-west-1`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got, want := shellQuote("it's"), `'it'\''s'`; got != want {
		t.Errorf("shellQuote: got %s, want %s", got, want)
	}
}
