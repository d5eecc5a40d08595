package sio

import (
	"sync/atomic"

	"github.com/hubkit/hub/socketio"
)

// NoAck is the Ack of an event that asked for no acknowledgement: it does nothing.
func NoAck(...any) error { return nil }

// Once returns the Ack that calls send on its first call, and returns
// socketio.ErrAckAlreadySent on the others without calling it. It is safe for concurrent
// use: exactly one call sends.
func Once(send func(args ...any) error) socketio.Ack {
	var sent atomic.Bool
	return func(args ...any) error {
		if !sent.CompareAndSwap(false, true) {
			return socketio.ErrAckAlreadySent
		}
		return send(args...)
	}
}
