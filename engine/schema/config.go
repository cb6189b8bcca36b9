package schema

import (
	"fmt"
	"strings"

	"github.com/streamlite/streamlite/engine/meta"
	"github.com/streamlite/streamlite/engine/schema/compat"
)

// Config is a compatibility config as GET /config answers it.
type Config struct {
	Compatibility string
	Normalize     *bool // nil when unset
}

// GetConfig returns subject's config ("" for the global one). A subject
// without its own config answers the global one with defaultToGlobal, else
// 40408. The global config defaults to BACKWARD.
func (r *Registry) GetConfig(subject string, defaultToGlobal bool) (Config, error) {
	view := r.log.Registry()
	if subject != "" {
		if c, ok := view.Config(subject); ok {
			return Config(c), nil
		}
		if !defaultToGlobal {
			return Config{}, newError(CodeSubjectConfigNotFound, "Subject '%s' does not have subject-level compatibility configured", subject)
		}
	}
	return effectiveConfig(view, ""), nil
}

// SetConfig sets subject's compatibility level ("" for the global one),
// case-insensitively (42203 for an unknown level), and normalize unless it
// is nil (then the current setting stays). It returns the config set.
func (r *Registry) SetConfig(subject, level string, normalize *bool) (Config, error) {
	if subject != "" {
		if err := checkSubject(subject); err != nil {
			return Config{}, err
		}
	}
	l, err := compat.ParseLevel(level)
	if err != nil {
		return Config{}, newError(CodeInvalidCompatibilityLevel, "Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	cur, _ := r.log.Registry().Config(subject)
	if normalize == nil {
		normalize = cur.Normalize
	}
	rec := meta.RegistryConfigChanged{Subject: subject, Compatibility: string(l), Normalize: normalize}
	if err := r.log.Append(rec); err != nil {
		return Config{}, fmt.Errorf("schema: setting config of %q: %w", subject, err)
	}
	return Config{Compatibility: string(l), Normalize: normalize}, nil
}

// DeleteConfig removes subject's own config ("" for the global one, which
// reverts to BACKWARD) and returns what it was. A subject without one is
// 40401, as Confluent answers.
func (r *Registry) DeleteConfig(subject string) (Config, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	view := r.log.Registry()
	prev, ok := view.Config(subject)
	if !ok {
		if subject != "" {
			return Config{}, errSubjectNotFound(subject)
		}
		return effectiveConfig(view, ""), nil
	}
	if err := r.log.Append(meta.RegistryConfigChanged{Subject: subject}); err != nil {
		return Config{}, fmt.Errorf("schema: deleting config of %q: %w", subject, err)
	}
	if prev.Compatibility == "" {
		prev.Compatibility = effectiveConfig(view, "").Compatibility
	}
	return Config(prev), nil
}

// GetMode returns subject's mode ("" for the global one, READWRITE by
// default). A subject without its own answers the global one with
// defaultToGlobal, else 40409.
func (r *Registry) GetMode(subject string, defaultToGlobal bool) (string, error) {
	view := r.log.Registry()
	if subject != "" {
		if m, ok := view.Mode(subject); ok {
			return m, nil
		}
		if !defaultToGlobal {
			return "", newError(CodeSubjectModeNotFound, "Subject '%s' does not have subject-level mode configured", subject)
		}
	}
	return effectiveMode(view, ""), nil
}

// SetMode sets subject's mode ("" for the global one): READWRITE,
// READONLY, READONLY_OVERRIDE or IMPORT (42204 otherwise). IMPORT on a
// subject (or registry) that has schemas needs force (42205).
func (r *Registry) SetMode(subject, mode string, force bool) (string, error) {
	if subject != "" {
		if err := checkSubject(subject); err != nil {
			return "", err
		}
	}
	mode = strings.ToUpper(strings.TrimSpace(mode))
	switch mode {
	case "READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT":
	default:
		return "", newError(CodeInvalidMode, "Invalid mode. Valid values are READWRITE, READONLY, READONLY_OVERRIDE and IMPORT")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if mode == "IMPORT" && !force {
		view := r.log.Registry()
		nonEmpty := len(view.Subjects()) > 0
		if subject != "" {
			vs, _ := view.Versions(subject)
			nonEmpty = len(vs) > 0
		}
		if nonEmpty {
			return "", errNotPermitted("Cannot import since found existing subjects")
		}
	}
	if err := r.log.Append(meta.RegistryModeChanged{Subject: subject, Mode: mode}); err != nil {
		return "", fmt.Errorf("schema: setting mode of %q: %w", subject, err)
	}
	return mode, nil
}

// DeleteMode removes subject's own mode ("" for the global one, which
// reverts to READWRITE) and returns what it was; 40401 for a subject
// without one.
func (r *Registry) DeleteMode(subject string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	view := r.log.Registry()
	prev, ok := view.Mode(subject)
	if !ok {
		if subject != "" {
			return "", errSubjectNotFound(subject)
		}
		return DefaultMode, nil
	}
	if err := r.log.Append(meta.RegistryModeChanged{Subject: subject}); err != nil {
		return "", fmt.Errorf("schema: deleting mode of %q: %w", subject, err)
	}
	return prev, nil
}

func effectiveConfig(view meta.RegistryState, subject string) Config {
	c := Config{Compatibility: DefaultCompatibility}
	if g, ok := view.Config(""); ok {
		if g.Compatibility != "" {
			c.Compatibility = g.Compatibility
		}
		c.Normalize = g.Normalize
	}
	if subject != "" {
		if s, ok := view.Config(subject); ok {
			if s.Compatibility != "" {
				c.Compatibility = s.Compatibility
			}
			if s.Normalize != nil {
				c.Normalize = s.Normalize
			}
		}
	}
	return c
}

func effectiveMode(view meta.RegistryState, subject string) string {
	if m, ok := view.Mode(subject); ok && subject != "" {
		return m
	}
	if m, ok := view.Mode(""); ok {
		return m
	}
	return DefaultMode
}
