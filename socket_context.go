package hub

import (
	"context"
	"sync"
)

// socketContext is a socket's context, made on first use: most sockets never ask for it, and
// one context per socket, registered with the server's, is a few hundred bytes per
// connection and a lock on the server's context at every connect and disconnect.
type socketContext struct {
	parent context.Context // the server's
	values context.Context // the session's: the handshake request's values
	merged requestValues   // the context's parent, once made

	mu     sync.Mutex
	ctx    context.Context // nil until asked for
	cancel context.CancelCauseFunc
	cause  error // set once cancelled
}

// get returns the context, cancelled with the recorded cause if the socket is gone already.
func (c *socketContext) get() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx == nil {
		parent := c.parent
		if c.values != nil {
			c.merged = requestValues{Context: c.parent, values: c.values}
			parent = &c.merged
		}
		c.ctx, c.cancel = context.WithCancelCause(parent)
		if c.cause != nil {
			c.cancel(c.cause)
		}
	}
	return c.ctx
}

// end cancels the context with cause (the first cause wins).
func (c *socketContext) end(cause error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cause != nil {
		return
	}
	c.cause = cause
	if c.cancel != nil {
		c.cancel(cause)
	}
}

// err returns why the context ended: the socket's cause, else the server's, else nil.
func (c *socketContext) err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ctx != nil {
		return context.Cause(c.ctx)
	}
	if c.cause != nil {
		return c.cause
	}
	return context.Cause(c.parent)
}

// requestValues is the parent of a socket's context: the server's context, for its
// cancellation, with the values of the handshake request in front of its own. The session's
// context hides the request's cancellation from the context package's lookups
// (context.WithoutCancel): they find the server's, and the socket's context is registered
// with it directly, as without values.
type requestValues struct {
	context.Context                 // the server's
	values          context.Context // the session's
}

func (c *requestValues) Value(key any) any {
	if v := c.values.Value(key); v != nil {
		return v
	}
	return c.Context.Value(key)
}
