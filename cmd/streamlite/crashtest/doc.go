// Package crashtest holds end-to-end durability tests of the real `streamlite` binary: they
// build it, run `streamlite up` as a child process, and check the user's promise 2 (nothing
// acknowledged is lost) by killing the broker with SIGKILL under concurrent idempotent
// producers, restarting it on the same data directory and port, and reading everything back.
// It also checks a graceful SIGTERM restart and the errors of a second `up` on a used data
// directory or port.
//
// The package has no code outside its tests. The crash test kills the broker
// STREAMLITE_CRASH_KILLS times (default 5, so CI stays fast); the full run is
//
//	STREAMLITE_CRASH_KILLS=100 go test ./cmd/streamlite/crashtest/ -run Crash -v -timeout 30m
//
// Each run logs its random seed; STREAMLITE_CRASH_SEED=N replays the same kill schedule (the
// moments the broker dies; thread scheduling still varies). `go test -short` skips it all.
package crashtest
