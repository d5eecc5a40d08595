package parser_test

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/hubkit/hub/internal/parser"
)

// decodeAll feeds a text message and its attachments to a fresh Decoder.
func decodeAll(t *testing.T, text string, attachments ...[]byte) (*parser.Packet, error) {
	t.Helper()
	var d parser.Decoder
	p, err := d.Text([]byte(text))
	if err != nil || len(attachments) == 0 {
		return p, err
	}
	if p != nil {
		t.Fatalf("Text(%q) returned a complete packet before its attachments", text)
	}
	for i, a := range attachments {
		p, err = d.Binary(a)
		if err != nil {
			return nil, err
		}
		if i < len(attachments)-1 && p != nil {
			t.Fatalf("Binary #%d returned a packet before the last attachment", i)
		}
	}
	return p, nil
}

// The examples of protocol.md §2.2–2.3, without the Engine.IO "4" prefix, both ways.
var examples = []struct {
	wire   string
	packet parser.Packet
}{
	{`0`, parser.Packet{Type: parser.Connect, Namespace: "/", ID: parser.NoID}},
	{`0/admin,{"token":"123"}`, parser.Packet{Type: parser.Connect, Namespace: "/admin", ID: parser.NoID, Data: json.RawMessage(`{"token":"123"}`)}},
	{`0{"sid":"wZX3oN0bSVIhsaknAAAI"}`, parser.Packet{Type: parser.Connect, Namespace: "/", ID: parser.NoID, Data: json.RawMessage(`{"sid":"wZX3oN0bSVIhsaknAAAI"}`)}},
	{`4/random,{"message":"Invalid namespace"}`, parser.Packet{Type: parser.ConnectError, Namespace: "/random", ID: parser.NoID, Data: json.RawMessage(`{"message":"Invalid namespace"}`)}},
	{`4"legacy error"`, parser.Packet{Type: parser.ConnectError, Namespace: "/", ID: parser.NoID, Data: json.RawMessage(`"legacy error"`)}},
	{`2["hey","Jude"]`, parser.Packet{Type: parser.Event, Namespace: "/", ID: parser.NoID, Data: json.RawMessage(`["hey","Jude"]`)}},
	{`2/admin,13["foo"]`, parser.Packet{Type: parser.Event, Namespace: "/admin", ID: 13, Data: json.RawMessage(`["foo"]`)}},
	{`20["foo"]`, parser.Packet{Type: parser.Event, Namespace: "/", ID: 0, Data: json.RawMessage(`["foo"]`)}},
	{`2[1,"number event"]`, parser.Packet{Type: parser.Event, Namespace: "/", ID: parser.NoID, Data: json.RawMessage(`[1,"number event"]`)}},
	{`2["message-back",1,"2",{"3":[true]}]`, parser.Packet{Type: parser.Event, Namespace: "/", ID: parser.NoID, Data: json.RawMessage(`["message-back",1,"2",{"3":[true]}]`)}},
	{`3/admin,13["bar"]`, parser.Packet{Type: parser.Ack, Namespace: "/admin", ID: 13, Data: json.RawMessage(`["bar"]`)}},
	{`37[]`, parser.Packet{Type: parser.Ack, Namespace: "/", ID: 7, Data: json.RawMessage(`[]`)}},
	{`1`, parser.Packet{Type: parser.Disconnect, Namespace: "/", ID: parser.NoID}},
	{`1/admin,`, parser.Packet{Type: parser.Disconnect, Namespace: "/admin", ID: parser.NoID}},
	{`51-["baz",{"_placeholder":true,"num":0}]`, parser.Packet{Type: parser.BinaryEvent, Namespace: "/", ID: parser.NoID,
		Data: json.RawMessage(`["baz",{"_placeholder":true,"num":0}]`), Attachments: [][]byte{{1, 2, 3}}}},
	{`61-15["bar",{"_placeholder":true,"num":0}]`, parser.Packet{Type: parser.BinaryAck, Namespace: "/", ID: 15,
		Data: json.RawMessage(`["bar",{"_placeholder":true,"num":0}]`), Attachments: [][]byte{{4}}}},
	{`52-/admin,9["x",{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}]`, parser.Packet{Type: parser.BinaryEvent, Namespace: "/admin", ID: 9,
		Data: json.RawMessage(`["x",{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}]`), Attachments: [][]byte{{1}, {}}}},
}

func TestAppend(t *testing.T) {
	t.Parallel()
	for _, tt := range examples {
		got := string(tt.packet.Append(nil))
		equal(t, "Append", got, tt.wire)
		// Append extends dst.
		got = string(tt.packet.Append([]byte("4")))
		equal(t, "Append after 4", got, "4"+tt.wire)
	}
}

func TestAppendNamespaceAndID(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		p    parser.Packet
		want string
	}{
		{parser.Packet{Type: parser.Connect, ID: parser.NoID}, "0"},                 // "" is "/"
		{parser.Packet{Type: parser.Connect, Namespace: "/", ID: parser.NoID}, "0"}, // "/" is omitted
		{parser.Packet{Type: parser.Event, ID: 0, Data: json.RawMessage(`["a"]`)}, `20["a"]`},
		{parser.Packet{Type: parser.BinaryEvent, ID: parser.NoID, Data: json.RawMessage(`["a"]`)}, `50-["a"]`},
	} {
		equal(t, fmt.Sprintf("%+v", tt.p), string(tt.p.Append(nil)), tt.want)
	}
}

func TestDecodeExamples(t *testing.T) {
	t.Parallel()
	for _, tt := range examples {
		p, err := decodeAll(t, tt.wire, tt.packet.Attachments...)
		if err != nil {
			t.Errorf("decode %q: %v", tt.wire, err)
			continue
		}
		if p == nil {
			t.Errorf("decode %q: no packet", tt.wire)
			continue
		}
		want := tt.packet
		if want.Attachments == nil && p.Attachments != nil {
			t.Errorf("decode %q: Attachments %v on a text packet", tt.wire, p.Attachments)
		}
		p.Attachments, want.Attachments = nonNil(p.Attachments), nonNil(want.Attachments)
		equal(t, "decode "+tt.wire, *p, want)
	}
}

func nonNil(a [][]byte) [][]byte {
	if a == nil {
		return [][]byte{}
	}
	return a
}

func TestDecodeLenient(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		wire   string
		packet parser.Packet
	}{
		// The namespace runs to the end of the string when there is no comma.
		{`0/random`, parser.Packet{Type: parser.Connect, Namespace: "/random", ID: parser.NoID}},
		{`1/admin`, parser.Packet{Type: parser.Disconnect, Namespace: "/admin", ID: parser.NoID}},
		{`2/,["a"]`, parser.Packet{Type: parser.Event, Namespace: "/", ID: parser.NoID, Data: json.RawMessage(`["a"]`)}},
		{`2[ "a" ]`, parser.Packet{Type: parser.Event, Namespace: "/", ID: parser.NoID, Data: json.RawMessage(`[ "a" ]`)}},
		{`2["\u0063onnect-ish"]`, parser.Packet{Type: parser.Event, Namespace: "/", ID: parser.NoID, Data: json.RawMessage(`["\u0063onnect-ish"]`)}},
		{`2[-1.5]`, parser.Packet{Type: parser.Event, Namespace: "/", ID: parser.NoID, Data: json.RawMessage(`[-1.5]`)}},
		{`29223372036854775807["a"]`, parser.Packet{Type: parser.Event, Namespace: "/", ID: 9223372036854775807, Data: json.RawMessage(`["a"]`)}},
		{`501-["a"]`, parser.Packet{Type: parser.BinaryEvent, Namespace: "/", ID: parser.NoID, Data: json.RawMessage(`["a"]`), Attachments: [][]byte{{}}}},
	} {
		var atts [][]byte
		if tt.packet.Type == parser.BinaryEvent {
			atts = tt.packet.Attachments
		}
		p, err := decodeAll(t, tt.wire, atts...)
		if err != nil {
			t.Errorf("decode %q: %v", tt.wire, err)
			continue
		}
		equal(t, "decode "+tt.wire, *p, tt.packet)
	}
}

func TestDecodeRejects(t *testing.T) {
	t.Parallel()
	for _, wire := range []string{
		``,
		`7`, `9["a"]`, `a`, `/`, "\x00",
		// attachment counts
		`5`, `6`, `5["a"]`, `5-["a"]`, `5a-["a"]`, `5-1-["a"]`, `51.5-["a"]`, `50-["a"]`,
		`511-["a"]`, `599999999999999999999999-["a"]`, `5 1-["a"]`,
		// ack ids
		`29223372036854775808["a"]`, `2/admin,99999999999999999999["a"]`,
		// JSON
		`2abc["a"]`, `2["a"`, `2["a"]x`, `2{}`, `0[]`, `0"s"`, `0 `, `2 `,
		// shapes
		`0/admin,"x"`, `0/admin,null`, `1{}`, `1/admin,[]`, `1"x"`,
		`2`, `2[]`, `2[null]`, `2[{}]`, `2[["a"]]`, `2[true]`, `2"a"`,
		`2["connect"]`, `2["connect_error"]`, `2["disconnect"]`, `2["disconnecting"]`,
		`2["newListener"]`, `2["removeListener"]`, `2["\u0063onnect"]`, `2/admin,5["disconnect",1]`,
		`3`, `3{}`, `3"a"`, `31`, `4`, `4[]`, `41`, `4null`,
		`51-[]`, `51-{}`, `51-["disconnect"]`, `61-{}`, `61-5`,
	} {
		var d parser.Decoder
		p, err := d.Text([]byte(wire))
		if err == nil {
			t.Errorf("Text(%q) = %+v, nil; want an error", wire, p)
			continue
		}
		errorIs(t, err, parser.ErrInvalid)
		if !strings.HasPrefix(err.Error(), "parser: ") {
			t.Errorf("Text(%q): error %q lacks the package prefix", wire, err)
		}
	}
}

func TestDecodeMaxAttachments(t *testing.T) {
	t.Parallel()
	header := func(n int) string {
		var b strings.Builder
		fmt.Fprintf(&b, "5%d-[\"e\"", n)
		for i := range n {
			fmt.Fprintf(&b, `,{"_placeholder":true,"num":%d}`, i)
		}
		b.WriteString("]")
		return b.String()
	}
	var d parser.Decoder
	p, err := d.Text([]byte(header(10)))
	success(t, err)
	equal(t, "packet before attachments", p, (*parser.Packet)(nil))
	for i := range 10 {
		p, err = d.Binary([]byte{byte(i)})
		success(t, err)
	}
	if p == nil || len(p.Attachments) != 10 {
		t.Fatalf("got %+v; want a packet with 10 attachments", p)
	}
	_, err = d.Text([]byte(header(11)))
	errorIs(t, err, parser.ErrInvalid)

	d = parser.Decoder{MaxAttachments: 2}
	_, err = d.Text([]byte(header(3)))
	errorIs(t, err, parser.ErrInvalid)
	_, err = d.Text([]byte(`59-["a"]`))
	errorIs(t, err, parser.ErrInvalid)
	p, err = d.Text([]byte(header(2)))
	success(t, err)
	equal(t, "packet before attachments", p, (*parser.Packet)(nil))

	// A huge limit does not let the count overflow.
	d = parser.Decoder{MaxAttachments: math.MaxInt}
	_, err = d.Text([]byte(`5` + strings.Repeat("9", 40) + `-["a"]`))
	errorIs(t, err, parser.ErrInvalid)
}

func TestDecoderSequence(t *testing.T) {
	t.Parallel()
	var d parser.Decoder

	// Binary data with nothing pending.
	_, err := d.Binary([]byte{1})
	errorIs(t, err, parser.ErrInvalid)

	// Text while attachments are pending.
	p, err := d.Text([]byte(`52-["a",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]`))
	success(t, err)
	equal(t, "pending packet", p, (*parser.Packet)(nil))
	p, err = d.Binary([]byte{1})
	success(t, err)
	equal(t, "packet after 1 of 2", p, (*parser.Packet)(nil))
	_, err = d.Text([]byte(`2["a"]`))
	errorIs(t, err, parser.ErrInvalid)

	// The error dropped the partial packet: the decoder is usable again.
	_, err = d.Binary([]byte{2})
	errorIs(t, err, parser.ErrInvalid)
	p, err = d.Text([]byte(`2["a"]`))
	success(t, err)
	equal(t, "data", string(p.Data), `["a"]`)

	// Two binary packets in a row, then a text one.
	for range 2 {
		p, err = d.Text([]byte(`61-3[{"_placeholder":true,"num":0}]`))
		success(t, err)
		equal(t, "pending", p, (*parser.Packet)(nil))
		p, err = d.Binary([]byte("xyz"))
		success(t, err)
		equal(t, "attachments", p.Attachments, [][]byte{[]byte("xyz")})
		equal(t, "id", p.ID, int64(3))
	}
	_, err = d.Binary([]byte{1})
	errorIs(t, err, parser.ErrInvalid)
}

func TestDecodePlaceholderRange(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		wire string
		ok   bool
	}{
		{`51-["a",{"_placeholder":true,"num":0}]`, true},
		{`51-["a",{"num":0,"_placeholder":true}]`, true},
		{`51-["a",{"_placeholder":true,"num":0.0}]`, true},
		{`51-["a",{"_placeholder":false,"num":7}]`, true},        // not a placeholder
		{`51-["a",{"_placeholder":"true","num":7}]`, true},       // not a placeholder either
		{`51-["a",{"x":[{"_placeholder":true,"num":0}]}]`, true}, // nested
		{`51-["a",{"_placeholder":true,"num":1}]`, false},
		{`51-["a",{"_placeholder":true,"num":-1}]`, false},
		{`51-["a",{"_placeholder":true,"num":0.5}]`, false},
		{`51-["a",{"_placeholder":true,"num":"0"}]`, false},
		{`51-["a",{"_placeholder":true}]`, false},
		{`51-["a",{"\u005fplaceholder":true,"num":3}]`, false},
		{`51-["a",{"x":{"y":[{"_placeholder":true,"num":1e3}]}}]`, false},
	} {
		p, err := decodeAll(t, tt.wire, []byte{1})
		if tt.ok {
			if err != nil || p == nil {
				t.Errorf("decode %q = %v, %v; want a packet", tt.wire, p, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("decode %q = %+v; want an error", tt.wire, p)
		}
		errorIs(t, err, parser.ErrInvalid)
	}
}

// Data aliases the message the caller handed over, and nothing beyond it: appending to Data
// never writes into the rest of the caller's buffer.
func TestDecodeDataCapacity(t *testing.T) {
	t.Parallel()
	buf := []byte(`2["a"]` + "tail")
	var d parser.Decoder
	p, err := d.Text(buf[:6])
	success(t, err)
	_ = append(p.Data, 'X')
	equal(t, "buffer", string(buf), `2["a"]tail`)
}
