//go:build race

package log

// raceEnabled shrinks the slowest randomized tests under the race detector,
// which slows record decoding tenfold: smaller budgets, not skips.
const raceEnabled = true
