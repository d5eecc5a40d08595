package sio

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/hubkit/hub/internal/parser"
	"github.com/hubkit/hub/socketio"
)

// Handler is an event handler adapted to received arguments: it decodes args into the
// parameters of the function given to [NewHandler] and calls it. Decoding errors are
// *socketio.DecodeError (the function is not called); an error the function returns is
// returned as is.
type Handler func(event string, args socketio.Args, ack socketio.Ack) error

var (
	argsType    = reflect.TypeFor[socketio.Args]()
	ackType     = reflect.TypeFor[socketio.Ack]()
	errorType   = reflect.TypeFor[error]()
	ackFuncType = reflect.TypeFor[func(...any) error]()
	ackProcType = reflect.TypeFor[func(...any)]()
)

// NewHandler checks fn's signature and returns the Handler that calls it; an error when fn
// is not a handler (a programming error the caller reports at registration, by panicking).
//
// Accepted: a func whose parameters are any JSON-decodable types (a final variadic one
// takes the remaining arguments), or a single [socketio.Args] (raw access to all the
// arguments); optionally followed by an ack, a [socketio.Ack] or any func type convertible
// to func(...any) error or func(...any); and returning nothing or an error. Missing
// arguments leave zero values and extra ones are ignored, as in JavaScript.
func NewHandler(fn any) (Handler, error) {
	if v := reflect.ValueOf(fn); fn == nil || v.Kind() == reflect.Func && v.IsNil() {
		return nil, errors.New("nil event handler")
	}
	switch f := fn.(type) {
	// The commonest shapes skip reflection (a reflective call costs a tenth of an ack round
	// trip).
	case func():
		return func(string, socketio.Args, socketio.Ack) error { f(); return nil }, nil
	case func() error:
		return func(string, socketio.Args, socketio.Ack) error { return f() }, nil
	case func(socketio.Args):
		return func(_ string, a socketio.Args, _ socketio.Ack) error { f(a); return nil }, nil
	case func(socketio.Args) error:
		return func(_ string, a socketio.Args, _ socketio.Ack) error { return f(a) }, nil
	case func(socketio.Args, socketio.Ack):
		return func(_ string, a socketio.Args, ack socketio.Ack) error { f(a, ack); return nil }, nil
	case func(socketio.Args, socketio.Ack) error:
		return func(_ string, a socketio.Args, ack socketio.Ack) error { return f(a, ack) }, nil
	case func(socketio.Ack):
		return func(_ string, _ socketio.Args, ack socketio.Ack) error { f(ack); return nil }, nil
	case func(string):
		return func(ev string, a socketio.Args, _ socketio.Ack) error {
			s, err := stringArg(ev, a)
			if err == nil {
				f(s)
			}
			return err
		}, nil
	case func(string) error:
		return func(ev string, a socketio.Args, _ socketio.Ack) error {
			s, err := stringArg(ev, a)
			if err != nil {
				return err
			}
			return f(s)
		}, nil
	case func(string, socketio.Ack):
		return func(ev string, a socketio.Args, ack socketio.Ack) error {
			s, err := stringArg(ev, a)
			if err == nil {
				f(s, ack)
			}
			return err
		}, nil
	case func(string, socketio.Ack) error:
		return func(ev string, a socketio.Args, ack socketio.Ack) error {
			s, err := stringArg(ev, a)
			if err != nil {
				return err
			}
			return f(s, ack)
		}, nil
	}
	return reflectHandler(fn)
}

// reflectHandler adapts any other accepted shape by reflection.
func reflectHandler(fn any) (Handler, error) {
	v := reflect.ValueOf(fn)
	t := v.Type()
	if t.Kind() != reflect.Func {
		return nil, fmt.Errorf("event handler must be a func, not %s", t)
	}
	retErr := false
	switch {
	case t.NumOut() == 1 && t.Out(0) == errorType:
		retErr = true
	case t.NumOut() != 0:
		return nil, fmt.Errorf("event handler %s must return nothing or an error", t)
	}
	n := t.NumIn()
	var ack reflect.Type // the type of the trailing ack parameter, nil if none
	if n > 0 && !t.IsVariadic() && isAckType(t.In(n-1)) {
		ack = t.In(n - 1)
	}
	params := n
	if ack != nil {
		params--
	}
	for i := range params {
		switch pt := t.In(i); {
		case isAckType(pt):
			return nil, fmt.Errorf("event handler %s: the ack parameter must come last", t)
		case pt == argsType && params != 1:
			return nil, fmt.Errorf("event handler %s: an Args parameter must be the only argument", t)
		}
	}
	if params == 1 && t.In(0) == argsType {
		return func(_ string, a socketio.Args, ackFn socketio.Ack) error {
			in := []reflect.Value{reflect.ValueOf(a)}
			if ack != nil {
				in = append(in, ackValue(ack, ackFn))
			}
			return result(v.Call(in), retErr)
		}, nil
	}
	variadic := t.IsVariadic()
	fixed := params
	if variadic {
		fixed--
	}
	return func(ev string, a socketio.Args, ackFn socketio.Ack) error {
		in := make([]reflect.Value, n)
		for i := range fixed {
			p := reflect.New(t.In(i))
			if i < a.Len() {
				if err := decode(ev, a, i, p.Interface()); err != nil {
					return err
				}
			}
			in[i] = p.Elem()
		}
		if variadic {
			st := t.In(fixed)
			rest := max(a.Len()-fixed, 0)
			slice := reflect.MakeSlice(st, rest, rest)
			for j := range rest {
				if err := decode(ev, a, fixed+j, slice.Index(j).Addr().Interface()); err != nil {
					return err
				}
			}
			in[fixed] = slice
			return result(v.CallSlice(in), retErr)
		}
		if ack != nil {
			in[n-1] = ackValue(ack, ackFn)
		}
		return result(v.Call(in), retErr)
	}, nil
}

func isAckType(t reflect.Type) bool {
	return t == ackType || t.Kind() == reflect.Func && (t.ConvertibleTo(ackFuncType) || t.ConvertibleTo(ackProcType))
}

// ackValue makes a value of the handler's ack parameter type t that calls ack.
func ackValue(t reflect.Type, ack socketio.Ack) reflect.Value {
	if ack == nil {
		ack = NoAck
	}
	if t == ackType {
		return reflect.ValueOf(ack)
	}
	if t.ConvertibleTo(ackFuncType) {
		return reflect.ValueOf((func(...any) error)(ack)).Convert(t)
	}
	return reflect.ValueOf(func(args ...any) { _ = ack(args...) }).Convert(t)
}

// decode decodes argument i of args into p, a pointer; a *socketio.DecodeError if it does
// not fit.
func decode(event string, args socketio.Args, i int, p any) error {
	if err := parser.UnmarshalArg(args.Raw(i), args.Attachments(), p); err != nil {
		return &socketio.DecodeError{Event: event, Arg: i, Err: err}
	}
	return nil
}

// stringArg decodes the first argument as a string, as the reflective path would: a missing
// argument is "".
func stringArg(event string, a socketio.Args) (string, error) {
	if a.Len() == 0 {
		return "", nil
	}
	if s, ok := parser.PlainString(a.Raw(0)); ok {
		return s, nil
	}
	var s string
	if err := decode(event, a, 0, &s); err != nil {
		return "", err
	}
	return s, nil
}

func result(out []reflect.Value, retErr bool) error {
	if !retErr || out[0].IsNil() {
		return nil
	}
	return out[0].Interface().(error)
}
