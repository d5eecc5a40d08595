package sio

import (
	"github.com/hubkit/hub/internal/eio"
	"github.com/hubkit/hub/internal/parser"
	"github.com/hubkit/hub/socketio"
)

// Msgpack reports whether p is socketio.MsgpackParser.
func Msgpack(p socketio.Parser) bool { return p == socketio.MsgpackParser() }

// NewDecoder returns a new decoder of p's packets, for one connection.
func NewDecoder(p socketio.Parser, maxAttachments int) parser.PacketDecoder {
	if Msgpack(p) {
		return new(parser.MsgpackDecoder)
	}
	return &parser.Decoder{MaxAttachments: maxAttachments}
}

// EncodeMsgpack returns the one binary Engine.IO message of p with the msgpack parser.
func EncodeMsgpack(p *parser.Packet) (eio.Packet, error) {
	b, err := p.AppendMsgpack(make([]byte, 0, 32+len(p.Data)+attachmentsLen(p.Attachments)))
	if err != nil {
		return eio.Packet{}, err
	}
	return eio.Packet{Type: eio.Message, Data: b, Binary: true}, nil
}

func attachmentsLen(atts [][]byte) int {
	n := 0
	for _, a := range atts {
		n += len(a)
	}
	return n
}
