package engine

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"net/http"
	"net/url"
	"strings"
)

// request is what a session keeps of its handshake request, for Session.Request: the
// method, URI, protocol, host, remote address, TLS state and headers, with the headers packed
// into one string: a parsed http.Request with its header map, URL and strings would be held
// for the whole session, though most applications never read it, at about three times the
// memory (BENCHMARKS.md has the figures). Request rebuilds an http.Request from it on each
// call.
type request struct {
	method, uri, proto, host, remoteAddr string
	tls                                  *tls.ConnectionState
	header                               string // per value: uvarint len(key), key, uvarint len(value), value
}

func newRequest(r *http.Request) request {
	q := request{
		method:     r.Method,
		uri:        r.RequestURI,
		proto:      r.Proto,
		host:       r.Host,
		remoteAddr: r.RemoteAddr,
		tls:        r.TLS,
	}
	if q.uri == "" { // a request made by a test or a client, not read by the server
		q.uri = r.URL.RequestURI()
	}
	n := 0
	for k, vs := range r.Header {
		for _, v := range vs {
			n += uvarintLen(len(k)) + len(k) + uvarintLen(len(v)) + len(v)
		}
	}
	var b strings.Builder
	b.Grow(n) // exactly: the string is the builder's array
	var scratch [binary.MaxVarintLen64]byte
	for k, vs := range r.Header {
		for _, v := range vs {
			b.Write(binary.AppendUvarint(scratch[:0], uint64(len(k))))
			b.WriteString(k)
			b.Write(binary.AppendUvarint(scratch[:0], uint64(len(v))))
			b.WriteString(v)
		}
	}
	q.header = b.String()
	return q
}

func uvarintLen(x int) int {
	n := 1
	for ; x >= 0x80; x >>= 7 {
		n++
	}
	return n
}

// build returns a new http.Request with ctx, made from q. Its body is http.NoBody.
func (q *request) build(ctx context.Context) *http.Request {
	r := &http.Request{
		Method:     q.method,
		Proto:      q.proto,
		Header:     make(http.Header),
		Body:       http.NoBody,
		Host:       q.host,
		RemoteAddr: q.remoteAddr,
		RequestURI: q.uri,
		TLS:        q.tls,
	}
	r.ProtoMajor, r.ProtoMinor, _ = http.ParseHTTPVersion(q.proto)
	if u, err := url.ParseRequestURI(q.uri); err == nil {
		r.URL = u
	} else {
		r.URL = &url.URL{Path: q.uri}
	}
	for h := q.header; h != ""; {
		var k, v string
		k, h = uvarintString(h)
		v, h = uvarintString(h)
		r.Header[k] = append(r.Header[k], v)
	}
	return r.WithContext(ctx)
}

// uvarintString splits a length-prefixed string (as newRequest writes them) off s.
func uvarintString(s string) (string, string) {
	n, i := 0, 0
	for shift := 0; ; shift += 7 {
		c := s[i]
		i++
		n |= int(c&0x7f) << shift
		if c < 0x80 {
			break
		}
	}
	return s[i : i+n], s[i+n:]
}
