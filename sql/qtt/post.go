package qtt

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// internalTopicPrefix starts the names of ksqlDB's internal topics
// (repartition and changelog topics). post.topics.topics entries with this
// prefix are checked only when the engine has such a topic: an engine
// without internal topics is not penalized for lacking them.
const internalTopicPrefix = "_confluent-ksql-"

// NormalizeSchema canonicalizes a column-list schema string for comparison:
// backticks are dropped, runs of white space become one space, and spaces
// next to ',', '(', ')', '<' and '>' are removed. Case is kept. The two
// spellings ksqlDB's runner reads as one are made one: the type INT is
// INTEGER, and a PRIMARY KEY column is a KEY column (the runner parses
// both schemas into the same logical schema before comparing).
func NormalizeSchema(s string) string {
	s = strings.ReplaceAll(s, "`", "")
	s = strings.Join(strings.Fields(s), " ")
	for _, p := range []string{",", "(", ")", "<", ">"} {
		s = strings.ReplaceAll(s, " "+p, p)
		s = strings.ReplaceAll(s, p+" ", p)
	}
	s = intType.ReplaceAllString(s, "${1}INTEGER")
	return strings.ReplaceAll(s, " PRIMARY KEY", " KEY")
}

// intType matches the type name INT where a type stands: after a column
// name's space, or after '<' or ','.
var intType = regexp.MustCompile(`([ <,])INT\b`)

// CheckPost checks a case's post-conditions against the engine and returns
// the problems found (nil when all hold). Sources are checked through
// Describe: type, schema (NormalizeSchema), key/value formats, window type
// and size, features (as sets) and IsSource, each only when the case gives
// it. The blacklist must not fully match any topic name. Listed topics must
// exist with the given formats and partitions, except ksqlDB internal topics
// that the engine does not have.
func CheckPost(ctx context.Context, eng Engine, p *Post) []string {
	if p == nil {
		return nil
	}
	var probs []string
	for _, s := range p.Sources {
		info, err := eng.Describe(ctx, s.Name)
		if err != nil {
			probs = append(probs, fmt.Sprintf("source %s: %v", s.Name, err))
			continue
		}
		check := func(what, exp, act string) {
			if exp != "" && !strings.EqualFold(exp, act) {
				probs = append(probs, fmt.Sprintf("source %s %s: expected %q, got %q", s.Name, what, exp, act))
			}
		}
		check("type", s.Type, info.Type)
		check("key format", s.KeyFormat, info.KeyFormat)
		check("value format", s.ValueFormat, info.ValueFormat)
		check("window type", s.WindowType, info.WindowType)
		if s.Schema != "" && NormalizeSchema(s.Schema) != NormalizeSchema(info.Schema) {
			probs = append(probs, fmt.Sprintf("source %s schema: expected %q, got %q", s.Name, s.Schema, info.Schema))
		}
		if s.HasWindowSize && s.WindowSize != info.WindowSize {
			probs = append(probs, fmt.Sprintf("source %s window size: expected %d, got %d", s.Name, s.WindowSize, info.WindowSize))
		}
		if s.KeyFeatures != nil && !sameSet(s.KeyFeatures, info.KeyFeatures) {
			probs = append(probs, fmt.Sprintf("source %s key features: expected %v, got %v", s.Name, s.KeyFeatures, info.KeyFeatures))
		}
		if s.ValueFeatures != nil && !sameSet(s.ValueFeatures, info.ValueFeatures) {
			probs = append(probs, fmt.Sprintf("source %s value features: expected %v, got %v", s.Name, s.ValueFeatures, info.ValueFeatures))
		}
		if s.IsSource != nil && *s.IsSource != info.IsSource {
			probs = append(probs, fmt.Sprintf("source %s isSource: expected %v, got %v", s.Name, *s.IsSource, info.IsSource))
		}
	}
	if p.Blacklist == "" && len(p.Topics) == 0 {
		return probs
	}
	topics, err := eng.Topics(ctx)
	if err != nil {
		return append(probs, fmt.Sprintf("listing topics: %v", err))
	}
	if p.Blacklist != "" {
		re, err := regexp.Compile("^(?:" + p.Blacklist + ")$")
		if err != nil {
			probs = append(probs, fmt.Sprintf("blacklist %q: %v", p.Blacklist, err))
		} else {
			for _, t := range topics {
				if re.MatchString(t.Name) {
					probs = append(probs, fmt.Sprintf("topic %s matches blacklist %q", t.Name, p.Blacklist))
				}
			}
		}
	}
	byName := make(map[string]TopicInfo, len(topics))
	for _, t := range topics {
		byName[t.Name] = t
	}
	for _, pt := range p.Topics {
		t, ok := byName[pt.Name]
		if !ok {
			if !strings.HasPrefix(pt.Name, internalTopicPrefix) {
				probs = append(probs, fmt.Sprintf("topic %s: missing", pt.Name))
			}
			continue
		}
		if pt.KeyFormat != "" && !strings.EqualFold(pt.KeyFormat, t.KeyFormat) {
			probs = append(probs, fmt.Sprintf("topic %s key format: expected %q, got %q", pt.Name, pt.KeyFormat, t.KeyFormat))
		}
		if pt.ValueFormat != "" && !strings.EqualFold(pt.ValueFormat, t.ValueFormat) {
			probs = append(probs, fmt.Sprintf("topic %s value format: expected %q, got %q", pt.Name, pt.ValueFormat, t.ValueFormat))
		}
		if pt.Partitions != 0 && pt.Partitions != t.Partitions {
			probs = append(probs, fmt.Sprintf("topic %s partitions: expected %d, got %d", pt.Name, pt.Partitions, t.Partitions))
		}
	}
	return probs
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x := append([]string(nil), a...)
	y := append([]string(nil), b...)
	for i := range x {
		x[i] = strings.ToUpper(x[i])
	}
	for i := range y {
		y[i] = strings.ToUpper(y[i])
	}
	sort.Strings(x)
	sort.Strings(y)
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}
