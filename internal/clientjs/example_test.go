package clientjs_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/hubkit/hub/internal/clientjs"
)

// Mounting the client under the engine path: the one line a server needs is the IsFile test.
func Example() {
	const enginePath = "/socket.io/"
	files := clientjs.Handler()
	mux := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if clientjs.IsFile(strings.TrimPrefix(r.URL.Path, enginePath)) {
			files.ServeHTTP(w, r)
			return
		}
		http.Error(w, "engine", http.StatusBadRequest) // the Engine.IO handler would be here
	})
	for _, p := range []string{"socket.io.js", clientjs.VersionedName(true), "?EIO=4&transport=polling"} {
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, httptest.NewRequest("GET", enginePath+p, nil))
		fmt.Println(w.Code, w.Header().Get("Cache-Control"))
	}
	// Output:
	// 200 public, max-age=0, must-revalidate
	// 200 public, max-age=31536000, immutable
	// 400
}
