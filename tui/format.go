package tui

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// formatAge says how long ago t was, in its largest unit: "3s", "5m", "2h", "4d"; "-" for
// the zero time.
func formatAge(now, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	d := now.Sub(t)
	if d < time.Second {
		return "0s"
	}
	return formatDuration(d)
}

// formatDuration renders d in its largest whole unit: "900ms", "3s", "5m", "2h", "4d".
func formatDuration(d time.Duration) string {
	switch {
	case d < time.Second && d > 0:
		return strconv.FormatInt(d.Milliseconds(), 10) + "ms"
	case d < time.Minute:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	case d < time.Hour:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	case d < 24*time.Hour:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	}
	return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
}

// formatBytes renders a size with a binary unit: "512B", "4.0K", "1.5M"; "-" when unknown
// (negative).
func formatBytes(n int64) string {
	if n < 0 {
		return "-"
	}
	if n < 1024 {
		return strconv.FormatInt(n, 10) + "B"
	}
	v := float64(n)
	for _, u := range []string{"K", "M", "G", "T", "P"} {
		v /= 1024
		if v < 1024 || u == "P" {
			if v < 10 {
				return fmt.Sprintf("%.1f%s", v, u)
			}
			return fmt.Sprintf("%.0f%s", v, u)
		}
	}
	return strconv.FormatInt(n, 10) + "B"
}

// formatRetention renders retention.ms and retention.bytes: "7d", "1h/1.0G", "forever";
// "-" when the broker did not say.
func formatRetention(ms, bytes int64) string {
	var s string
	switch {
	case ms < 0:
		s = "forever"
	case ms == 0:
		s = "-"
	default:
		s = formatDuration(time.Duration(ms) * time.Millisecond)
	}
	if bytes > 0 {
		s += "/" + formatBytes(bytes)
	}
	return s
}

// formatCount renders a count, "-" when unknown (negative).
func formatCount(n int64) string {
	if n < 0 {
		return "-"
	}
	return strconv.FormatInt(n, 10)
}

// sparkline draws samples as one block character each, scaled to the largest.
func sparkline(samples []int64) string {
	const bars = "▁▂▃▄▅▆▇█"
	blocks := []rune(bars)
	var hi int64
	for _, s := range samples {
		hi = max(hi, s)
	}
	var b strings.Builder
	for _, s := range samples {
		i := 0
		if hi > 0 && s > 0 {
			i = int(s * int64(len(blocks)-1) / hi)
		}
		b.WriteRune(blocks[i])
	}
	return b.String()
}

// joinInts renders a list of ints as "1,2,3".
func joinInts[T ~int | ~int32 | ~int64](xs []T) string {
	var b strings.Builder
	for i, x := range xs {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(int64(x), 10))
	}
	return b.String()
}

func itoa(i int) string { return strconv.Itoa(i) }

// plural renders "1 query", "2 queries": n and the singular or plural noun.
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}
