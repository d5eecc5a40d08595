package hub

import "github.com/hubkit/hub/internal/sio"

// eventHandler is a handler given to Socket.On, ready to call with received arguments.
type eventHandler = sio.Handler

// newEventHandler checks fn's signature and returns the function that decodes arguments
// into its parameters and calls it (see [sio.NewHandler]). It panics when fn is not a
// handler: that is a programming error, found at registration.
func newEventHandler(fn any) eventHandler {
	h, err := sio.NewHandler(fn)
	if err != nil {
		panic("hub: " + err.Error())
	}
	return h
}
