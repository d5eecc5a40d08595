package sio

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/hubkit/hub/socketio"
)

func args(t *testing.T, data string) socketio.Args {
	t.Helper()
	a, err := socketio.NewArgs(json.RawMessage(data), nil)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestHandlerShapes: the fast paths and the reflective path decode alike.
func TestHandlerShapes(t *testing.T) {
	t.Parallel()
	var got string
	for _, c := range []struct {
		name string
		fn   any
		data string
		want string // what the handler saw; "error" for a *DecodeError
	}{
		{"fast string", func(s string) { got = s }, `["a",2]`, "a"},
		{"fast string missing", func(s string) { got = "<" + s + ">" }, `[]`, "<>"},
		{"fast string bad", func(s string) { got = s }, `[1]`, "error"},
		{"reflect string", func(s string, _ any) { got = s }, `["a",2]`, "a"},
		{"reflect string bad", func(s string, _ any) { got = s }, `[1]`, "error"},
		{"reflect int second", func(s string, n int) { got = s + strings.Repeat("!", n) }, `["a",2]`, "a!!"},
		{"variadic", func(vs ...int) { got = strings.Repeat("x", len(vs)) }, `[1,2,3]`, "xxx"},
		{"variadic bad", func(vs ...int) { got = "called" }, `[1,"2"]`, "error"},
		{"args raw", func(a socketio.Args) { got = a.String() }, `["a",2]`, `["a",2]`},
		{"args raw by reflection", func(a socketio.Args, ack func(...any)) { got = a.String() }, `["a",2]`, `["a",2]`},
	} {
		got = ""
		h, err := NewHandler(c.fn)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		err = h("ev", args(t, c.data), NoAck)
		if c.want == "error" {
			var de *socketio.DecodeError
			if !errors.As(err, &de) || de.Event != "ev" || !errors.Is(err, socketio.ErrBadArguments) || got != "" {
				t.Errorf("%s: got %v (handler saw %q); want a *DecodeError and no call", c.name, err, got)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%s: got %q, %v; want %q", c.name, got, err, c.want)
		}
	}
}

// TestHandlerAcks: an ack parameter of any func type convertible to func(...any) error or
// func(...any) gets the ack; a handler's error comes back.
func TestHandlerAcks(t *testing.T) {
	t.Parallel()
	type myAck func(...any) error
	var sent []any
	ack := Once(func(a ...any) error { sent = append(sent, a...); return nil })
	for _, fn := range []any{
		func(ack socketio.Ack) error { return ack(1) },
		func(s string, ack socketio.Ack) error { return ack(2) },
		func(n int, ack myAck) error { return ack(3) },
		func(n int, ack func(...any)) { ack(4) },
		func(n int, ack func(...any) error) error { return errors.New("handler error") },
	} {
		h, err := NewHandler(fn)
		if err != nil {
			t.Fatal(err)
		}
		err = h("ev", args(t, `[1]`), ack)
		_ = err
	}
	if len(sent) != 1 || sent[0] != 1 {
		t.Errorf("sent %v; want only the first call's [1]", sent)
	}
	h, _ := NewHandler(func(n int, ack func(...any) error) error { return errors.New("handler error") })
	if err := h("ev", args(t, `[1]`), NoAck); err == nil || err.Error() != "handler error" {
		t.Errorf("handler error: got %v", err)
	}
	h, _ = NewHandler(func(ack func(...any)) { ack("x") }) // no ack asked: a no-op, not a nil func
	if err := h("ev", args(t, `[]`), nil); err != nil {
		t.Error(err)
	}
}

func TestNewHandlerRejects(t *testing.T) {
	t.Parallel()
	for _, fn := range []any{
		nil,
		(func())(nil),
		(func(string))(nil),
		42,
		func() int { return 0 },
		func(ack socketio.Ack, s string) {},
		func(a socketio.Args, s string) {},
	} {
		if _, err := NewHandler(fn); err == nil {
			t.Errorf("NewHandler(%T) accepted", fn)
		}
	}
}

func TestOnceAndCall(t *testing.T) {
	t.Parallel()
	calls := 0
	ack := Once(func(...any) error { calls++; return nil })
	if err := ack(); err != nil {
		t.Fatal(err)
	}
	if err := ack(); !errors.Is(err, socketio.ErrAckAlreadySent) || calls != 1 {
		t.Errorf("second call: %v after %d sends; want ErrAckAlreadySent after 1", err, calls)
	}
	err := Call("ev", func() error { panic("boom") })
	var pe *socketio.PanicError
	if !errors.As(err, &pe) || pe.Value != "boom" || pe.Event != "ev" || !strings.Contains(string(pe.Stack), "TestOnceAndCall") {
		t.Errorf("Call of a panicking func: %v; want a *PanicError with value, event and stack", err)
	}
	if err := CheckName("disconnect"); !errors.Is(err, socketio.ErrReservedEvent) {
		t.Errorf("CheckName(disconnect) = %v", err)
	}
	if _, _, err := AppendEvent(nil, "x", "newListener", nil); !errors.Is(err, socketio.ErrReservedEvent) {
		t.Errorf("AppendEvent(newListener) = %v", err)
	}
	data, _, err := AppendAck(nil, "x", nil)
	if err != nil || string(data) != "[]" {
		t.Errorf("AppendAck() = %s, %v; want []", data, err)
	}
}
