// Package clientjs embeds hub's browser client, a Socket.IO v5 / Engine.IO v4 client with the API
// of socket.io-client 4.x written for hub (sources in js/client, built by js/client/build.mjs),
// and serves it.
//
// Files, named relative to the engine path (/socket.io/ by default):
//
//	socket.io.js                 readable build   Cache-Control: public, max-age=0, must-revalidate
//	socket.io.min.js             minified build   (revalidated with the ETag)
//	socket.io.<version>.js       readable build   Cache-Control: public, max-age=31536000, immutable
//	socket.io.<version>.min.js   minified build   (immutable)
//	socket.io.msgpack.min.js     minified build with the msgpack parser (revalidated)
//	socket.io.<version>.msgpack.min.js               (immutable)
//
// Every response has an ETag (a hash of the bytes sent), answers If-None-Match with 304, and is
// gzip-encoded for clients that accept it. There are no source maps.
package clientjs

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"
)

//go:embed socket.io.js socket.io.min.js socket.io.msgpack.min.js
var embedded embed.FS

type file struct {
	body, gz         []byte
	etag, gzETag     string // quoted
	immutableVariant bool
}

var (
	readable = load("socket.io.js")
	minified = load("socket.io.min.js")
	msgpack  = load("socket.io.msgpack.min.js")
	version  = hashOf(append(append(append([]byte{}, readable.body...), minified.body...), msgpack.body...))[:12]
	byName   = map[string]*file{
		"socket.io.js":                             readable,
		"socket.io.min.js":                         minified,
		"socket.io.msgpack.min.js":                 msgpack,
		"socket.io." + version + ".js":             immutable(readable),
		"socket.io." + version + ".min.js":         immutable(minified),
		"socket.io." + version + ".msgpack.min.js": immutable(msgpack),
	}
)

func load(name string) *file {
	body, err := embedded.ReadFile(name)
	if err != nil {
		panic("clientjs: " + err.Error()) // the files are embedded at build time
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	zw.Write(body)
	zw.Close()
	h := hashOf(body)[:20]
	return &file{body: body, gz: gz.Bytes(), etag: `"` + h + `"`, gzETag: `"` + h + `-gz"`}
}

func immutable(f *file) *file {
	c := *f
	c.immutableVariant = true
	return &c
}

func hashOf(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Version returns the content hash in the versioned file names: 12 hex digits that change
// whenever any build changes.
func Version() string { return version }

// VersionedName returns the immutable file name of the client, relative to the engine path:
// "socket.io.<version>.min.js" when minified, "socket.io.<version>.js" otherwise. Pages that
// use it can be cached for a year: a new build has a new name.
func VersionedName(minified bool) string {
	if minified {
		return "socket.io." + version + ".min.js"
	}
	return "socket.io." + version + ".js"
}

// IsFile reports whether name, a request path relative to the engine path (such as
// "socket.io.js" for /socket.io/socket.io.js; a leading "/" is ignored), is a file that
// [Handler] serves. Versioned names match only the current [Version].
func IsFile(name string) bool {
	_, ok := byName[strings.TrimPrefix(name, "/")]
	return ok
}

// Handler returns the http.Handler that serves the client files. It looks only at the last
// element of the request path, so it can be mounted under any prefix; other names get 404,
// methods other than GET and HEAD 405. It holds no state and is safe for concurrent use.
func Handler() http.Handler { return handler{} }

type handler struct{}

func (handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f := byName[path.Base(r.URL.Path)]
	if f == nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	h.Set("Content-Type", "application/javascript; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Add("Vary", "Accept-Encoding")
	if f.immutableVariant {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=0, must-revalidate")
	}
	body, etag := f.body, f.etag
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		body, etag = f.gz, f.gzETag
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("ETag", etag)
	// ServeContent answers If-None-Match (304), HEAD and Range requests.
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// acceptsGzip reports whether an Accept-Encoding value allows gzip (or *) with a non-zero q.
func acceptsGzip(accept string) bool {
	for _, part := range strings.Split(accept, ",") {
		coding, params, _ := strings.Cut(part, ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "*" {
			continue
		}
		if k, v, ok := strings.Cut(params, "="); ok && strings.EqualFold(strings.TrimSpace(k), "q") {
			if q, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err != nil || q <= 0 {
				continue
			}
		}
		return true
	}
	return false
}
