package qtt

import (
	"bufio"
	"fmt"
	"io"
	"sort"
	"strings"
)

// Summary holds a report's counts.
type Summary struct {
	// Runs is every run in the report (skipped ones included); Passed,
	// Failed, Errors, Timeouts and Skipped split it by status.
	Runs, Passed, Failed, Errors, Timeouts, Skipped int
	// Negative counts runs of negative cases; Lenient and Strict count their
	// lenient and strict passes.
	Negative, Lenient, Strict int
	// PostChecked counts runs whose post-conditions were checked; PostPassed
	// those where all held.
	PostChecked, PostPassed int
}

// Group is the pass count of one file or category.
type Group struct {
	// Name is the file or category.
	Name string
	// Runs and Passed count its runs and passing runs.
	Runs, Passed int
}

// Summary counts the report's results.
func (r Report) Summary() Summary {
	var s Summary
	for _, res := range r.Results {
		s.Runs++
		switch res.Status {
		case StatusPass:
			s.Passed++
		case StatusFail:
			s.Failed++
		case StatusError:
			s.Errors++
		case StatusTimeout:
			s.Timeouts++
		case StatusSkip:
			s.Skipped++
		}
		if res.Negative && res.Status != StatusSkip {
			s.Negative++
			if res.Lenient {
				s.Lenient++
			}
			if res.Strict {
				s.Strict++
			}
		}
		if res.PostChecked {
			s.PostChecked++
			if len(res.PostProblems) == 0 {
				s.PostPassed++
			}
		}
	}
	return s
}

// ByFile returns pass counts per file, sorted by name.
func (r Report) ByFile() []Group {
	return r.group(func(res Result) string { return res.File })
}

// ByCategory returns pass counts per category, sorted by name.
func (r Report) ByCategory() []Group {
	return r.group(func(res Result) string { return res.Category })
}

func (r Report) group(key func(Result) string) []Group {
	idx := map[string]int{}
	var gs []Group
	for _, res := range r.Results {
		k := key(res)
		i, ok := idx[k]
		if !ok {
			i = len(gs)
			idx[k] = i
			gs = append(gs, Group{Name: k})
		}
		gs[i].Runs++
		if res.Status == StatusPass {
			gs[i].Passed++
		}
	}
	sort.Slice(gs, func(i, j int) bool { return gs[i].Name < gs[j].Name })
	return gs
}

// pct formats part/whole as a percentage with one decimal; 0.0 when whole
// is 0.
func pct(part, whole int) string {
	if whole == 0 {
		return "0.0"
	}
	return fmt.Sprintf("%.1f", float64(part)*100/float64(whole))
}

// Print writes the report: every run that did not pass (with its first
// mismatch or error, indented), skipped runs with their reasons, runs whose
// post-conditions failed, per-file and per-category counts, then the
// summary lines, ending with exactly
//
//	QTT total: PASSED/CASES passed (PCT%)
//
// where CASES counts runs (a case expanded by its format/config matrix
// counts once per run), skipped runs included, and PCT has one decimal.
// Every summary line starts with the report's Suite ("QTT" when empty);
// the post-conditions line is left out of a report of another suite in
// which no run had post-conditions.
func (r Report) Print(w io.Writer) error {
	bw := bufio.NewWriter(w)
	s := r.Summary()
	suite := r.Suite
	if suite == "" {
		suite = "QTT"
	}
	fmt.Fprintf(bw, "%s cases from %s: %d runs in %d files\n", suite, r.Dir, s.Runs, r.Files)
	for _, res := range r.Results {
		switch res.Status {
		case StatusPass:
			if res.Negative && !res.Strict {
				fmt.Fprintf(bw, "PASS (lenient) %s\n", res.Name)
				writeIndented(bw, res.Detail)
			}
		case StatusSkip:
			fmt.Fprintf(bw, "SKIP %s: %s\n", res.Name, res.Detail)
		default:
			fmt.Fprintf(bw, "%s %s (%v)\n", res.Status, res.Name, res.Elapsed.Round(100_000))
			writeIndented(bw, res.Detail)
		}
		if len(res.PostProblems) > 0 {
			fmt.Fprintf(bw, "POST FAIL %s\n", res.Name)
			writeIndented(bw, strings.Join(res.PostProblems, "\n"))
		}
	}
	fmt.Fprintln(bw, "Per file:")
	for _, g := range r.ByFile() {
		fmt.Fprintf(bw, "  %-50s %4d/%-4d passed\n", g.Name, g.Passed, g.Runs)
	}
	fmt.Fprintln(bw, "Per category:")
	for _, g := range r.ByCategory() {
		fmt.Fprintf(bw, "  %-24s %4d/%-4d passed (%s%%)\n", g.Name, g.Passed, g.Runs, pct(g.Passed, g.Runs))
	}
	fmt.Fprintf(bw, "%s status: %d pass, %d fail, %d error, %d timeout, %d skipped\n",
		suite, s.Passed, s.Failed, s.Errors, s.Timeouts, s.Skipped)
	fmt.Fprintf(bw, "%s negative: lenient %d/%d (%s%%), strict %d/%d (%s%%)\n",
		suite, s.Lenient, s.Negative, pct(s.Lenient, s.Negative), s.Strict, s.Negative, pct(s.Strict, s.Negative))
	if suite == "QTT" || s.PostChecked > 0 {
		fmt.Fprintf(bw, "%s post-conditions: %d/%d passed (%s%%)\n", suite, s.PostPassed, s.PostChecked, pct(s.PostPassed, s.PostChecked))
	}
	fmt.Fprintf(bw, "%s total: %d/%d passed (%s%%)\n", suite, s.Passed, s.Runs, pct(s.Passed, s.Runs))
	return bw.Flush()
}

func writeIndented(w io.Writer, text string) {
	if text == "" {
		return
	}
	for _, line := range strings.Split(text, "\n") {
		fmt.Fprintf(w, "    %s\n", line)
	}
}
