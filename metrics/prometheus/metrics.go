// Package prometheus exports a hub server's metrics to Prometheus: a [Metrics] is a
// prometheus.Collector fed by the [hub.Observer] it makes.
//
//	m := prometheus.New(nil) // this package; import it as, say, hubprom
//	reg.MustRegister(m)      // a *client_golang/prometheus.Registry
//	srv := hub.New(&hub.Options{Observer: m.Observer()})
//	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
//
// The metrics, under the namespace of [Options] ("hub" by default):
//
//	hub_connections{transport}                    gauge    open Engine.IO connections
//	hub_connections_opened_total{transport}       counter  successful handshakes
//	hub_connections_closed_total{transport,reason} counter connections closed, by Node's reason words
//	hub_connection_errors_total{code}             counter  refused Engine.IO requests, by code (0–5)
//	hub_upgrades_total{from,to}                   counter  transport upgrades
//	hub_sockets{namespace}                        gauge    connected sockets
//	hub_socket_disconnects_total{namespace,reason} counter socket disconnections
//	hub_received_messages_total{transport}        counter  Engine.IO messages received
//	hub_received_bytes_total{transport}           counter  their payload bytes
//	hub_sent_messages_total{transport}            counter  Engine.IO messages queued for clients
//	hub_sent_bytes_total{transport}               counter  their payload bytes
//	hub_dropped_messages_total{transport}         counter  volatile messages dropped
//	hub_slow_client_disconnects_total{queue}      counter  connections closed for a full queue ("send", "receive")
//	hub_ack_timeouts_total{namespace}             counter  acknowledgements not received in time
//	hub_adapter_lost_messages_total{reason}       counter  messages for other servers lost ("queue full", "publish failed")
//	hub_adapter_disconnects_total                 counter  connections to the other servers lost
//	hub_adapter_reconnects_total                  counter  connections to the other servers restored
//
// The adapter metrics come from [Metrics.AdapterObserver], for an adapter spanning several
// servers (the Redis adapter's Options.Observer).
//
// Every label takes values from a small fixed set (see [hub.Observer]): clients cannot make
// the series grow. The Observer's funcs are a few atomic adds each; the per-message ones
// (sent, received) use counters resolved once per transport.
package prometheus

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hubkit/hub"
	"github.com/hubkit/hub/adapter"
)

// Options configure [New].
type Options struct {
	// Namespace prefixes every metric name. Default "hub".
	Namespace string
	// ConstLabels are added to every metric, such as the server's instance name.
	ConstLabels prometheus.Labels
}

// Metrics holds a server's metrics. It is a prometheus.Collector: register it once, and give
// its Observer to one server (or to several, whose figures then add up). Safe for concurrent
// use.
type Metrics struct {
	connections, sockets                              *prometheus.GaugeVec
	opened, closed, connErrors, upgrades, disconnects *prometheus.CounterVec
	received, receivedBytes, sent, sentBytes, dropped *prometheus.CounterVec
	slow, ackTimeouts, adapterLost                    *prometheus.CounterVec
	adapterDown, adapterUp                            prometheus.Counter
	collectors                                        []prometheus.Collector
	byTransport                                       map[string]*transportCounters
}

// transportCounters are the per-message counters of one transport, resolved once.
type transportCounters struct {
	received, receivedBytes, sent, sentBytes, dropped prometheus.Counter
}

// transports are the transports hub has; a name outside them is resolved on each call.
var transports = []string{"polling", "websocket", "sse"}

// New returns the metrics, registered nowhere yet. opts may be nil.
func New(opts *Options) *Metrics {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Namespace == "" {
		o.Namespace = "hub"
	}
	m := &Metrics{byTransport: make(map[string]*transportCounters)}
	gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
		v := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: o.Namespace, Name: name, Help: help, ConstLabels: o.ConstLabels}, labels)
		m.collectors = append(m.collectors, v)
		return v
	}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		v := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: o.Namespace, Name: name, Help: help, ConstLabels: o.ConstLabels}, labels)
		m.collectors = append(m.collectors, v)
		return v
	}
	m.connections = gauge("connections", "Open Engine.IO connections, by current transport.", "transport")
	m.opened = counter("connections_opened_total", "Engine.IO connections opened (successful handshakes), by transport.", "transport")
	m.closed = counter("connections_closed_total", "Engine.IO connections closed, by last transport and reason.", "transport", "reason")
	m.connErrors = counter("connection_errors_total", "Engine.IO requests refused, by Engine.IO error code (0 transport unknown, 1 session ID unknown, 2 bad handshake method, 3 bad request, 4 forbidden, 5 unsupported protocol version).", "code")
	m.upgrades = counter("upgrades_total", "Transport upgrades of Engine.IO connections.", "from", "to")
	m.sockets = gauge("sockets", "Connected Socket.IO sockets, by namespace (a dynamic child under its parent).", "namespace")
	m.disconnects = counter("socket_disconnects_total", "Socket.IO socket disconnections, by namespace and reason.", "namespace", "reason")
	m.received = counter("received_messages_total", "Engine.IO messages received from clients, by transport.", "transport")
	m.receivedBytes = counter("received_bytes_total", "Payload bytes of the Engine.IO messages received, by transport.", "transport")
	m.sent = counter("sent_messages_total", "Engine.IO messages queued for clients, by transport.", "transport")
	m.sentBytes = counter("sent_bytes_total", "Payload bytes of the Engine.IO messages queued for clients, by transport.", "transport")
	m.dropped = counter("dropped_messages_total", "Volatile messages dropped because the client was not ready, by transport.", "transport")
	m.slow = counter("slow_client_disconnects_total", "Connections closed because a queue was full: send (the client reads too slowly) or receive (it sends faster than its handlers run).", "queue")
	m.ackTimeouts = counter("ack_timeouts_total", "Acknowledgements awaited from clients that did not come in time, by namespace.", "namespace")
	m.adapterLost = counter("adapter_lost_messages_total", "Messages for the other servers the adapter lost: queue full (they were unreachable for long) or publish failed.", "reason")
	m.adapterDown = prometheus.NewCounter(prometheus.CounterOpts{Namespace: o.Namespace, Name: "adapter_disconnects_total", Help: "Connections of the adapter to the other servers lost.", ConstLabels: o.ConstLabels})
	m.adapterUp = prometheus.NewCounter(prometheus.CounterOpts{Namespace: o.Namespace, Name: "adapter_reconnects_total", Help: "Connections of the adapter to the other servers restored.", ConstLabels: o.ConstLabels})
	m.collectors = append(m.collectors, m.adapterDown, m.adapterUp)
	for _, tr := range transports {
		m.byTransport[tr] = m.resolve(tr)
		m.connections.WithLabelValues(tr) // every transport shows, at 0
	}
	return m
}

func (m *Metrics) resolve(tr string) *transportCounters {
	return &transportCounters{
		received:      m.received.WithLabelValues(tr),
		receivedBytes: m.receivedBytes.WithLabelValues(tr),
		sent:          m.sent.WithLabelValues(tr),
		sentBytes:     m.sentBytes.WithLabelValues(tr),
		dropped:       m.dropped.WithLabelValues(tr),
	}
}

func (m *Metrics) transport(tr string) *transportCounters {
	if c := m.byTransport[tr]; c != nil {
		return c
	}
	return m.resolve(tr)
}

// Observer returns the hub.Observer that feeds the metrics, for hub.Options.Observer.
func (m *Metrics) Observer() *hub.Observer {
	return &hub.Observer{
		ConnectionOpened: func(tr string) {
			m.opened.WithLabelValues(tr).Inc()
			m.connections.WithLabelValues(tr).Inc()
		},
		ConnectionClosed: func(tr string, reason hub.DisconnectReason) {
			m.closed.WithLabelValues(tr, string(reason)).Inc()
			m.connections.WithLabelValues(tr).Dec()
		},
		ConnectionRefused: func(code int) { m.connErrors.WithLabelValues(strconv.Itoa(code)).Inc() },
		Upgraded: func(from, to string) {
			m.upgrades.WithLabelValues(from, to).Inc()
			m.connections.WithLabelValues(from).Dec()
			m.connections.WithLabelValues(to).Inc()
		},
		SocketConnected: func(ns string) { m.sockets.WithLabelValues(ns).Inc() },
		SocketDisconnected: func(ns string, reason hub.DisconnectReason) {
			m.sockets.WithLabelValues(ns).Dec()
			m.disconnects.WithLabelValues(ns, string(reason)).Inc()
		},
		Received: func(tr string, messages, bytes int) {
			c := m.transport(tr)
			c.received.Add(float64(messages))
			c.receivedBytes.Add(float64(bytes))
		},
		Sent: func(tr string, messages, bytes int) {
			c := m.transport(tr)
			c.sent.Add(float64(messages))
			c.sentBytes.Add(float64(bytes))
		},
		Dropped:    func(tr string, messages int) { m.transport(tr).dropped.Add(float64(messages)) },
		SlowClient: func(queue string) { m.slow.WithLabelValues(queue).Inc() },
		AckTimeout: func(ns string) { m.ackTimeouts.WithLabelValues(ns).Inc() },
	}
}

// AdapterObserver returns the adapter.Observer that feeds the adapter metrics, for an
// adapter's options (the Redis adapter's Options.Observer).
func (m *Metrics) AdapterObserver() *adapter.Observer {
	return &adapter.Observer{
		Lost:         func(reason string, messages int) { m.adapterLost.WithLabelValues(reason).Add(float64(messages)) },
		Disconnected: func() { m.adapterDown.Inc() },
		Reconnected:  func() { m.adapterUp.Inc() },
	}
}

// Describe sends the descriptors of the metrics (prometheus.Collector).
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range m.collectors {
		c.Describe(ch)
	}
}

// Collect sends the current values of the metrics (prometheus.Collector).
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	for _, c := range m.collectors {
		c.Collect(ch)
	}
}
