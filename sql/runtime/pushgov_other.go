//go:build !unix

package runtime

import "time"

// processCPU reports no CPU accounting: push queries are not governed.
func processCPU() (time.Duration, bool) { return 0, false }
