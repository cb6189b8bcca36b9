package kafka

import (
	"errors"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// A flexible request header claiming 2^32-1 tagged fields is refused without walking them
// (kmsg.SkipTags would loop 2^32 times, ~50 s of CPU, on a 15-byte frame).
func TestHeaderTagCountBomb(t *testing.T) {
	c := fuzzConn(t)
	body := []byte{0, 3, 0, 12, 0, 0, 0, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f}
	_, err := c.handleFrame(body)
	if !errors.Is(err, errCloseConn) {
		t.Fatalf("handleFrame: %v, want the connection closed", err)
	}
}

// TestKmsgTagCountLoop guards the patch in kmsg-patched (see PATCHED.md), found by
// FuzzRequestFrame: upstream kmsg v1.15.0 trusts tagged-field counts inside a flexible request
// body, so this 8-byte Metadata v12 body made ReadFrom loop 2^32 times (~50 s of CPU). With the
// patch it fails at once; without it this test runs into the test timeout.
func TestKmsgTagCountLoop(t *testing.T) {
	req := kmsg.NewPtrMetadataRequest()
	req.SetVersion(12)
	if err := req.ReadFrom([]byte{0x00, 0x01, 0x00, 0xff, 0xff, 0xff, 0xff, 0x0f}); err == nil {
		t.Fatal("decoded a body claiming 2^32-1 tags")
	}
}
