package socketio_test

import (
	"fmt"

	"github.com/hubkit/hub/socketio"
)

// An adapter builds the payload of an event with AppendArgs and reads one with SplitEvent.
func ExampleSplitEvent() {
	data, atts, err := socketio.AppendArgs(nil, []any{"photo", "cat.png", []byte{0xca, 0xfe}})
	if err != nil {
		panic(err)
	}
	p := &socketio.Packet{Type: socketio.PacketEvent, Namespace: "/", ID: socketio.NoAckID, Data: data, Attachments: atts}
	fmt.Println(string(p.Data), len(p.Attachments))

	name, args, err := socketio.SplitEvent(p.Data, p.Attachments)
	if err != nil {
		panic(err)
	}
	var file string
	var img []byte
	args.Decode(0, &file)
	args.Decode(1, &img)
	fmt.Printf("%s %s %x\n", name, file, img)
	// Output:
	// ["photo","cat.png",{"_placeholder":true,"num":0}] 1
	// photo cat.png cafe
}

// NewArgs reads the payload of an acknowledgement.
func ExampleNewArgs() {
	args, err := socketio.NewArgs([]byte(`["ok",{"n":3}]`), nil)
	if err != nil {
		panic(err)
	}
	var n struct{ N int }
	args.Decode(1, &n)
	fmt.Println(args.Len(), string(args.Raw(0)), n.N)
	// Output: 2 "ok" 3
}

// The msgpack parser is chosen by an option of the server (hub.Options.Parser) and of the
// Go client (client.Options.Parser); the zero Parser is the JSON one.
func ExampleMsgpackParser() {
	var def socketio.Parser
	fmt.Println(def, socketio.MsgpackParser(), socketio.MsgpackParser() == def)
	// Output: json msgpack false
}
