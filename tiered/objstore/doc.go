// Package objstore is the object store tiered storage keeps segments in: the
// [Store] interface and its two implementations, a local directory
// ([FileStore], file://DIR, the default of `streamlite up`) and S3 or an
// S3-compatible server (s3://bucket/prefix, aws-sdk-go-v2).
package objstore
