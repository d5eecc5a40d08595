// Package sio holds the Socket.IO event mechanics both ends share, the server (package
// hub) and the Go client: adapting typed handlers to received arguments (with fast paths
// that skip reflection for the commonest shapes), call-once acknowledgements, the event-name
// rules of emits, the encoding of an emitted event's payload, and the recovery of handler
// panics. The vocabulary (Args, Ack, the errors) is the public package socketio.
package sio
