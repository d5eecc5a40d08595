package parser_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/hubkit/hub/internal/parser"
)

type upload struct {
	Name    string            `json:"name"`
	File    []byte            `json:"file"`
	Thumb   *[]byte           `json:"thumb"`
	Parts   [][]byte          `json:"parts"`
	ByName  map[string][]byte `json:"byName"`
	Meta    any               `json:"meta"`
	Nested  *upload           `json:"nested"`
	Raw     json.RawMessage   `json:"raw"`
	Size    int               `json:"size,string"`
	Ignored []byte            `json:"-"`
	Embedded
}

func TestUnmarshalArgStruct(t *testing.T) {
	t.Parallel()
	atts := [][]byte{[]byte("file"), []byte("thumb"), []byte("p0"), []byte("p1"), []byte("k"), []byte("meta"), []byte("deep"), []byte("emb")}
	raw := json.RawMessage(`{"name":"a<b","file":{"_placeholder":true,"num":0},"thumb":{"_placeholder":true,"num":1},
		"parts":[{"_placeholder":true,"num":2},{"_placeholder":true,"num":3},null],"byName":{"k":{"_placeholder":true,"num":4}},
		"meta":{"list":[1,{"_placeholder":true,"num":5}],"n":2},"nested":{"File":{"_placeholder":true,"num":6}},
		"raw":{"_placeholder":true,"num":7},"size":"12","unknown":{"_placeholder":true,"num":0},"Ignored":{"_placeholder":true,"num":0},
		"e":{"_placeholder":true,"num":7}}`)
	var u upload
	success(t, parser.UnmarshalArg(raw, atts, &u))
	equal(t, "name", u.Name, "a<b")
	equal(t, "file", string(u.File), "file")
	if u.Thumb == nil {
		t.Fatal("thumb: got nil")
	}
	equal(t, "thumb", string(*u.Thumb), "thumb")
	equal(t, "parts", u.Parts, [][]byte{[]byte("p0"), []byte("p1"), nil})
	equal(t, "byName", u.ByName, map[string][]byte{"k": []byte("k")})
	equal(t, "meta", u.Meta, any(map[string]any{"list": []any{1.0, []byte("meta")}, "n": 2.0}))
	if u.Nested == nil {
		t.Fatal("nested: got nil")
	}
	equal(t, "nested file (case-insensitive key)", string(u.Nested.File), "deep")
	equal(t, "raw keeps the placeholder JSON", string(u.Raw), `{"_placeholder":true,"num":7}`)
	equal(t, "size", u.Size, 12)
	equal(t, "ignored", u.Ignored, []byte(nil))
	equal(t, "embedded", string(u.E), "emb")
	// The attachment itself, not a copy.
	if &u.File[0] != &atts[0][0] {
		t.Error("file: got a copy of the attachment")
	}
}

func TestUnmarshalArgAny(t *testing.T) {
	t.Parallel()
	atts := [][]byte{{1}, {2}}
	for _, tt := range []struct {
		raw  string
		want any
	}{
		{`{"_placeholder":true,"num":1}`, []byte{2}},
		{` [ {"_placeholder":true,"num":0} , "x" ] `, []any{[]byte{1}, "x"}},
		{`{"a":{"b":[{"_placeholder":true,"num":0}]},"c":null}`, map[string]any{"a": map[string]any{"b": []any{[]byte{1}}}, "c": nil}},
		{`{"_placeholder":false,"num":1}`, map[string]any{"_placeholder": false, "num": 1.0}},
		{`[1,"2",{"3":[true]}]`, []any{1.0, "2", map[string]any{"3": []any{true}}}},
		{`"text"`, "text"},
		{`12.5`, 12.5},
	} {
		var got any
		success(t, parser.UnmarshalArg(json.RawMessage(tt.raw), atts, &got))
		equal(t, tt.raw, got, tt.want)
	}
}

func TestUnmarshalArgTyped(t *testing.T) {
	t.Parallel()
	atts := [][]byte{[]byte("zero"), []byte("one")}
	var b []byte
	success(t, parser.UnmarshalArg(json.RawMessage(`{"_placeholder":true,"num":1}`), atts, &b))
	equal(t, "[]byte", string(b), "one")

	var bl blob
	success(t, parser.UnmarshalArg(json.RawMessage(`{"_placeholder":true,"num":0}`), atts, &bl))
	equal(t, "named byte slice", string(bl), "zero")

	var pp **[]byte
	success(t, parser.UnmarshalArg(json.RawMessage(`{"_placeholder":true,"num":0}`), atts, &pp))
	equal(t, "through pointers", string(**pp), "zero")

	var list []any
	success(t, parser.UnmarshalArg(json.RawMessage(`[{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}]`), atts, &list))
	equal(t, "the same attachment twice", list, []any{[]byte("zero"), []byte("zero")})

	var arr [3][]byte
	arr[2] = []byte("stale")
	success(t, parser.UnmarshalArg(json.RawMessage(`[{"_placeholder":true,"num":1}]`), atts, &arr))
	equal(t, "array", arr, [3][]byte{[]byte("one"), nil, nil})

	var byID map[int]any
	success(t, parser.UnmarshalArg(json.RawMessage(`{"7":{"_placeholder":true,"num":1},"8":"x"}`), atts, &byID))
	equal(t, "int keys", byID, map[int]any{7: []byte("one"), 8: "x"})

	// Without placeholders, UnmarshalArg is json.Unmarshal; base64 strings stay base64.
	success(t, parser.UnmarshalArg(json.RawMessage(`"AQI="`), nil, &b))
	equal(t, "base64 string", b, []byte{1, 2})
	var in inner
	success(t, parser.UnmarshalArg(json.RawMessage(`{"name":"n","blob":"AQI="}`), nil, &in))
	equal(t, "plain struct", in, inner{Name: "n", Blob: []byte{1, 2}})

	// An existing pointer in an interface is decoded into.
	var target []byte
	var holder any = &target
	success(t, parser.UnmarshalArg(json.RawMessage(`{"_placeholder":true,"num":0}`), atts, &holder))
	equal(t, "pointer in interface", string(target), "zero")
}

func TestUnmarshalArgErrors(t *testing.T) {
	t.Parallel()
	atts := [][]byte{{1}}
	ph := `{"_placeholder":true,"num":0}`
	var typeErr *json.UnmarshalTypeError
	for _, tt := range []struct {
		name    string
		raw     string
		target  any
		invalid bool // wraps ErrInvalid
		typed   bool // a *json.UnmarshalTypeError
	}{
		{"num out of range", `{"_placeholder":true,"num":1}`, new(any), true, false},
		{"negative num", `{"_placeholder":true,"num":-1}`, new([]byte), true, false},
		{"fractional num", `{"_placeholder":true,"num":0.5}`, new(any), true, false},
		{"string num", `[{"_placeholder":true,"num":"0"}]`, new(any), true, false},
		{"missing num", `{"x":{"_placeholder":true}}`, new(any), true, false},
		{"into string", ph, new(string), false, true},
		{"into int", ph, new(int), false, true},
		{"into struct field of type int", `{"size":` + ph + `}`, new(struct{ Size int }), false, true},
		{"into map of strings", `{"a":` + ph + `}`, new(map[string]string), false, true},
		{"into Stringer", ph, new(interface{ String() string }), false, true},
		{"array into struct", `[` + ph + `]`, new(inner), false, true},
		{"object into slice", `{"a":` + ph + `}`, new([]any), false, true},
		{"no placeholders, mismatch", `"x"`, new(int), false, true},
		{"malformed", `{"_placeholder":true,"num":0`, new(any), false, false},
		{"malformed without placeholder", `[1,`, new(any), false, false},
		{"empty", ``, new(any), false, false},
		{"nil pointer", ph, (*[]byte)(nil), false, false},
		{"not a pointer", ph, []byte(nil), false, false},
		{"nil", ph, nil, false, false},
	} {
		err := parser.UnmarshalArg(json.RawMessage(tt.raw), atts, tt.target)
		if err == nil {
			t.Errorf("%s: got nil error", tt.name)
			continue
		}
		if !strings.HasPrefix(err.Error(), "parser: ") {
			t.Errorf("%s: error %q lacks the package prefix", tt.name, err)
		}
		if tt.invalid != errors.Is(err, parser.ErrInvalid) {
			t.Errorf("%s: errors.Is(%v, ErrInvalid) = %v; want %v", tt.name, err, !tt.invalid, tt.invalid)
		}
		if tt.typed != errors.As(err, &typeErr) {
			t.Errorf("%s: errors.As(%v, *json.UnmarshalTypeError) = %v; want %v", tt.name, err, !tt.typed, tt.typed)
		}
	}
}

func TestHasPlaceholders(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		raw  string
		want bool
	}{
		{`["a",1]`, false},
		{`{"_placeholder":true,"num":0}`, true},
		{`[1,{"a":[{"num":3,"_placeholder":true}]}]`, true},
		{`{"\u005fplaceholder":true,"num":0}`, true},
		{`{"_placeholder":false,"num":0}`, false},
		{`{"_placeholder":"true","num":0}`, false},
		{`["_placeholder"]`, false},
		{`{"note":"\u0041 _placeholder"}`, false},
		{`{"_placeholder":true`, false}, // malformed
		{``, false},
	} {
		equal(t, tt.raw, parser.HasPlaceholders(json.RawMessage(tt.raw)), tt.want)
	}
}

func TestSplitArray(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		raw  string
		want []string
	}{
		{`[]`, []string{}},
		{` [ ] `, []string{}},
		{`["hey","Jude"]`, []string{`"hey"`, `"Jude"`}},
		{`[ 1 , "a,]" , {"b":[1,2]} , [[]] , null , true , -2.5e3 ]`, []string{`1`, `"a,]"`, `{"b":[1,2]}`, `[[]]`, `null`, `true`, `-2.5e3`}},
		{`["\"]",{"_placeholder":true,"num":0}]`, []string{`"\"]"`, `{"_placeholder":true,"num":0}`}},
	} {
		got, err := parser.SplitArray(json.RawMessage(tt.raw))
		success(t, err)
		strs := make([]string, len(got))
		for i, g := range got {
			strs[i] = string(g)
		}
		equal(t, tt.raw, strs, tt.want)
	}
	for _, raw := range []string{``, `{}`, `"a"`, `[`, `[1,]`, `[1 2]`, `[1]x`, `["a]`, `[{]`, `[tru]`, `[,1]`} {
		got, err := parser.SplitArray(json.RawMessage(raw))
		if err == nil {
			t.Errorf("SplitArray(%q) = %q; want an error", raw, got)
		}
		errorIs(t, err, parser.ErrInvalid)
	}
}

// SplitArray returns sub-slices: appending to an element cannot overwrite the next one.
func TestSplitArrayNoCopy(t *testing.T) {
	t.Parallel()
	data := json.RawMessage(`["a","b"]`)
	got, err := parser.SplitArray(data)
	success(t, err)
	if &got[0][0] != &data[1] {
		t.Error("element 0 is a copy")
	}
	_ = append(got[0], 'X')
	equal(t, "data", string(data), `["a","b"]`)
}

// AppendArgs and UnmarshalArg are inverse, placeholders included.
func TestArgsRoundTrip(t *testing.T) {
	t.Parallel()
	in := upload{Name: "x", File: []byte{0, 1}, Parts: [][]byte{{2}, {3}}, ByName: map[string][]byte{"k": {4}},
		Meta: []any{"m", []byte{5}}, Nested: &upload{File: []byte{6}}, Size: 3, Embedded: Embedded{E: []byte{7}}}
	data, atts, err := parser.AppendArgs(nil, []any{"event", in, []byte{8}})
	success(t, err)
	equal(t, "attachments", len(atts), 8)
	p := parser.Packet{Type: parser.BinaryEvent, ID: 4, Namespace: "/ns", Data: data, Attachments: atts}
	got, err := decodeAll(t, string(p.Append(nil)), atts...)
	success(t, err)
	args, err := parser.SplitArray(got.Data)
	success(t, err)
	equal(t, "args", len(args), 3)
	var name string
	success(t, parser.UnmarshalArg(args[0], got.Attachments, &name))
	equal(t, "name", name, "event")
	var out upload
	success(t, parser.UnmarshalArg(args[1], got.Attachments, &out))
	in.Raw = json.RawMessage("null")
	out.Nested.Raw = nil
	in.Nested.Raw = nil
	equal(t, "struct", out, in)
	var last any
	success(t, parser.UnmarshalArg(args[2], got.Attachments, &last))
	equal(t, "last", last, any([]byte{8}))
}

type namedByte byte

type hiddenInner struct{ Name string }

type withHidden struct {
	hiddenInner `json:"h"`
	Data        []byte `json:"data"`
}

// Rare reflect corners: they work or fail with an error, never panic.
func TestReflectCorners(t *testing.T) {
	t.Parallel()
	var nb []namedByte
	success(t, parser.UnmarshalArg(json.RawMessage(`{"_placeholder":true,"num":0}`), [][]byte{{1, 2}}, &nb))
	equal(t, "slice of named bytes", nb, []namedByte{1, 2})

	out, atts, err := parser.AppendArgs(nil, []any{[]namedByte{3}, withHidden{hiddenInner{"x"}, []byte{4}}})
	success(t, err)
	equal(t, "encoded", string(out), `[{"_placeholder":true,"num":0},{"h":{"Name":"x"},"data":{"_placeholder":true,"num":1}}]`)
	equal(t, "attachments", atts, [][]byte{{3}, {4}})

	var w withHidden
	success(t, parser.UnmarshalArg(json.RawMessage(`{"h":{"Name":"y"},"data":{"_placeholder":true,"num":0}}`), [][]byte{{5}}, &w))
	equal(t, "decoded", w, withHidden{hiddenInner{"y"}, []byte{5}})
	err = parser.UnmarshalArg(json.RawMessage(`{"h":{"Name":{"_placeholder":true,"num":0}}}`), [][]byte{{5}}, &w)
	if err == nil {
		t.Error("placeholder into a field of an unexported embedded struct: got nil error")
	}
}

func TestUnmarshalArgAtAndArgValues(t *testing.T) {
	args := []json.RawMessage{json.RawMessage(`"a"`), json.RawMessage(`{"b":{"_placeholder":true,"num":0},"k":1}`)}
	atts := [][]byte{[]byte("bin")}
	var s string
	if err := parser.UnmarshalArgAt(args, atts, 0, &s); err != nil || s != "a" {
		t.Errorf("argument 0: %q %v", s, err)
	}
	n := 7
	if err := parser.UnmarshalArgAt(args, atts, 5, &n); err != nil || n != 7 {
		t.Errorf("an absent argument is null and leaves an int alone: %d %v", n, err)
	}
	var v any = "x"
	if err := parser.UnmarshalArgAt(args, atts, -1, &v); err != nil || v != nil {
		t.Errorf("an absent argument into an any: %v %v", v, err)
	}
	vals := parser.ArgValues(args, atts)
	if raw, ok := vals[0].(json.RawMessage); !ok || string(raw) != `"a"` {
		t.Errorf("value 0: %#v; want the raw JSON", vals[0])
	}
	m, ok := vals[1].(map[string]any)
	if b, _ := m["b"].([]byte); !ok || string(b) != "bin" || m["k"] != 1.0 {
		t.Errorf("value 1: %#v; want the placeholder as []byte", vals[1])
	}
	if raw, ok := parser.ArgValues(args, nil)[1].(json.RawMessage); !ok || string(raw) != string(args[1]) {
		t.Errorf("without attachments: %#v; want the raw JSON", raw)
	}
}
