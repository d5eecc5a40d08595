package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hubkit/hub/adapter"
)

// The two wire protocols of @socket.io/redis-adapter 8.3: the classic one of createAdapter
// (dist/index.js: broadcasts as MessagePack [uid, packet, opts] on "key#nsp#" or
// "key#nsp#room#", requests and answers as JSON or MessagePack on "key-request#nsp#" and
// "key-response#nsp#[uid#]"), and the one of createShardedAdapter (socket.io-adapter's
// ClusterAdapter messages {type, data, uid, nsp} on "key#nsp#", "key#nsp#room#" and the
// requester's "key#nsp#uid#", over sharded Pub/Sub). Both are read into a message.

// msgType says what a message is; the values are ClusterAdapter's MessageType, plus the
// classic protocol's own requests.
type msgType int

const (
	typeBroadcast   msgType = 3
	typeJoin        msgType = 4
	typeLeave       msgType = 5
	typeDisconnect  msgType = 6
	typeFetch       msgType = 7
	typeFetchResp   msgType = 8
	typeSSE         msgType = 9
	typeSSEResp     msgType = 10
	typeClientCount msgType = 11
	typeAck         msgType = 12
	typeClose       msgType = 13

	typeSockets  msgType = 100 // classic SOCKETS
	typeAllRooms msgType = 101 // classic ALL_ROOMS
	typeResponse msgType = 102 // a classic answer, read by the request it answers
)

// The classic protocol's request types (RequestType in dist/index.js).
const (
	reqSockets          = 0
	reqAllRooms         = 1
	reqRemoteJoin       = 2
	reqRemoteLeave      = 3
	reqRemoteDisconnect = 4
	reqRemoteFetch      = 5
	reqServerSideEmit   = 6
	reqBroadcast        = 7
	reqClientCount      = 8
	reqBroadcastAck     = 9
)

// message is one message between servers, in either protocol.
type message struct {
	typ       msgType
	uid       string // the sender; "" from an emitter's classic requests
	nsp       string // "" when the protocol does not say
	requestID string
	to        string // an answer's addressee (uid)

	packet  any // broadcast: the packet; server-side emit: [event, args...]; answers: the value
	opts    adapter.BroadcastOptions
	rooms   []string
	close   bool
	sockets []any
	count   int64

	sid, room string // the classic per-socket form of REMOTE_JOIN, REMOTE_LEAVE, REMOTE_DISCONNECT
}

// codec reads and writes one protocol's messages for one namespace.
type codec interface {
	// encode returns the channel and the payload of m.
	encode(m *message) (channel string, payload []byte, err error)
	// decode reads a message received on channel; nil without error means "not for us".
	decode(channel string, payload []byte) (*message, error)
	// serverCount asks Redis how many servers serve the namespace.
	serverCount(ctx context.Context, rdb goredis.UniversalClient) (int, error)
}

// newUID returns a server id: 6 characters like Node's uid2(6) for the classic protocol,
// 16 hex digits like ClusterAdapter's for the sharded one.
func newUID(sharded bool) string {
	if sharded {
		var b [8]byte
		rand.Read(b[:])
		return hex.EncodeToString(b[:])
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var b [6]byte
	rand.Read(b[:])
	for i := range b {
		b[i] = alphabet[b[i]&63]
	}
	return string(b[:])
}

// hasBinary reports whether v holds a Buffer anywhere.
func hasBinary(v any) bool {
	switch v := v.(type) {
	case []byte:
		return true
	case []any:
		for _, e := range v {
			if hasBinary(e) {
				return true
			}
		}
	case *object:
		for _, e := range v.vals {
			if hasBinary(e) {
				return true
			}
		}
	}
	return false
}

// encodeAuto writes v as JSON, or as MessagePack when it holds binary data, which JSON
// would mangle (Node reads either: a payload starting with '{' is JSON).
func encodeAuto(v any) ([]byte, error) {
	if hasBinary(v) {
		return appendMsgpack(nil, v)
	}
	return appendJSON(nil, v, nil), nil
}

// decodeAuto reads a payload as Node's adapters do: JSON if it starts with '{', MessagePack
// otherwise.
func decodeAuto(payload []byte) (any, error) {
	if len(payload) > 0 && payload[0] == '{' {
		return parseJSON(payload)
	}
	return parseMsgpack(payload)
}

func str(v any) string { s, _ := v.(string); return s }

// --- classic ---

type classicCodec struct {
	nsp              string
	uid              string
	channel          string // key#nsp#
	requestChannel   string // key-request#nsp#
	responseChannel  string // key-response#nsp#
	specificChannel  string // key-response#nsp#uid#
	specificResponse bool
}

func newClassicCodec(key, nsp, uid string, specific bool) *classicCodec {
	return &classicCodec{
		nsp:              nsp,
		uid:              uid,
		channel:          key + "#" + nsp + "#",
		requestChannel:   key + "-request#" + nsp + "#",
		responseChannel:  key + "-response#" + nsp + "#",
		specificChannel:  key + "-response#" + nsp + "#" + uid + "#",
		specificResponse: specific,
	}
}

func (c *classicCodec) serverCount(ctx context.Context, rdb goredis.UniversalClient) (int, error) {
	counts, err := rdb.PubSubNumSub(ctx, c.requestChannel).Result()
	if err != nil {
		return 0, err
	}
	return int(counts[c.requestChannel]), nil
}

func (c *classicCodec) responseTo(uid string) string {
	if c.specificResponse && uid != "" {
		return c.responseChannel + uid + "#"
	}
	return c.responseChannel
}

func (c *classicCodec) encode(m *message) (string, []byte, error) {
	var v any
	channel := c.requestChannel
	switch m.typ {
	case typeBroadcast:
		packet := m.packet.(*object)
		if m.requestID == "" {
			channel = c.channel
			if len(m.opts.Rooms) == 1 {
				channel += m.opts.Rooms[0] + "#"
			}
			b, err := appendMsgpack(nil, []any{m.uid, packet, optsValue(m.opts, true)})
			return channel, b, err
		}
		b, err := appendMsgpack(nil, obj("uid", m.uid, "requestId", m.requestID, "type", int64(reqBroadcast),
			"packet", packet, "opts", optsValue(m.opts, true)))
		return channel, b, err
	case typeJoin, typeLeave:
		typ := int64(reqRemoteJoin)
		if m.typ == typeLeave {
			typ = reqRemoteLeave
		}
		v = obj("uid", m.uid, "type", typ, "opts", optsValue(m.opts, false), "rooms", stringsValue(m.rooms))
	case typeDisconnect:
		v = obj("uid", m.uid, "type", int64(reqRemoteDisconnect), "opts", optsValue(m.opts, false), "close", m.close)
	case typeFetch:
		v = obj("uid", m.uid, "requestId", m.requestID, "type", int64(reqRemoteFetch), "opts", optsValue(m.opts, false))
	case typeSSE:
		o := obj("uid", m.uid)
		if m.requestID != "" {
			o.set("requestId", m.requestID)
		}
		o.set("type", int64(reqServerSideEmit))
		o.set("data", m.packet)
		v = o
	case typeSockets:
		v = obj("uid", m.uid, "requestId", m.requestID, "type", int64(reqSockets), "rooms", stringsValue(m.rooms))
	case typeAllRooms:
		v = obj("uid", m.uid, "requestId", m.requestID, "type", int64(reqAllRooms))
	case typeFetchResp:
		channel = c.responseTo(m.to)
		v = obj("requestId", m.requestID, "sockets", m.sockets)
	case typeSSEResp:
		channel = c.responseChannel // Node answers server-side emits on the common channel
		v = obj("type", int64(reqServerSideEmit), "requestId", m.requestID, "data", m.packet)
	case typeClientCount:
		channel = c.responseTo(m.to)
		v = obj("type", int64(reqClientCount), "requestId", m.requestID, "clientCount", m.count)
	case typeAck:
		channel = c.responseTo(m.to)
		b, err := appendMsgpack(nil, obj("type", int64(reqBroadcastAck), "requestId", m.requestID, "packet", m.packet))
		return channel, b, err
	case typeResponse:
		channel = c.responseTo(m.to)
		o := obj("requestId", m.requestID)
		if m.sockets != nil {
			o.set("sockets", m.sockets)
		}
		if m.rooms != nil {
			o.set("rooms", stringsValue(m.rooms))
		}
		v = o
	default:
		return "", nil, fmt.Errorf("redis: cannot encode message type %d", m.typ)
	}
	b, err := encodeAuto(v)
	return channel, b, err
}

func (c *classicCodec) decode(channel string, payload []byte) (*message, error) {
	switch {
	case strings.HasPrefix(channel, c.channel):
		v, err := parseMsgpack(payload)
		if err != nil {
			return nil, err
		}
		a, ok := v.([]any)
		if !ok || len(a) < 3 {
			return nil, errors.New("broadcast is not [uid, packet, opts]")
		}
		packet, ok := a[1].(*object)
		if !ok {
			return nil, errors.New("broadcast packet is not an object")
		}
		nsp := "/"
		if s, ok := packet.get("nsp").(string); ok {
			nsp = s
		}
		return &message{typ: typeBroadcast, uid: str(a[0]), nsp: nsp, packet: packet, opts: hubOptions(a[2])}, nil
	case channel == c.requestChannel:
		v, err := decodeAuto(payload)
		if err != nil {
			return nil, err
		}
		r, ok := v.(*object)
		if !ok {
			return nil, errors.New("request is not an object")
		}
		m := &message{uid: str(r.get("uid")), requestID: str(r.get("requestId")), rooms: roomList(r.get("rooms"))}
		if r.has("opts") {
			m.opts = hubOptions(r.get("opts"))
		}
		m.close = truthy(r.get("close"))
		m.sid, m.room = str(r.get("sid")), str(r.get("room"))
		typ, _ := r.get("type").(int64)
		switch typ {
		case reqSockets:
			m.typ = typeSockets
		case reqAllRooms:
			m.typ = typeAllRooms
		case reqRemoteJoin:
			m.typ = typeJoin
		case reqRemoteLeave:
			m.typ = typeLeave
		case reqRemoteDisconnect:
			m.typ = typeDisconnect
		case reqRemoteFetch:
			m.typ = typeFetch
		case reqServerSideEmit:
			m.typ = typeSSE
			m.packet = r.get("data")
			if !r.has("requestId") {
				m.requestID = ""
			}
		case reqBroadcast:
			m.typ = typeBroadcast
			m.packet = r.get("packet")
			m.nsp = c.nsp
		default:
			return nil, nil // Node ignores unknown requests too
		}
		if (m.typ == typeJoin || m.typ == typeLeave || m.typ == typeDisconnect) && !r.has("opts") && m.sid == "" {
			return nil, errors.New("request selects no sockets")
		}
		return m, nil
	case channel == c.responseChannel || channel == c.specificChannel:
		v, err := decodeAuto(payload)
		if err != nil {
			return nil, err
		}
		r, ok := v.(*object)
		if !ok {
			return nil, errors.New("response is not an object")
		}
		m := &message{typ: typeResponse, requestID: str(r.get("requestId"))}
		switch typ, _ := r.get("type").(int64); {
		case r.has("type") && typ == reqClientCount:
			m.typ = typeClientCount
			m.count, _ = r.get("clientCount").(int64)
		case r.has("type") && typ == reqBroadcastAck:
			m.typ = typeAck
			m.packet = r.get("packet")
		default:
			m.packet = r.get("data")
			if s, ok := r.get("sockets").([]any); ok {
				m.sockets = s
			}
			if r.has("rooms") {
				m.rooms = roomList(r.get("rooms"))
			}
		}
		return m, nil
	}
	return nil, nil
}

// --- sharded ---

type shardedCodec struct {
	nsp             string
	uid             string
	channel         string // key#nsp#
	responseChannel string // key#nsp#uid#
	mode            SubscriptionMode
}

func newShardedCodec(key, nsp, uid string, mode SubscriptionMode) *shardedCodec {
	ch := key + "#" + nsp + "#"
	return &shardedCodec{nsp: nsp, uid: uid, channel: ch, responseChannel: ch + uid + "#", mode: mode}
}

func (c *shardedCodec) serverCount(ctx context.Context, rdb goredis.UniversalClient) (int, error) {
	counts, err := rdb.PubSubShardNumSub(ctx, c.channel).Result()
	if err != nil {
		return 0, err
	}
	return int(counts[c.channel]), nil
}

// dynamicChannel is the channel of room.
func (c *shardedCodec) dynamicChannel(room string) string { return c.channel + room + "#" }

// looksLikeASocketID is Node's test for a private room.
func looksLikeASocketID(room string) bool { return len(room) == 20 }

func (c *shardedCodec) encode(m *message) (string, []byte, error) {
	channel := c.channel
	var data *object
	binaryOK := false
	switch m.typ {
	case typeBroadcast:
		data = obj("packet", m.packet)
		if m.requestID != "" {
			data.set("requestId", m.requestID)
		}
		data.set("opts", optsValue(m.opts, true))
		binaryOK = true
		if m.requestID == "" && len(m.opts.Rooms) == 1 &&
			((c.mode == SubscriptionDynamic && !looksLikeASocketID(m.opts.Rooms[0])) || c.mode == SubscriptionDynamicPrivate) {
			channel = c.dynamicChannel(m.opts.Rooms[0])
		}
	case typeJoin, typeLeave:
		data = obj("opts", optsValue(m.opts, true), "rooms", stringsValue(m.rooms))
	case typeDisconnect:
		data = obj("opts", optsValue(m.opts, true), "close", m.close)
	case typeFetch:
		data = obj("opts", optsValue(m.opts, true), "requestId", m.requestID)
	case typeFetchResp:
		data = obj("requestId", m.requestID, "sockets", m.sockets)
		binaryOK = true
	case typeSSE:
		data = &object{}
		if m.requestID != "" {
			data.set("requestId", m.requestID)
		}
		data.set("packet", m.packet)
		binaryOK = true
	case typeSSEResp:
		data = obj("requestId", m.requestID, "packet", m.packet)
		binaryOK = true
	case typeClientCount:
		data = obj("requestId", m.requestID, "clientCount", m.count)
	case typeAck:
		data = obj("requestId", m.requestID, "packet", m.packet)
		binaryOK = true
	default:
		return "", nil, fmt.Errorf("redis: message type %d has no sharded form", m.typ)
	}
	if m.to != "" {
		channel = c.channel + m.to + "#"
	}
	v := obj("type", int64(m.typ), "data", data, "uid", m.uid, "nsp", c.nsp)
	if binaryOK && hasBinary(data) {
		b, err := appendMsgpack(nil, v)
		return channel, b, err
	}
	return channel, appendJSON(nil, v, nil), nil
}

func (c *shardedCodec) decode(channel string, payload []byte) (*message, error) {
	v, err := decodeAuto(payload)
	if err != nil {
		return nil, err
	}
	r, ok := v.(*object)
	if !ok {
		return nil, errors.New("message is not an object")
	}
	typ, _ := r.get("type").(int64)
	m := &message{typ: msgType(typ), uid: str(r.get("uid")), nsp: str(r.get("nsp"))}
	if !r.has("nsp") {
		return nil, errors.New("message names no namespace")
	}
	data, _ := r.get("data").(*object)
	m.requestID = str(data.get("requestId"))
	if data.has("opts") {
		m.opts = hubOptions(data.get("opts"))
	}
	m.rooms = roomList(data.get("rooms"))
	m.close = truthy(data.get("close"))
	m.packet = data.get("packet")
	switch m.typ {
	case typeBroadcast, typeSSE, typeSSEResp, typeAck:
		if data == nil || !data.has("packet") {
			return nil, errors.New("message has no packet")
		}
	case typeJoin, typeLeave, typeDisconnect, typeFetch:
		if data == nil || !data.has("opts") {
			return nil, errors.New("message selects no sockets")
		}
	case typeFetchResp:
		m.sockets, _ = data.get("sockets").([]any)
	case typeClientCount:
		m.count, _ = data.get("clientCount").(int64)
	default:
		return nil, nil // heartbeats and the like
	}
	return m, nil
}
