package hub_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/client"
	"github.com/hubkit/hub/hubtest"
)

// With Options.Parser set to MsgpackParser the server speaks socket.io-msgpack-parser's wire
// format: the official client needs parser: require("socket.io-msgpack-parser") (or the
// served /socket.io/socket.io.msgpack.min.js), hub's Go client Options.Parser. Handlers are
// unchanged: arguments decode as they do with JSON, []byte at any depth included.
func ExampleMsgpackParser() {
	srv := hub.New(&hub.Options{Parser: hub.MsgpackParser()})
	srv.OnConnection(func(s *hub.Socket) {
		s.On("photo", func(p struct {
			Name  string
			Bytes []byte
		}, ack hub.Ack) {
			ack(fmt.Sprintf("%s: %d bytes", p.Name, len(p.Bytes)))
		})
	})
	ts := hubtest.NewServer(srv, nil)
	defer ts.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := ts.Dial(ctx, "/", &client.Options{Parser: client.MsgpackParser()})
	if err != nil {
		log.Fatal(err)
	}
	args, err := c.EmitWithAck(ctx, "photo", map[string]any{"Name": "cat.png", "Bytes": []byte{0xca, 0xfe}})
	if err != nil {
		log.Fatal(err)
	}
	var answer string
	args.Decode(0, &answer)
	fmt.Println(answer)
	// Output: cat.png: 2 bytes
}
