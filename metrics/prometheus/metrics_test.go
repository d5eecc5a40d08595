package prometheus_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/client"
	hubprom "github.com/hubkit/hub/metrics/prometheus"
)

// scrape GETs /metrics as Prometheus does and returns the samples, by metric name and
// labels, such as `hub_sockets{namespace="/"}`.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing the scrape: %v", err)
	}
	out := make(map[string]float64)
	for name, f := range families {
		for _, m := range f.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			key := name
			if len(labels) > 0 {
				key += "{" + strings.Join(labels, ",") + "}"
			}
			out[key] = value(f.GetType(), m)
		}
	}
	return out
}

func value(typ dto.MetricType, m *dto.Metric) float64 {
	switch typ {
	case dto.MetricType_COUNTER:
		return m.GetCounter().GetValue()
	case dto.MetricType_GAUGE:
		return m.GetGauge().GetValue()
	}
	return -1
}

// TestScrapedFigures runs a server with the exporter, drives a client through its life, and
// checks what a scrape of /metrics says at each step.
func TestScrapedFigures(t *testing.T) {
	reg := prometheus.NewPedanticRegistry()
	m := hubprom.New(nil)
	reg.MustRegister(m)
	obs := m.Observer()
	closed := make(chan struct{}, 1) // told after the metrics are updated
	closedFn := obs.ConnectionClosed
	obs.ConnectionClosed = func(tr string, r hub.DisconnectReason) { closedFn(tr, r); closed <- struct{}{} }
	upgraded := make(chan struct{}, 1)
	upgradedFn := obs.Upgraded
	obs.Upgraded = func(from, to string) { upgradedFn(from, to); upgraded <- struct{}{} }

	srv := hub.New(&hub.Options{Observer: obs})
	defer srv.Close()
	srv.OnConnection(func(s *hub.Socket) {
		s.On("echo", func(msg string, ack hub.Ack) { ack(msg) })
	})
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	ts := httptest.NewServer(srv.Handler(mux))
	defer ts.Close()

	resp, err := http.Get(ts.URL + "/socket.io/?EIO=3&transport=polling") // refused: code 5
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.Dial(ctx, ts.URL, &client.Options{Transports: []string{client.TransportPolling, client.TransportWebSocket}})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-upgraded:
	case <-ctx.Done():
		t.Fatal("the client did not upgrade")
	}
	if _, err := c.EmitWithAck(ctx, "echo", strings.Repeat("x", 1000)); err != nil {
		t.Fatal(err)
	}
	live := scrape(t, ts.URL)
	for key, want := range map[string]float64{
		`hub_connection_errors_total{code="5"}`:             1,
		`hub_connections_opened_total{transport="polling"}`: 1,
		`hub_upgrades_total{from="polling",to="websocket"}`: 1,
		`hub_connections{transport="polling"}`:              0,
		`hub_connections{transport="websocket"}`:            1,
		`hub_connections{transport="sse"}`:                  0,
		`hub_sockets{namespace="/"}`:                        1,
	} {
		if got, ok := live[key]; !ok || got != want {
			t.Errorf("while connected: %s = %v (present %v); want %v", key, got, ok, want)
		}
	}
	in := live[`hub_received_bytes_total{transport="polling"}`] + live[`hub_received_bytes_total{transport="websocket"}`]
	out := live[`hub_sent_bytes_total{transport="polling"}`] + live[`hub_sent_bytes_total{transport="websocket"}`]
	if in < 1000 || out < 1000 || live[`hub_sent_messages_total{transport="websocket"}`] < 1 {
		t.Errorf("while connected: %v bytes in, %v out, %v messages out on websocket; want the 1000-byte event and its answer", in, out, live[`hub_sent_messages_total{transport="websocket"}`])
	}

	c.Close()
	select {
	case <-closed:
	case <-ctx.Done():
		t.Fatal("the server did not see the connection close")
	}
	gone := scrape(t, ts.URL)
	for key, want := range map[string]float64{
		`hub_connections{transport="websocket"}`:                                           0,
		`hub_connections_closed_total{reason="transport close",transport="websocket"}`:     1,
		`hub_sockets{namespace="/"}`:                                                       0,
		`hub_socket_disconnects_total{namespace="/",reason="client namespace disconnect"}`: 1,
	} {
		if got, ok := gone[key]; !ok || got != want {
			t.Errorf("after the client left: %s = %v (present %v); want %v", key, got, ok, want)
		}
	}
}

// The metric names, help texts, types and units follow Prometheus' conventions, as its own
// linter checks them.
func TestMetricsLint(t *testing.T) {
	m := hubprom.New(&hubprom.Options{Namespace: "chat", ConstLabels: prometheus.Labels{"instance_name": "a"}})
	obs := m.Observer()
	// Give every vector a child, so that the linter sees every metric.
	obs.ConnectionOpened("websocket")
	obs.ConnectionClosed("websocket", hub.ReasonTransportClose)
	obs.ConnectionRefused(0)
	obs.Upgraded("polling", "websocket")
	obs.SocketConnected("/")
	obs.SocketDisconnected("/", hub.ReasonPingTimeout)
	obs.Received("websocket", 1, 10)
	obs.Sent("sse", 2, 20)
	obs.Dropped("polling", 1)
	obs.SlowClient("send")
	obs.AckTimeout("/")
	ao := m.AdapterObserver()
	ao.Lost("queue full", 3)
	ao.Disconnected()
	ao.Reconnected()
	problems, err := testutil.CollectAndLint(m)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", p.Metric, p.Text)
	}
	for name, want := range map[string]float64{
		"chat_adapter_lost_messages_total": 3,
		"chat_adapter_disconnects_total":   1,
		"chat_adapter_reconnects_total":    1,
	} {
		if got := testutil.ToFloat64(collectorOf(t, m, name)); got != want {
			t.Errorf("%s = %v; want %v", name, got, want)
		}
	}
	if n := testutil.CollectAndCount(m); n < 19 {
		t.Errorf("%d series collected; want every metric", n)
	}
}

// collectorOf returns the one metric called name that c collects, as a Collector.
func collectorOf(t *testing.T, c prometheus.Collector, name string) prometheus.Collector {
	t.Helper()
	ch := make(chan prometheus.Metric, 64)
	c.Collect(ch)
	close(ch)
	for m := range ch {
		if strings.Contains(m.Desc().String(), `fqName: "`+name+`"`) {
			return constCollector{m}
		}
	}
	t.Fatalf("no metric %s", name)
	return nil
}

// constCollector collects one metric.
type constCollector struct{ m prometheus.Metric }

func (c constCollector) Describe(ch chan<- *prometheus.Desc) { ch <- c.m.Desc() }
func (c constCollector) Collect(ch chan<- prometheus.Metric) { ch <- c.m }

// BenchmarkObserverSent is the exporter's cost per message queued for a client: a broadcast
// calls Sent once per recipient, from every goroutine that emits.
func BenchmarkObserverSent(b *testing.B) {
	sent := hubprom.New(nil).Observer().Sent
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			sent("websocket", 1, 120)
		}
	})
}
