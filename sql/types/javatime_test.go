package types

import "testing"

func TestJavaLayout(t *testing.T) {
	for in, want := range map[string]string{
		"yyyy-MM-dd'T'HH:mm:ss.SSS": "2006-01-02T15:04:05.000",
		"yy-MM-dd HH:mm:ssX":        "06-01-02 15:04:05Z07",
		"dd/MMM/yyyy hh:mm a Z":     "02/Jan/2006 03:04 PM -0700",
		"yyyyMMdd":                  "20060102",
	} {
		got, err := JavaLayout(in)
		if err != nil || got != want {
			t.Errorf("JavaLayout(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"yyyy-'MM", "yyyy Q"} {
		if _, err := JavaLayout(bad); err == nil {
			t.Errorf("JavaLayout(%q) accepted", bad)
		}
	}
}
