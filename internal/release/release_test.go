package release_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/hubkit/hub/internal/leakcheck"
	"github.com/hubkit/hub/internal/testenv"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// published are the modules that get tagged, by directory under the repository root.
var published = map[string]string{
	".":             "github.com/hubkit/hub",
	"adapter/redis": "github.com/hubkit/hub/adapter/redis",

	"metrics/prometheus": "github.com/hubkit/hub/metrics/prometheus",
}

// internalImports lists the imports of hub's internal packages that the published modules
// still make, each with why it is tolerated for now. Every entry is a build a user cannot rely
// on: internal packages have no compatibility promise, so a user whose hub is newer than the
// one the adapter was released with gets a compile error. The test fails on any import not
// listed here, and on any entry that is no longer needed, so that the list only shrinks.
var internalImports = map[string]string{}

// pseudoVersion matches a pseudo-version (vX.0.0-yyyymmddhhmmss-abcdefabcdef and its
// pre-release and patch forms): a requirement on an untagged commit.
var pseudoVersion = regexp.MustCompile(`\d{14}-[0-9a-f]{12}$`)

// TestPublishedGoMod checks what the go command does not check inside the workspace, where
// every module is replaced by its working tree: a published go.mod has no replace (ignored in
// a dependency, so the user's build would look for the version it replaces) and requires hub's
// modules at tagged versions only.
func TestPublishedGoMod(t *testing.T) {
	gobin := lookGo(t)
	root := testenv.Root()
	for dir, path := range published {
		var mod struct {
			Module  struct{ Path string }
			Require []struct{ Path, Version string }
			Replace []struct {
				Old, New struct{ Path, Version string }
			}
		}
		out := run(t, gobin, filepath.Join(root, dir), nil, "mod", "edit", "-json")
		if err := json.Unmarshal(out, &mod); err != nil {
			t.Fatalf("%s/go.mod: %v", dir, err)
		}
		if mod.Module.Path != path {
			t.Errorf("%s/go.mod: module %s; want %s", dir, mod.Module.Path, path)
		}
		for _, r := range mod.Replace {
			t.Errorf("%s/go.mod: replace %s => %s: a user's build ignores it; develop with go.work instead", dir, strings.TrimSpace(r.Old.Path+" "+r.Old.Version), r.New.Path)
		}
		for _, r := range mod.Require {
			if strings.HasPrefix(r.Path, "github.com/hubkit/hub") && pseudoVersion.MatchString(r.Version) {
				t.Errorf("%s/go.mod: require %s %s: a pseudo-version, not a release; require a tag (RELEASING.md)", dir, r.Path, r.Version)
			}
		}
	}
}

// TestRedisAdapterFromOutside builds a module outside the repository that requires the Redis
// adapter with a plain require, as a user does, against the repository's workspace, and checks
// that no published package imports one of hub's internal packages. The go command allows
// those imports (the internal rule goes by import path, and github.com/hubkit/hub/adapter/redis
// is under github.com/hubkit/hub), so the build alone would not catch them.
//
// It needs no network when the module cache holds the adapter's dependencies (go-redis,
// msgpack); otherwise it is skipped, or fails when HUB_INTEGRATION is set.
func TestRedisAdapterFromOutside(t *testing.T) {
	gobin := lookGo(t)
	root := testenv.Root()

	var work struct {
		Go      string
		Use     []struct{ DiskPath string }
		Replace []struct {
			Old, New struct{ Path, Version string }
		}
	}
	if err := json.Unmarshal(run(t, gobin, root, nil, "work", "edit", "-json", filepath.Join(root, "go.work")), &work); err != nil {
		t.Fatalf("go.work: %v", err)
	}
	var redisMod struct {
		Go      string
		Require []struct{ Path, Version string }
	}
	if err := json.Unmarshal(run(t, gobin, filepath.Join(root, "adapter/redis"), nil, "mod", "edit", "-json"), &redisMod); err != nil {
		t.Fatalf("adapter/redis/go.mod: %v", err)
	}
	// The version a user requires: the one the repository's own users of the adapter (the
	// chat example) require, which is the adapter's next release.
	var exampleMod struct {
		Require []struct{ Path, Version string }
	}
	if err := json.Unmarshal(run(t, gobin, filepath.Join(root, "_examples/chat/redis"), nil, "mod", "edit", "-json"), &exampleMod); err != nil {
		t.Fatalf("_examples/chat/redis/go.mod: %v", err)
	}
	version := ""
	for _, r := range exampleMod.Require {
		if r.Path == "github.com/hubkit/hub/adapter/redis" {
			version = r.Version
		}
	}
	if version == "" {
		t.Fatal("_examples/chat/redis/go.mod does not require github.com/hubkit/hub/adapter/redis")
	}

	// The user's module requires hub and go-redis too, at the versions the adapter requires,
	// as `go get github.com/hubkit/hub/adapter/redis` would write them.
	req := map[string]string{"github.com/hubkit/hub/adapter/redis": version}
	for _, r := range redisMod.Require {
		if r.Path == "github.com/hubkit/hub" || r.Path == "github.com/redis/go-redis/v9" {
			req[r.Path] = r.Version
		}
	}
	if len(req) != 3 {
		t.Fatalf("adapter/redis/go.mod requires %v; want hub and go-redis among them", redisMod.Require)
	}
	var gomod strings.Builder
	fmt.Fprintf(&gomod, "module example.com/user\n\ngo %s\n\nrequire (\n", redisMod.Go)
	for _, path := range slices.Sorted(maps.Keys(req)) {
		fmt.Fprintf(&gomod, "\t%s %s\n", path, req[path])
	}
	gomod.WriteString(")\n")

	dir := t.TempDir()
	user := filepath.Join(dir, "user")
	write(t, filepath.Join(user, "go.mod"), gomod.String())
	write(t, filepath.Join(user, "main.go"), `package main

import (
	"net/http"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/adapter/redis"
	goredis "github.com/redis/go-redis/v9"
)

func main() {
	rdb := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"})
	srv := hub.New(&hub.Options{Adapter: redis.NewAdapter(rdb, nil)})
	http.ListenAndServe("127.0.0.1:3000", srv)
}
`)
	// The workspace: the user's module and the repository's, with go.work's replaces.
	var gw strings.Builder
	fmt.Fprintf(&gw, "go %s\n\nuse ./user\n", work.Go)
	for _, u := range work.Use {
		fmt.Fprintf(&gw, "use %s\n", strconv.Quote(filepath.Join(root, u.DiskPath)))
	}
	for _, r := range work.Replace {
		newPath := r.New.Path
		if r.New.Version == "" && !filepath.IsAbs(newPath) {
			newPath = strconv.Quote(filepath.Join(root, newPath))
		}
		fmt.Fprintf(&gw, "replace %s %s => %s %s\n", r.Old.Path, r.Old.Version, newPath, r.New.Version)
	}
	write(t, filepath.Join(dir, "go.work"), gw.String())

	env := []string{
		"GOWORK=" + filepath.Join(dir, "go.work"),
		"GOFLAGS=-mod=readonly", // workspace mode refuses -mod=mod
		"GOTOOLCHAIN=local",
	}
	if !testenv.Required() {
		env = append(env, "GOPROXY=off")
	}
	cmd := exec.Command(gobin, "build", "-o", filepath.Join(dir, "user.bin"), ".")
	cmd.Dir = user
	cmd.Env = append(os.Environ(), env...)
	if out, err := cmd.CombinedOutput(); err != nil {
		if bytes.Contains(out, []byte("lookup disabled by GOPROXY=off")) && !bytes.Contains(out, []byte("github.com/hubkit/hub")) {
			t.Skipf("the module cache lacks the adapter's dependencies and the network is off (set HUB_INTEGRATION=1 to fetch them; `make test` does):\n%s", out)
		}
		if bytes.Contains(out, []byte("requires go >=")) {
			t.Skipf("this go is older than the adapter needs:\n%s", out)
		}
		t.Fatalf("a module requiring github.com/hubkit/hub/adapter/redis %s does not build: %v\n%s", version, err, out)
	}

	// Every package the user's build compiles, with its module and imports.
	out := run(t, gobin, user, env, "list", "-deps", "-f", "{{.ImportPath}}\t{{with .Module}}{{.Path}}{{end}}\t{{join .Imports \" \"}}", ".")
	modOf := map[string]string{}
	type pkg struct{ path, mod string }
	var pkgs []pkg
	imports := map[string][]string{}
	for line := range strings.Lines(string(out)) {
		f := strings.Split(strings.TrimSuffix(line, "\n"), "\t")
		if len(f) != 3 {
			t.Fatalf("go list: unexpected line %q", line)
		}
		modOf[f[0]] = f[1]
		pkgs = append(pkgs, pkg{f[0], f[1]})
		imports[f[0]] = strings.Fields(f[2])
	}
	seen := map[string]bool{}
	for _, p := range pkgs {
		if !slices.Contains(slices.Collect(maps.Values(published)), p.mod) {
			continue
		}
		for _, imp := range imports[p.path] {
			if modOf[imp] == p.mod || !isInternal(imp) {
				continue
			}
			key := p.mod + " -> " + imp
			seen[key] = true
			if _, ok := internalImports[key]; !ok {
				t.Errorf("%s imports %s, an internal package of %s: a user with another version of %s may not build it", p.path, imp, modOf[imp], modOf[imp])
			}
		}
	}
	for key := range internalImports {
		if !seen[key] {
			t.Errorf("internalImports lists %q, which is no longer imported: delete the entry", key)
		}
	}
}

// isInternal reports whether path is an internal package (an "internal" element in it).
func isInternal(path string) bool {
	return slices.Contains(strings.Split(path, "/"), "internal")
}

func lookGo(t *testing.T) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skipf("go command not found: %v", err)
	}
	return gobin
}

// run runs the go command in dir and returns its standard output; it fails the test on error.
func run(t *testing.T, gobin, dir string, env []string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(gobin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s (in %s): %v\n%s", strings.Join(args, " "), dir, err, stderr.Bytes())
	}
	return out
}

func write(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
