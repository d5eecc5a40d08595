package prometheus_test

import (
	"bufio"
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/client"
	hubprom "github.com/hubkit/hub/metrics/prometheus"
)

// A server exporting its metrics at /metrics, next to Socket.IO.
func Example() {
	reg := prometheus.NewRegistry()
	m := hubprom.New(nil)
	reg.MustRegister(m)
	srv := hub.New(&hub.Options{Observer: m.Observer()})
	defer srv.Close()
	connected := make(chan struct{})
	srv.OnConnection(func(s *hub.Socket) { close(connected) })
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	ts := httptest.NewServer(srv.Handler(mux)) // http.ListenAndServe(":3000", srv.Handler(mux))
	defer ts.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, ts.URL, &client.Options{Transports: []string{client.TransportWebSocket}})
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	<-connected

	resp, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	for lines.Scan() {
		if l := lines.Text(); strings.HasPrefix(l, "hub_connections{") || strings.HasPrefix(l, "hub_sockets{") {
			fmt.Println(l)
		}
	}
	// Output:
	// hub_connections{transport="polling"} 0
	// hub_connections{transport="sse"} 0
	// hub_connections{transport="websocket"} 1
	// hub_sockets{namespace="/"} 1
}
