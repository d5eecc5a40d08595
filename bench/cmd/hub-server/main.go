// Command hub-server is the hub server under test of the benchmark harness: hub with its
// defaults on 127.0.0.1, answering the events of [bench.NewHubHandler]. It prints
// "listening <port>" once it accepts connections and stops on SIGINT or SIGTERM.
//
//	go run ./bench/cmd/hub-server -port 0 -pprof
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/hubkit/hub/internal/bench"
)

func main() {
	port := flag.Int("port", 0, "TCP port on 127.0.0.1 (0: any free port)")
	withPprof := flag.Bool("pprof", false, "serve /debug/pprof/ too")
	recovery := flag.Bool("csr", false, "turn connection state recovery on")
	flag.Parse()
	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		log.Fatal(err)
	}
	srv, h := bench.NewHubHandler(*recovery)
	if *withPprof {
		mux := http.NewServeMux()
		mux.Handle("/", h)
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		h = mux
	}
	hs := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second, // as README's "Running in production"
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    16 << 10,
	}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
		<-sig
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		srv.Close()
		hs.Shutdown(ctx)
	}()
	fmt.Printf("listening %d\n", ln.Addr().(*net.TCPAddr).Port)
	if err := hs.Serve(ln); err != http.ErrServerClosed {
		log.Fatal(err)
	}
}
