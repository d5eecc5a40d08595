package engine

import (
	"net/http"
	"net/url"
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
	allowed := any || c.allows(origin)
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

// allows reports whether c lets origin in.
func (c *CORS) allows(origin string) bool {
	return slices.Contains(c.Origins, "*") || slices.Contains(c.Origins, origin) || (c.AllowOrigin != nil && c.AllowOrigin(origin))
}

// isWebSocket reports whether r asks for a WebSocket.
func isWebSocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// allowsWebSocket reports whether a WebSocket handshake from a page of origin may proceed:
// the origin names the request's own host, or the CORS option allows it.
func (srv *Server) allowsWebSocket(origin string, r *http.Request) bool {
	if u, err := url.Parse(origin); err == nil && u.Host != "" && strings.EqualFold(stripDefaultPort(u.Host), stripDefaultPort(r.Host)) {
		return true
	}
	return srv.opts.CORS != nil && srv.opts.CORS.allows(origin)
}

// stripDefaultPort drops ":80" or ":443" from host: behind a proxy that ends TLS, the Host
// and the page's origin may disagree on the scheme, not on the host.
func stripDefaultPort(host string) string {
	if h, ok := strings.CutSuffix(host, ":80"); ok {
		return h
	}
	if h, ok := strings.CutSuffix(host, ":443"); ok {
		return h
	}
	return host
}
