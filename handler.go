package hub

import (
	"fmt"
	"reflect"
)

// eventHandler is a handler given to Socket.On, ready to call with received arguments.
type eventHandler func(args Args, ack Ack) error

var (
	argsType  = reflect.TypeFor[Args]()
	ackType   = reflect.TypeFor[Ack]()
	errorType = reflect.TypeFor[error]()
)

// newEventHandler checks fn's signature and returns the function that decodes arguments
// into its parameters and calls it. It panics when fn is not a handler: that is a
// programming error, found at registration.
//
// Accepted: a func whose parameters are any JSON-decodable types (a final variadic one
// takes the remaining arguments), or a single [Args]; optionally followed by an [Ack]; and
// returning nothing or an error.
func newEventHandler(fn any) eventHandler {
	switch f := fn.(type) {
	case nil:
		panic("hub: nil event handler")
	case func():
		return func(Args, Ack) error { f(); return nil }
	case func() error:
		return func(Args, Ack) error { return f() }
	case func(Args):
		return func(a Args, _ Ack) error { f(a); return nil }
	case func(Args) error:
		return func(a Args, _ Ack) error { return f(a) }
	case func(Args, Ack):
		return func(a Args, ack Ack) error { f(a, ack); return nil }
	case func(Args, Ack) error:
		return func(a Args, ack Ack) error { return f(a, ack) }
	case func(Ack):
		return func(_ Args, ack Ack) error { f(ack); return nil }
	// The commonest shapes skip reflection (a reflective call is ~10% of an ack round trip).
	case func(string):
		return func(a Args, _ Ack) error {
			s, err := stringArg(a)
			if err == nil {
				f(s)
			}
			return err
		}
	case func(string) error:
		return func(a Args, _ Ack) error {
			s, err := stringArg(a)
			if err != nil {
				return err
			}
			return f(s)
		}
	case func(string, Ack):
		return func(a Args, ack Ack) error {
			s, err := stringArg(a)
			if err == nil {
				f(s, ack)
			}
			return err
		}
	case func(string, Ack) error:
		return func(a Args, ack Ack) error {
			s, err := stringArg(a)
			if err != nil {
				return err
			}
			return f(s, ack)
		}
	}
	v := reflect.ValueOf(fn)
	t := v.Type()
	if t.Kind() != reflect.Func {
		panic(fmt.Sprintf("hub: event handler must be a func, not %s", t))
	}
	retErr := false
	switch {
	case t.NumOut() == 1 && t.Out(0) == errorType:
		retErr = true
	case t.NumOut() != 0:
		panic(fmt.Sprintf("hub: event handler %s must return nothing or an error", t))
	}
	n := t.NumIn()
	withAck := n > 0 && t.In(n-1) == ackType
	params := n
	if withAck {
		params--
	}
	for i := range params {
		switch pt := t.In(i); {
		case pt == ackType:
			panic(fmt.Sprintf("hub: event handler %s: the Ack parameter must come last", t))
		case pt == argsType && params != 1:
			panic(fmt.Sprintf("hub: event handler %s: an Args parameter must be the only argument", t))
		}
	}
	if params == 1 && t.In(0) == argsType {
		return func(a Args, ack Ack) error {
			in := []reflect.Value{reflect.ValueOf(a)}
			if withAck {
				in = append(in, reflect.ValueOf(ack))
			}
			return result(v.Call(in), retErr)
		}
	}
	variadic := t.IsVariadic()
	fixed := params
	if variadic {
		fixed--
	}
	return func(a Args, ack Ack) error {
		in := make([]reflect.Value, n)
		for i := range fixed {
			p := reflect.New(t.In(i))
			if i < a.Len() {
				if err := a.Decode(i, p.Interface()); err != nil {
					return fmt.Errorf("%w: %w", ErrBadArguments, err)
				}
			}
			in[i] = p.Elem()
		}
		if variadic {
			st := t.In(fixed)
			rest := max(a.Len()-fixed, 0)
			slice := reflect.MakeSlice(st, rest, rest)
			for j := range rest {
				if err := a.Decode(fixed+j, slice.Index(j).Addr().Interface()); err != nil {
					return fmt.Errorf("%w: %w", ErrBadArguments, err)
				}
			}
			in[fixed] = slice
			return result(v.CallSlice(in), retErr)
		}
		if withAck {
			in[n-1] = reflect.ValueOf(ack)
		}
		return result(v.Call(in), retErr)
	}
}

// stringArg decodes the first argument as a string, as the reflective path would: a missing
// argument is "".
func stringArg(a Args) (string, error) {
	var s string
	if a.Len() > 0 {
		if err := a.Decode(0, &s); err != nil {
			return "", fmt.Errorf("%w: %w", ErrBadArguments, err)
		}
	}
	return s, nil
}

func result(out []reflect.Value, retErr bool) error {
	if !retErr || out[0].IsNil() {
		return nil
	}
	return out[0].Interface().(error)
}
