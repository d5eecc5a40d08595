package parser_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hubkit/hub/internal/parser"
)

// FuzzDecoder feeds a text message and then up to n binary messages to a Decoder. It must
// never panic nor loop; a complete packet must re-encode to a message that decodes to the
// same packet, and its arguments must be usable by UnmarshalArg.
func FuzzDecoder(f *testing.F) {
	for _, tt := range examples {
		f.Add(tt.wire, []byte{1, 2, 3}, uint8(len(tt.packet.Attachments)))
	}
	for _, s := range []string{`45`, `5`, `5-`, `511-[]`, `0/random`, `2["connect"]`, `2{}`, `2abc["a"]`, `52-["a",{"_placeholder":true,"num":1}]`,
		`51-["a",{"_placeholder":true,"num":1}]`, `2/admin,99999999999999999999["a"]`, `2["\u0063onnect"]`,
		// the hostile cases of limits_test.go: past and at each limit, and invalid UTF-8
		`2` + args(parser.MaxArgs+1), `3` + args(parser.MaxArgs), `2["e",` + nested(parser.MaxDepth, "") + `]`,
		`2["e",` + nested(parser.MaxDepth-1, "") + `]`, `0{"a":` + nested(parser.MaxDepth, "") + `}`,
		`51-["e",` + nested(parser.MaxDepth-1, `{"_placeholder":true,"num":0}`) + `]`,
		`51-["e",[{"_placeholder":true,"num":0}` + strings.Repeat(",[]", 1000) + `]]`,
		"2[\"e\",\"a\xff\xfe\"]", "2/\xff,[\"e\"]", "2[\"\xed\xa0\x80\"]"} {
		f.Add(s, []byte("x"), uint8(2))
	}
	f.Fuzz(func(t *testing.T, text string, bin []byte, n uint8) {
		var d parser.Decoder
		p, err := d.Text([]byte(text))
		if err != nil {
			if !errors.Is(err, parser.ErrInvalid) {
				t.Fatalf("Text(%q): error %v does not wrap ErrInvalid", text, err)
			}
			return
		}
		for k := 0; p == nil && k < int(n%12); k++ {
			p, err = d.Binary(append([]byte{byte(k)}, bin...))
			if err != nil {
				if !errors.Is(err, parser.ErrInvalid) {
					t.Fatalf("Binary: error %v does not wrap ErrInvalid", err)
				}
				return
			}
		}
		if p == nil {
			return
		}
		checkPacket(t, text, p)
	})
}

func checkPacket(t *testing.T, text string, p *parser.Packet) {
	wire := p.Append(nil)
	if head := wire[:len(wire)-len(p.Data)]; !utf8.Valid(head) {
		t.Fatalf("%q re-encodes to %q, whose header is not valid UTF-8", text, wire)
	}
	if !utf8.ValidString(p.Namespace) {
		return // written with U+FFFD: it does not decode to the same namespace
	}
	var d parser.Decoder
	q, err := d.Text(wire)
	for _, a := range p.Attachments {
		if err != nil {
			break
		}
		q, err = d.Binary(a)
	}
	if err != nil || q == nil {
		t.Fatalf("%q decoded to %+v, which re-encodes to %q, which decodes to %+v, %v", text, p, wire, q, err)
	}
	if !reflect.DeepEqual(p, q) {
		t.Fatalf("%q decoded to %+v; its re-encoding %q decoded to %+v", text, p, wire, q)
	}
	if p.Type != parser.Event && p.Type != parser.Ack && p.Type != parser.BinaryEvent && p.Type != parser.BinaryAck {
		return
	}
	args, err := parser.SplitArray(p.Data)
	var lim *parser.LimitError
	if errors.As(err, &lim) {
		return // the event is refused past a limit
	}
	if err != nil {
		t.Fatalf("SplitArray(%q): %v", p.Data, err)
	}
	for _, arg := range args {
		var v any
		err := parser.UnmarshalArg(arg, p.Attachments, &v)
		if len(p.Attachments) > 0 && errors.Is(err, parser.ErrInvalid) {
			t.Fatalf("UnmarshalArg(%q) of a complete packet: %v", arg, err)
		}
	}
}

type fuzzTarget struct {
	Name   string            `json:"name"`
	File   []byte            `json:"file"`
	Ptr    *[]byte           `json:"ptr"`
	List   [][]byte          `json:"list"`
	Map    map[string][]byte `json:"map"`
	Any    any               `json:"any"`
	Next   *fuzzTarget       `json:"next"`
	Raw    json.RawMessage   `json:"raw"`
	Num    int               `json:"num,string"`
	Arr    [2]any            `json:"arr"`
	IntMap map[int]any       `json:"intMap"`
}

// FuzzUnmarshalArg decodes arbitrary JSON with placeholders into a range of targets. It must
// never panic; without placeholders it must agree with json.Unmarshal; and what it decodes
// into an any must survive AppendArgs and UnmarshalArg unchanged.
func FuzzUnmarshalArg(f *testing.F) {
	for _, s := range []string{
		`{"_placeholder":true,"num":0}`, `["a",{"_placeholder":true,"num":1}]`, `{"_placeholder":true,"num":2}`,
		`{"name":"n","file":{"_placeholder":true,"num":0},"list":[{"_placeholder":true,"num":1}],"map":{"k":{"_placeholder":true,"num":0}},"any":[{"_placeholder":true,"num":1}],"next":{"file":{"_placeholder":true,"num":0}},"num":"3"}`,
		`{"\u005fplaceholder":true,"num":0}`, `{"_placeholder":true,"num":0.5}`, `[1,"2",{"3":[true]}]`, `"AQI="`, `null`,
		`{"arr":[{"_placeholder":true,"num":0},1,2],"intMap":{"1":{"_placeholder":true,"num":1}}}`,
		`"plain"`, `""`, `"tab\tquote\"é"`, "\"raw\ttab\"", "\"bad \xff utf8\"", `"\ud83d\ude00 😀"`, `"a" `, ` "a"`,
	} {
		f.Add([]byte(s), []byte{1, 2, 3})
	}
	f.Fuzz(func(t *testing.T, raw, att []byte) {
		if att == nil {
			att = []byte{}
		}
		atts := [][]byte{att, att[:len(att)/2]}
		targets := []func() any{
			func() any { return new(any) }, func() any { return new([]byte) }, func() any { return new(fuzzTarget) },
			func() any { return new(map[string][]byte) }, func() any { return new([]any) }, func() any { return new([2][]byte) },
			func() any { return new(string) }, func() any { return new(map[int]*[]byte) },
		}
		for _, target := range targets {
			_ = parser.UnmarshalArg(raw, atts, target())
		}

		// Strings take a path without encoding/json: it must agree with it.
		var gotS, wantS string
		errS, wantErrS := parser.UnmarshalArg(raw, atts, &gotS), json.Unmarshal(raw, &wantS)
		if (errS == nil) != (wantErrS == nil) || gotS != wantS {
			t.Fatalf("UnmarshalArg(%q) into a string = %q, %v; json.Unmarshal gives %q, %v", raw, gotS, errS, wantS, wantErrS)
		}

		var got any
		err := parser.UnmarshalArg(raw, atts, &got)
		var lim *parser.LimitError
		if !parser.HasPlaceholders(raw) && !errors.As(err, &lim) { // past MaxDepth, encoding/json may still decode it
			var want any
			wantErr := json.Unmarshal(raw, &want)
			if (err == nil) != (wantErr == nil) || !reflect.DeepEqual(got, want) {
				t.Fatalf("UnmarshalArg(%q) = %#v, %v; json.Unmarshal gives %#v, %v", raw, got, err, want, wantErr)
			}
		}
		if err != nil {
			return
		}
		data, out, err := parser.AppendArgs(nil, []any{got})
		if err != nil {
			t.Fatalf("AppendArgs(%#v): %v", got, err)
		}
		args, err := parser.SplitArray(data)
		if err != nil || len(args) != 1 {
			t.Fatalf("SplitArray(%q) = %q, %v", data, args, err)
		}
		var again any
		if err := parser.UnmarshalArg(args[0], out, &again); err != nil {
			t.Fatalf("UnmarshalArg(%q) after AppendArgs: %v", args[0], err)
		}
		if !reflect.DeepEqual(got, again) {
			t.Fatalf("%q decoded to %#v, re-encoded as %q, decoded to %#v", raw, got, data, again)
		}
		if bytes.Contains(data, []byte("\n")) {
			t.Fatalf("AppendArgs output %q is not compact", data)
		}
	})
}

// FuzzAppendArgs checks that AppendArgs writes strings and numbers exactly as encoding/json
// does with HTML escaping off.
func FuzzAppendArgs(f *testing.F) {
	f.Add("<a href=\"x\">&amp;</a>\u2028\xff\x00", 1.5, int64(-3))
	f.Add("", 1e21, int64(0))
	f.Add("日本語\t\n", 1e-7, int64(1)<<62)
	f.Fuzz(func(t *testing.T, s string, x float64, n int64) {
		args := []any{s, x, n, map[string]any{s: x}}
		got, _, err := parser.AppendArgs(nil, args)
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		wantErr := enc.Encode(args)
		if (err == nil) != (wantErr == nil) {
			t.Fatalf("AppendArgs(%#v) error %v; encoding/json error %v", args, err, wantErr)
		}
		if err == nil && string(got) != string(bytes.TrimSuffix(want.Bytes(), []byte("\n"))) {
			t.Fatalf("AppendArgs(%#v) = %s; encoding/json writes %s", args, got, want.Bytes())
		}
		raw, _, err := parser.AppendArgs(nil, []any{json.RawMessage(s)})
		if err != nil || !utf8.Valid(raw) {
			t.Fatalf("AppendArgs(json.RawMessage(%q)) = %q, %v: want valid UTF-8", s, raw, err)
		}
	})
}
