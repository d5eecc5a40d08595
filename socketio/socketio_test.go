package socketio_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"testing"

	"github.com/hubkit/hub/socketio"
)

func TestSplitEvent(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		data, name, args string
		ok               bool
	}{
		{`["chat","hi",1]`, "chat", `["hi",1]`, true},
		{`["none"]`, "none", `[]`, true},
		{`[12,true]`, "12", `[true]`, true},
		{`[1.50]`, "1.5", `[]`, true},
		{`[-0]`, "0", `[]`, true},
		{`[1e21]`, "1e+21", `[]`, true},
		{`[0.0000001]`, "1e-7", `[]`, true},
		{`[-1.5e300]`, "-1.5e+300", `[]`, true},
		{`["\u00e9t\u00e9"]`, "été", `[]`, true},
		{`[]`, "", "", false},
		{`[null]`, "", "", false},
		{`[true,1]`, "", "", false},
		{`[{"a":1}]`, "", "", false},
		{`[1e400]`, "", "", false},
		{`{"a":1}`, "", "", false},
		{`["a",`, "", "", false},
	} {
		name, args, err := socketio.SplitEvent(json.RawMessage(c.data), nil)
		if (err == nil) != c.ok {
			t.Errorf("SplitEvent(%s): error %v; want ok=%v", c.data, err, c.ok)
			continue
		}
		if c.ok && (name != c.name || args.String() != c.args) {
			t.Errorf("SplitEvent(%s) = %q, %s; want %q, %s", c.data, name, args, c.name, c.args)
		}
	}
}

func TestArgs(t *testing.T) {
	t.Parallel()
	data, atts, err := socketio.AppendArgs(nil, []any{"a", []byte{1, 2}, map[string]any{"b": []byte{3}}})
	if err != nil {
		t.Fatal(err)
	}
	args, err := socketio.NewArgs(data, atts)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := args.String(), `["a",{"_placeholder":true,"num":0},{"b":{"_placeholder":true,"num":1}}]`; got != want {
		t.Errorf("String() = %s; want %s", got, want)
	}
	var b []byte
	var m map[string][]byte
	if err := args.Decode(1, &b); err != nil || string(b) != "\x01\x02" {
		t.Errorf("Decode(1) = %v, %v; want [1 2]", b, err)
	}
	if err := args.Decode(2, &m); err != nil || string(m["b"]) != "\x03" {
		t.Errorf("Decode(2) = %v, %v; want map[b:[3]]", m, err)
	}
	s := "kept"
	if err := args.Decode(3, &s); err != nil || s != "kept" {
		t.Errorf("Decode of an absent argument = %q, %v; want the target untouched, nil", s, err)
	}
	if args.Raw(3) != nil || args.Raw(-1) != nil {
		t.Error("Raw out of range is not nil")
	}
	var n int
	if err := args.Decode(0, &n); err == nil {
		t.Error(`Decode("a") into an int: no error`)
	}
	if _, err := socketio.NewArgs(json.RawMessage(`{}`), nil); err == nil {
		t.Error("NewArgs of an object: no error")
	}
	if (socketio.Args{}).Len() != 0 || (socketio.Args{}).String() != "[]" {
		t.Error("the zero Args is not empty")
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	de := &socketio.DecodeError{Event: "ev", Arg: 2, Err: io.ErrUnexpectedEOF}
	var err error = fmt.Errorf("wrapped: %w", de)
	if !errors.Is(err, socketio.ErrBadArguments) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("%v does not match ErrBadArguments and its cause", err)
	}
	if got, want := de.Error(), `socketio: event "ev": argument 2: unexpected EOF`; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
	pe := &socketio.PanicError{Event: "ev", Value: io.EOF}
	if !errors.Is(pe, io.EOF) || errors.Is(&socketio.PanicError{Value: "x"}, io.EOF) {
		t.Error("PanicError does not unwrap to an error value, and only to it")
	}
	if got, want := pe.Error(), `socketio: handler for "ev" panicked: EOF`; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
}
