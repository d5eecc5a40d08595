package clientjs_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/hubkit/hub/internal/clientjs"
	"github.com/hubkit/hub/internal/testenv"
)

func get(t *testing.T, method, target string, header map[string]string) *http.Response {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	clientjs.Handler().ServeHTTP(w, r)
	return w.Result()
}

func body(t *testing.T, res *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func onDisk(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestServesBuilds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path, file, cache string
	}{
		{"/socket.io/socket.io.js", "socket.io.js", "public, max-age=0, must-revalidate"},
		{"/socket.io/socket.io.min.js", "socket.io.min.js", "public, max-age=0, must-revalidate"},
		{"/socket.io/" + clientjs.VersionedName(false), "socket.io.js", "public, max-age=31536000, immutable"},
		{"/socket.io/" + clientjs.VersionedName(true), "socket.io.min.js", "public, max-age=31536000, immutable"},
		{"/elsewhere/socket.io.min.js", "socket.io.min.js", "public, max-age=0, must-revalidate"},
		{"/socket.io/socket.io.msgpack.min.js", "socket.io.msgpack.min.js", "public, max-age=0, must-revalidate"},
		{"/socket.io/socket.io." + clientjs.Version() + ".msgpack.min.js", "socket.io.msgpack.min.js", "public, max-age=31536000, immutable"},
	}
	for _, tt := range tests {
		res := get(t, "GET", tt.path, nil)
		if res.StatusCode != 200 {
			t.Fatalf("GET %s: status %d; want 200", tt.path, res.StatusCode)
		}
		if got, want := res.Header.Get("Content-Type"), "application/javascript; charset=utf-8"; got != want {
			t.Errorf("GET %s: Content-Type %q; want %q", tt.path, got, want)
		}
		if got := res.Header.Get("Cache-Control"); got != tt.cache {
			t.Errorf("GET %s: Cache-Control %q; want %q", tt.path, got, tt.cache)
		}
		if res.Header.Get("Content-Encoding") != "" {
			t.Errorf("GET %s without Accept-Encoding: Content-Encoding %q", tt.path, res.Header.Get("Content-Encoding"))
		}
		if got := body(t, res); !bytes.Equal(got, onDisk(t, tt.file)) {
			t.Errorf("GET %s: body is not %s (%d bytes; want %d)", tt.path, tt.file, len(got), len(onDisk(t, tt.file)))
		}
		if !regexp.MustCompile(`^"[0-9a-f]{20}"$`).MatchString(res.Header.Get("ETag")) {
			t.Errorf("GET %s: ETag %q; want a quoted content hash", tt.path, res.Header.Get("ETag"))
		}
	}
}

func TestETagIsContentHash(t *testing.T) {
	t.Parallel()
	plain := get(t, "GET", "/socket.io/socket.io.js", nil).Header.Get("ETag")
	min := get(t, "GET", "/socket.io/socket.io.min.js", nil).Header.Get("ETag")
	versioned := get(t, "GET", "/socket.io/"+clientjs.VersionedName(true), nil).Header.Get("ETag")
	if plain == min {
		t.Errorf("socket.io.js and socket.io.min.js share ETag %s", plain)
	}
	if versioned != min {
		t.Errorf("versioned min ETag %s; want the min file's %s (same bytes)", versioned, min)
	}
}

func TestIfNoneMatch(t *testing.T) {
	t.Parallel()
	for _, enc := range []string{"", "gzip"} {
		first := get(t, "GET", "/socket.io/socket.io.min.js", map[string]string{"Accept-Encoding": enc})
		etag := first.Header.Get("ETag")
		res := get(t, "GET", "/socket.io/socket.io.min.js", map[string]string{"Accept-Encoding": enc, "If-None-Match": etag})
		if res.StatusCode != http.StatusNotModified {
			t.Fatalf("If-None-Match %s (Accept-Encoding %q): status %d; want 304", etag, enc, res.StatusCode)
		}
		if b := body(t, res); len(b) != 0 {
			t.Errorf("304 with a %d-byte body", len(b))
		}
		res = get(t, "GET", "/socket.io/socket.io.min.js", map[string]string{"Accept-Encoding": enc, "If-None-Match": `"stale"`})
		if res.StatusCode != 200 {
			t.Errorf("stale If-None-Match: status %d; want 200", res.StatusCode)
		}
	}
}

func TestGzip(t *testing.T) {
	t.Parallel()
	for _, accept := range []string{"gzip", "gzip, deflate, br", "br;q=1.0, gzip;q=0.8", "*"} {
		res := get(t, "GET", "/socket.io/socket.io.min.js", map[string]string{"Accept-Encoding": accept})
		if got := res.Header.Get("Content-Encoding"); got != "gzip" {
			t.Fatalf("Accept-Encoding %q: Content-Encoding %q; want gzip", accept, got)
		}
		if !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
			t.Errorf("Vary %q; want Accept-Encoding", res.Header.Get("Vary"))
		}
		zr, err := gzip.NewReader(bytes.NewReader(body(t, res)))
		if err != nil {
			t.Fatal(err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(plain, onDisk(t, "socket.io.min.js")) {
			t.Errorf("Accept-Encoding %q: gunzipped body differs from socket.io.min.js", accept)
		}
	}
	for _, accept := range []string{"br", "gzip;q=0", "identity", "gzip; q=0.000"} {
		res := get(t, "GET", "/socket.io/socket.io.min.js", map[string]string{"Accept-Encoding": accept})
		if got := res.Header.Get("Content-Encoding"); got != "" {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q; want none", accept, got)
		}
	}
}

func TestMethodsAndUnknownNames(t *testing.T) {
	t.Parallel()
	if res := get(t, "HEAD", "/socket.io/socket.io.js", nil); res.StatusCode != 200 || len(body(t, res)) != 0 {
		t.Errorf("HEAD: status %d; want 200 without a body", res.StatusCode)
	}
	res := get(t, "POST", "/socket.io/socket.io.js", nil)
	if res.StatusCode != http.StatusMethodNotAllowed || res.Header.Get("Allow") != "GET, HEAD" {
		t.Errorf("POST: status %d, Allow %q; want 405, GET, HEAD", res.StatusCode, res.Header.Get("Allow"))
	}
	for _, p := range []string{"/socket.io/socket.io.js.map", "/socket.io/socket.io.esm.min.js", "/socket.io/socket.io.0123456789ab.js", "/socket.io/"} {
		if res := get(t, "GET", p, nil); res.StatusCode != 404 {
			t.Errorf("GET %s: status %d; want 404", p, res.StatusCode)
		}
	}
}

func TestIsFile(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		want bool
	}{
		{"socket.io.js", true},
		{"socket.io.min.js", true},
		{"/socket.io.js", true},
		{clientjs.VersionedName(false), true},
		{clientjs.VersionedName(true), true},
		{"socket.io.000000000000.js", false},
		{"socket.io.js.map", false},
		{"socket.io.min.js.map", false},
		{"socket.io.msgpack.min.js", true},
		{"socket.io.msgpack.js", false},
		{"", false},
		{"x/socket.io.js", false},
	}
	for _, tt := range tests {
		if got := clientjs.IsFile(tt.name); got != tt.want {
			t.Errorf("IsFile(%q) = %v; want %v", tt.name, got, tt.want)
		}
	}
	if !regexp.MustCompile(`^[0-9a-f]{12}$`).MatchString(clientjs.Version()) {
		t.Errorf("Version() = %q; want 12 hex digits", clientjs.Version())
	}
	if got, want := clientjs.VersionedName(true), "socket.io."+clientjs.Version()+".min.js"; got != want {
		t.Errorf("VersionedName(true) = %q; want %q", got, want)
	}
}

func TestNoSourceMaps(t *testing.T) {
	t.Parallel()
	for _, f := range []string{"socket.io.js", "socket.io.min.js", "socket.io.msgpack.min.js"} {
		if bytes.Contains(onDisk(t, f), []byte("sourceMappingURL")) {
			t.Errorf("%s references a source map", f)
		}
	}
}

// TestBuildUpToDate fails when the committed files are not what js/client/src builds to.
func TestBuildUpToDate(t *testing.T) {
	node := testenv.Node(t, "esbuild")
	cmd := exec.Command(node, "js/client/build.mjs", "--check")
	cmd.Dir = testenv.Root()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("internal/clientjs is out of date (%v): run node js/client/build.mjs\n%s", err, out)
	}
}
