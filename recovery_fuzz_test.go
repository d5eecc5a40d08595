package hub

import (
	"encoding/json"
	"strings"
	"testing"
)

// recoveryCases are CONNECT payloads a client may send, with the pid and offset hub must
// read from them (ok false: no recovery attempted, a new session).
var recoveryCases = []struct {
	auth        string
	pid, offset string
	ok          bool
}{
	{`{"pid":"p","offset":"1a"}`, "p", "1a", true},
	{`{"token":"t","pid":"p","offset":"0"}`, "p", "0", true},
	{`{"pid":"p\u0000\ud800","offset":"x"}`, "p\x00\ufffd", "x", true}, // read as encoding/json does; no such pid exists
	{`{"pid":"p"}`, "", "", false},
	{`{"offset":"0"}`, "", "", false},
	{`{"pid":1,"offset":"0"}`, "", "", false},
	{`{"pid":"p","offset":0}`, "", "", false},
	{`{"pid":null,"offset":null}`, "", "", false},
	{`{"pid":["p"],"offset":{"o":1}}`, "", "", false},
	{`[]`, "", "", false},
	{`"pid"`, "", "", false},
	{`{}`, "", "", false},
	{``, "", "", false},
	{`{"pid":"p","offset":"0"`, "", "", false},
	{`{"pid":"p","pid":"q","offset":"0"}`, "q", "0", true}, // the last key wins, as in JavaScript
	{`{"pid":"` + strings.Repeat("a", 1<<16) + `","offset":"0"}`, strings.Repeat("a", 1<<16), "0", true},
}

func TestRecoveryAuth(t *testing.T) {
	for _, c := range recoveryCases {
		pid, off, ok := recoveryAuth(json.RawMessage(c.auth))
		if ok != c.ok || pid != c.pid || off != c.offset {
			t.Errorf("recoveryAuth(%.60s) = %.20q, %q, %v; want %.20q, %q, %v", c.auth, pid, off, ok, c.pid, c.offset, c.ok)
		}
	}
}

// FuzzRecoveryAuth reads arbitrary CONNECT payloads as a client may send them: no panic,
// and what is read back is what was sent. (The offsets, and what a restore with them
// finds, are the adapter package's FuzzRestoreOffset.)
func FuzzRecoveryAuth(f *testing.F) {
	for _, c := range recoveryCases[:len(recoveryCases)-1] {
		f.Add(c.auth)
	}
	f.Fuzz(func(t *testing.T, auth string) {
		if pid, o, ok := recoveryAuth(json.RawMessage(auth)); ok {
			b, _ := json.Marshal(map[string]string{"pid": pid, "offset": o})
			if p2, o2, ok2 := recoveryAuth(b); !ok2 || p2 != pid || o2 != o {
				t.Fatalf("%s read back as %q %q", auth, p2, o2)
			}
		}
	})
}
