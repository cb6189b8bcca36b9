package objstore

import (
	"strings"
	"testing"
)

func TestParseStoreURL(t *testing.T) {
	yes, no := true, false
	for _, c := range []struct {
		url  string
		o    OpenOptions
		want storeTarget
	}{
		{url: "file:///var/lib/streamlite/objects", want: storeTarget{dir: "/var/lib/streamlite/objects"}},
		{url: "file://rel/dir", want: storeTarget{dir: "rel/dir"}},
		{url: "file://./objects", want: storeTarget{dir: "./objects"}},
		{url: "FILE:///x", want: storeTarget{dir: "/x"}},
		{url: "file:///x", o: OpenOptions{Endpoint: "http://ignored", PathStyle: &yes}, want: storeTarget{dir: "/x"}},
		{url: "s3://bucket", want: storeTarget{s3: S3Options{Bucket: "bucket"}}},
		{url: "s3://bucket/", want: storeTarget{s3: S3Options{Bucket: "bucket"}}},
		{url: "s3://bucket/a/b/", want: storeTarget{s3: S3Options{Bucket: "bucket", Prefix: "a/b"}}},
		{url: "S3://my.bucket-1/tiered", want: storeTarget{s3: S3Options{Bucket: "my.bucket-1", Prefix: "tiered"}}},
		{
			url:  "s3://b/p?endpoint=http://127.0.0.1:7070&region=eu-west-1",
			want: storeTarget{s3: S3Options{Bucket: "b", Prefix: "p", Endpoint: "http://127.0.0.1:7070", Region: "eu-west-1", PathStyle: true}},
		},
		{
			url:  "s3://b?endpoint=http%3A%2F%2Flocalhost%3A9000&path_style=false",
			want: storeTarget{s3: S3Options{Bucket: "b", Endpoint: "http://localhost:9000"}},
		},
		{url: "s3://b?path_style=true", want: storeTarget{s3: S3Options{Bucket: "b", PathStyle: true}}},
		{url: "s3://b?path_style=1", want: storeTarget{s3: S3Options{Bucket: "b", PathStyle: true}}},
		{
			url:  "s3://b/p?endpoint=http://a:1&region=r1&path_style=false",
			o:    OpenOptions{Endpoint: "http://b:2", Region: "r2", AccessKey: "ak", SecretKey: "sk", PathStyle: &yes},
			want: storeTarget{s3: S3Options{Bucket: "b", Prefix: "p", Endpoint: "http://b:2", Region: "r2", AccessKey: "ak", SecretKey: "sk", PathStyle: true}},
		},
		{
			url:  "s3://b?path_style=true",
			o:    OpenOptions{Endpoint: "http://b:2", PathStyle: &no},
			want: storeTarget{s3: S3Options{Bucket: "b", Endpoint: "http://b:2"}},
		},
		{url: "s3://b", o: OpenOptions{Endpoint: "http://b:2"}, want: storeTarget{s3: S3Options{Bucket: "b", Endpoint: "http://b:2", PathStyle: true}}},
		{url: "s3://b", o: OpenOptions{Region: "r"}, want: storeTarget{s3: S3Options{Bucket: "b", Region: "r"}}},
	} {
		got, err := parseStoreURL(c.url, c.o)
		if err != nil {
			t.Errorf("parseStoreURL(%q): %v", c.url, err)
			continue
		}
		if got != c.want {
			t.Errorf("parseStoreURL(%q, %+v) =\n%+v, want\n%+v", c.url, c.o, got, c.want)
		}
	}
}

func TestParseStoreURLErrors(t *testing.T) {
	for url, want := range map[string]string{
		"":                             "want file:///abs/dir",
		"/abs/dir":                     "want file:///abs/dir",
		"objects":                      "want file:///abs/dir",
		"file://":                      "no directory",
		"gs://bucket/x":                `unknown scheme "gs"`,
		"https://s3.amazonaws.com/b":   `unknown scheme "https"`,
		"s3://":                        "no bucket",
		"s3:///prefix":                 "no bucket",
		"s3://key:secret@bucket/p":     "credentials",
		"s3://bucket:9000/p":           "port",
		"s3://b?path_style=maybe":      "path_style",
		"s3://b?endpoint=a&endpoint=b": "2 times",
		"s3://b?regoin=x":              `unknown parameter "regoin"`,
		"s3://b/p#frag":                "fragment",
		"s3://b/%zz":                   "invalid URL escape",
	} {
		_, err := parseStoreURL(url, OpenOptions{})
		if err == nil {
			t.Errorf("parseStoreURL(%q): no error, want one saying %q", url, want)
			continue
		}
		if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "s3://bucket[/prefix]") {
			t.Errorf("parseStoreURL(%q): %v\nwant it to say %q and name the accepted forms", url, err, want)
		}
	}
}
