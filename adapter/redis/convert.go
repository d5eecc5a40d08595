package redis

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/hubkit/hub/adapter"
	"github.com/hubkit/hub/socketio"
)

// Conversions between hub's structured values and the JavaScript values Node's adapter
// puts on the wire.

// dataValue returns the JavaScript value of a packet's JSON data: each placeholder
// {"_placeholder":true,"num":i} replaced by attachments[i], as socket.io-parser
// reconstructs a binary packet.
func dataValue(data json.RawMessage, attachments [][]byte) (any, error) {
	if len(data) == 0 {
		return undefinedValue{}, nil
	}
	v, err := parseJSON(data)
	if err != nil {
		return nil, err
	}
	if len(attachments) == 0 {
		return v, nil
	}
	return fillPlaceholders(v, attachments)
}

func fillPlaceholders(v any, atts [][]byte) (any, error) {
	switch v := v.(type) {
	case []any:
		for i, e := range v {
			f, err := fillPlaceholders(e, atts)
			if err != nil {
				return nil, err
			}
			v[i] = f
		}
	case *object:
		if b, ok := v.get("_placeholder").(bool); ok && b {
			n, ok := v.get("num").(int64)
			if !ok || n < 0 || n >= int64(len(atts)) {
				return nil, errors.New("illegal attachment placeholder")
			}
			return atts[n], nil
		}
		for i, e := range v.vals {
			f, err := fillPlaceholders(e, atts)
			if err != nil {
				return nil, err
			}
			v.vals[i] = f
		}
	}
	return v, nil
}

// packetValue returns p as Node's adapter publishes a packet: {type, data, nsp} (the sharded
// adapter leaves nsp out). Events are type 2 and acks type 3 with or without binary data,
// as in Node, whose encoder picks the binary types when sending to clients.
func packetValue(p *socketio.Packet, withNsp bool) (*object, error) {
	data, err := dataValue(p.Data, p.Attachments)
	if err != nil {
		return nil, fmt.Errorf("redis: packet data: %w", err)
	}
	typ := int64(p.Type)
	switch p.Type {
	case socketio.PacketBinaryEvent:
		typ = int64(socketio.PacketEvent)
	case socketio.PacketBinaryAck:
		typ = int64(socketio.PacketAck)
	}
	o := obj("type", typ, "data", data)
	if withNsp {
		nsp := p.Namespace
		if nsp == "" {
			nsp = "/"
		}
		o.set("nsp", nsp)
	}
	if p.ID != socketio.NoAckID {
		o.set("id", p.ID)
	}
	return o, nil
}

// hubPacket converts a packet another server published into hub's form, for namespace nsp.
func hubPacket(v any, nsp string) (*socketio.Packet, error) {
	o, ok := v.(*object)
	if !ok {
		return nil, errors.New("packet is not an object")
	}
	p := &socketio.Packet{Namespace: nsp, ID: socketio.NoAckID}
	switch typ, _ := o.get("type").(int64); typ {
	case int64(socketio.PacketEvent), int64(socketio.PacketBinaryEvent):
		p.Type = socketio.PacketEvent
	case int64(socketio.PacketAck), int64(socketio.PacketBinaryAck):
		p.Type = socketio.PacketAck
	default:
		return nil, fmt.Errorf("packet of type %v cannot be broadcast", o.get("type"))
	}
	data, ok := o.get("data").([]any)
	if !ok {
		return nil, errors.New("packet data is not an array")
	}
	p.Data = appendJSON(nil, data, &p.Attachments)
	return p, nil
}

// argsOf returns the Args of one value v: what a server's ack callback received.
func argsOf(v any) (socketio.Args, error) {
	var atts [][]byte
	data := appendJSON(nil, []any{v}, &atts)
	return socketio.NewArgs(data, atts)
}

// firstArgValue returns the JavaScript value of the first of args, undefined if none.
func firstArgValue(args socketio.Args) (any, error) {
	raw := args.Raw(0)
	if raw == nil {
		return undefinedValue{}, nil
	}
	return dataValue(raw, args.Attachments())
}

// goValue returns the JavaScript value v as encoding/json would decode it into an any
// (numbers as float64, objects as map[string]any), with Buffers as []byte and Dates as
// their JSON strings.
func goValue(v any) any {
	switch v := v.(type) {
	case undefinedValue:
		return nil
	case int64:
		return float64(v)
	case uint64:
		return float64(v)
	case time.Time:
		return v.UTC().Format("2006-01-02T15:04:05.000Z")
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = goValue(e)
		}
		return out
	case *object:
		out := make(map[string]any, len(v.keys))
		for i, k := range v.keys {
			if _, skip := v.vals[i].(undefinedValue); !skip {
				out[k] = goValue(v.vals[i])
			}
		}
		return out
	}
	return v
}

// anyValue returns the JavaScript value of a Go value, as hub would send it to a client:
// marshalled as JSON, []byte as Buffers.
func anyValue(v any) (any, error) {
	data, atts, err := socketio.AppendArgs(nil, []any{v})
	if err != nil {
		return nil, err
	}
	arr, err := dataValue(data, atts)
	if err != nil {
		return nil, err
	}
	if a, ok := arr.([]any); ok && len(a) == 1 {
		return a[0], nil
	}
	return nil, errors.New("unexpected arguments encoding")
}

// optsValue returns opts as Node's adapters publish them: {rooms, except, flags}.
func optsValue(opts adapter.BroadcastOptions, withFlags bool) *object {
	o := obj("rooms", stringsValue(opts.Rooms), "except", stringsValue(dedupe(opts.Except)))
	if withFlags {
		flags := &object{}
		if opts.Flags.Volatile {
			flags.set("volatile", true)
		}
		if opts.Flags.Timeout > 0 {
			flags.set("timeout", opts.Flags.Timeout.Milliseconds())
		}
		o.set("flags", flags)
	}
	return o
}

func dedupe(s []string) []string {
	if len(s) < 2 {
		return s
	}
	out := make([]string, 0, len(s))
	for _, e := range s {
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	return out
}

func stringsValue(s []string) []any {
	out := make([]any, len(s))
	for i, e := range s {
		out[i] = e
	}
	return out
}

// hubOptions reads broadcast options another server published.
func hubOptions(v any) adapter.BroadcastOptions {
	o, _ := v.(*object)
	opts := adapter.BroadcastOptions{Rooms: roomList(o.get("rooms")), Except: roomList(o.get("except"))}
	if flags, ok := o.get("flags").(*object); ok {
		opts.Flags.Volatile = truthy(flags.get("volatile"))
		if ms, ok := flags.get("timeout").(int64); ok && ms > 0 {
			opts.Flags.Timeout = time.Duration(ms) * time.Millisecond
		}
	}
	return opts
}

// roomList reads an array of room names; Node rooms may be numbers.
func roomList(v any) []string {
	a, _ := v.([]any)
	if len(a) == 0 {
		return nil
	}
	out := make([]string, 0, len(a))
	for _, e := range a {
		out = append(out, keyString(e))
	}
	return out
}

func truthy(v any) bool {
	switch v := v.(type) {
	case nil, undefinedValue:
		return false
	case bool:
		return v
	case int64:
		return v != 0
	case float64:
		return v != 0 && v == v
	case string:
		return v != ""
	}
	return true
}

// nodeDateLayout is how JavaScript's Date.prototype.toString writes a date, which Node's
// handshake.time holds.
const nodeDateLayout = "Mon Jan 02 2006 15:04:05 GMT-0700"

// socketValue describes a socket as Node's adapter answers fetchSockets.
func socketValue(info adapter.SocketInfo) (*object, error) {
	h := info.Handshake
	auth := any(&object{})
	if len(h.Auth) > 0 {
		v, err := parseJSON(h.Auth)
		if err != nil {
			return nil, fmt.Errorf("redis: handshake auth: %w", err)
		}
		auth = v
	}
	headers := &object{}
	for k, vs := range h.Headers {
		k = strings.ToLower(k)
		if k == "set-cookie" {
			headers.set(k, stringsValue(vs))
		} else {
			headers.set(k, strings.Join(vs, ", "))
		}
	}
	query := &object{}
	for k, vs := range h.Query {
		if len(vs) == 1 {
			query.set(k, vs[0])
		} else {
			query.set(k, stringsValue(vs))
		}
	}
	headers.order()
	query.order()
	data, err := anyValue(info.Data)
	if err != nil {
		return nil, fmt.Errorf("redis: socket data: %w", err)
	}
	handshake := obj(
		"headers", headers,
		"time", h.Time.UTC().Format(nodeDateLayout)+" (Coordinated Universal Time)",
		"address", h.Address,
		"xdomain", h.XDomain,
		"secure", h.Secure,
		"issued", h.Issued,
		"url", h.URL,
		"query", query,
		"auth", auth,
	)
	return obj("id", info.ID, "handshake", handshake, "rooms", stringsValue(info.Rooms), "data", data), nil
}

// socketInfo reads a socket description another server sent.
func socketInfo(v any) (adapter.SocketInfo, error) {
	o, ok := v.(*object)
	if !ok {
		return adapter.SocketInfo{}, errors.New("socket is not an object")
	}
	info := adapter.SocketInfo{Rooms: roomList(o.get("rooms")), Data: goValue(o.get("data"))}
	info.ID, _ = o.get("id").(string)
	h, _ := o.get("handshake").(*object)
	if h == nil {
		return info, nil
	}
	hs := &info.Handshake
	hs.Address, _ = h.get("address").(string)
	hs.XDomain = truthy(h.get("xdomain"))
	hs.Secure = truthy(h.get("secure"))
	hs.URL, _ = h.get("url").(string)
	switch issued := h.get("issued").(type) {
	case int64:
		hs.Issued = issued
	case float64:
		hs.Issued = int64(issued)
	}
	hs.Time = parseNodeDate(h.get("time"), hs.Issued)
	if headers, ok := h.get("headers").(*object); ok {
		hs.Headers = make(http.Header, len(headers.keys))
		for i, k := range headers.keys {
			hs.Headers[http.CanonicalHeaderKey(k)] = stringList(headers.vals[i])
		}
	}
	if query, ok := h.get("query").(*object); ok {
		hs.Query = make(url.Values, len(query.keys))
		for i, k := range query.keys {
			hs.Query[k] = stringList(query.vals[i])
		}
	}
	if auth := h.get("auth"); auth != nil {
		if _, undef := auth.(undefinedValue); !undef {
			hs.Auth = appendJSON(nil, auth, nil)
		}
	}
	return info, nil
}

func stringList(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case nil, undefinedValue:
		return nil
	}
	return []string{keyString(v)}
}

// parseNodeDate reads a handshake time: JavaScript's Date string, an ISO string or a Date;
// failing those, the issued milliseconds.
func parseNodeDate(v any, issued int64) time.Time {
	switch v := v.(type) {
	case time.Time:
		return v
	case string:
		s := v
		if i := strings.Index(s, " ("); i >= 0 {
			s = s[:i]
		}
		if t, err := time.Parse(nodeDateLayout, s); err == nil {
			return t
		}
		if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
			return t
		}
	}
	if issued != 0 {
		return time.UnixMilli(issued)
	}
	return time.Time{}
}
