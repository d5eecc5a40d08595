package engine

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// cors adds the CORS headers to every engine response and answers preflights (204), as the
// Node server does with its cors option. It reports whether it answered the request.
func (srv *Server) cors(w http.ResponseWriter, r *http.Request) bool {
	c := srv.opts.CORS
	h := w.Header()
	origin := r.Header.Get("Origin")
	any := slices.Contains(c.Origins, "*")
	allowed := any || slices.Contains(c.Origins, origin) || (c.AllowOrigin != nil && c.AllowOrigin(origin))
	switch {
	case any && !c.Credentials && c.AllowOrigin == nil:
		h.Set("Access-Control-Allow-Origin", "*")
	case allowed && origin != "":
		h.Set("Access-Control-Allow-Origin", origin)
		h.Add("Vary", "Origin")
	}
	if c.Credentials && allowed {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
		return false
	}
	h.Set("Access-Control-Allow-Methods", "GET,HEAD,PUT,PATCH,POST,DELETE")
	if len(c.Headers) > 0 {
		h.Set("Access-Control-Allow-Headers", strings.Join(c.Headers, ","))
	} else if req := r.Header.Get("Access-Control-Request-Headers"); req != "" {
		h.Set("Access-Control-Allow-Headers", req)
		h.Add("Vary", "Access-Control-Request-Headers")
	}
	if c.MaxAge > 0 {
		h.Set("Access-Control-Max-Age", strconv.Itoa(int(c.MaxAge.Seconds())))
	}
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusNoContent)
	return true
}
