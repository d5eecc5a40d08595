package client_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/client"
)

// errLog is a slog.Handler sending the "err" attribute of each record to a channel.
type errLog chan string

func (l errLog) Enabled(context.Context, slog.Level) bool { return true }
func (l errLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l errLog) WithGroup(string) slog.Handler            { return l }
func (l errLog) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "err" {
			select {
			case l <- a.Value.String():
			default:
			}
		}
		return true
	})
	return nil
}

// A message over Options.MaxMessageSize fails the connection with ErrMessageTooBig, on every
// transport, text or binary; messages within it arrive.
func TestMaxMessageSize(t *testing.T) {
	t.Parallel()
	srv := hub.New(&hub.Options{Logger: slog.New(slog.DiscardHandler)})
	srv.OnConnection(func(s *hub.Socket) {
		s.On("send", func(n int, binary bool) {
			if binary {
				s.Emit("got", make([]byte, n))
			} else {
				s.Emit("got", strings.Repeat("a", n))
			}
		})
	})
	hs := httptest.NewServer(srv)
	defer hs.Close()
	defer srv.Close()
	const limit = 64 << 10
	for _, md := range []mode{modePolling, modeWebSocket, modeSSE} {
		for _, binary := range []bool{false, true} {
			logs := make(errLog, 64)
			s, err := client.Dial(ctxFor(t), hs.URL, &client.Options{
				Transports: md.transports, DisableUpgrade: true, DisableReconnection: true,
				MaxMessageSize: limit, Logger: slog.New(logs),
			})
			must(t, err)
			got := make(chan int, 1)
			s.On("got", func(v any) {
				switch v := v.(type) {
				case string:
					got <- len(v)
				case []byte:
					got <- len(v)
				}
			})
			reasons := disconnects(s)
			must(t, s.Emit("send", limit/2, binary))
			recv(t, got)
			must(t, s.Emit("send", 2*limit, binary))
			if r := recv(t, reasons); r != client.ReasonTransportError {
				t.Errorf("%s binary=%v: reason %q; want %q", md.name, binary, r, client.ReasonTransportError)
			}
			for found := false; !found; {
				found = strings.Contains(recv(t, (<-chan string)(logs)), client.ErrMessageTooBig.Error())
			}
			select {
			case n := <-got:
				t.Errorf("%s binary=%v: a message of %d bytes was delivered", md.name, binary, n)
			default:
			}
			must(t, s.Close())
		}
	}
}
