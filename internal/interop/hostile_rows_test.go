//go:build unix

package interop_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hubkit/hub/internal/wsframe"
)

const (
	crossOrigin = "Origin: http://evil.example"
	textPlain   = "Content-Type: text/plain;charset=UTF-8"
)

// hostileRows is the table; docs/hostile-inputs.md lists it in this order.
var hostileRows = []hostileRow{
	// Handshake validation, in Node's order (protocol.md §1.8, §4.14).
	{
		name: "eio-missing", from: "§4.14",
		req:  "`GET /socket.io/?transport=polling`",
		node: `400 {"code":5,"message":"Unsupported protocol version"}`,
		run:  simple("GET", "transport=polling", nil, ""),
	},
	{
		name: "eio-not-a-number", from: "§4.14",
		req:  "`GET ?EIO=abc&transport=polling`",
		node: `400 {"code":5,"message":"Unsupported protocol version"}`,
		run:  simple("GET", "EIO=abc&transport=polling", nil, ""),
	},
	{
		name: "eio-3", from: "§4.14, §5",
		req:  "`GET ?EIO=3&transport=polling` (v3 support off)",
		node: `400 {"code":5,"message":"Unsupported protocol version"}`,
		run:  simple("GET", "EIO=3&transport=polling", nil, ""),
	},
	{
		name: "transport-missing", from: "§4.14",
		req:  "`GET ?EIO=4`",
		node: `400 {"code":0,"message":"Transport unknown"}`,
		run:  simple("GET", "EIO=4", nil, ""),
	},
	{
		name: "transport-unknown", from: "§4.14",
		req:  "`GET ?EIO=4&transport=abc`",
		node: `400 {"code":0,"message":"Transport unknown"}`,
		run:  simple("GET", "EIO=4&transport=abc", nil, ""),
	},
	{
		name: "eio-and-transport-missing", from: "§4.14",
		req:  "`GET /socket.io/` (no query)",
		node: `400 {"code":0,"message":"Transport unknown"}`,
		run:  simple("GET", "", nil, ""),
	},
	{
		name: "handshake-post", from: "§1.3, §4.14",
		req:  "`POST ?EIO=4&transport=polling` (no sid), body `40`",
		node: `400 {"code":2,"message":"Bad handshake method"}`,
		run:  simple("POST", eio, []string{textPlain}, "40"),
	},
	{
		name: "handshake-put", from: "§1.3",
		req:  "`PUT ?EIO=4&transport=polling` (no sid)",
		node: `400 {"code":2,"message":"Bad handshake method"}`,
		run:  simple("PUT", eio, nil, ""),
	},
	{
		name: "sid-unknown", from: "§1.8",
		req:  "`GET ?EIO=4&transport=polling&sid=AAAAAAAAAAAAAAAAAAAA`",
		node: `400 {"code":1,"message":"Session ID unknown"}`,
		run:  simple("GET", eio+"&sid=AAAAAAAAAAAAAAAAAAAA", nil, ""),
	},
	{
		name: "sid-unknown-websocket", from: "§1.5",
		req:  "WebSocket handshake `?EIO=4&transport=websocket&sid=AAAAAAAAAAAAAAAAAAAA`",
		node: `400 Session ID unknown`,
		run: func(ctx context.Context, base string) (string, error) {
			w, r, err := wsDial(ctx, base, "EIO=4&transport=websocket&sid=AAAAAAAAAAAAAAAAAAAA")
			if w != nil {
				defer w.Close()
				return "101; " + w.readMsg().String(), nil
			}
			return r.String(), err
		},
	},
	{
		name: "sid-other-method", from: "§1.4",
		req:  "`PUT ?EIO=4&transport=polling&sid=<sid>` on a live session",
		node: `500`,
		hub:  `400 {"code":3,"message":"Bad request"}`,
		alt:  []string{`500`},
		why:  "a method other than GET or POST is the client's mistake, not the server's (protocol.md §1.4; socketioxide answers 400 too)",
		run: afterHandshake(func(ctx context.Context, base, sid string) (string, error) {
			r, err := do(ctx, base, "PUT", eio+"&sid="+sid, nil, "")
			return r.String(), err
		}),
	},
	{
		name: "websocket-without-upgrade", from: "§4.13",
		req:  "`GET ?EIO=4&transport=websocket` with no Upgrade header",
		node: `400 {"code":3,"message":"Bad request"}`,
		run:  simple("GET", "EIO=4&transport=websocket", nil, ""),
	},

	// Origins.
	{
		name: "websocket-cross-origin", from: "issue 10 #17",
		req:  "WebSocket handshake with `Origin: http://evil.example`, CORS option unset",
		node: `101; 0{…`,
		hub:  `403`,
		why:  "with CORS unset, browsers already keep other sites off polling; hub keeps them off WebSocket too, so a page elsewhere cannot ride the user's cookies (Options.CORS allows origins)",
		run:  wsHandshake(crossOrigin),
	},
	{
		name: "websocket-same-origin", from: "issue 10 #17",
		req:  "WebSocket handshake with an Origin naming the server's own host",
		node: `101; 0{…`,
		run: func(ctx context.Context, base string) (string, error) {
			return wsHandshake("Origin: "+base)(ctx, base)
		},
	},
	{
		name: "websocket-no-origin", from: "issue 10 #17",
		req:  "WebSocket handshake without Origin (a native client)",
		node: `101; 0{…`,
		run:  wsHandshake(),
	},
	{
		name: "polling-cross-origin", from: "issue 10 #17, §1.10",
		req:  "polling handshake with `Origin: http://evil.example`, CORS option unset",
		node: `200 0{…, Access-Control-Allow-Origin ""`,
		run: func(ctx context.Context, base string) (string, error) {
			r, err := do(ctx, base, "GET", eio, []string{crossOrigin}, "")
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("%d %.2s…, Access-Control-Allow-Origin %q", r.status, r.body, r.header.Get("Access-Control-Allow-Origin")), nil
		},
	},

	// Size and time.
	{
		name: "header-15KB", from: "issue 10 #6",
		req:  "polling handshake with a 15 KB header (under Node's 16 KB limit for all headers)",
		node: `200`,
		run:  bigHeader(15 << 10),
	},
	{
		name: "header-20KB", from: "issue 10 #6",
		req:  "polling handshake with a 20 KB header",
		node: `431`,
		run:  bigHeader(20 << 10),
	},
	{
		name: "header-1MB", from: "issue 10 #6",
		req:  "polling handshake with a 1 MB header",
		node: `431 or reset`,
		run:  bigHeader(1 << 20),
	},
	{
		name: "slow-post-body", from: "issue 10 #7",
		req:     "polling POST with a chunked body that sends one byte every 250 ms and never ends",
		node:    `dropped`,
		run:     slowBody,
		timeout: 8 * time.Second,
	},

	// Polling (protocol.md §1.4, §4.1, §4.4, §4.5).
	{
		name: "post-too-large", from: "§1.9, §4.4",
		req:  "polling POST of 100,001 bytes (maxHttpBufferSize 100,000), then a CONNECT",
		node: `POST 413; open`,
		run: afterHandshake(func(ctx context.Context, base, sid string) (string, error) {
			r, err := post(ctx, base, sid, "4"+strings.Repeat("a", 100000))
			if err != nil {
				return "", err
			}
			state, err := sessionState(ctx, base, sid)
			return "POST " + r.String() + "; " + state, err
		}),
	},
	{
		name: "post-octet-stream", from: "§1.4, §4.5",
		req:  "polling POST with `Content-Type: application/octet-stream` (v3 binary payload)",
		node: `POST 400; closed`,
		run: afterHandshake(func(ctx context.Context, base, sid string) (string, error) {
			r, err := post(ctx, base, sid, "40", "Content-Type: application/octet-stream")
			if err != nil {
				return "", err
			}
			state, err := sessionState(ctx, base, sid)
			return "POST " + r.String() + "; " + state, err
		}),
	},
	{
		name: "concurrent-gets", from: "§4.1",
		req:  "two polling GETs at once on a session with nothing to send",
		node: `200 1 and 400; closed`,
		run:  afterHandshake(concurrentGets),
	},
	{
		name: "concurrent-posts", from: "§4.1",
		req:  "two polling POSTs at once, each with half its body sent",
		node: `400 and EOF; closed`,
		run:  afterHandshake(concurrentPosts),
	},
	{
		name: "polling-binary", from: "§4.5",
		req:  "polling POST `451-[\"echo\",{placeholder 0}]␞bAQID`",
		node: `POST 200 ok; GET 200 451-["echo",{"_placeholder":true,"num":0}]␞bAQID`,
		run:  pollingSIO("451-[\"echo\"" + placeholders(1) + "]\x1ebAQID"),
	},
	{
		name: "polling-binary-unpadded", from: "§4.5",
		req:  "polling POST `451-[\"echo\",{placeholder 0}]␞bAQI` (base64 without padding)",
		node: `POST 200 ok; GET 200 451-["echo",{"_placeholder":true,"num":0}]␞bAQI=`,
		run:  pollingSIO("451-[\"echo\"" + placeholders(1) + "]\x1ebAQI"),
	},
	{
		name: "polling-invalid-utf8", from: "issue 10 #3",
		req:  "polling POST `42[\"echo\",\"a\\xff\\xfe\"]` (invalid UTF-8 in a JSON string)",
		node: `POST 200 ok; GET 200 42["echo","a��"]`,
		alt:  []string{`POST 200 ok; closed`, `POST 400; closed`},
		why:  "issue 10 #3 allows refusing the packet instead of replacing the bad bytes with U+FFFD; never re-emitting them raw",
		run:  pollingSIO("42[\"echo\",\"a\xff\xfe\"]"),
	},
	{
		name: "polling-empty-body", from: "§1.2",
		req:  "polling POST with an empty body",
		node: `POST 200 ok; closed`,
		run:  pollingSIO(""),
	},
	{
		name: "polling-unknown-packet", from: "§1.2",
		req:  "polling POST `9`",
		node: `POST 200 ok; closed`,
		run:  pollingSIO("9"),
	},

	// WebSocket at the Engine.IO level.
	{
		name: "websocket-invalid-utf8", from: "issue 10 #3",
		req:  "WebSocket text frame `42[\"echo\",\"a\\xff\\xfe\"]`",
		node: `close 1007`,
		run: func(ctx context.Context, base string) (string, error) {
			w, err := wsConnected(ctx, base)
			if err != nil {
				return "", err
			}
			defer w.Close()
			if err := w.text("42[\"echo\",\"a\xff\xfe\"]"); err != nil {
				return "", err
			}
			return w.readMsg().String(), nil
		},
	},
	{
		name: "websocket-too-large", from: "§1.5, §4.4",
		req:  "WebSocket text frame of 100,001 bytes",
		node: `close 1009`,
		run: func(ctx context.Context, base string) (string, error) {
			w, err := wsConnected(ctx, base)
			if err != nil {
				return "", err
			}
			defer w.Close()
			return w.oversize("4" + strings.Repeat("a", 100000)).String(), nil
		},
	},
	{
		name: "client-ping", from: "§4.6",
		req:  "WebSocket text `2` (a ping from the client: the v3 direction)",
		node: `closed`,
		run:  wsSIO(txt("2")),
	},
	{
		name: "client-close-packet", from: "§1.5, §4.12",
		req:  "WebSocket text `1` (Engine.IO close packet)",
		node: `alive`,
		hub:  `closed`,
		why:  "hub closes the session on an Engine.IO close packet at once; Node ignores it over WebSocket and waits for the ping timeout (protocol.md §1.5, §4.12)",
		run:  wsSIO(txt("1")),
	},

	// Upgrades (protocol.md §4.13, §4.21, §4.22).
	{
		name: "poll-after-upgrade", from: "§4.13",
		req:  "upgrade to WebSocket (`2probe`, `3probe`, `5`), wait for the echo of `40`, then a polling GET",
		node: `400 {"code":3,"message":"Bad request"}`,
		run: func(ctx context.Context, base string) (string, error) {
			sid, w, err := upgraded(ctx, base)
			if err != nil {
				return "", err
			}
			defer w.Close()
			if err := w.text("40"); err != nil {
				return "", err
			}
			if _, err := expect("40{")(w); err != nil {
				return "", err
			}
			r, err := poll(ctx, base, sid)
			return r.String(), err
		},
	},
	{
		name: "poll-racing-upgrade", from: "issue 10 #10, §4.22",
		req:  "20 times: `2probe`, `3probe`, `5` on the WebSocket and, as soon as `5` is written, a polling GET",
		node: `400 {"code":3,"message":"Bad request"}`,
		run: func(ctx context.Context, base string) (string, error) {
			return repeat(ctx, 20, func(ctx context.Context) (string, error) {
				sid, w, err := upgraded(ctx, base)
				if err != nil {
					return "", err
				}
				defer w.Close()
				r, err := poll(ctx, base, sid)
				return r.String(), err
			})
		},
		timeout: 10 * time.Second,
	},
	{
		name: "second-websocket", from: "issue 10 #10, §4.13",
		req:  "after an upgrade, a second WebSocket handshake for the same sid",
		node: `101; close 1005`,
		run: func(ctx context.Context, base string) (string, error) {
			sid, w, err := upgraded(ctx, base)
			if err != nil {
				return "", err
			}
			defer w.Close()
			return secondWebSocket(ctx, base, sid)
		},
	},
	{
		name: "second-websocket-while-upgrading", from: "§1.5, §4.13",
		req:  "after `2probe`/`3probe` and before `5`, a second WebSocket handshake for the same sid",
		node: `101; close 1005`,
		run: afterHandshake(func(ctx context.Context, base, sid string) (string, error) {
			w, err := probed(ctx, base, sid)
			if err != nil {
				return "", err
			}
			defer w.Close()
			return secondWebSocket(ctx, base, sid)
		}),
	},
	{
		name: "poll-racing-close", from: "issue 10 #10, §4.21",
		req:  "20 times: a polling GET and, as soon as it is written, a POST `1` on another connection",
		node: `GET 200 6, POST 200 ok`,
		run: func(ctx context.Context, base string) (string, error) {
			return repeat(ctx, 20, func(ctx context.Context) (string, error) {
				sid, err := handshake(ctx, base)
				if err != nil {
					return "", err
				}
				return pollRacingClose(ctx, base, sid)
			})
		},
		timeout: 10 * time.Second,
	},

	// Socket.IO packets (protocol.md §2.2, §4.8, §4.10, §4.11).
	{
		name: "binary-count-without-dash", from: "§4.8",
		req:  "WebSocket text `45` (a binary event with no `-`)",
		node: `closed`,
		run:  wsSIO(txt("45")),
	},
	{
		name: "binary-11-attachments", from: "§4.8, issue 10 #9",
		req:  "`4511-[\"echo\",…11 placeholders]` (more than 10 attachments)",
		node: `closed`,
		run:  wsSIO(txt("4511-[\"echo\"" + placeholders(11) + "]")),
	},
	{
		name: "binary-placeholder-out-of-range", from: "§4.8",
		req:  "`451-[\"echo\",{\"_placeholder\":true,\"num\":1}]` then one binary frame",
		node: `closed`,
		run:  wsSIO(txt(`451-["echo",{"_placeholder":true,"num":1}]`), bin([]byte{1, 2, 3})),
	},
	{
		name: "binary-text-mid-attachments", from: "§4.8",
		req:  "`451-[\"echo\",{placeholder 0}]` then a text frame `42[\"echo\",1]` instead of the attachment",
		node: `closed`,
		run:  wsSIO(txt("451-[\"echo\""+placeholders(1)+"]"), txt(`42["echo",1]`)),
	},
	{
		name: "binary-stray-attachment", from: "§4.8",
		req:  "a binary frame with no binary packet pending",
		node: `closed`,
		run:  wsSIO(bin([]byte{1, 2, 3})),
	},
	{
		name: "binary-10-attachments-99KB", from: "issue 10 #9",
		req:  "`4510-[\"echo\",…10 placeholders]` then 10 binary frames of 99,000 bytes (each under maxHttpBufferSize, 990 KB together)",
		node: `4510-["echo",{placeholders 0 to 9}]; binary(99000) ×10`,
		run:  tenAttachments,
	},
	{
		name: "reserved-event-name", from: "§2.1, §4.8",
		req:  "`42[\"disconnect\"]`",
		node: `closed`,
		run:  wsSIO(txt(`42["disconnect"]`)),
	},
	{
		name: "event-object", from: "§4.8",
		req:  "`42{}`",
		node: `closed`,
		run:  wsSIO(txt(`42{}`)),
	},
	{
		name: "event-not-json", from: "§4.8",
		req:  "`42abc`",
		node: `closed`,
		run:  wsSIO(txt(`42abc`)),
	},
	{
		name: "event-empty-array", from: "§2.1",
		req:  "`42[]`",
		node: `closed`,
		run:  wsSIO(txt(`42[]`)),
	},
	{
		name: "unknown-namespace", from: "§4.10",
		req:  "`40/x,`",
		node: `44/x,{"message":"Invalid namespace"}; alive`,
		run:  wsSIO(txt(`40/x,`), upTo(`44/x,`)),
	},
	{
		name: "namespace-without-comma", from: "§4.10",
		req:  "`40/dyn-a` (no comma)",
		node: `40/dyn-a,{"sid":"…"}; 42/dyn-a,["nsp","/dyn-a"]; alive`,
		run:  wsSIO(txt(`40/dyn-a`), upTo(`40/dyn-a,`), upTo(`42/dyn-a,`)),
	},
	{
		name: "disconnect-one-namespace", from: "§4.11",
		req:  "join `/dyn-b`, then `41/dyn-b,`: `/` must stay connected",
		node: `alive`,
		run:  wsSIO(txt(`40/dyn-b,`), expect(`42/dyn-b,`), txt(`41/dyn-b,`)),
	},
	{
		name: "event-for-unjoined-namespace", from: "§2.4",
		req:  "`42/dyn-c,[\"echo\",1]` without joining `/dyn-c`",
		node: `closed`,
		run:  wsSIO(txt(`42/dyn-c,["echo",1]`)),
	},
	{
		name: "second-connect", from: "§2.4",
		req:  "`40` again on a socket already connected to `/`",
		node: `closed`,
		run:  wsSIO(txt(`40`)),
	},
	{
		name: "client-connect-error", from: "§2.4",
		req:  "`44{\"message\":\"x\"}` from the client",
		node: `closed`,
		run:  wsSIO(txt(`44{"message":"x"}`)),
	},
	{
		name: "event-1000-arguments", from: "issue 10 #8",
		req:  "`42[\"echo\",0,0,…]`: 1,000 arguments",
		node: `echo (2010 bytes, identical); alive`,
		run:  manyArgs(1000),
	},
	{
		name: "event-49000-arguments", from: "issue 10 #8",
		req:       "`42[\"echo\",0,0,…]`: 49,000 arguments in 98 KB (under maxHttpBufferSize)",
		node:      `closed; server down`,
		hub:       `echo (98010 bytes, identical); alive; server up`,
		alt:       []string{`closed; server up`},
		why:       "Node's whole process dies (stack overflow when the handler spreads 49,000 arguments); hub delivers the event or refuses the packet, and keeps serving",
		run:       manyArgs(49000),
		ownServer: true,
	},
	{
		name: "event-400000-arguments", from: "issue 10 #8",
		req:  "`42[\"echo\",0,0,…]`: 400,000 arguments in one 800 KB WebSocket frame (over maxHttpBufferSize)",
		node: `close 1009`,
		run: func(ctx context.Context, base string) (string, error) {
			w, err := wsConnected(ctx, base)
			if err != nil {
				return "", err
			}
			defer w.Close()
			return w.oversize(`42["echo"` + strings.Repeat(",0", 400000) + `]`).String(), nil
		},
	},
	{
		name: "event-deep-nesting", from: "issue 10 #8",
		req:  "`42[\"echo\",[[[…]]]]`: arrays nested 20,000 deep (40 KB)",
		node: `closed; server down`,
		hub:  `closed; server up`,
		why:  "Node's whole process dies (stack overflow in socket.io-parser's hasBinary when the handler re-emits); hub refuses a packet nested this deep and keeps serving",
		run: func(ctx context.Context, base string) (string, error) {
			const depth = 20000
			return wsEcho(ctx, base, `42["echo",`+strings.Repeat("[", depth)+strings.Repeat("]", depth)+`]`)
		},
		ownServer: true,
	},
}

// wsHandshake returns a row's run for a WebSocket-only handshake with the extra header lines.
func wsHandshake(header ...string) func(context.Context, string) (string, error) {
	return func(ctx context.Context, base string) (string, error) {
		w, r, err := wsDial(ctx, base, "EIO=4&transport=websocket", header...)
		if err != nil {
			return "", err
		}
		if w == nil {
			return fmt.Sprint(r.status), nil // the body is the server's own wording
		}
		defer w.Close()
		m := w.readMsg()
		return fmt.Sprintf("101; %.2s…", m.String()), nil
	}
}

// secondWebSocket sends another WebSocket handshake for sid and says what the server
// answers: its HTTP status, or 101 and the first thing read on the new socket, Engine.IO
// pings left unanswered.
func secondWebSocket(ctx context.Context, base, sid string) (string, error) {
	w, r, err := wsDial(ctx, base, "EIO=4&transport=websocket&sid="+sid)
	if err != nil {
		return "", err
	}
	if w == nil {
		return r.String(), nil
	}
	defer w.Close()
	w.pongs = false
	return "101; " + w.readMsg().String(), nil
}

// bigHeader sends a polling handshake carrying one header of n bytes, reading while it
// writes: a server may answer and close before the request is all sent. Above 64 KB a refusal
// may reach the client as a reset instead of its 431, so the two are one answer there.
func bigHeader(n int) func(context.Context, string) (string, error) {
	return func(ctx context.Context, base string) (string, error) {
		c, err := dialRaw(ctx, base)
		if err != nil {
			return "", err
		}
		defer c.Close()
		req := rawRequest(base, "GET", eio, []string{"X-Big: " + strings.Repeat("a", n), "Connection: close"}, "")
		go io.WriteString(c, req) // ends with an error when the server closes; c.Close ends it otherwise
		r, err := c.readReply("GET")
		switch {
		case isDropped(err):
			return "431 or reset", nil // the server closed before its answer was read
		case err != nil:
			return "", err
		case r.status == 431 && n > 64<<10:
			return "431 or reset", nil
		}
		return fmt.Sprintf("%d", r.status), nil
	}
}

// slowBody trickles a chunked POST body and reports whether the server dropped it before the
// row's deadline.
func slowBody(ctx context.Context, base string) (string, error) {
	sid, err := handshake(ctx, base)
	if err != nil {
		return "", err
	}
	c, err := dialRaw(ctx, base)
	if err != nil {
		return "", err
	}
	defer c.Close()
	hdr := rawRequest(base, "POST", eio+"&sid="+sid, []string{textPlain, "Transfer-Encoding: chunked"}, "")
	if _, err := io.WriteString(c, hdr+"1\r\n4\r\n"); err != nil {
		return "", err
	}
	done := make(chan string, 1)
	go func() {
		r, err := c.readReply("POST")
		switch {
		case err == nil:
			done <- "answered " + r.String()
		case isDropped(err):
			done <- "dropped"
		default:
			done <- "held" // the deadline passed with the request still open
		}
	}()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case ans := <-done:
			return ans, nil
		case <-tick.C:
			io.WriteString(c, "1\r\na\r\n") // an error here means the server dropped us: done says how
		}
	}
}

// concurrentGets sends two GETs at once; the answers are sorted, since either may be the
// one the server takes first, and followed by the session's state.
func concurrentGets(ctx context.Context, base, sid string) (string, error) {
	answers := make(chan string, 2)
	for range 2 {
		go func() {
			r, err := poll(ctx, base, sid)
			if err != nil {
				answers <- "error: " + err.Error()
				return
			}
			answers <- r.String()
		}()
	}
	a, b := <-answers, <-answers
	if b < a {
		a, b = b, a
	}
	state, err := sessionState(ctx, base, sid)
	return a + " and " + b + "; " + state, err
}

// concurrentPosts starts two POSTs that each announce 4 bytes and send 2. The overlapping one
// must be answered at once, so each gets 1.5 s to answer; the answers are sorted, since
// either may be the one the server takes first.
func concurrentPosts(ctx context.Context, base, sid string) (string, error) {
	answers := make(chan string, 2)
	for range 2 {
		c, err := dialRaw(ctx, base)
		if err != nil {
			return "", err
		}
		defer c.Close()
		req := rawRequest(base, "POST", eio+"&sid="+sid, []string{textPlain, "Content-Length: 4"}, "")
		if _, err := io.WriteString(c, req+"40"); err != nil {
			return "", err
		}
		c.SetDeadline(time.Now().Add(1500 * time.Millisecond))
		go func() {
			r, err := c.readReply("POST")
			switch {
			case err == nil:
				answers <- r.String()
			case isDropped(err):
				answers <- "EOF"
			default:
				answers <- "no answer"
			}
		}()
	}
	a, b := <-answers, <-answers
	if b < a {
		a, b = b, a
	}
	if a == "no answer" || b == "no answer" {
		return a + " and " + b, nil
	}
	state, err := sessionState(ctx, base, sid)
	return a + " and " + b + "; " + state, err
}

// pollRacingClose writes a GET, then at once a POST "1" on another connection.
func pollRacingClose(ctx context.Context, base, sid string) (string, error) {
	g, err := dialRaw(ctx, base)
	if err != nil {
		return "", err
	}
	defer g.Close()
	p, err := dialRaw(ctx, base)
	if err != nil {
		return "", err
	}
	defer p.Close()
	if _, err := io.WriteString(g, rawRequest(base, "GET", eio+"&sid="+sid, []string{"Connection: close"}, "")); err != nil {
		return "", err
	}
	if _, err := io.WriteString(p, rawRequest(base, "POST", eio+"&sid="+sid, []string{textPlain, "Connection: close"}, "1")); err != nil {
		return "", err
	}
	pr, err := p.readReply("POST")
	if err != nil {
		return "", err
	}
	gr, err := g.readReply("GET")
	if err != nil {
		return "", err
	}
	return "GET " + gr.String() + ", POST " + pr.String(), nil
}

// tenAttachments sends a binary event with ten 99,000-byte attachments (the most Node takes)
// and reads the echo.
func tenAttachments(ctx context.Context, base string) (string, error) {
	const n = 10
	w, err := wsConnected(ctx, base)
	if err != nil {
		return "", err
	}
	defer w.Close()
	header := fmt.Sprintf("45%d-[\"echo\"%s]", n, placeholders(n))
	if err := w.text(header); err != nil {
		return "", err
	}
	for i := range n {
		if err := w.binary(bytes.Repeat([]byte{byte(i)}, 99000)); err != nil {
			return "closed", nil
		}
	}
	m := w.readMsg()
	if m.closed() {
		return "closed", nil
	}
	if string(m.data) != header {
		return m.String(), nil
	}
	got := fmt.Sprintf("45%d-[\"echo\",{placeholders 0 to %d}]", n, n-1)
	for i := range n {
		m := w.readMsg()
		if m.closed() {
			return got + "; closed", nil
		}
		if m.op != wsframe.OpBinary || !bytes.Equal(m.data, bytes.Repeat([]byte{byte(i)}, 99000)) {
			return got + "; " + m.String(), nil
		}
	}
	return got + "; binary(99000) ×10", nil
}

// manyArgs sends an echo event with n arguments and describes what comes back.
func manyArgs(n int) func(context.Context, string) (string, error) {
	return func(ctx context.Context, base string) (string, error) {
		return wsEcho(ctx, base, `42["echo"`+strings.Repeat(",0", n)+`]`)
	}
}

// wsEcho sends packet on a connected WebSocket session and describes the answer: the echo
// (by size), or how the session ended.
func wsEcho(ctx context.Context, base, packet string) (string, error) {
	w, err := wsConnected(ctx, base)
	if err != nil {
		return "", err
	}
	defer w.Close()
	if err := w.text(packet); err != nil {
		return "closed", nil
	}
	m := w.readMsg()
	switch {
	case m.closed():
		return "closed", nil
	case string(m.data) == packet:
		return fmt.Sprintf("echo (%d bytes, identical); ", len(m.data)) + w.alive(), nil
	}
	return fmt.Sprintf("%.60s", m.String()), nil
}
