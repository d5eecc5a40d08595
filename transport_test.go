package hub_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/client"
)

// TestTransports runs events, acknowledgements and binary data both ways over each
// transport, with hub's Go client.
func TestTransports(t *testing.T) {
	t.Parallel()
	srv, url := newServer(t, nil)
	transports := make(chan string, 8)
	srv.OnConnection(func(s *hub.Socket) {
		transports <- s.Transport()
		s.On("echo", func(args hub.Args) { s.Emit("echo", args.Values()...) })
		s.On("ack-me", func(args hub.Args, ack hub.Ack) { ack(args.Values()...) })
		s.On("ask", func(ack hub.Ack) {
			answer, err := s.EmitWithAck(s.Context(), "question", []byte{7})
			if err != nil {
				ack(err.Error())
				return
			}
			var b []byte
			answer.Decode(0, &b)
			ack(b)
		})
	})
	for _, tc := range []struct {
		name       string
		transports []string
	}{
		{"polling", []string{client.TransportPolling}},
		{"websocket", []string{client.TransportWebSocket}},
		{"sse", []string{client.TransportSSE}},
		{"polling then websocket", []string{client.TransportPolling, client.TransportWebSocket}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), waitFor)
			defer cancel()
			m, err := client.NewManager(url, &client.Options{Transports: tc.transports})
			success(t, err)
			defer m.Close()
			c := m.Socket("/", nil)
			type echo struct {
				text   string
				bin    []byte
				nested []byte
			}
			echoes := make(chan echo, 1)
			c.On("echo", func(text string, bin []byte, nested struct{ Nested []byte }) {
				echoes <- echo{text, bin, nested.Nested}
			})
			c.On("question", func(b []byte, ack client.AckFunc) { ack(append(b, 8)) })
			success(t, c.Connect(ctx))
			equal(t, "transport", recv(t, transports), tc.transports[0])

			success(t, c.Emit("echo", "text", []byte{1, 2}, map[string]any{"nested": []byte{3}}))
			e := recv(t, echoes)
			equal(t, "text", e.text, "text")
			equal(t, "binary", e.bin, []byte{1, 2})
			equal(t, "nested binary", e.nested, []byte{3})

			var bin []byte
			ack, err := c.EmitWithAck(ctx, "ack-me", []byte{4}, 5)
			success(t, err)
			success(t, ack.Decode(0, &bin))
			equal(t, "binary ack", bin, []byte{4})

			ack, err = c.EmitWithAck(ctx, "ask")
			success(t, err)
			success(t, ack.Decode(0, &bin))
			equal(t, "server's ack from the client", bin, []byte{7, 8})
		})
	}
}

func TestTransportsOption(t *testing.T) {
	t.Parallel()
	_, url := newServer(t, &hub.Options{Transports: []string{"websocket"}})
	res, err := http.Get(url + "/socket.io/?EIO=4&transport=polling")
	success(t, err)
	res.Body.Close()
	equal(t, "polling refused", res.StatusCode, http.StatusBadRequest)
	c := dial(t, url, "")
	c.connect("/", "")
}
