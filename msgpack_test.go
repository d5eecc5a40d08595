package hub_test

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/internal/parser"
	"github.com/hubkit/hub/socketio"
)

// Packets as socket.io-msgpack-parser writes them (see internal/parser/testdata).
var (
	mpConnect = mpHex("82 a474797065 00 a36e7370 a12f")                                                      // {type:0, nsp:"/"}
	mpEvent   = mpHex("84 a474797065 02 a464617461 93 a3626967 c40201ff 81a162c400 a36e7370 a12f a26964 05") // ["big", <01 ff>, {b: <>}], id 5
)

func mpHex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

func mpDecode(t *testing.T, b []byte) *parser.Packet {
	t.Helper()
	var d parser.MsgpackDecoder
	p, err := d.Binary(b)
	if err != nil {
		t.Fatalf("server sent %x, which does not decode: %v", b, err)
	}
	return p
}

// TestMsgpackOverWebSocket: with Options.Parser MsgpackParser, each packet is one binary
// WebSocket message both ways, binary values inline; a text message closes the connection,
// as with Node's msgpack parser.
func TestMsgpackOverWebSocket(t *testing.T) {
	t.Parallel()
	srv, base := newServer(t, &hub.Options{Parser: hub.MsgpackParser()})
	got := make(chan hub.Args, 1)
	srv.OnConnection(func(s *hub.Socket) {
		s.On("big", func(args hub.Args, ack hub.Ack) {
			got <- args
			ack("ok", []byte{7})
		})
	})
	c := dial(t, base, "")
	c.sendBinary(mpConnect)
	reply := mpDecode(t, c.nextBinary())
	if reply.Type != parser.Connect || reply.Namespace != "/" || !strings.HasPrefix(string(reply.Data), `{"sid":"`) {
		t.Fatalf("CONNECT reply %+v %s", reply, reply.Data)
	}
	c.sendBinary(mpEvent)
	args := recv(t, got)
	var b []byte
	var m map[string][]byte
	success(t, args.Decode(0, &b))
	success(t, args.Decode(1, &m))
	if args.String() != `[{"_placeholder":true,"num":0},{"b":{"_placeholder":true,"num":1}}]` || string(b) != "\x01\xff" || m["b"] == nil || len(m["b"]) != 0 {
		t.Errorf("handler got %s: %x %v", args, b, m)
	}
	ack := c.nextBinary()
	// {type:3, data:["ok", <07>], nsp:"/", id:5}, in that key order
	equal(t, "ACK", hex.EncodeToString(ack), "84a47479706503a46461746192a26f6bc40107a36e7370a12fa2696405")

	c.send(`42["big"]`)
	c.waitClosed()
}

// TestMsgpackOverPolling: over polling the binary message travels as "b" and its base64,
// both ways, as any binary Engine.IO message (the Node server does the same).
func TestMsgpackOverPolling(t *testing.T) {
	t.Parallel()
	srv, base := newServer(t, &hub.Options{Parser: hub.MsgpackParser()})
	srv.OnConnection(func(s *hub.Socket) { s.Emit("hi", []byte{1, 2, 3}) })
	c := &pollClient{t: t, base: base}
	open := c.get()
	c.sid = open[strings.Index(open, `"sid":"`)+7:]
	c.sid = c.sid[:strings.IndexByte(c.sid, '"')]
	equal(t, "POST", c.post("b"+base64.StdEncoding.EncodeToString(mpConnect)), http.StatusOK)
	var packets []*parser.Packet
	for len(packets) < 2 {
		for _, m := range strings.Split(c.get(), "\x1e") {
			if !strings.HasPrefix(m, "b") {
				t.Fatalf("poll got %q; want only b<base64> messages", m)
			}
			raw, err := base64.StdEncoding.DecodeString(m[1:])
			success(t, err)
			packets = append(packets, mpDecode(t, raw))
		}
	}
	equal(t, "CONNECT", packets[0].Type, parser.Connect)
	equal(t, "event", string(packets[1].Data), `["hi",{"_placeholder":true,"num":0}]`)
	equal(t, "attachment", packets[1].Attachments, [][]byte{{1, 2, 3}})
}

// TestMsgpackLimitClosesConnection: a msgpack packet past one of the parser's limits (here more
// binary values than parser.DefaultMaxMsgpackBinaries) closes the connection, as a JSON
// packet past one does.
func TestMsgpackLimitClosesConnection(t *testing.T) {
	t.Parallel()
	srv, base := newServer(t, &hub.Options{Parser: hub.MsgpackParser()})
	got := make(chan int, 1)
	srv.OnConnection(func(s *hub.Socket) {
		s.On("e", func(args hub.Args) { got <- len(args.Attachments()) })
	})
	c := dial(t, base, "")
	c.sendBinary(mpConnect)
	mpDecode(t, c.nextBinary())
	packet := func(n int) []byte { // ["e", n empty binaries]
		return mpHex("83 a474797065 02 a36e7370 a12f a464617461 dc" + hex.EncodeToString([]byte{byte((n + 1) >> 8), byte(n + 1)}) + "a165" + strings.Repeat("c400", n))
	}
	c.sendBinary(packet(parser.DefaultMaxMsgpackBinaries)) // at the limit: handled
	equal(t, "attachments at the limit", recv(t, got), parser.DefaultMaxMsgpackBinaries)
	c.sendBinary(packet(parser.DefaultMaxMsgpackBinaries + 1))
	c.waitClosed()
}

// mpPacket encodes a packet of JSON data (nil for none) as the msgpack parser does.
func mpPacket(t *testing.T, typ parser.Type, data string) []byte {
	t.Helper()
	p := parser.Packet{Type: typ, Namespace: "/", ID: parser.NoID}
	if data != "" {
		p.Data = []byte(data)
	}
	b, err := p.AppendMsgpack(nil)
	success(t, err)
	return b
}

// TestMsgpackRecovery: connection state recovery with the msgpack parser. The offset is the
// last argument of each event, the pid in the CONNECT reply; a client that lost its
// connection gets its socket back and the events it missed, binary ones as one message each.
func TestMsgpackRecovery(t *testing.T) {
	t.Parallel()
	srv, base := newServer(t, &hub.Options{Parser: hub.MsgpackParser(), ConnectionStateRecovery: &hub.ConnectionStateRecovery{}})
	sockets := make(chan *hub.Socket, 4)
	gone := make(chan hub.DisconnectReason, 4)
	srv.OnConnection(func(s *hub.Socket) {
		s.OnDisconnect(func(r hub.DisconnectReason) { gone <- r })
		sockets <- s
	})
	c := dial(t, base, "")
	c.sendBinary(mpPacket(t, parser.Connect, ""))
	var ids struct{ Sid, Pid string }
	success(t, json.Unmarshal(mpDecode(t, c.nextBinary()).Data, &ids))
	if ids.Sid == "" || ids.Pid == "" {
		t.Fatalf("CONNECT reply %+v: want a sid and a pid", ids)
	}
	s := recv(t, sockets)
	success(t, s.Emit("e", 1))
	ev := mpDecode(t, c.nextBinary())
	_, args, err := socketio.SplitEvent(ev.Data, ev.Attachments)
	success(t, err)
	var offset string
	success(t, args.Decode(args.Len()-1, &offset))
	c.close()
	equal(t, "reason", recv(t, gone), hub.ReasonTransportClose)

	success(t, srv.Emit("missed", []byte{1, 2}))
	c2 := dial(t, base, "")
	auth, _ := json.Marshal(map[string]string{"pid": ids.Pid, "offset": offset})
	c2.sendBinary(mpPacket(t, parser.Connect, string(auth)))
	missed := mpDecode(t, c2.nextBinary())
	hasPrefix(t, "missed event", string(missed.Data), `["missed",{"_placeholder":true,"num":0},"`)
	equal(t, "its binary", missed.Attachments, [][]byte{{1, 2}})
	var again struct{ Sid, Pid string }
	success(t, json.Unmarshal(mpDecode(t, c2.nextBinary()).Data, &again))
	equal(t, "same socket", again, ids)
	equal(t, "recovered", recv(t, sockets).Recovered(), true)
}
