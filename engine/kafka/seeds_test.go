package kafka

import (
	"crypto/sha256"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var writeSeeds = flag.Bool("write-seeds", false, "rewrite the committed fuzz seed corpora under testdata/fuzz")

// TestWriteFuzzSeeds writes the seeds of FuzzValidateBatch and FuzzRequestFrame as corpus
// files (go test -run WriteFuzzSeeds -write-seeds), so `go test` replays them even without
// the f.Add calls and `go test -fuzz` starts from them.
func TestWriteFuzzSeeds(t *testing.T) {
	if !*writeSeeds {
		t.Skip("pass -write-seeds to rewrite testdata/fuzz")
	}
	write := func(fuzzName string, content string) {
		dir := filepath.Join("testdata", "fuzz", fuzzName)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("seed-%x", sha256.Sum256([]byte(content)))[:21]
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range validateBatchSeeds(t) {
		for _, v := range []int16{3, 9} {
			write("FuzzValidateBatch", fmt.Sprintf("go test fuzz v1\n[]byte(%q)\nint16(%d)\n", s, v))
		}
	}
	for _, s := range requestFrameSeeds(t) {
		write("FuzzRequestFrame", fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", s))
	}
}
