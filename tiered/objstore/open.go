package objstore

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// urlForms names the store URLs Open accepts, for its error messages.
const urlForms = "file:///abs/dir, file://rel/dir or s3://bucket[/prefix][?endpoint=URL&region=R&path_style=true|false]"

// OpenOptions are settings for Open that override the store URL's query
// parameters; the zero value overrides nothing. They apply to s3:// URLs
// and are ignored for file:// ones.
type OpenOptions struct {
	// Endpoint overrides ?endpoint= (see S3Options.Endpoint).
	Endpoint string
	// Region overrides ?region= (see S3Options.Region).
	Region string
	// AccessKey and SecretKey are static credentials (see
	// S3Options.AccessKey); URLs never carry credentials.
	AccessKey, SecretKey string
	// PathStyle overrides ?path_style=. When neither sets it, path-style
	// addressing is used exactly when an endpoint is given: S3-compatible
	// servers on an address of their own rarely resolve bucket.host names.
	PathStyle *bool
}

// Open returns the store a URL names:
//
//	file:///abs/dir, file://rel/dir   a FileStore in that directory (created if missing)
//	s3://bucket/optional/prefix       an S3Store; query parameters endpoint, region,
//	                                  path_style=true|false, each overridden by o
//
// Anything else is an error naming the accepted forms.
func Open(ctx context.Context, rawURL string, o OpenOptions) (Store, error) {
	t, err := parseStoreURL(rawURL, o)
	if err != nil {
		return nil, err
	}
	if t.dir != "" {
		return NewFileStore(t.dir)
	}
	return NewS3Store(ctx, t.s3)
}

// storeTarget is what a store URL names: a directory, or S3 settings.
type storeTarget struct {
	dir string // file://: the directory, as written
	s3  S3Options
}

// parseStoreURL parses a store URL and applies o over it.
func parseStoreURL(rawURL string, o OpenOptions) (storeTarget, error) {
	scheme, rest, ok := strings.Cut(rawURL, "://")
	if !ok {
		return storeTarget{}, fmt.Errorf("objstore: store URL %q: want %s", rawURL, urlForms)
	}
	switch strings.ToLower(scheme) {
	case "file":
		// The rest is the path as written: file:///abs is "/abs",
		// file://rel/dir is "rel/dir". No query, no escapes.
		if rest == "" {
			return storeTarget{}, fmt.Errorf("objstore: store URL %q: no directory; want %s", rawURL, urlForms)
		}
		return storeTarget{dir: rest}, nil
	case "s3":
		return parseS3URL(rawURL, o)
	default:
		return storeTarget{}, fmt.Errorf("objstore: store URL %q: unknown scheme %q; want %s", rawURL, scheme, urlForms)
	}
}

// parseS3URL parses s3://bucket/prefix?endpoint=&region=&path_style=.
func parseS3URL(rawURL string, o OpenOptions) (storeTarget, error) {
	bad := func(format string, args ...any) (storeTarget, error) {
		return storeTarget{}, fmt.Errorf("objstore: store URL %q: %s; want %s", rawURL, fmt.Sprintf(format, args...), urlForms)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return bad("%v", err)
	}
	if u.User != nil {
		return bad("credentials do not belong in the URL (use the AWS environment, shared config or options)")
	}
	if u.Host == "" {
		return bad("no bucket")
	}
	if u.Port() != "" {
		return bad("a bucket has no port (the server's address goes in ?endpoint=)")
	}
	if u.Fragment != "" {
		return bad("unexpected fragment #%s", u.Fragment)
	}
	s := S3Options{
		Bucket:    u.Host,
		Prefix:    strings.Trim(u.Path, "/"),
		AccessKey: o.AccessKey,
		SecretKey: o.SecretKey,
	}
	var pathStyle *bool
	for name, vals := range u.Query() {
		if len(vals) != 1 {
			return bad("parameter %s given %d times", name, len(vals))
		}
		v := vals[0]
		switch name {
		case "endpoint":
			s.Endpoint = v
		case "region":
			s.Region = v
		case "path_style":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return bad("path_style=%q: want true or false", v)
			}
			pathStyle = &b
		default:
			return bad("unknown parameter %q (known: endpoint, region, path_style)", name)
		}
	}
	if o.Endpoint != "" {
		s.Endpoint = o.Endpoint
	}
	if o.Region != "" {
		s.Region = o.Region
	}
	if o.PathStyle != nil {
		pathStyle = o.PathStyle
	}
	if pathStyle != nil {
		s.PathStyle = *pathStyle
	} else {
		s.PathStyle = s.Endpoint != ""
	}
	return storeTarget{s3: s}, nil
}
