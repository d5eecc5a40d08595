package parser_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/hubkit/hub/internal/parser"
)

type inner struct {
	Name string `json:"name"`
	Blob []byte `json:"blob,omitempty"`
}

type Embedded struct {
	E []byte `json:"e"`
}

type outer struct {
	Embedded
	ID      int               `json:"id"`
	Inner   inner             `json:"inner"`
	Ptr     *inner            `json:"ptr"`
	Any     any               `json:"any"`
	List    [][]byte          `json:"list"`
	Map     map[string][]byte `json:"map"`
	Skip    []byte            `json:"-"`
	Empty   []byte            `json:"empty,omitempty"`
	Nil     []byte            `json:"nil"`
	Count   int64             `json:"count,string"`
	private []byte
}

type marshaled struct{ b []byte }

func (m marshaled) MarshalJSON() ([]byte, error) { return []byte(`{"custom": true}`), nil }

type blob []byte

func TestAppendArgs(t *testing.T) {
	t.Parallel()
	b0, b1, b2, b3, b4, b5, b6 := []byte("b0"), []byte("b1"), []byte("b2"), []byte("b3"), []byte("b4"), []byte("b5"), []byte("b6")
	ph := func(n string) string { return `{"_placeholder":true,"num":` + n + `}` }
	for _, tt := range []struct {
		name string
		args []any
		want string
		atts [][]byte
	}{
		{"none", nil, `[]`, nil},
		{"strings and numbers", []any{"hey", "Jude", 1, 2.5, true, nil}, `["hey","Jude",1,2.5,true,null]`, nil},
		{"suite example", []any{"message-back", 1, "2", map[string]any{"3": []any{true}}}, `["message-back",1,"2",{"3":[true]}]`, nil},
		{"no HTML escaping", []any{"<a href='x'>&</a>", map[string]string{"<k>": "&"}}, `["<a href='x'>&</a>",{"<k>":"&"}]`, nil},
		{"escapes", []any{"q\"b\\n\n\t\x01\u2028é"}, `["q\"b\\n\n\t\u0001\u2028é"]`, nil},
		{"raw message verbatim", []any{json.RawMessage(`{"z":1,"a":2}`), json.RawMessage(nil)}, `[{"z":1,"a":2},null]`, nil},
		{"marshaler", []any{marshaled{b0}}, `[{"custom":true}]`, nil},
		{"time", []any{time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)}, `["2024-01-02T03:04:05Z"]`, nil},
		{"top-level bytes", []any{"baz", b0}, `["baz",` + ph("0") + `]`, [][]byte{b0}},
		{"nil bytes", []any{[]byte(nil)}, `[null]`, nil},
		{"empty bytes", []any{[]byte{}}, `[` + ph("0") + `]`, [][]byte{{}}},
		{"named byte slice", []any{blob(b0)}, `[` + ph("0") + `]`, [][]byte{b0}},
		{"pointer to bytes", []any{&b0}, `[` + ph("0") + `]`, [][]byte{b0}},
		{"slice of any", []any{[]any{1, b0, []any{b1}}, b2}, `[[1,` + ph("0") + `,[` + ph("1") + `]],` + ph("2") + `]`, [][]byte{b0, b1, b2}},
		{"map sorted keys", []any{map[string]any{"z": b1, "a": b0, "m": 1}}, `[{"a":` + ph("0") + `,"m":1,"z":` + ph("1") + `}]`, [][]byte{b0, b1}},
		{"int map keys", []any{map[int][]byte{10: b1, 2: b0}}, `[{"10":` + ph("0") + `,"2":` + ph("1") + `}]`, [][]byte{b1, b0}},
		{"struct", []any{outer{
			Embedded: Embedded{E: b0},
			ID:       7,
			Inner:    inner{Name: "<i>", Blob: b1},
			Ptr:      &inner{Name: "p", Blob: b2},
			Any:      map[string]any{"x": b3},
			List:     [][]byte{b4, nil},
			Map:      map[string][]byte{"k": b5},
			Skip:     b6,
			Count:    42,
			private:  b6,
		}}, `[{"e":` + ph("0") + `,"id":7,"inner":{"name":"<i>","blob":` + ph("1") + `},"ptr":{"name":"p","blob":` + ph("2") +
			`},"any":{"x":` + ph("3") + `},"list":[` + ph("4") + `,null],"map":{"k":` + ph("5") + `},"nil":null,"count":"42"}]`,
			[][]byte{b0, b1, b2, b3, b4, b5}},
		{"struct without bytes is encoding/json", []any{inner{Name: "n"}, &inner{Name: "m"}, (*inner)(nil)},
			`[{"name":"n"},{"name":"m"},null]`, nil},
		{"any in array", []any{[2]any{b0, "x"}}, `[[` + ph("0") + `,"x"]]`, [][]byte{b0}},
	} {
		got, atts, err := parser.AppendArgs([]byte("prefix:"), tt.args)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		equal(t, tt.name, string(got), "prefix:"+tt.want)
		equal(t, tt.name+" attachments", len(atts), len(tt.atts))
		for i := range min(len(atts), len(tt.atts)) {
			if !bytes.Equal(atts[i], tt.atts[i]) {
				t.Errorf("%s: attachment %d = %q; want %q", tt.name, i, atts[i], tt.atts[i])
			}
		}
	}
}

// The attachments are the caller's slices, not copies.
func TestAppendArgsNoCopy(t *testing.T) {
	t.Parallel()
	b := []byte("abc")
	_, atts, err := parser.AppendArgs(nil, []any{map[string]any{"b": b}})
	success(t, err)
	if len(atts) != 1 || &atts[0][0] != &b[0] {
		t.Errorf("got %v; want the caller's slice", atts)
	}
}

// Without []byte, the output is exactly encoding/json's with HTML escaping off.
func TestAppendArgsMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	values := []any{
		"plain", "<>&", "\u2028\u2029", "\xff\xfe invalid", "\x00\x1f\x7f", "日本語", strings.Repeat("x", 300),
		0, -1, 1.5, 1e21, 1e-7, 123456789.125, math.MaxInt64, math.MinInt64, float32(0.1), uint8(3), true, false,
		0.0, math.Copysign(0, -1), 1e20, 9.999999999999999e20, 1e-6, 9e-7, 5e-324, math.MaxFloat64, -1e-300, 0.1, 1.0 / 3, 100.0,
		int64(-7), json.Number("12.50"),
		map[string]any{"b": []any{1, "x", nil}, "a": map[string]int{"z": 1}},
		[]string{"a", "b"}, []int(nil), map[string]string(nil), inner{Name: "n"}, struct{}{},
	}
	for _, v := range values {
		got, atts, err := parser.AppendArgs(nil, []any{v})
		success(t, err)
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		success(t, enc.Encode([]any{v}))
		equal(t, "AppendArgs", string(got), strings.TrimSuffix(want.String(), "\n"))
		equal(t, "attachments", len(atts), 0)
	}
}

type cyclic struct {
	Next *cyclic
	Data []byte
}

func TestAppendArgsErrors(t *testing.T) {
	t.Parallel()
	loop := &cyclic{}
	loop.Next = loop
	for name, args := range map[string][]any{
		"NaN":               {math.NaN()},
		"-Inf":              {"a", math.Inf(-1)},
		"channel":           {make(chan int)},
		"NaN beside bytes":  {map[string]any{"b": []byte{1}, "f": math.Inf(1)}},
		"cycle":             {loop},
		"unsupported key":   {map[[2]int][]byte{{1, 2}: {1}}},
		"marshaler failure": {failing{}},
	} {
		out, atts, err := parser.AppendArgs([]byte("keep"), args)
		if err == nil {
			t.Errorf("%s: got %q, nil; want an error", name, out)
			continue
		}
		if !strings.HasPrefix(err.Error(), "parser: ") {
			t.Errorf("%s: error %q lacks the package prefix", name, err)
		}
		equal(t, name+" dst", string(out), "keep")
		equal(t, name+" attachments", len(atts), 0)
	}
}

type failing struct{}

var errFailing = errors.New("failing marshaler")

func (failing) MarshalJSON() ([]byte, error) { return nil, errFailing }

type badMarshaler struct{}

func (badMarshaler) MarshalJSON() ([]byte, error) { return []byte("\"m\xff\""), nil }

// What hub writes goes out in WebSocket text frames and polling bodies: it is valid UTF-8,
// whatever the Go values hold.
func TestAppendArgsWritesValidUTF8(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		args []any
		want string
	}{
		{"string", []any{"a\xff\xfe"}, `["a\ufffd\ufffd"]`}, // as encoding/json writes it
		{"relayed raw JSON", []any{json.RawMessage("\"a\xff\xfe\"")}, "[\"a\uFFFD\uFFFD\"]"},
		{"raw in a value with bytes", []any{map[string]any{"r": json.RawMessage("\"\xe2\x82\""), "b": []byte{}}}, "[{\"b\":{\"_placeholder\":true,\"num\":0},\"r\":\"\uFFFD\"}]"},
		{"marshaler", []any{badMarshaler{}}, "[\"m\uFFFD\"]"},
		{"valid raw kept", []any{json.RawMessage("\"\u00e9\"")}, "[\"\u00e9\"]"},
	} {
		out, _, err := parser.AppendArgs([]byte("prefix\xff"), tt.args)
		success(t, err)
		equal(t, tt.name, string(out), "prefix\xff"+tt.want)
	}
	p := parser.Packet{Type: parser.Event, Namespace: "/a\xff", ID: parser.NoID, Data: json.RawMessage(`["x"]`)}
	equal(t, "namespace", string(p.Append(nil)), "2/a\uFFFD,[\"x\"]")
}
