// Package transport carries Engine.IO packets over HTTP: WebSocket, HTTP long-polling, and
// SSE + POST. Each transport implements [Transport]; the engine owns sessions and hands each
// request to the transport it names.
package transport

// Transport is one way of carrying a session (being defined).
type Transport interface {
	Name() string
}
