package qtt

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// RunSpec is one run of a case: the case with one format and one config value
// substituted.
type RunSpec struct {
	// Name is "<file> :: <name>[ - FORMAT][ - prop=value]".
	Name string
	// Case is the case as written.
	Case *Case
	// Format is the format of this run, empty without a format matrix.
	Format string
	// ConfigProp and Config are the property set from the config matrix and
	// its value for this run, empty without one.
	ConfigProp, Config string
	// Statements have {FORMAT} substituted.
	Statements []string
	// Properties have {CONFIG} substituted (nil when the case has none).
	Properties map[string]string
	// Topics have {FORMAT} substituted in names and formats.
	Topics []TopicSpec
	// Err is set when the case cannot be run as written (for example
	// {FORMAT} without a format matrix); the run is then reported as an
	// error.
	Err error
}

const (
	formatVar = "{FORMAT}"
	configVar = "{CONFIG}"
)

// Expand expands a case's format and config matrices into its runs, formats
// outermost, in the order the case lists them.
func Expand(c *Case) []RunSpec {
	formats := c.Formats
	if len(formats) == 0 {
		formats = []string{""}
	}
	configs := c.Configs
	var configProp string
	var cfgErr error
	if len(configs) > 0 {
		var props []string
		for k, v := range c.Properties {
			if v == configVar {
				props = append(props, k)
			}
		}
		sort.Strings(props)
		switch len(props) {
		case 1:
			configProp = props[0]
		case 0:
			cfgErr = errors.New(`"config" is given but no property is "{CONFIG}"`)
		default:
			cfgErr = fmt.Errorf(`"config" is given and several properties are "{CONFIG}": %s`,
				strings.Join(props, ", "))
		}
	} else {
		configs = []string{""}
	}
	var runs []RunSpec
	for _, f := range formats {
		for _, cv := range configs {
			r := RunSpec{Case: c, Format: f, Config: cv, ConfigProp: configProp, Err: cfgErr}
			if configProp == "" {
				r.Config = ""
			}
			r.Name = runName(c, f, configProp, r.Config, cfgErr == nil && len(c.Configs) > 0)
			r.Statements = make([]string, len(c.Statements))
			for i, s := range c.Statements {
				r.Statements[i] = substFormat(s, f)
			}
			if c.Properties != nil {
				r.Properties = make(map[string]string, len(c.Properties))
				for k, v := range c.Properties {
					if k == configProp && cfgErr == nil {
						v = cv
					}
					r.Properties[k] = v
				}
			}
			for _, t := range c.Topics {
				t.Name = substFormat(t.Name, f)
				t.KeyFormat = substFormat(t.KeyFormat, f)
				t.ValueFormat = substFormat(t.ValueFormat, f)
				r.Topics = append(r.Topics, t)
			}
			if r.Err == nil && f == "" && usesFormatVar(c) {
				r.Err = errors.New("{FORMAT} is used but the case has no format list")
			}
			runs = append(runs, r)
		}
	}
	return runs
}

func runName(c *Case, format, prop, value string, withConfig bool) string {
	var b strings.Builder
	b.WriteString(c.File)
	b.WriteString(" :: ")
	b.WriteString(c.Name)
	if format != "" {
		b.WriteString(" - ")
		b.WriteString(format)
	}
	if withConfig {
		b.WriteString(" - ")
		b.WriteString(prop)
		b.WriteString("=")
		b.WriteString(value)
	}
	return b.String()
}

func substFormat(s, format string) string {
	if format == "" {
		return s
	}
	return strings.ReplaceAll(s, formatVar, format)
}

func usesFormatVar(c *Case) bool {
	for _, s := range c.Statements {
		if strings.Contains(s, formatVar) {
			return true
		}
	}
	for _, t := range c.Topics {
		if strings.Contains(t.Name+t.KeyFormat+t.ValueFormat, formatVar) {
			return true
		}
	}
	return false
}
