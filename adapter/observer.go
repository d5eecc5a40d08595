package adapter

// Observer receives what happens in an adapter that spans several servers, for metrics:
// adapters take one in their options (the Redis adapter's Options.Observer), and package
// github.com/hubkit/hub/metrics/prometheus makes one. Every field is optional. The funcs are
// called on the adapter's goroutines, concurrently: they must be fast and must not block.
type Observer struct {
	// Lost: messages for the other servers were lost, for reason "queue full" (the
	// adapter could not publish as fast as the server sent: the other servers unreachable
	// for long) or "publish failed".
	Lost func(reason string, messages int)
	// Disconnected: the adapter lost its connection to the other servers; it reconnects
	// by itself.
	Disconnected func()
	// Reconnected: the connection lost is back.
	Reconnected func()
}
