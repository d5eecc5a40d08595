package hub

import (
	"net/http"
	"strings"
)

// Handler returns a handler that serves the server's path (Options.Path, by prefix) and
// passes every other request to next (a 404 when next is nil). Use it to put Socket.IO in
// front of an application's router:
//
//	http.ListenAndServe(":8080", srv.Handler(mux))
func (srv *Server) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, srv.opts.Path) {
			srv.ServeHTTP(w, r)
			return
		}
		if next == nil {
			http.NotFound(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
