package redis

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"
)

// fixtures are produced by node js/redis/fixtures.mjs with the pinned notepack.io,
// @socket.io/redis-adapter and @socket.io/redis-emitter.
type fixtures struct {
	Values map[string]struct {
		Msgpack   string `json:"msgpack"`
		JSON      string `json:"json"`
		Reencoded string `json:"reencoded"`
	} `json:"values"`
	JSON []struct {
		Text    string `json:"text"`
		Msgpack string `json:"msgpack"`
		JSON    string `json:"json"`
	} `json:"json"`
	Messages map[string][]struct {
		Channel string `json:"channel"`
		Hex     string `json:"hex"`
		Text    string `json:"text"`
	} `json:"messages"`
}

func loadFixtures(t testing.TB) *fixtures {
	t.Helper()
	b, err := os.ReadFile("testdata/fixtures.json")
	if err != nil {
		t.Fatal(err)
	}
	var f fixtures
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	return &f
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// notepackBugs are values notepack.io itself encodes wrongly (numbers of 2⁶⁴ and more become
// garbage, a lone surrogate becomes 4 bogus bytes); we write the right value instead.
var notepackBugs = map[string]bool{
	"huge":                    true,
	"1.5e300":                 true,
	"18446744073709551615":    true,
	"12345678901234567890123": true,
	`"\ud800"`:                true,
}

// TestMsgpackDecodeAsNotepack decodes notepack's bytes and writes the value as JSON.stringify
// does, and encodes it again as notepack does.
func TestMsgpackDecodeAsNotepack(t *testing.T) {
	t.Parallel()
	for name, c := range loadFixtures(t).Values {
		if notepackBugs[name] {
			continue // notepack.io bug: we diverge on purpose (see notepackBugs)
		}
		t.Run(name, func(t *testing.T) {
			v, err := parseMsgpack(unhex(t, c.Msgpack))
			if err != nil {
				t.Fatalf("parseMsgpack: %v", err)
			}
			if got := string(appendJSON(nil, v, nil)); got != c.JSON {
				t.Errorf("JSON: got %.200s; want %.200s", got, c.JSON)
			}
			b, err := appendMsgpack(nil, v)
			if err != nil {
				t.Fatalf("appendMsgpack: %v", err)
			}
			if got := hex.EncodeToString(b); got != c.Reencoded {
				t.Errorf("re-encoded: got %.200s; want %.200s", got, c.Reencoded)
			}
		})
	}
}

// TestJSONToMsgpackAsNode parses JSON as JSON.parse and encodes it as notepack.
func TestJSONToMsgpackAsNode(t *testing.T) {
	t.Parallel()
	for _, c := range loadFixtures(t).JSON {
		if notepackBugs[c.Text] {
			continue // notepack.io bug: we diverge on purpose (see notepackBugs)
		}
		t.Run(c.Text, func(t *testing.T) {
			v, err := parseJSON([]byte(c.Text))
			if err != nil {
				t.Fatalf("parseJSON: %v", err)
			}
			b, err := appendMsgpack(nil, v)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(b); got != c.Msgpack {
				t.Errorf("msgpack: got %s; want %s", got, c.Msgpack)
			}
			if got := string(appendJSON(nil, v, nil)); got != c.JSON {
				t.Errorf("JSON: got %s; want %s", got, c.JSON)
			}
		})
	}
}

func TestNumbersBeyondNotepack(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, msgpack string }{
		{"18446744073709551615", "cfffffffffffffffff"},
		{"1e21", "cb444b1ae4d6e2ef50"},
	} {
		v, err := parseJSON([]byte(c.in))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := appendMsgpack(nil, v)
		if got := hex.EncodeToString(b); got != c.msgpack {
			t.Errorf("%s: got %s; want %s", c.in, got, c.msgpack)
		}
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "[", "{\"a\"", "[1,]", "tru", "\"\\x\"", "01x", "{\"a\":1}}", "\"\x01\""} {
		if v, err := parseJSON([]byte(in)); err == nil {
			t.Errorf("parseJSON(%q) = %v; want an error", in, v)
		}
	}
	for _, in := range []string{"", "91", "dc ffff", "c4 05 01", "82 a1 61", "c1", "9201"} {
		b, _ := hex.DecodeString(stripSpaces(in))
		if v, err := parseMsgpack(b); err == nil {
			t.Errorf("parseMsgpack(%s) = %v; want an error", in, v)
		}
	}
	deep := bytes.Repeat([]byte{0x91}, maxDepth+10)
	if _, err := parseMsgpack(append(deep, 0xc0)); err == nil {
		t.Error("parseMsgpack of a deeply nested array: no error")
	}
	if _, err := parseJSON(append(bytes.Repeat([]byte("["), maxDepth+10), bytes.Repeat([]byte("]"), maxDepth+10)...)); err == nil {
		t.Error("parseJSON of a deeply nested array: no error")
	}
}

func stripSpaces(s string) string { return string(bytes.ReplaceAll([]byte(s), []byte(" "), nil)) }

func FuzzParseMsgpack(f *testing.F) {
	for _, c := range loadFixtures(f).Values {
		f.Add(unhex(f, c.Msgpack))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := parseMsgpack(data)
		if err != nil {
			return
		}
		appendJSON(nil, v, new([][]byte))
		if _, err := appendMsgpack(nil, v); err != nil {
			t.Fatalf("re-encoding a decoded value: %v", err)
		}
	})
}

func FuzzParseJSON(f *testing.F) {
	for _, c := range loadFixtures(f).JSON {
		f.Add([]byte(c.Text))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := parseJSON(data)
		if err != nil {
			if json.Valid(data) {
				t.Fatalf("parseJSON refused valid JSON %q: %v", data, err)
			}
			return
		}
		out := appendJSON(nil, v, nil)
		if !json.Valid(out) {
			t.Fatalf("appendJSON wrote invalid JSON %q", out)
		}
		if !json.Valid(data) {
			t.Fatalf("parseJSON accepted invalid JSON %q", data)
		}
	})
}
