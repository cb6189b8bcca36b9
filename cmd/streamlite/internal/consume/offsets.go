package consume

import (
	"fmt"
	"strconv"
	"strings"
)

// startKind says how an -o value picks each partition's first offset.
type startKind int

const (
	startBeginning startKind = iota // the log start offset
	startEnd                        // the high watermark: only new records
	startExact                      // a given offset, clamped to [start, end]
	startLastN                      // the last N records: end-N, at least start
	startTime                       // the first offset whose timestamp is at or after a millisecond
)

// startSpec is a parsed -o value.
type startSpec struct {
	kind startKind
	n    int64 // the offset, the count or the millisecond
}

// parseStart parses -o: beginning (or start, oldest), end (or newest),
// OFFSET, -N or @TIMESTAMP_MS.
func parseStart(s string) (startSpec, error) {
	switch strings.ToLower(s) {
	case "beginning", "start", "oldest", "earliest":
		return startSpec{kind: startBeginning}, nil
	case "end", "newest", "latest":
		return startSpec{kind: startEnd}, nil
	}
	bad := func() (startSpec, error) {
		return startSpec{}, fmt.Errorf("invalid offset %q: want beginning, end, OFFSET, -N or @TIMESTAMP_MS", s)
	}
	if ts, ok := strings.CutPrefix(s, "@"); ok {
		n, err := strconv.ParseInt(ts, 10, 64)
		if err != nil || n < 0 {
			return bad()
		}
		return startSpec{kind: startTime, n: n}, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return bad()
	}
	if strings.HasPrefix(s, "-") {
		return startSpec{kind: startLastN, n: -n}, nil
	}
	return startSpec{kind: startExact, n: n}, nil
}

// resolve returns the first offset to read in a partition whose log runs
// from start to end (the high watermark). at is the ListOffsets answer for a
// startTime spec: the first offset at or after the millisecond, or -1 for
// none.
func (s startSpec) resolve(start, end, at int64) int64 {
	var off int64
	switch s.kind {
	case startBeginning:
		off = start
	case startEnd:
		off = end
	case startExact:
		off = s.n
	case startLastN:
		off = end - s.n
	case startTime:
		off = at
		if off < 0 {
			off = end
		}
	}
	return min(max(off, start), end)
}
