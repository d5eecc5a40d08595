package hub

import "time"

// ConnectionStateRecovery configures connection state recovery (Node's
// connectionStateRecovery option; see [Options.ConnectionStateRecovery]).
type ConnectionStateRecovery struct {
	// MaxDisconnectionDuration is how long a socket disconnected for a recoverable reason
	// may take to come back and recover its state, and so how long the events sent to it
	// are kept. Default 2 minutes.
	MaxDisconnectionDuration time.Duration
	// RunMiddlewares runs the namespace's connection middleware for a recovered socket too
	// (Node's skipMiddlewares: false). Default: a recovered socket skips it (Node's
	// skipMiddlewares: true), as it passed it when it first connected.
	RunMiddlewares bool
	// MaxLogBytes bounds the memory, per namespace, of what recovery keeps: the events sent
	// and the state of the sockets that may come back. Past it the oldest go first, events
	// or sockets, and a client whose last event or state has gone gets a new session, as
	// after MaxDisconnectionDuration. Default 64 MiB. (Node keeps everything for
	// MaxDisconnectionDuration, however much.)
	MaxLogBytes int
}

// Defaults of ConnectionStateRecovery, Node's where Node has one.
const (
	defaultMaxDisconnectionDuration = 2 * time.Minute
	defaultMaxLogBytes              = 64 << 20
)

func (r ConnectionStateRecovery) withDefaults() *ConnectionStateRecovery {
	if r.MaxDisconnectionDuration <= 0 {
		r.MaxDisconnectionDuration = defaultMaxDisconnectionDuration
	}
	if r.MaxLogBytes <= 0 {
		r.MaxLogBytes = defaultMaxLogBytes
	}
	return &r
}

// recoverable reports whether a socket disconnected for reason may recover its state: the
// connection was lost or cut, not ended on purpose (Node's RECOVERABLE_DISCONNECT_REASONS).
func recoverable(reason DisconnectReason) bool {
	switch reason {
	case ReasonTransportError, ReasonTransportClose, ReasonForcedClose, ReasonPingTimeout, ReasonServerShuttingDown:
		return true
	}
	return false
}
