package leakcheck

import (
	"debug/elf"
	"debug/gosym"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
)

// Count returns how many goroutines have a stack containing every one of fns, for a test
// that waits for particular goroutines to start or end. Each fn must be part of the name of a
// function of the test binary: Count panics otherwise, so that a wait for a count of 0 cannot
// pass only because a function was renamed. (Where the binary cannot be read, as on a
// platform without ELF, the names are not checked.)
func Count(fns ...string) int {
	for _, fn := range fns {
		if !KnownFunc(fn) {
			panic(fmt.Sprintf("leakcheck: no function of the test binary is named like %q: renamed?", fn))
		}
	}
	n := 0
next:
	for _, g := range stacks() {
		for _, fn := range fns {
			if !strings.Contains(g.stack, fn) {
				continue next
			}
		}
		n++
	}
	return n
}

// KnownFunc reports whether the name of a function of the test binary contains fn; true
// where the binary's function table cannot be read.
func KnownFunc(fn string) bool {
	if known, ok := knownFuncs.Load(fn); ok { // waits ask for the same names again and again
		return known.(bool)
	}
	known := true
	if names := funcNames(); names != nil {
		known = slices.ContainsFunc(names, func(name string) bool { return strings.Contains(name, fn) })
	}
	knownFuncs.Store(fn, known)
	return known
}

// knownFuncs caches KnownFunc's answers: name → bool.
var knownFuncs sync.Map

// funcNames returns the names of the running binary's functions, from its pclntab (go test
// strips the symbol table, not that); nil if unreadable.
var funcNames = sync.OnceValue(func() []string {
	exe, err := os.Executable()
	if err != nil {
		return nil
	}
	f, err := elf.Open(exe)
	if err != nil {
		return nil
	}
	defer f.Close()
	pcln, text := f.Section(".gopclntab"), f.Section(".text")
	if pcln == nil || text == nil {
		return nil
	}
	data, err := pcln.Data()
	if err != nil {
		return nil
	}
	table, err := gosym.NewTable(nil, gosym.NewLineTable(data, text.Addr))
	if err != nil {
		return nil
	}
	names := make([]string, len(table.Funcs))
	for i, fn := range table.Funcs {
		names[i] = fn.Name
	}
	return names
})
