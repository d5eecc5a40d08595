package engine

import (
	"fmt"
	"net/http"
	"runtime/debug"
)

// connectionError tells Options.OnConnectionError of a refused request, recovering a panic.
func (srv *Server) connectionError(r *http.Request, code int, context map[string]any) {
	f := srv.opts.OnConnectionError
	if f == nil {
		return
	}
	defer srv.recoverHook("OnConnectionError")
	f(&ConnectionError{Request: r, Code: code, Message: errorMessages[code], Context: context})
}

// headers adds the session cookie (with cookie set: on an HTTP handshake) and what
// Options.Headers adds to the headers of the response to r. It reports false if the hook
// panicked (logged).
func (srv *Server) headers(w http.ResponseWriter, r *http.Request, sid string, initial, cookie bool) (ok bool) {
	if cookie && srv.opts.Cookie != nil {
		c := *srv.opts.Cookie
		c.Value = sid
		// Not http.SetCookie: it drops a cookie that does not validate (a bad Domain)
		// silently, and this one is built from the server's options.
		if v := c.String(); v != "" { // "" for a name no cookie may have
			w.Header().Add("Set-Cookie", v)
		}
	}
	f := srv.opts.Headers
	if f == nil {
		return true
	}
	defer func() {
		if p := recover(); p != nil {
			srv.logPanic("Headers", p)
			ok = false
		}
	}()
	f(w.Header(), r, initial)
	return true
}

// recoverHook, deferred where the engine calls a hook of its options outside any session,
// logs a panic and goes on.
func (srv *Server) recoverHook(where string) {
	if p := recover(); p != nil {
		srv.logPanic(where, p)
	}
}

func (srv *Server) logPanic(where string, p any) {
	srv.opts.Logger.Error("engine.io: panic in a hook", "in", where, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
}

// cookieTemplate returns a copy of c with Node's defaults filled in, nil for nil.
func cookieTemplate(c *http.Cookie) *http.Cookie {
	if c == nil {
		return nil
	}
	t := *c
	if t.Name == "" {
		t.Name = "io"
	}
	if t.Path == "" {
		t.Path = "/"
	}
	if t.SameSite == 0 {
		t.SameSite = http.SameSiteLaxMode
	}
	t.HttpOnly = true
	return &t
}
