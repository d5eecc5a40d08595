package hub_test

import (
	"encoding/base64"
	"fmt"
	"testing"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/internal/parser"
)

// msgpackConnect returns the polling body of a msgpack CONNECT to "/" with auth {"i": i}.
func msgpackConnect(i int) string {
	p := parser.Packet{Type: parser.Connect, Namespace: "/", ID: parser.NoID, Data: fmt.Appendf(nil, `{"i":%d}`, i)}
	b, err := p.AppendMsgpack(nil)
	if err != nil {
		panic(err)
	}
	return "b" + base64.StdEncoding.EncodeToString(b)
}

// BenchmarkBroadcastMsgpack is BenchmarkBroadcast with the msgpack parser: the broadcast is
// transcoded to msgpack once, and the same binary message queued on each session.
func BenchmarkBroadcastMsgpack(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(fmt.Sprintf("sockets=%d", n), func(b *testing.B) {
			f := newPollFixtureOpts(b, n, 1, hub.Options{Parser: hub.MsgpackParser()})
			f.loop(b, every(n, 1, 0), func() {
				if err := f.srv.Emit("bcast", benchMsg); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}

// BenchmarkBroadcastMsgpackBinary is a broadcast of a 100-byte string and 1 KiB of binary
// data with the msgpack parser (one message per recipient, where JSON sends two).
func BenchmarkBroadcastMsgpackBinary(b *testing.B) {
	bin := make([]byte, 1024)
	for _, p := range []struct {
		name   string
		parser hub.Parser
	}{{"json", hub.Parser{}}, {"msgpack", hub.MsgpackParser()}} {
		b.Run("parser="+p.name, func(b *testing.B) {
			const n = 100
			f := newPollFixtureOpts(b, n, 1, hub.Options{Parser: p.parser})
			want := 1
			if p.parser == (hub.Parser{}) {
				want = 2 // the text packet and its attachment
			}
			recipients := every(n, 1, 0)
			b.ReportAllocs()
			b.ResetTimer()
			pending := 0
			for i := 0; i < b.N; i++ {
				if err := f.srv.Emit("bcast", benchMsg, bin); err != nil {
					b.Fatal(err)
				}
				if pending++; pending == drainEvery {
					f.drain(b, recipients, pending*want)
					pending = 0
				}
			}
		})
	}
}
