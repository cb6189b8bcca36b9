package objstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
)

// defaultRegion is the region NewS3Store uses when neither S3Options nor the
// environment or shared config names one. S3-compatible servers ignore it
// or expect this value.
const defaultRegion = "us-east-1"

// deleteBatch is the most keys one DeleteObjects request may carry (S3's
// limit).
const deleteBatch = 1000

// S3Options configures an S3Store. A zero field leaves the setting to the
// standard AWS configuration (AWS_* environment variables, then the shared
// config and credentials files, as the AWS CLI reads them).
type S3Options struct {
	// Bucket holds the objects; it must exist. Required.
	Bucket string
	// Prefix is prepended to every key with a "/" between; leading and
	// trailing slashes are ignored. Empty: keys are used as they are.
	Prefix string
	// Endpoint is the base URL of an S3-compatible server, with its
	// scheme ("http://127.0.0.1:7070"). Empty: AWS_ENDPOINT_URL_S3 or
	// AWS_ENDPOINT_URL if set, else AWS S3 for the region.
	Endpoint string
	// Region overrides AWS_REGION and the shared config; when nothing
	// sets one, "us-east-1".
	Region string
	// AccessKey and SecretKey, when AccessKey is set, are static
	// credentials used instead of the default credential chain.
	AccessKey, SecretKey string
	// PathStyle addresses the bucket in the URL path
	// (http://host/bucket/key) instead of the host name
	// (http://bucket.host/key); most S3-compatible servers need it.
	PathStyle bool
}

// S3Store is a Store in an S3 bucket, under an optional key prefix. It
// talks to AWS S3 or any S3-compatible server through aws-sdk-go-v2.
//
// Requests are retried by the SDK's standard retryer (3 attempts with
// jittered exponential backoff, on throttling, 5xx and connection errors,
// limited by its retry token bucket); callers that must ride out a longer
// outage retry on top of that. Put sends the body as one PutObject with
// its Content-Length (no multipart), so an object is whole or absent and
// bodies must be seekable: the SDK reads the body to sign and checksum it,
// then rewinds it, and rewinds it again to retry.
type S3Store struct {
	client   *s3.Client
	bucket   string
	prefix   string // without leading or trailing "/"; "" for none
	endpoint string // for String only
}

var _ Store = (*S3Store)(nil)

// NewS3Store returns a store in o.Bucket. It loads the standard AWS
// configuration and applies o's non-empty fields over it; it sends no
// request, so a wrong bucket or credentials show on first use.
func NewS3Store(ctx context.Context, o S3Options) (*S3Store, error) {
	if o.Bucket == "" {
		return nil, errors.New("objstore: s3: no bucket")
	}
	if o.AccessKey == "" && o.SecretKey != "" || o.AccessKey != "" && o.SecretKey == "" {
		return nil, errors.New("objstore: s3: access key and secret key must be given together")
	}
	if o.Endpoint != "" && !strings.HasPrefix(o.Endpoint, "http://") && !strings.HasPrefix(o.Endpoint, "https://") {
		return nil, fmt.Errorf("objstore: s3: endpoint %q: want an http:// or https:// URL", o.Endpoint)
	}
	opts := []func(*config.LoadOptions) error{config.WithLogger(sdkLogger{})}
	if o.Region != "" {
		opts = append(opts, config.WithRegion(o.Region))
	}
	if o.AccessKey != "" {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(o.AccessKey, o.SecretKey, "")))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("objstore: s3: loading AWS config: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = defaultRegion
	}
	client := s3.NewFromConfig(cfg, func(so *s3.Options) {
		if o.Endpoint != "" {
			so.BaseEndpoint = aws.String(o.Endpoint)
		}
		so.UsePathStyle = o.PathStyle
		// A ranged GET carries no whole-object checksum to check; the SDK
		// would log that on every read.
		so.DisableLogOutputChecksumValidationSkipped = true
	})
	endpoint := o.Endpoint
	if endpoint == "" && cfg.BaseEndpoint != nil {
		endpoint = *cfg.BaseEndpoint
	}
	if endpoint == "" {
		endpoint = "AWS " + cfg.Region
	}
	return &S3Store{
		client:   client,
		bucket:   o.Bucket,
		prefix:   strings.Trim(o.Prefix, "/"),
		endpoint: endpoint,
	}, nil
}

// String returns "s3://bucket/prefix (endpoint)"; the endpoint is "AWS
// <region>" when none is configured.
func (s *S3Store) String() string {
	u := "s3://" + s.bucket
	if s.prefix != "" {
		u += "/" + s.prefix
	}
	return u + " (" + s.endpoint + ")"
}

// objectKey maps key to the bucket's key, refusing keys that are not
// clean relative '/'-separated paths (the same rule FileStore applies, so
// a key works in both).
func (s *S3Store) objectKey(key string) (string, error) {
	if key == "" || key == "." || key == ".." || strings.HasPrefix(key, "/") ||
		path.Clean(key) != key || strings.HasPrefix(key, "../") {
		return "", fmt.Errorf("objstore: invalid key %q", key)
	}
	if s.prefix == "" {
		return key, nil
	}
	return s.prefix + "/" + key, nil
}

// Put stores size bytes of body, read from its start, under key with one
// PutObject.
func (s *S3Store) Put(ctx context.Context, key string, body io.ReadSeeker, size int64) error {
	k, err := s.objectKey(key)
	if err != nil {
		return err
	}
	if size < 0 {
		return fmt.Errorf("objstore: s3 put %s: size %d", key, size)
	}
	if _, err := body.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("objstore: s3 put %s: rewinding body: %w", key, err)
	}
	_, err = s.client.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(s.bucket),
		Key:           aws.String(k),
		Body:          &sizedBody{r: body, size: size},
		ContentLength: aws.Int64(size),
	})
	if err != nil {
		return s.err("put", key, err)
	}
	return nil
}

// Get returns the object under key.
func (s *S3Store) Get(ctx context.Context, key string) ([]byte, error) {
	k, err := s.objectKey(key)
	if err != nil {
		return nil, err
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(k),
	})
	if err != nil {
		return nil, s.err("get", key, err)
	}
	defer out.Body.Close()
	b, err := readBody(out.Body, aws.ToInt64(out.ContentLength))
	if err != nil {
		return nil, s.err("get", key, err)
	}
	return b, nil
}

// GetRange returns n bytes of the object under key from off with one
// ranged GetObject; fewer if the object ends first, none if off is at or
// past its end.
func (s *S3Store) GetRange(ctx context.Context, key string, off, n int64) ([]byte, error) {
	k, err := s.objectKey(key)
	if err != nil {
		return nil, err
	}
	if off < 0 || n < 0 {
		return nil, fmt.Errorf("objstore: s3 get %s: range %d+%d", key, off, n)
	}
	if n == 0 {
		// An empty range cannot be asked for; still say whether the
		// object exists, as FileStore does.
		if _, err := s.Size(ctx, key); err != nil {
			return nil, err
		}
		return []byte{}, nil
	}
	rng := "bytes=" + strconv.FormatInt(off, 10) + "-"
	if last := off + n - 1; last >= off { // else n means "to the end" (overflow)
		rng += strconv.FormatInt(last, 10)
	}
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(k),
		Range:  aws.String(rng),
	})
	if err != nil {
		if isInvalidRange(err) {
			// off is at or past the end (or the object is empty).
			return []byte{}, nil
		}
		return nil, s.err("get", key, err)
	}
	defer out.Body.Close()
	b, err := readBody(out.Body, aws.ToInt64(out.ContentLength))
	if err != nil {
		return nil, s.err("get", key, err)
	}
	if out.ContentRange == nil {
		// The server ignored Range and sent the whole object.
		if off >= int64(len(b)) {
			return []byte{}, nil
		}
		b = b[off:min(int64(len(b)), off+n)]
	}
	if int64(len(b)) > n {
		return nil, fmt.Errorf("objstore: s3 get %s: asked for %d bytes at %d, got %d", key, n, off, len(b))
	}
	return b, nil
}

// Size returns the size of the object under key, from HeadObject.
func (s *S3Store) Size(ctx context.Context, key string) (int64, error) {
	k, err := s.objectKey(key)
	if err != nil {
		return 0, err
	}
	out, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{
		Bucket: aws.String(s.bucket),
		Key:    aws.String(k),
	})
	if err != nil {
		return 0, s.err("stat", key, err)
	}
	return aws.ToInt64(out.ContentLength), nil
}

// List returns the objects whose keys start with prefix, in key order,
// with keys relative to the store's prefix. It pages through
// ListObjectsV2, 1000 keys a request.
func (s *S3Store) List(ctx context.Context, prefix string) ([]Object, error) {
	full := prefix
	if s.prefix != "" {
		full = s.prefix + "/" + prefix
	}
	p := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{
		Bucket: aws.String(s.bucket),
		Prefix: aws.String(full),
	})
	var out []Object
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("objstore: s3 list %q in %s: %w", prefix, s, err)
		}
		for _, o := range page.Contents {
			key, ok := strings.CutPrefix(aws.ToString(o.Key), full)
			if !ok {
				return nil, fmt.Errorf("objstore: s3 list %q in %s: server returned key %q outside the prefix",
					prefix, s, aws.ToString(o.Key))
			}
			out = append(out, Object{Key: prefix + key, Size: aws.ToInt64(o.Size)})
		}
	}
	// S3 lists in UTF-8 byte order, which is Go's string order; not every
	// S3-compatible server is as careful.
	cmp := func(a, b Object) int { return strings.Compare(a.Key, b.Key) }
	if !slices.IsSortedFunc(out, cmp) {
		slices.SortFunc(out, cmp)
	}
	return out, nil
}

// Delete removes the objects under keys with DeleteObjects, 1000 keys a
// request. Keys that hold nothing are not an error; keys the server could
// not delete are reported, each with its code, in one error.
func (s *S3Store) Delete(ctx context.Context, keys ...string) error {
	ids := make([]types.ObjectIdentifier, len(keys))
	for i, key := range keys {
		k, err := s.objectKey(key)
		if err != nil {
			return err
		}
		ids[i] = types.ObjectIdentifier{Key: aws.String(k)}
	}
	for batch := range slices.Chunk(ids, deleteBatch) {
		if err := s.deleteBatch(ctx, batch); err != nil {
			return err
		}
	}
	return nil
}

// deleteBatch deletes up to deleteBatch objects with one DeleteObjects.
func (s *S3Store) deleteBatch(ctx context.Context, ids []types.ObjectIdentifier) error {
	out, err := s.client.DeleteObjects(ctx, &s3.DeleteObjectsInput{
		Bucket: aws.String(s.bucket),
		Delete: &types.Delete{Objects: ids, Quiet: aws.Bool(true)},
	})
	if err != nil {
		return fmt.Errorf("objstore: s3 delete in %s: %w", s, err)
	}
	var errs []error
	for _, e := range out.Errors {
		if aws.ToString(e.Code) == "NoSuchKey" {
			continue
		}
		key := strings.TrimPrefix(aws.ToString(e.Key), s.prefix+"/")
		errs = append(errs, fmt.Errorf("%s: %s: %s", key, aws.ToString(e.Code), aws.ToString(e.Message)))
	}
	if len(errs) > 0 {
		return fmt.Errorf("objstore: s3 delete in %s: %d of %d keys failed: %w", s, len(errs), len(ids), errors.Join(errs...))
	}
	return nil
}

// err wraps an SDK error with the operation and key, mapping a missing
// object to ErrNotFound.
func (s *S3Store) err(op, key string, err error) error {
	if isNotFound(err) {
		return fmt.Errorf("objstore: s3 %s %s in %s: %w", op, key, s, ErrNotFound)
	}
	return fmt.Errorf("objstore: s3 %s %s in %s: %w", op, key, s, err)
}

// isNotFound reports whether err says the object does not exist: S3's
// NoSuchKey (GET), NotFound (HEAD, which has no body to carry a code) or a
// bare 404. A missing bucket is not a missing object.
func isNotFound(err error) bool {
	var nsk *types.NoSuchKey
	var nf *types.NotFound
	if errors.As(err, &nsk) || errors.As(err, &nf) {
		return true
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		switch api.ErrorCode() {
		case "NoSuchKey", "NotFound":
			return true
		case "NoSuchBucket":
			return false
		}
	}
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == 404
}

// isInvalidRange reports whether err is S3's answer to a range that starts
// at or past the end of the object: 416 InvalidRange.
func isInvalidRange(err error) bool {
	var api smithy.APIError
	if errors.As(err, &api) && api.ErrorCode() == "InvalidRange" {
		return true
	}
	var re *awshttp.ResponseError
	return errors.As(err, &re) && re.HTTPStatusCode() == 416
}

// readBody reads a response body whose length the server announced.
func readBody(r io.Reader, length int64) ([]byte, error) {
	if length <= 0 {
		return io.ReadAll(r)
	}
	var buf bytes.Buffer
	buf.Grow(int(length) + bytes.MinRead)
	if _, err := buf.ReadFrom(r); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// sizedBody is the first size bytes of r, which starts at offset 0, as an
// io.ReadSeeker: the SDK finds a body's length by seeking to its end, so
// a longer body must not show its tail.
type sizedBody struct {
	r    io.ReadSeeker
	size int64
	off  int64
}

func (b *sizedBody) Read(p []byte) (int, error) {
	if b.off >= b.size {
		return 0, io.EOF
	}
	if int64(len(p)) > b.size-b.off {
		p = p[:b.size-b.off]
	}
	n, err := b.r.Read(p)
	b.off += int64(n)
	if err == io.EOF && b.off < b.size {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (b *sizedBody) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += b.off
	case io.SeekEnd:
		offset += b.size
	default:
		return 0, fmt.Errorf("objstore: seek: bad whence %d", whence)
	}
	if offset < 0 {
		return 0, fmt.Errorf("objstore: seek: negative offset %d", offset)
	}
	if _, err := b.r.Seek(offset, io.SeekStart); err != nil {
		return 0, err
	}
	b.off = offset
	return offset, nil
}

// sdkLogger sends the SDK's log lines (retries, clock skew, deprecations)
// to slog's default logger.
type sdkLogger struct{}

func (sdkLogger) Logf(c logging.Classification, format string, v ...any) {
	level := slog.LevelDebug
	if c == logging.Warn {
		level = slog.LevelWarn
	}
	slog.Log(context.Background(), level, fmt.Sprintf(format, v...), "component", "objstore/s3")
}
