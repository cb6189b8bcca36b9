package schema

import (
	"net/http"
)

// The REST endpoints on settings and checks: /config[/{s}], /mode[/{s}]
// and /compatibility/subjects/{s}/versions[/{v}].

// configGetJSON is GET /config's answer.
type configGetJSON struct {
	Compatibility string `json:"compatibilityLevel"`
	Normalize     *bool  `json:"normalize,omitempty"`
}

// configPutJSON is PUT /config's request and answer (Confluent echoes the
// request).
type configPutJSON struct {
	Compatibility string `json:"compatibility"`
	Normalize     *bool  `json:"normalize,omitempty"`
}

// configDeleteJSON is DELETE /config's answer, the config removed: under
// Confluent's compatibilityLevel and also under compatibility, the key
// franz-go's sr reads there.
type configDeleteJSON struct {
	CompatibilityLevel string `json:"compatibilityLevel"`
	Compatibility      string `json:"compatibility"`
	Normalize          *bool  `json:"normalize,omitempty"`
}

// modeJSON is /mode's request and answer.
type modeJSON struct {
	Mode string `json:"mode"`
}

// compatibilityJSON is the compatibility endpoints' answer; messages only
// with ?verbose=true.
type compatibilityJSON struct {
	IsCompatible bool      `json:"is_compatible"`
	Messages     *[]string `json:"messages,omitempty"`
}

func (h *handler) configRoutes() {
	for _, p := range []string{"/config", "/config/{subject}"} {
		h.handle("GET "+p, func(r *http.Request) (any, error) {
			c, err := h.reg.GetConfig(r.PathValue("subject"), boolParam(r, "defaultToGlobal"))
			if err != nil {
				return nil, err
			}
			return configGetJSON(c), nil
		})
		h.handle("PUT "+p, func(r *http.Request) (any, error) {
			var body configPutJSON
			if err := decodeBody(r, &body); err != nil {
				return nil, err
			}
			subject := r.PathValue("subject")
			level := body.Compatibility
			if level == "" && body.Normalize != nil {
				// Only normalize is set: keep the level in force.
				cur, err := h.reg.GetConfig(subject, true)
				if err != nil {
					return nil, err
				}
				level = cur.Compatibility
			}
			c, err := h.reg.SetConfig(subject, level, body.Normalize)
			if err != nil {
				return nil, err
			}
			return configPutJSON(c), nil
		})
		h.handle("DELETE "+p, func(r *http.Request) (any, error) {
			c, err := h.reg.DeleteConfig(r.PathValue("subject"))
			if err != nil {
				return nil, err
			}
			return configDeleteJSON{CompatibilityLevel: c.Compatibility, Compatibility: c.Compatibility, Normalize: c.Normalize}, nil
		})
	}
	for _, p := range []string{"/mode", "/mode/{subject}"} {
		h.handle("GET "+p, func(r *http.Request) (any, error) {
			m, err := h.reg.GetMode(r.PathValue("subject"), boolParam(r, "defaultToGlobal"))
			return modeJSON{m}, err
		})
		h.handle("PUT "+p, func(r *http.Request) (any, error) {
			var body modeJSON
			if err := decodeBody(r, &body); err != nil {
				return nil, err
			}
			m, err := h.reg.SetMode(r.PathValue("subject"), body.Mode, boolParam(r, "force"))
			return modeJSON{m}, err
		})
		h.handle("DELETE "+p, func(r *http.Request) (any, error) {
			m, err := h.reg.DeleteMode(r.PathValue("subject"))
			return modeJSON{m}, err
		})
	}
	check := func(r *http.Request, v int32) (any, error) {
		var body schemaBody
		if err := decodeBody(r, &body); err != nil {
			return nil, err
		}
		ok, msgs, err := h.reg.CheckCompatibility(r.PathValue("subject"), v, body.input())
		if err != nil {
			return nil, err
		}
		out := compatibilityJSON{IsCompatible: ok}
		if boolParam(r, "verbose") {
			msgs = nonNil(msgs)
			out.Messages = &msgs
		}
		return out, nil
	}
	h.handle("POST /compatibility/subjects/{subject}/versions/{version}", func(r *http.Request) (any, error) {
		v, err := ParseVersion(r.PathValue("version"))
		if err != nil {
			return nil, err
		}
		return check(r, v)
	})
	h.handle("POST /compatibility/subjects/{subject}/versions", func(r *http.Request) (any, error) {
		return check(r, 0)
	})
}
