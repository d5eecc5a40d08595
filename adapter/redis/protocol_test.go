package redis

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/adapter"
	"github.com/hubkit/hub/socketio"
)

// recorder is a go-redis hook that records the commands instead of sending them.
type recorder struct {
	mu   sync.Mutex
	cmds [][]any
}

func (r *recorder) DialHook(next goredis.DialHook) goredis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		panic("recorder: dial")
	}
}

func (r *recorder) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		r.mu.Lock()
		r.cmds = append(r.cmds, cmd.Args())
		r.mu.Unlock()
		if c, ok := cmd.(*goredis.IntCmd); ok {
			c.SetVal(1)
		}
		return nil
	}
}

func (r *recorder) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		for _, c := range cmds {
			r.ProcessHook(nil)(ctx, c)
		}
		return nil
	}
}

type published struct{ channel, hex string }

func (r *recorder) take() []published {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []published
	for _, args := range r.cmds {
		var payload []byte
		switch p := args[2].(type) {
		case []byte:
			payload = p
		case string:
			payload = []byte(p)
		}
		out = append(out, published{args[1].(string), hex.EncodeToString(payload)})
	}
	r.cmds = nil
	return out
}

func newRecorder(t *testing.T) (*recorder, *goredis.Client) {
	r := &recorder{}
	rdb := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:1"})
	rdb.AddHook(r)
	t.Cleanup(func() { rdb.Close() })
	return r, rdb
}

func fixtureMessages(t *testing.T, name string) []published {
	var out []published
	for _, m := range loadFixtures(t).Messages[name] {
		out = append(out, published{m.Channel, m.Hex})
	}
	if len(out) == 0 {
		t.Fatalf("no fixture messages %q", name)
	}
	return out
}

// TestEmitterAsNode publishes what @socket.io/redis-emitter 5.1 publishes, byte for byte.
func TestEmitterAsNode(t *testing.T) {
	t.Parallel()
	rec, rdb := newRecorder(t)
	e := NewEmitter(rdb, nil)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e.Emit(ctx, "hello", "world", 1.5, nil, []bool{true}))
	must(e.To("room1").Emit(ctx, "bin", []byte{1, 2, 3}, map[string]any{"nested": []byte{4}}))
	must(e.To("r1").To("r2").Except("r3").Emit(ctx, "many", map[string]any{}))
	must(e.Of("admin").Volatile().Emit(ctx, "v"))
	must(e.In("r1").SocketsJoin(ctx, "a", "b"))
	must(e.Except("r1").SocketsLeave(ctx, "a"))
	must(e.In("r1").DisconnectSockets(ctx, true))
	must(e.DisconnectSockets(ctx, false))
	must(e.ServerSideEmit(ctx, "sse", map[string]int{"x": 1}, "y"))
	if err := e.Emit(ctx, "connect"); err == nil {
		t.Error("Emit(connect): no error")
	}
	got, want := rec.take(), fixtureMessages(t, "emitter")
	if !slices.Equal(got, want) {
		for i := range max(len(got), len(want)) {
			var g, w published
			if i < len(got) {
				g = got[i]
			}
			if i < len(want) {
				w = want[i]
			}
			if g != w {
				t.Errorf("message %d: got %v; want %v", i, g, w)
			}
		}
	}
}

func packet(t *testing.T, data string, atts ...[]byte) *socketio.Packet {
	t.Helper()
	if !json.Valid([]byte(data)) {
		t.Fatalf("invalid JSON %s", data)
	}
	return &socketio.Packet{Type: socketio.PacketEvent, Namespace: "/", ID: socketio.NoAckID, Data: json.RawMessage(data), Attachments: atts}
}

// TestClassicAsNode encodes messages as @socket.io/redis-adapter 8.3's RedisAdapter does
// (same uid and request id), byte for byte, and decodes Node's.
func TestClassicAsNode(t *testing.T) {
	t.Parallel()
	f := loadFixtures(t)
	one := func(name string) published {
		ms := f.Messages[name]
		if len(ms) != 1 {
			t.Fatalf("fixture %s: %d messages", name, len(ms))
		}
		return published{ms[0].Channel, ms[0].Hex}
	}
	// Read the uid and request ids Node picked.
	c := newClassicCodec("socket.io", "/", "", false)
	emit := one("classicEmit")
	m, err := c.decode(emit.channel, unhex(t, emit.hex))
	if err != nil {
		t.Fatal(err)
	}
	uid := m.uid
	if len(uid) != 6 {
		t.Fatalf("uid %q", uid)
	}
	if got := string(appendJSON(nil, m.packet, new([][]byte))); got != `{"type":2,"data":["hello","world",1],"nsp":"/"}` {
		t.Errorf("decoded packet %s", got)
	}
	reqID := func(name string) string {
		p := one(name)
		m, err := newClassicCodec("socket.io", "/", "", false).decode(p.channel, unhex(t, p.hex))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return m.requestID
	}
	c = newClassicCodec("socket.io", "/", uid, false)
	admin := newClassicCodec("socket.io", "/admin", uid, false)
	adminUID := ""
	{
		p := one("classicJoin")
		m, err := admin.decode(p.channel, unhex(t, p.hex))
		if err != nil {
			t.Fatal(err)
		}
		adminUID = m.uid
		admin = newClassicCodec("socket.io", "/admin", adminUID, false)
		if m.typ != typeJoin || !slices.Equal(m.opts.Rooms, []string{"r"}) || !slices.Equal(m.rooms, []string{"x", "y"}) {
			t.Errorf("decoded join %+v", m)
		}
	}
	pv := func(p *socketio.Packet) *object {
		o, err := packetValue(p, true)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	cases := []struct {
		name  string
		codec *classicCodec
		m     *message
	}{
		{"classicEmit", c, &message{typ: typeBroadcast, uid: uid, packet: pv(packet(t, `["hello","world",1]`))}},
		{"classicRoomEmit", c, &message{typ: typeBroadcast, uid: uid,
			packet: pv(packet(t, `["bin",{"_placeholder":true,"num":0},{"a":[{"_placeholder":true,"num":1}]}]`, []byte{1, 2}, []byte{3})),
			opts:   adapter.BroadcastOptions{Rooms: []string{"room1"}, Except: []string{"room2"}, Flags: adapter.BroadcastFlags{Volatile: true}}}},
		{"classicRoomsEmit", c, &message{typ: typeBroadcast, uid: uid, packet: pv(packet(t, `["many"]`)),
			opts: adapter.BroadcastOptions{Rooms: []string{"r1", "r2"}}}},
		{"classicJoin", admin, &message{typ: typeJoin, uid: adminUID, opts: adapter.BroadcastOptions{Rooms: []string{"r"}}, rooms: []string{"x", "y"}}},
		{"classicLeave", c, &message{typ: typeLeave, uid: uid, opts: adapter.BroadcastOptions{Except: []string{"r"}}, rooms: []string{"x"}}},
		{"classicDisconnect", c, &message{typ: typeDisconnect, uid: uid, opts: adapter.BroadcastOptions{Rooms: []string{"r"}}, close: true}},
		{"classicServerSideEmit", c, &message{typ: typeSSE, uid: uid, packet: mustParse(t, `["sse",{"a":1},"b"]`)}},
		{"classicBroadcastAck", c, &message{typ: typeBroadcast, uid: uid, requestID: reqID("classicBroadcastAck"),
			packet: pv(packet(t, `["ack?",1]`)),
			opts:   adapter.BroadcastOptions{Rooms: []string{"r"}, Flags: adapter.BroadcastFlags{Timeout: time.Second}}}},
		{"classicFetch", c, &message{typ: typeFetch, uid: uid, requestID: reqID("classicFetch")}},
	}
	for _, tc := range cases {
		channel, payload, err := tc.codec.encode(tc.m)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		got, want := published{channel, hex.EncodeToString(payload)}, one(tc.name)
		if got != want {
			t.Errorf("%s:\n got %v\nwant %v", tc.name, got, want)
		}
		// And Node's message reads back as what we wrote.
		back, err := tc.codec.decode(want.channel, unhex(t, want.hex))
		if err != nil || back == nil || back.typ != tc.m.typ || back.uid != tc.m.uid || back.requestID != tc.m.requestID {
			t.Errorf("%s: decoded %+v, %v", tc.name, back, err)
		}
	}
}

func mustParse(t *testing.T, s string) any {
	t.Helper()
	v, err := parseJSON([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestShardedAsNode encodes messages as the sharded adapter (ClusterAdapter) does.
func TestShardedAsNode(t *testing.T) {
	t.Parallel()
	want := fixtureMessages(t, "sharded")
	m, err := newShardedCodec("socket.io", "/", "x", SubscriptionDynamic).decode(want[0].channel, unhex(t, want[0].hex))
	if err != nil {
		t.Fatal(err)
	}
	uid := m.uid
	c := newShardedCodec("socket.io", "/", uid, SubscriptionDynamic)
	pv := func(p *socketio.Packet) *object {
		o, err := packetValue(p, false)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	msgs := []*message{
		{typ: typeBroadcast, uid: uid, packet: pv(packet(t, `["hello","world",1]`))},
		{typ: typeBroadcast, uid: uid, packet: pv(packet(t, `["bin",{"_placeholder":true,"num":0}]`, []byte{1, 2})), opts: adapter.BroadcastOptions{Rooms: []string{"room1"}}},
		{typ: typeJoin, uid: uid, opts: adapter.BroadcastOptions{Rooms: []string{"r1"}, Except: []string{"r2"}}, rooms: []string{"x"}},
		{typ: typeSSE, uid: uid, packet: mustParse(t, `["sse",1]`)},
	}
	if len(msgs) != len(want) {
		t.Fatalf("%d fixtures", len(want))
	}
	for i, m := range msgs {
		channel, payload, err := c.encode(m)
		if err != nil {
			t.Fatal(err)
		}
		if got := (published{channel, hex.EncodeToString(payload)}); got != want[i] {
			t.Errorf("message %d:\n got %v\nwant %v", i, got, want[i])
		}
		back, err := c.decode(want[i].channel, unhex(t, want[i].hex))
		if err != nil || back.typ != m.typ || back.uid != uid || back.nsp != "/" {
			t.Errorf("message %d: decoded %+v, %v", i, back, err)
		}
	}
}

func TestPacketConversion(t *testing.T) {
	t.Parallel()
	p := packet(t, `["ev",{"_placeholder":true,"num":1},[{"_placeholder":true,"num":0}],"x"]`, []byte("a"), []byte("bb"))
	v, err := packetValue(p, true)
	if err != nil {
		t.Fatal(err)
	}
	b, err := appendMsgpack(nil, v)
	if err != nil {
		t.Fatal(err)
	}
	back, err := parseMsgpack(b)
	if err != nil {
		t.Fatal(err)
	}
	q, err := hubPacket(back, "/")
	if err != nil {
		t.Fatal(err)
	}
	// Attachments are renumbered in document order, as socket.io-parser does.
	if got, want := string(q.Data), `["ev",{"_placeholder":true,"num":0},[{"_placeholder":true,"num":1}],"x"]`; got != want {
		t.Errorf("data: got %s; want %s", got, want)
	}
	if len(q.Attachments) != 2 || string(q.Attachments[0]) != "bb" || string(q.Attachments[1]) != "a" {
		t.Errorf("attachments: got %q", q.Attachments)
	}
	if _, err := packetValue(packet(t, `[{"_placeholder":true,"num":3}]`, []byte("a")), true); err == nil {
		t.Error("a placeholder without its attachment: no error")
	}
}

func TestSocketInfoConversion(t *testing.T) {
	t.Parallel()
	now := time.UnixMilli(1700000000123).UTC()
	info := adapter.SocketInfo{
		ID:    "abc",
		Rooms: []string{"abc", "r1"},
		Data:  map[string]any{"user": "ann", "blob": []byte{1, 2}},
		Handshake: hub.Handshake{
			Headers: map[string][]string{"User-Agent": {"go"}, "Set-Cookie": {"a=1", "b=2"}},
			Time:    now, Issued: now.UnixMilli(), Address: "127.0.0.1", XDomain: true,
			URL: "/socket.io/?EIO=4&x=1", Query: map[string][]string{"EIO": {"4"}, "x": {"1", "2"}},
			Auth: json.RawMessage(`{"token":"t"}`),
		},
	}
	v, err := socketValue(info)
	if err != nil {
		t.Fatal(err)
	}
	js := string(appendJSON(nil, v.get("handshake").(*object).get("time"), nil))
	if js != `"Tue Nov 14 2023 22:13:20 GMT+0000 (Coordinated Universal Time)"` {
		t.Errorf("time: got %s", js)
	}
	b, _ := appendMsgpack(nil, v)
	back, err := parseMsgpack(b)
	if err != nil {
		t.Fatal(err)
	}
	got, err := socketInfo(back)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "abc" || !slices.Equal(got.Rooms, info.Rooms) || !got.Handshake.Time.Equal(now.Truncate(time.Second)) ||
		got.Handshake.Issued != info.Handshake.Issued || got.Handshake.Address != "127.0.0.1" || !got.Handshake.XDomain ||
		got.Handshake.Headers.Get("User-Agent") != "go" || len(got.Handshake.Headers["Set-Cookie"]) != 2 ||
		!slices.Equal(got.Handshake.Query["x"], []string{"1", "2"}) || string(got.Handshake.Auth) != `{"token":"t"}` {
		t.Errorf("round trip: got %+v", got)
	}
	data := got.Data.(map[string]any)
	if data["user"] != "ann" || string(data["blob"].([]byte)) != "\x01\x02" {
		t.Errorf("data: got %#v", got.Data)
	}
}

// FuzzDecode feeds arbitrary payloads to both protocols' readers, as another server or
// anyone with access to Redis could: they must never panic.
func FuzzDecode(f *testing.F) {
	for _, ms := range loadFixtures(f).Messages {
		for _, m := range ms {
			f.Add(m.Channel, unhex(f, m.Hex))
		}
	}
	classic := newClassicCodec("socket.io", "/", "me", false)
	sharded := newShardedCodec("socket.io", "/", "me", SubscriptionDynamic)
	f.Fuzz(func(t *testing.T, channel string, payload []byte) {
		for _, c := range []codec{classic, sharded} {
			for _, ch := range []string{channel, "socket.io#/#", "socket.io-request#/#", "socket.io-response#/#"} {
				m, err := c.decode(ch, payload)
				if err != nil || m == nil {
					continue
				}
				if m.packet != nil {
					hubPacket(m.packet, "/")
					argsOf(m.packet)
				}
				for _, s := range m.sockets {
					socketInfo(s)
				}
			}
		}
	})
}
