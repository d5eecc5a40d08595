package parser_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubkit/hub/internal/parser"
	"github.com/hubkit/hub/internal/testenv"
)

// vector is one packet of testdata/msgpack_vectors.json, written by js/msgpack/vectors.mjs
// with the real socket.io-msgpack-parser.
type vector struct {
	Name        string   `json:"name"`
	Encode      bool     `json:"encode"` // hub must write these bytes too
	Hex         string   `json:"hex"`
	Type        int      `json:"type"`
	Nsp         string   `json:"nsp"`
	ID          *int64   `json:"id"`
	Data        *string  `json:"data"` // the JSON form, placeholders in place
	Attachments []string `json:"attachments"`
}

func loadVectors(t *testing.T) []vector {
	t.Helper()
	b, err := os.ReadFile("testdata/msgpack_vectors.json")
	success(t, err)
	var vs []vector
	success(t, json.Unmarshal(b, &vs))
	if len(vs) < 20 {
		t.Fatalf("got %d vectors; want the whole file", len(vs))
	}
	return vs
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	success(t, err)
	return b
}

// want returns the packet hub must decode v to.
func (v vector) want(t *testing.T) *parser.Packet {
	p := &parser.Packet{Type: parser.Type(v.Type), Namespace: v.Nsp, ID: parser.NoID}
	if v.ID != nil {
		p.ID = *v.ID
	}
	if v.Data != nil {
		p.Data = json.RawMessage(*v.Data)
	}
	for _, a := range v.Attachments {
		p.Attachments = append(p.Attachments, mustHex(t, a))
	}
	if len(p.Attachments) > 0 {
		p.Type += parser.BinaryEvent - parser.Event
	}
	return p
}

// TestMsgpackVectors decodes every packet the real socket.io-msgpack-parser wrote into the
// JSON form Node's decoder hands a handler, and encodes the packets marked encode back to
// the same bytes.
func TestMsgpackVectors(t *testing.T) {
	t.Parallel()
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			wire := mustHex(t, v.Hex)
			want := v.want(t)
			var d parser.MsgpackDecoder
			got, err := d.Binary(bytes.Clone(wire))
			success(t, err)
			equal(t, "type", got.Type, want.Type)
			equal(t, "namespace", got.Namespace, want.Namespace)
			equal(t, "id", got.ID, want.ID)
			equal(t, "data", string(got.Data), string(want.Data))
			equal(t, "attachments", got.Attachments, want.Attachments)
			if v.Encode {
				out, err := want.AppendMsgpack([]byte("prefix"))
				success(t, err)
				if !bytes.Equal(out[6:], wire) || string(out[:6]) != "prefix" {
					t.Errorf("AppendMsgpack:\ngot  %x\nwant %x", out[6:], wire)
				}
			}
		})
	}
}

// TestMsgpackVectorsFresh regenerates the vectors with node and the pinned
// socket.io-msgpack-parser and compares them with the committed file.
func TestMsgpackVectorsFresh(t *testing.T) {
	node := testenv.Node(t, "socket.io-msgpack-parser")
	out, err := exec.Command(node, filepath.Join(testenv.Root(), "js", "msgpack", "vectors.mjs")).Output()
	success(t, err)
	b, err := os.ReadFile("testdata/msgpack_vectors.json")
	success(t, err)
	if !bytes.Equal(out, b) {
		t.Errorf("js/msgpack/vectors.mjs writes other vectors than testdata/msgpack_vectors.json: run\n\tnode js/msgpack/vectors.mjs > internal/parser/testdata/msgpack_vectors.json")
	}
}

// TestMsgpackRoundTrip encodes packets built as the server builds them and decodes them
// back.
func TestMsgpackRoundTrip(t *testing.T) {
	t.Parallel()
	data, atts, err := parser.AppendArgs(nil, []any{"e", []byte{1, 2}, map[string]any{"n": 9007199254740993, "b": [][]byte{{3}, {}}}, "x\u2028y", 1e21, -0.0})
	success(t, err)
	for _, p := range []*parser.Packet{
		{Type: parser.BinaryEvent, Namespace: "/", ID: 12, Data: data, Attachments: atts},
		{Type: parser.Event, Namespace: "", ID: parser.NoID, Data: json.RawMessage(` [ "a" , { "k" : [ 1 , 2.5e3 , "\u0041\ud83d\ude00" ] } ] `)},
		{Type: parser.Connect, Namespace: "/n", ID: parser.NoID},
		{Type: parser.ConnectError, Namespace: "/n", ID: parser.NoID, Data: json.RawMessage(`"no"`)},
	} {
		wire, err := p.AppendMsgpack(nil)
		success(t, err)
		var d parser.MsgpackDecoder
		got, err := d.Binary(wire)
		success(t, err)
		want := p.Namespace
		if want == "" {
			want = "/"
		}
		equal(t, "namespace", got.Namespace, want)
		equal(t, "type", got.Type, p.Type)
		equal(t, "id", got.ID, p.ID)
		equal(t, "attachments", got.Attachments, p.Attachments)
		var gv, wv any
		json.Unmarshal(got.Data, &gv)
		json.Unmarshal(p.Data, &wv)
		equal(t, "data", gv, wv)
	}
	// integers past 2^53 stay exact both ways
	p := &parser.Packet{Type: parser.Event, Namespace: "/", ID: parser.NoID, Data: json.RawMessage(`["n",9007199254740993,18446744073709551615,-9223372036854775808]`)}
	wire, err := p.AppendMsgpack(nil)
	success(t, err)
	var d parser.MsgpackDecoder
	got, err := d.Binary(wire)
	success(t, err)
	equal(t, "big integers", string(got.Data), string(p.Data))
}

// TestMsgpackEncodeErrors: a packet whose JSON is broken or whose placeholders name no
// attachment is an error, and dst is left alone.
func TestMsgpackEncodeErrors(t *testing.T) {
	t.Parallel()
	for _, data := range []string{`["e",`, `["e"]x`, `["e",{"_placeholder":true,"num":1}]`, `["e",{"_placeholder":true}]`, `[` + strings.Repeat("[", 1001) + strings.Repeat("]", 1002)} {
		p := &parser.Packet{Type: parser.Event, Namespace: "/", ID: parser.NoID, Data: json.RawMessage(data), Attachments: [][]byte{{1}}}
		out, err := p.AppendMsgpack([]byte("dst"))
		errorIs(t, err, parser.ErrInvalid)
		equal(t, data+": dst", string(out), "dst")
	}
}

// mp builds msgpack bytes from hex pieces, spaces ignored.
func mp(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// packetHex wraps the hex of a data value into an EVENT packet map {type:2, nsp:"/", data}.
func eventHex(data string) []byte { return mp("83 a474797065 02 a36e7370 a12f a464617461" + data) }

// TestMsgpackHostile is the table of hostile and edge input: each message is refused with an
// error wrapping ErrInvalid (a *LimitError where a limit is met), or decodes to the JSON
// given, and nothing is allocated past what the input holds.
func TestMsgpackHostile(t *testing.T) {
	t.Parallel()
	deep := func(n int) string { return strings.Repeat("91", n) + "01" }
	deepMap := func(n int) string { return strings.Repeat("81a161", n) + "01" }
	bins := func(n int) string {
		return "dc" + hex.EncodeToString([]byte{byte(n >> 8), byte(n)}) + strings.Repeat("c400", n)
	}
	for _, tt := range []struct {
		name  string
		wire  []byte
		data  string // the JSON on success; "" for an error
		limit string // the LimitError's Limit, if any
	}{
		{"empty", nil, "", ""},
		{"not a map", mp("92 02 a12f"), "", ""},
		{"truncated map", mp("83 a474797065 02"), "", ""},
		{"truncated key", mp("81 a474797065"), "", ""},
		{"str length past the end", eventHex("92 a165 d9ff41"), "", ""},
		{"str 32 of 2^32-1", eventHex("92 a165 dbffffffff41"), "", ""},
		{"bin 32 of 2^32-1", eventHex("92 a165 c6ffffffff00"), "", ""},
		{"ext 32 of 2^32-1", eventHex("92 a165 c9ffffffff0000"), "", ""},
		{"array 32 of 2^32-1", eventHex("dd ffffffff a165"), "", ""},
		{"map with 2^31 entries", mp("df80000000 a474797065 02"), "", ""},
		{"map 32 of 2^32-1 as data", eventHex("92 a165 dfffffffff a161 01"), "", ""},
		{"truncated float", eventHex("92 a165 cb3ff0"), "", ""},
		{"truncated uint 64", eventHex("92 a165 cf0000"), "", ""},
		{"never-used byte", eventHex("92 a165 c1"), "", ""},
		{"trailing bytes", append(eventHex("91 a165"), 0), "", ""},
		{"deep nesting at the limit", eventHex("92 a165" + deep(parser.MaxDepth-1)), `["e",` + strings.Repeat("[", parser.MaxDepth-1) + "1" + strings.Repeat("]", parser.MaxDepth-1) + "]", ""},
		{"deep nesting past the limit", eventHex("92 a165" + deep(parser.MaxDepth)), "", "nesting depth"},
		{"deep maps past the limit", eventHex("92 a165" + deepMap(parser.MaxDepth)), "", "nesting depth"},
		{"bin at the limit counts as an object", eventHex("92 a165" + strings.Repeat("91", parser.MaxDepth-1) + "c400"), "", "nesting depth"},
		{"deep skipped options", mp("84 a474797065 02 a36e7370 a12f a464617461 91a165 a76f7074696f6e73" + deep(parser.MaxDepth+1)), "", "nesting depth"},
		{"binaries at the limit", eventHex(bins(parser.DefaultMaxMsgpackBinaries)), "", ""},
		{"binaries past the limit", eventHex(bins(parser.DefaultMaxMsgpackBinaries + 1)), "", "binary values"},
		{"invalid UTF-8 in a str", eventHex("92 a165 a3 61ff62"), `["e","a\ufffdb"]`, ""},
		{"invalid UTF-8 in the namespace", mp("83 a474797065 02 a36e7370 a3 2fff61 a464617461 91a165"), `["e"]`, ""},
		{"float 32", eventHex("92 a165 ca3fc00000"), `["e",1.5]`, ""},
		{"float -0", eventHex("92 a165 cb8000000000000000"), `["e",0]`, ""},
		{"int map keys", eventHex("92 a165 82 01 c3 ff c2"), `["e",{"1":true,"-1":false}]`, ""},
		{"uint 64 past int64", eventHex("92 a165 cfffffffffffffffff"), `["e",18446744073709551615]`, ""},
		{"other ext", eventHex("92 a165 d505 0102"), `["e",[5,{"_placeholder":true,"num":0}]]`, ""},
		{"fixext 16 of type 0", eventHex("92 a165 d800 00000000000000000000000000000000"), `["e",[0,{"_placeholder":true,"num":0}]]`, ""},
		{"ext 8 of type 0 is an ArrayBuffer", eventHex("92 a165 c70100 07"), `["e",{"_placeholder":true,"num":0}]`, ""},
		{"date past JavaScript's range", eventHex("92 a165 d700 7fffffffffffffff"), `["e",null]`, ""},
		{"float map key", eventHex("92 a165 81 cb3ff0000000000000 01"), "", ""},
		{"nil map key", eventHex("92 a165 81 c0 01"), "", ""},
		{"bin map key", eventHex("92 a165 81 c40161 01"), "", ""},
		{"array map key", eventHex("92 a165 81 90 01"), "", ""},
		{"placeholder lookalike", eventHex("92 a165 82 ac5f706c616365686f6c646572 c3 a36e756d 00"), "", ""},
		{"placeholder false is data", eventHex("92 a165 81 ac5f706c616365686f6c646572 c2"), `["e",{"_placeholder":false}]`, ""},
		{"type 5 (no binary types here)", mp("83 a474797065 05 a36e7370 a12f a464617461 91a165"), "", ""},
		{"type 6", mp("83 a474797065 06 a36e7370 a12f a464617461 91a165"), "", ""},
		{"type 7", mp("83 a474797065 07 a36e7370 a12f a464617461 91a165"), "", ""},
		{"type -1", mp("83 a474797065 ff a36e7370 a12f a464617461 91a165"), "", ""},
		{"type 2.5", mp("83 a474797065 cb4004000000000000 a36e7370 a12f a464617461 91a165"), "", ""},
		{"type 2.0 is 2", mp("83 a474797065 cb4000000000000000 a36e7370 a12f a464617461 91a165"), `["e"]`, ""},
		{"type a string", mp("83 a474797065 a132 a36e7370 a12f a464617461 91a165"), "", ""},
		{"type missing", mp("82 a36e7370 a12f a464617461 91a165"), "", ""},
		{"type undefined", mp("83 a474797065 d40000 a36e7370 a12f a464617461 91a165"), "", ""},
		{"nsp missing", mp("82 a474797065 02 a464617461 91a165"), "", ""},
		{"nsp not a string", mp("83 a474797065 02 a36e7370 01 a464617461 91a165"), "", ""},
		{"nsp undefined", mp("83 a474797065 02 a36e7370 d40000 a464617461 91a165"), "", ""},
		{"id a string", mp("84 a474797065 02 a36e7370 a12f a464617461 91a165 a26964 a131"), "", ""},
		{"id negative", mp("84 a474797065 02 a36e7370 a12f a464617461 91a165 a26964 ff"), "", ""},
		{"id past int64", mp("84 a474797065 02 a36e7370 a12f a464617461 91a165 a26964 cfffffffffffffffff"), "", ""},
		{"id nil", mp("84 a474797065 02 a36e7370 a12f a464617461 91a165 a26964 c0"), "", ""},
		{"id undefined is absent", mp("84 a474797065 02 a36e7370 a12f a464617461 91a165 a26964 d40000"), `["e"]`, ""},
		{"repeated type", mp("84 a474797065 02 a474797065 02 a36e7370 a12f a464617461 91a165"), "", ""},
		{"non-string packet key skipped", mp("84 01 02 a474797065 02 a36e7370 a12f a464617461 91a165"), `["e"]`, ""},
		{"event data missing", mp("82 a474797065 02 a36e7370 a12f"), "", ""},
		{"event data not an array", eventHex("81a16501"), "", ""},
		{"event data empty", eventHex("90"), "", ""},
		{"event name reserved", eventHex("91 a7636f6e6e656374"), "", ""},
		{"event name a map", eventHex("91 80"), "", ""},
		{"event name a number", eventHex("91 07"), `[7]`, ""},
		{"connect data an array", mp("83 a474797065 00 a36e7370 a12f a464617461 90"), "", ""},
		{"disconnect with data", mp("83 a474797065 01 a36e7370 a12f a464617461 80"), "", ""},
		{"connect error a number", mp("83 a474797065 04 a36e7370 a12f a464617461 01"), "", ""},
		{"ack data a map", mp("84 a474797065 03 a36e7370 a12f a26964 01 a464617461 80"), "", ""},
	} {
		var d parser.MsgpackDecoder
		p, err := d.Binary(tt.wire)
		if tt.data == "" && tt.limit == "" {
			if err == nil {
				t.Errorf("%s: decoded to %s; want an error", tt.name, p.Data)
			} else if !errors.Is(err, parser.ErrInvalid) {
				t.Errorf("%s: error %v does not wrap ErrInvalid", tt.name, err)
			}
			continue
		}
		if tt.limit != "" {
			limitIs(t, tt.name, err, tt.limit)
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		equal(t, tt.name, string(p.Data), tt.data)
	}
}

// TestMsgpackText: a text message is an error with the msgpack parser, as with Node's.
func TestMsgpackText(t *testing.T) {
	t.Parallel()
	var d parser.MsgpackDecoder
	_, err := d.Text([]byte(`2["e"]`))
	errorIs(t, err, parser.ErrInvalid)
}

// TestMsgpackMaxBinaries: MaxBinaries sets the limit.
func TestMsgpackMaxBinaries(t *testing.T) {
	t.Parallel()
	d := parser.MsgpackDecoder{MaxBinaries: 2}
	_, err := d.Binary(eventHex("93 a165 c400 c400"))
	success(t, err)
	_, err = d.Binary(eventHex("94 a165 c400 c400 c400"))
	limitIs(t, "3 binaries", err, "binary values")
}

// TestMsgpackInvalidNamespace: a namespace that is not valid UTF-8 is written with U+FFFD,
// its length that of what is written.
func TestMsgpackInvalidNamespace(t *testing.T) {
	t.Parallel()
	p := &parser.Packet{Type: parser.Disconnect, Namespace: "/a\xffb", ID: parser.NoID}
	wire, err := p.AppendMsgpack(nil)
	success(t, err)
	var d parser.MsgpackDecoder
	got, err := d.Binary(wire)
	success(t, err)
	equal(t, "namespace", got.Namespace, "/a\ufffdb")
}
