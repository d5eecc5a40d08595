package hub_test

// The package-level examples Example_chat01Serving … Example_chat11Shutdown build the chat
// room of the Socket.IO tutorial (https://socket.io/docs/v4/tutorial) step by step. Each runs
// the server in-process with hubtest and plays the users with hub's Go client; a browser with
// the official JavaScript client sees the same events.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"time"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/client"
	"github.com/hubkit/hub/hubtest"
)

func Example() {
	srv := hub.New(nil)
	srv.OnConnection(func(s *hub.Socket) {
		s.On("chat message", func(msg string) {
			srv.Emit("chat message", "echo: "+msg) // to everyone
		})
	})
	ts := hubtest.NewServer(srv, nil) // in a real program: http.ListenAndServe(":3000", srv.Handler(mux))
	defer ts.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, ts.URL, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	got := make(chan string, 1)
	c.On("chat message", func(msg string) { got <- msg })
	c.Emit("chat message", "hello")
	fmt.Println(<-got)
	// Output: echo: hello
}

// Step 1: serve the chat page, with Socket.IO beside it. [hub.Server.Handler] puts hub in
// front of the application's router: requests under /socket.io/ go to hub (which also serves
// the browser client, socket.io.js), every other one to the router.
func Example_chat01Serving() {
	srv := hub.New(nil)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `<script src="/socket.io/socket.io.js"></script><script>const socket = io();</script>`)
	})
	ts := hubtest.NewServer(srv, srv.Handler(mux)) // http.ListenAndServe(":3000", srv.Handler(mux))
	defer ts.Close()

	for _, path := range []string{"/", "/socket.io/socket.io.js", "/elsewhere"} {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			log.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		fmt.Println("GET", path, resp.Status)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := ts.Dial(ctx, "/", nil); err != nil {
		log.Fatal(err)
	}
	fmt.Println("a client connected")
	// Output:
	// GET / 200 OK
	// GET /socket.io/socket.io.js 200 OK
	// GET /elsewhere 404 Not Found
	// a client connected
}

// Step 2: a user connects and disconnects. OnConnection runs for every socket that joins the
// main namespace; OnDisconnect says why it left, in the Node server's words.
func Example_chat02Connecting() {
	srv := hub.New(nil)
	events := make(chan string, 2)
	srv.OnConnection(func(s *hub.Socket) {
		events <- "a user connected"
		s.OnDisconnect(func(reason hub.DisconnectReason) {
			events <- "user disconnected: " + string(reason)
		})
	})
	ts := hubtest.NewServer(srv, nil)
	defer ts.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := ts.Dial(ctx, "/", nil)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(<-events)
	c.Disconnect() // socket.disconnect() in the browser; closing the tab says "transport close"
	fmt.Println(<-events)
	// Output:
	// a user connected
	// user disconnected: client namespace disconnect
}

// Step 3: a "chat message" arrives at the server. The handler's parameters say what the event
// carries; hub decodes the arguments into them.
func Example_chat03Message() {
	srv := hub.New(nil)
	messages := make(chan string, 1)
	srv.OnConnection(func(s *hub.Socket) {
		s.On("chat message", func(msg string) {
			messages <- msg
		})
	})
	ts := hubtest.NewServer(srv, nil)
	defer ts.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := ts.Dial(ctx, "/", nil)
	if err != nil {
		log.Fatal(err)
	}
	c.Emit("chat message", "hello, world")
	fmt.Println("message: " + <-messages)
	// Output: message: hello, world
}

// Step 4: broadcast each message to everyone, the sender included, with [hub.Server.Emit]
// (io.emit in Node).
func Example_chat04Everyone() {
	srv := hub.New(nil)
	srv.OnConnection(func(s *hub.Socket) {
		s.On("chat message", func(msg string) {
			srv.Emit("chat message", msg)
		})
	})
	ts := hubtest.NewServer(srv, nil)
	defer ts.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	alice, err := ts.Dial(ctx, "/", nil)
	if err != nil {
		log.Fatal(err)
	}
	bob, err := ts.Dial(ctx, "/", nil)
	if err != nil {
		log.Fatal(err)
	}
	toAlice := hubtest.Record(alice, "chat message")
	toBob := hubtest.Record(bob, "chat message")

	alice.Emit("chat message", "hi everyone")
	var msg string
	if err := toAlice.Next(ctx, &msg); err != nil {
		log.Fatal(err)
	}
	fmt.Println("alice got:", msg)
	if err := toBob.Next(ctx, &msg); err != nil {
		log.Fatal(err)
	}
	fmt.Println("bob got:", msg)
	// Output:
	// alice got: hi everyone
	// bob got: hi everyone
}

// Step 5: send each message to everyone but its sender, who shows it at once, with
// [hub.Socket.Broadcast] (socket.broadcast.emit in Node).
func Example_chat05Broadcast() {
	srv := hub.New(nil)
	srv.OnConnection(func(s *hub.Socket) {
		s.On("chat message", func(msg string) {
			s.Broadcast().Emit("chat message", msg)
		})
	})
	ts := hubtest.NewServer(srv, nil)
	defer ts.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	alice, err := ts.Dial(ctx, "/", nil)
	if err != nil {
		log.Fatal(err)
	}
	bob, err := ts.Dial(ctx, "/", nil)
	if err != nil {
		log.Fatal(err)
	}
	toAlice := hubtest.Record(alice, "chat message")
	toBob := hubtest.Record(bob, "chat message")

	var msg string
	alice.Emit("chat message", "hi, it's alice")
	if err := toBob.Next(ctx, &msg); err != nil {
		log.Fatal(err)
	}
	fmt.Println("bob got:", msg)
	bob.Emit("chat message", "hi alice")
	if err := toAlice.Next(ctx, &msg); err != nil {
		log.Fatal(err)
	}
	// Events reach a client in the order they were sent: had alice been sent her own message,
	// it would have come first.
	fmt.Println("alice got:", msg)
	// Output:
	// bob got: hi, it's alice
	// alice got: hi alice
}

// Step 6: rooms. A socket joins rooms on the server ([hub.Socket.Join]); To selects the
// sockets in any of the rooms named, once each, and a socket's To leaves the sender out.
func Example_chat06Rooms() {
	srv := hub.New(nil)
	srv.OnConnection(func(s *hub.Socket) {
		s.On("join", func(room string, ack hub.Ack) {
			s.Join(room)
			ack() // the client waits for this: it is in the room from now on
		})
		s.On("chat message", func(msg string, rooms []string) {
			s.To(rooms...).Emit("chat message", msg)
		})
	})
	ts := hubtest.NewServer(srv, nil)
	defer ts.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	user := func(rooms ...string) (*client.Socket, *hubtest.Recorder) {
		c, err := ts.Dial(ctx, "/", nil)
		if err != nil {
			log.Fatal(err)
		}
		for _, room := range rooms {
			if _, err := c.EmitWithAck(ctx, "join", room); err != nil {
				log.Fatal(err)
			}
		}
		return c, hubtest.Record(c, "chat message")
	}
	alice, toAlice := user("#go", "#rust")
	bob, toBob := user("#go")
	carol, toCarol := user("#rust")

	var msg string
	bob.Emit("chat message", "hi gophers", []string{"#go"})
	if err := toAlice.Next(ctx, &msg); err != nil {
		log.Fatal(err)
	}
	fmt.Println("alice got:", msg)
	carol.Emit("chat message", "hi rustaceans", []string{"#rust"})
	if err := toAlice.Next(ctx, &msg); err != nil {
		log.Fatal(err)
	}
	fmt.Println("alice got:", msg)
	// Bob and Carol get this one first: neither was sent the other room's message.
	alice.Emit("chat message", "hi both rooms", []string{"#go", "#rust"})
	if err := toBob.Next(ctx, &msg); err != nil {
		log.Fatal(err)
	}
	fmt.Println("bob got:", msg)
	if err := toCarol.Next(ctx, &msg); err != nil {
		log.Fatal(err)
	}
	fmt.Println("carol got:", msg)
	// Output:
	// alice got: hi gophers
	// alice got: hi rustaceans
	// bob got: hi both rooms
	// carol got: hi both rooms
}

// Step 7: namespaces with an authentication middleware. [hub.Namespace.Use] runs before a
// socket is connected; a [hub.ConnectError] refuses it with data the client receives in its
// connect_error. One client connection carries the sockets of several namespaces.
func Example_chat07Namespaces() {
	srv := hub.New(nil)
	admin := srv.Of("/admin")
	admin.Use(func(s *hub.Socket) error {
		var auth struct {
			Token string `json:"token"`
		}
		json.Unmarshal(s.Handshake().Auth, &auth)
		if auth.Token != "s3cret" {
			return &hub.ConnectError{Message: "not authorized", Data: map[string]string{"hint": "log in first"}}
		}
		return nil
	})
	admin.OnConnection(func(s *hub.Socket) {
		s.Emit("hello", "welcome to /admin")
	})
	ts := hubtest.NewServer(srv, nil)
	defer ts.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := ts.Dial(ctx, "/", nil) // the main namespace needs no token
	if err != nil {
		log.Fatal(err)
	}

	// The same connection, another namespace, a wrong token.
	guest := c.Manager().Socket("/admin", &client.SocketOptions{Auth: map[string]string{"token": "guess"}})
	var refused *client.ConnectError
	if err := guest.Connect(ctx); errors.As(err, &refused) {
		fmt.Println("refused:", refused.Message, string(refused.Data))
	}

	// Another user, the right token.
	root := ts.Socket("/admin", &client.Options{Auth: map[string]string{"token": "s3cret"}})
	hello := hubtest.Record(root, "hello") // before Connect: the server says hello at once
	if err := root.Connect(ctx); err != nil {
		log.Fatal(err)
	}
	var msg string
	if err := hello.Next(ctx, &msg); err != nil {
		log.Fatal(err)
	}
	fmt.Println("admin got:", msg)
	// Output:
	// refused: not authorized {"hint":"log in first"}
	// admin got: welcome to /admin
}

// Step 8: acknowledgements, both ways, with a timeout. A handler whose last parameter is a
// [hub.Ack] answers the client's callback; [hub.Socket.EmitWithAck] waits for the client's
// answer until its context is done (socket.timeout(ms).emitWithAck in Node), and
// [hub.BroadcastOperator.EmitWithAck] collects the answers of many clients.
func Example_chat08Acks() {
	srv := hub.New(nil)
	sockets := make(chan *hub.Socket, 1)
	srv.OnConnection(func(s *hub.Socket) {
		s.On("chat message", func(msg string, ack hub.Ack) {
			ack("delivered")
		})
		s.On("hold on", func(ack hub.Ack) {}) // never answers
		sockets <- s
	})
	ts := hubtest.NewServer(srv, nil)
	defer ts.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := ts.Dial(ctx, "/", nil)
	if err != nil {
		log.Fatal(err)
	}
	c.On("are you there?", func(ack client.AckFunc) { ack("yes") })

	// Client to server.
	answer, err := c.EmitWithAck(ctx, "chat message", "hello")
	if err != nil {
		log.Fatal(err)
	}
	var status string
	answer.Decode(0, &status)
	fmt.Println("client got:", status)

	// Server to client.
	s := <-sockets
	reply, err := s.EmitWithAck(ctx, "are you there?")
	if err != nil {
		log.Fatal(err)
	}
	reply.Decode(0, &status)
	fmt.Println("server got:", status)

	// No answer within the timeout, either way.
	wait, stop := context.WithTimeout(ctx, 100*time.Millisecond)
	defer stop()
	_, err = c.EmitWithAck(wait, "hold on")
	fmt.Println("client timed out:", errors.Is(err, context.DeadlineExceeded))
	// For a broadcast, Timeout bounds the wait and the answers come back as they are.
	answers, err := srv.Timeout(100*time.Millisecond).EmitWithAck(ctx, "nobody handles this")
	fmt.Println("server timed out:", errors.Is(err, context.DeadlineExceeded), "with", len(answers), "answers")
	// Output:
	// client got: delivered
	// server got: yes
	// client timed out: true
	// server timed out: true with 0 answers
}

// Step 9: binary payloads. []byte values, at any depth, travel as binary attachments both
// ways, not as base64.
func Example_chat09Binary() {
	type image struct {
		Name string `json:"name"`
		Data []byte `json:"data"`
	}
	srv := hub.New(nil)
	srv.OnConnection(func(s *hub.Socket) {
		s.On("image", func(img image, ack hub.Ack) {
			s.Broadcast().Emit("image", img)
			ack(len(img.Data))
		})
	})
	ts := hubtest.NewServer(srv, nil)
	defer ts.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	alice, err := ts.Dial(ctx, "/", nil)
	if err != nil {
		log.Fatal(err)
	}
	bob, err := ts.Dial(ctx, "/", nil)
	if err != nil {
		log.Fatal(err)
	}
	images := hubtest.Record(bob, "image")

	answer, err := alice.EmitWithAck(ctx, "image", image{Name: "cat.png", Data: []byte{0x89, 'P', 'N', 'G'}})
	if err != nil {
		log.Fatal(err)
	}
	var n int
	answer.Decode(0, &n)
	fmt.Println("the server got", n, "bytes")
	var img image
	if err := images.Next(ctx, &img); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("bob got %s: % x\n", img.Name, img.Data)
	// Output:
	// the server got 4 bytes
	// bob got cat.png: 89 50 4e 47
}

// Step 10: "alice is typing…". The indicator is sent volatile: a client that cannot take it
// right now (its connection busy or changing transport) does not get it, rather than get it
// late. So the page must not depend on it: here the message that follows clears the
// indicator, whether or not it was shown; only that is certain, and printed.
func Example_chat10Typing() {
	srv := hub.New(nil)
	srv.OnConnection(func(s *hub.Socket) {
		s.On("typing", func(name string) {
			s.Broadcast().Volatile().Emit("typing", name)
		})
		s.On("chat message", func(name, msg string) {
			s.Broadcast().Emit("chat message", name, msg)
		})
	})
	ts := hubtest.NewServer(srv, nil)
	defer ts.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	alice, err := ts.Dial(ctx, "/", nil)
	if err != nil {
		log.Fatal(err)
	}
	bob, err := ts.Dial(ctx, "/", nil)
	if err != nil {
		log.Fatal(err)
	}
	// Bob's page. Its handlers run one at a time, in the order the events arrived.
	indicator := ""
	screen := make(chan string, 2)
	bob.On("typing", func(name string) { indicator = name + " is typing…" })
	bob.On("chat message", func(name, msg string) {
		indicator = ""
		screen <- name + ": " + msg
		screen <- "typing indicator: " + fmt.Sprintf("%q", indicator)
	})

	alice.Emit("typing", "alice")
	alice.Emit("chat message", "alice", "hi bob")
	fmt.Println(<-screen)
	fmt.Println(<-screen)
	// Output:
	// alice: hi bob
	// typing indicator: ""
}

// Step 11: graceful shutdown. [hub.Server.Shutdown] refuses new clients, flushes what is queued
// for each connected one, closes them ("server shutting down" on the server side) and waits for
// their handlers to return.
func Example_chat11Shutdown() {
	srv := hub.New(nil)
	reasons := make(chan hub.DisconnectReason, 1)
	srv.OnConnection(func(s *hub.Socket) {
		s.OnDisconnect(func(reason hub.DisconnectReason) { reasons <- reason })
	})
	ts := hubtest.NewServer(srv, nil)
	defer ts.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Over WebSocket, the client sees the close as it happens ("transport close"); one still on
	// long-polling may learn of it from its next request failing ("transport error").
	c, err := ts.Dial(ctx, "/", &client.Options{Transports: []string{client.TransportWebSocket}, DisableReconnection: true})
	if err != nil {
		log.Fatal(err)
	}
	messages := hubtest.Record(c, "chat message")
	gone := hubtest.Record(c, "disconnect")

	srv.Emit("chat message", "the server is going down")
	if err := srv.Shutdown(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("server saw:", <-reasons)

	var msg, reason string
	if err := messages.Next(ctx, &msg); err != nil {
		log.Fatal(err)
	}
	fmt.Println("client got:", msg)
	if err := gone.Next(ctx, &reason); err != nil {
		log.Fatal(err)
	}
	fmt.Println("client saw:", reason)

	_, err = ts.Dial(ctx, "/", nil)
	fmt.Println("a new client connects:", err == nil)
	// Output:
	// server saw: server shutting down
	// client got: the server is going down
	// client saw: transport close
	// a new client connects: false
}

func ExampleSocket_On() {
	type order struct {
		Item     string `json:"item"`
		Quantity int    `json:"quantity"`
	}
	srv := hub.New(nil)
	srv.OnConnection(func(s *hub.Socket) {
		// Arguments are decoded into the parameter types; the last parameter answers
		// the client's acknowledgement callback.
		s.On("order", func(o order, note string, ack hub.Ack) {
			ack(fmt.Sprintf("%d × %s (%s)", o.Quantity, o.Item, note))
		})
	})
	ts := hubtest.NewServer(srv, nil)
	defer ts.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := ts.Dial(ctx, "/", nil)
	if err != nil {
		log.Fatal(err)
	}
	answer, err := c.EmitWithAck(ctx, "order", map[string]any{"item": "tea", "quantity": 2}, "no sugar")
	if err != nil {
		log.Fatal(err)
	}
	var text string
	answer.Decode(0, &text)
	fmt.Println(text)
	// Output: 2 × tea (no sugar)
}

func ExampleSocket_EmitWithAck() {
	srv := hub.New(nil)
	result := make(chan string, 1)
	srv.OnConnection(func(s *hub.Socket) {
		// In a handler: the client's handlers answer while this one waits.
		ctx, cancel := context.WithTimeout(s.Context(), 5*time.Second)
		defer cancel()
		answer, err := s.EmitWithAck(ctx, "sum", 1, 2)
		if err != nil {
			result <- err.Error()
			return
		}
		var n int
		answer.Decode(0, &n)
		result <- fmt.Sprint("the client says 1 + 2 = ", n)
	})
	ts := hubtest.NewServer(srv, nil)
	defer ts.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := ts.Socket("/", nil)
	c.On("sum", func(a, b int, ack client.AckFunc) { ack(a + b) })
	if err := c.Connect(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println(<-result)
	// Output: the client says 1 + 2 = 3
}

func ExampleNamespace_Use() {
	srv := hub.New(nil)
	admin := srv.Of("/admin")
	admin.Use(func(s *hub.Socket) error {
		if s.Handshake().Query.Get("token") != "secret" {
			return &hub.ConnectError{Message: "not authorized", Data: map[string]int{"code": 401}}
		}
		return nil
	})
	ts := hubtest.NewServer(srv, nil)
	defer ts.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := ts.Dial(ctx, "/admin", &client.Options{Query: map[string][]string{"token": {"guess"}}})
	var refused *client.ConnectError
	if errors.As(err, &refused) {
		fmt.Println(refused.Message, string(refused.Data))
	}
	// Output: not authorized {"code":401}
}

func ExampleBroadcastOperator() {
	srv := hub.New(nil)
	srv.OnConnection(func(s *hub.Socket) {
		s.On("join", func(room string, ack hub.Ack) {
			s.Join(room)
			ack()
		})
	})
	ts := hubtest.NewServer(srv, nil)
	defer ts.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var news []*hubtest.Recorder
	for _, room := range []string{"room-alice", "room-bob"} {
		c, err := ts.Dial(ctx, "/", nil)
		if err != nil {
			log.Fatal(err)
		}
		if _, err := c.EmitWithAck(ctx, "join", room); err != nil {
			log.Fatal(err)
		}
		news = append(news, hubtest.Record(c, "news"))
	}
	alice, bob := news[0], news[1]

	srv.To("room-alice").Emit("news", "a private note")
	srv.Except("room-alice").Emit("news", "something for the others")
	var text string
	if err := alice.Next(ctx, &text); err != nil {
		log.Fatal(err)
	}
	fmt.Println("alice got", text)
	if err := bob.Next(ctx, &text); err != nil {
		log.Fatal(err)
	}
	fmt.Println("bob got", text)
	// Output:
	// alice got a private note
	// bob got something for the others
}
