package engine

import (
	"time"

	"github.com/streamlite/streamlite/sql/types"
)

// parseTimestampFormat parses s with a Java date-time pattern
// (TIMESTAMP_FORMAT), returning ms since the epoch; a pattern without a
// zone reads UTC.
func parseTimestampFormat(s, pattern string) (int64, error) {
	layout, err := types.JavaLayout(pattern)
	if err != nil {
		return 0, err
	}
	t, err := time.ParseInLocation(layout, s, time.UTC)
	if err != nil {
		return 0, err
	}
	return t.UnixMilli(), nil
}
