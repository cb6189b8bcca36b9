package qtt

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Case is one test case of a QTT file, as written (before matrix
// expansion). A case is identified by File + Index; Name may repeat.
type Case struct {
	// File is the base name of the file, e.g. "joins.json".
	File string
	// Index is the 0-based position of the case in the file's tests array.
	Index int
	// Name is the case's name.
	Name string
	// Statements are the SQL statements, {FORMAT} not yet substituted.
	Statements []string
	// Formats is the format matrix; empty means one run without a format.
	Formats []string
	// Configs is the config matrix: values for the property set to
	// "{CONFIG}"; empty means one run.
	Configs []string
	// Properties are the case's session properties as text.
	Properties map[string]string
	// Enabled is false for cases disabled upstream.
	Enabled bool
	// Topics is the topic set-up.
	Topics []TopicSpec
	// Inputs are the records to produce, in order.
	Inputs []Record
	// Outputs are the expected records, in order.
	Outputs []Expected
	// Exception is the expected error, nil for a positive case.
	Exception *ExpectedException
	// Post holds the post-conditions, nil when none.
	Post *Post
}

// Expected is one expected output record. Fields left out of the case file
// are nil, with the meaning the corpus README gives them.
type Expected struct {
	// Topic is the topic the record must be on.
	Topic string
	// Key is the expected key (nil = null).
	Key any
	// Value is the expected value (nil = null or tombstone).
	Value any
	// Timestamp is the expected timestamp, nil when not to be checked.
	Timestamp *int64
	// Headers are the expected headers; nil means "no headers".
	Headers []Header
	// Window is the expected key window, nil for an unwindowed key.
	Window *Window
}

// ExpectedException is a case's `expectedException`.
type ExpectedException struct {
	// Type is the Java exception class named by the case.
	Type string
	// Message must be a substring of the error text for a strict pass.
	Message string
	// CauseMessage, when set, must also be a substring of the error text.
	CauseMessage string
}

// Post holds a case's post-conditions.
type Post struct {
	// Sources are the expected catalog entries.
	Sources []PostSource
	// Blacklist is a regular expression no topic name may fully match;
	// empty when none.
	Blacklist string
	// Topics are expected topics with their formats and partitions.
	Topics []PostTopic
}

// PostSource is one expected catalog entry. Empty fields are not checked.
type PostSource struct {
	// Name is the source name.
	Name string
	// Type is "stream" or "table".
	Type string
	// Schema is the expected column list.
	Schema string
	// KeyFormat and ValueFormat are the expected formats.
	KeyFormat, ValueFormat string
	// WindowType and WindowSize come from an object-valued keyFormat;
	// HasWindowSize is false when the size is not to be checked.
	WindowType    string
	WindowSize    int64
	HasWindowSize bool
	// ValueFeatures and KeyFeatures are compared as sets when non-nil.
	KeyFeatures, ValueFeatures []string
	// IsSource, when non-nil, is compared with SourceInfo.IsSource.
	IsSource *bool
}

// PostTopic is one expected topic of post.topics.topics. Empty fields are
// not checked.
type PostTopic struct {
	// Name is the topic name.
	Name string
	// KeyFormat and ValueFormat are the expected formats.
	KeyFormat, ValueFormat string
	// Partitions is the expected partition count, 0 when not checked.
	Partitions int
}

// LoadError is a file or case that could not be read.
type LoadError struct {
	// File is the file's base name.
	File string
	// Index is the case index, -1 for a file-level error.
	Index int
	// Err says what is wrong.
	Err error
}

// Error formats the error with its file and case.
func (e *LoadError) Error() string {
	if e.Index < 0 {
		return fmt.Sprintf("qtt: %s: %v", e.File, e.Err)
	}
	return fmt.Sprintf("qtt: %s: test %d: %v", e.File, e.Index, e.Err)
}

// Unwrap returns the underlying error.
func (e *LoadError) Unwrap() error { return e.Err }

// CaseDir returns the folder that holds the case files for dir: dir's
// query-validation-tests subfolder when it has one, else dir itself.
func CaseDir(dir string) string {
	sub := filepath.Join(dir, "query-validation-tests")
	if st, err := os.Stat(sub); err == nil && st.IsDir() {
		return sub
	}
	return dir
}

// LoadDir reads every *.json file of CaseDir(dir), in name order. A file or
// case that cannot be read is returned as a *LoadError beside the cases that
// could; the error result is only for an unreadable directory.
func LoadDir(dir string) ([]Case, []*LoadError, error) {
	cdir := CaseDir(dir)
	entries, err := os.ReadDir(cdir)
	if err != nil {
		return nil, nil, fmt.Errorf("qtt: reading case directory: %w", err)
	}
	var names []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var cases []Case
	var bad []*LoadError
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(cdir, name))
		if err != nil {
			bad = append(bad, &LoadError{File: name, Index: -1, Err: err})
			continue
		}
		cs, errs := ParseFile(name, data)
		cases = append(cases, cs...)
		bad = append(bad, errs...)
	}
	return cases, bad, nil
}

// rawFile and rawCase mirror the file layout; unknown fields are ignored.
type rawFile struct {
	Tests []json.RawMessage `json:"tests"`
}

type rawCase struct {
	Name       *string        `json:"name"`
	Statements []string       `json:"statements"`
	Format     []string       `json:"format"`
	Config     []any          `json:"config"`
	Properties map[string]any `json:"properties"`
	Enabled    *bool          `json:"enabled"`
	Topics     []rawTopic     `json:"topics"`
	Inputs     []rawRecord    `json:"inputs"`
	Outputs    []rawRecord    `json:"outputs"`
	Exception  *rawException  `json:"expectedException"`
	Post       *rawPost       `json:"post"`
}

type rawTopic struct {
	Name        string      `json:"name"`
	Partitions  json.Number `json:"partitions"`
	Replicas    json.Number `json:"replicas"`
	Format      string      `json:"format"`
	KeyFormat   string      `json:"keyFormat"`
	ValueFormat string      `json:"valueFormat"`
	KeySchema   any         `json:"keySchema"`
	ValueSchema any         `json:"valueSchema"`
}

type rawRecord struct {
	Topic     string       `json:"topic"`
	Key       any          `json:"key"`
	Value     any          `json:"value"`
	Timestamp *json.Number `json:"timestamp"`
	Headers   []rawHeader  `json:"headers"`
	Window    *rawWindow   `json:"window"`
}

type rawHeader struct {
	Key   string  `json:"KEY"`
	Value *string `json:"VALUE"`
}

type rawWindow struct {
	Start json.Number `json:"start"`
	End   json.Number `json:"end"`
	Type  string      `json:"type"`
}

type rawException struct {
	Type         string `json:"type"`
	Message      string `json:"message"`
	CauseMessage string `json:"causeMessage"`
}

type rawPost struct {
	Sources []rawSource `json:"sources"`
	Topics  *struct {
		Blacklist string `json:"blacklist"`
		Topics    []struct {
			Name        string      `json:"name"`
			KeyFormat   any         `json:"keyFormat"`
			ValueFormat any         `json:"valueFormat"`
			Partitions  json.Number `json:"partitions"`
		} `json:"topics"`
	} `json:"topics"`
}

type rawSource struct {
	Name          string   `json:"name"`
	Type          string   `json:"type"`
	Schema        string   `json:"schema"`
	KeyFormat     any      `json:"keyFormat"`
	ValueFormat   any      `json:"valueFormat"`
	KeyFeatures   []string `json:"keyFeatures"`
	ValueFeatures []string `json:"valueFeatures"`
	IsSource      *bool    `json:"isSource"`
}

// decodeStrict decodes data into v with numbers kept as json.Number and no
// trailing data allowed.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("trailing data after the JSON document")
	}
	return nil
}

// ParseFile parses one QTT file (strict JSON, numbers kept exact). file is
// the base name the cases are reported under. Cases that cannot be read are
// returned as *LoadError; the others are returned in file order.
func ParseFile(file string, data []byte) ([]Case, []*LoadError) {
	var rf rawFile
	if err := decodeStrict(data, &rf); err != nil {
		return nil, []*LoadError{{File: file, Index: -1, Err: err}}
	}
	if rf.Tests == nil {
		return nil, []*LoadError{{File: file, Index: -1, Err: errors.New(`no "tests" array`)}}
	}
	var cases []Case
	var bad []*LoadError
	for i, raw := range rf.Tests {
		c, err := parseCase(file, i, raw)
		if err != nil {
			bad = append(bad, &LoadError{File: file, Index: i, Err: err})
			continue
		}
		cases = append(cases, c)
	}
	return cases, bad
}

func parseCase(file string, index int, raw json.RawMessage) (Case, error) {
	var rc rawCase
	if err := decodeStrict(raw, &rc); err != nil {
		return Case{}, err
	}
	if rc.Name == nil {
		return Case{}, errors.New(`missing "name"`)
	}
	c := Case{File: file, Index: index, Name: *rc.Name, Statements: rc.Statements,
		Formats: rc.Format, Enabled: rc.Enabled == nil || *rc.Enabled}
	if len(rc.Statements) == 0 {
		return c, fmt.Errorf("case %q: no statements", c.Name)
	}
	for _, v := range rc.Config {
		c.Configs = append(c.Configs, propText(v))
	}
	if len(rc.Properties) > 0 {
		c.Properties = make(map[string]string, len(rc.Properties))
		for k, v := range rc.Properties {
			c.Properties[k] = propText(v)
		}
	}
	for _, t := range rc.Topics {
		ts := TopicSpec{Name: t.Name, KeyFormat: t.KeyFormat, ValueFormat: t.ValueFormat,
			KeySchema: t.KeySchema, ValueSchema: t.ValueSchema}
		if ts.ValueFormat == "" {
			ts.ValueFormat = t.Format
		}
		var err error
		if ts.Partitions, err = optInt(t.Partitions); err != nil {
			return c, fmt.Errorf("case %q: topic %q partitions: %w", c.Name, t.Name, err)
		}
		if ts.Replicas, err = optInt(t.Replicas); err != nil {
			return c, fmt.Errorf("case %q: topic %q replicas: %w", c.Name, t.Name, err)
		}
		c.Topics = append(c.Topics, ts)
	}
	for i, r := range rc.Inputs {
		e, err := parseRecord(r)
		if err != nil {
			return c, fmt.Errorf("case %q: input %d: %w", c.Name, i, err)
		}
		rec := Record{Topic: e.Topic, Key: e.Key, Value: e.Value, Headers: e.Headers, Window: e.Window}
		if e.Timestamp != nil {
			rec.Timestamp = *e.Timestamp
		}
		c.Inputs = append(c.Inputs, rec)
	}
	for i, r := range rc.Outputs {
		e, err := parseRecord(r)
		if err != nil {
			return c, fmt.Errorf("case %q: output %d: %w", c.Name, i, err)
		}
		c.Outputs = append(c.Outputs, e)
	}
	if rc.Exception != nil {
		c.Exception = &ExpectedException{Type: rc.Exception.Type, Message: rc.Exception.Message,
			CauseMessage: rc.Exception.CauseMessage}
	}
	if rc.Post != nil {
		p, err := parsePost(rc.Post)
		if err != nil {
			return c, fmt.Errorf("case %q: post: %w", c.Name, err)
		}
		c.Post = p
	}
	return c, nil
}

func parseRecord(r rawRecord) (Expected, error) {
	e := Expected{Topic: r.Topic, Key: r.Key, Value: r.Value}
	if r.Topic == "" {
		return e, errors.New(`missing "topic"`)
	}
	if r.Timestamp != nil {
		ts, err := r.Timestamp.Int64()
		if err != nil {
			return e, fmt.Errorf("timestamp %q: %w", r.Timestamp.String(), err)
		}
		e.Timestamp = &ts
	}
	for _, h := range r.Headers {
		hd := Header{Key: h.Key}
		if h.Value != nil {
			b, err := base64.StdEncoding.DecodeString(*h.Value)
			if err != nil {
				return e, fmt.Errorf("header %q: value is not base64: %w", h.Key, err)
			}
			hd.Value = b
		}
		e.Headers = append(e.Headers, hd)
	}
	if r.Window != nil {
		start, err := r.Window.Start.Int64()
		if err != nil {
			return e, fmt.Errorf("window start: %w", err)
		}
		end, err := r.Window.End.Int64()
		if err != nil {
			return e, fmt.Errorf("window end: %w", err)
		}
		e.Window = &Window{Start: start, End: end, Type: r.Window.Type}
	}
	return e, nil
}

func parsePost(rp *rawPost) (*Post, error) {
	p := &Post{}
	for _, s := range rp.Sources {
		ps := PostSource{Name: s.Name, Type: s.Type, Schema: s.Schema,
			KeyFeatures: s.KeyFeatures, ValueFeatures: s.ValueFeatures, IsSource: s.IsSource}
		var err error
		if ps.KeyFormat, ps.WindowType, ps.WindowSize, ps.HasWindowSize, err = formatSpec(s.KeyFormat); err != nil {
			return nil, fmt.Errorf("source %q keyFormat: %w", s.Name, err)
		}
		if ps.ValueFormat, _, _, _, err = formatSpec(s.ValueFormat); err != nil {
			return nil, fmt.Errorf("source %q valueFormat: %w", s.Name, err)
		}
		p.Sources = append(p.Sources, ps)
	}
	if rp.Topics != nil {
		p.Blacklist = rp.Topics.Blacklist
		for _, t := range rp.Topics.Topics {
			pt := PostTopic{Name: t.Name}
			var err error
			if pt.KeyFormat, _, _, _, err = formatSpec(t.KeyFormat); err != nil {
				return nil, fmt.Errorf("topic %q keyFormat: %w", t.Name, err)
			}
			if pt.ValueFormat, _, _, _, err = formatSpec(t.ValueFormat); err != nil {
				return nil, fmt.Errorf("topic %q valueFormat: %w", t.Name, err)
			}
			if pt.Partitions, err = optInt(t.Partitions); err != nil {
				return nil, fmt.Errorf("topic %q partitions: %w", t.Name, err)
			}
			p.Topics = append(p.Topics, pt)
		}
	}
	return p, nil
}

// formatSpec reads a format given as a string or as
// {"format", "windowType", "windowSize"}.
func formatSpec(v any) (format, windowType string, windowSize int64, hasSize bool, err error) {
	switch f := v.(type) {
	case nil:
		return "", "", 0, false, nil
	case string:
		return f, "", 0, false, nil
	case map[string]any:
		if s, ok := f["format"].(string); ok {
			format = s
		} else if f["format"] != nil {
			return "", "", 0, false, errors.New(`"format" is not a string`)
		}
		if s, ok := f["windowType"].(string); ok {
			windowType = s
		}
		if n, ok := f["windowSize"].(json.Number); ok {
			if windowSize, err = n.Int64(); err != nil {
				return "", "", 0, false, fmt.Errorf("windowSize: %w", err)
			}
			hasSize = true
		} else if _, present := f["windowSize"]; present {
			hasSize = true // explicit null: no size (session windows)
		}
		return format, windowType, windowSize, hasSize, nil
	}
	return "", "", 0, false, fmt.Errorf("unexpected %T", v)
}

func optInt(n json.Number) (int, error) {
	if n == "" {
		return 0, nil
	}
	v, err := n.Int64()
	if err != nil {
		return 0, err
	}
	if v < 0 || v > 1<<31-1 {
		return 0, fmt.Errorf("%d out of range", v)
	}
	return int(v), nil
}

// propText renders a JSON property value as text: strings as themselves,
// numbers by their exact text, null as "".
func propText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		if x {
			return "true"
		}
		return "false"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
