package engine

import (
	"context"
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

func TestRequestRoundTrip(t *testing.T) {
	r := httptest.NewRequest("GET", "/socket.io/?EIO=4&transport=websocket&token=a%20b", nil)
	r.Host = "example.com:8080"
	r.RemoteAddr = "192.0.2.1:54321"
	r.TLS = &tls.ConnectionState{ServerName: "example.com"}
	r.Header.Add("Cookie", "a=1")
	r.Header.Add("Cookie", "b=2")                    // two values, order kept
	r.Header.Set("X-Long", strings.Repeat("v", 300)) // a two-byte length
	r.Header.Set("X-Empty", "")
	r.Header.Set("Origin", "https://example.com")
	q := newRequest(r)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := q.build(ctx)
	if !reflect.DeepEqual(got.Header, r.Header) {
		t.Errorf("headers: got %v; want %v", got.Header, r.Header)
	}
	if got.Method != "GET" || got.RequestURI != r.RequestURI || got.Host != r.Host ||
		got.RemoteAddr != r.RemoteAddr || got.TLS != r.TLS || got.Proto != "HTTP/1.1" || got.ProtoMajor != 1 || got.ProtoMinor != 1 {
		t.Errorf("got %+v", got)
	}
	if got.URL.Path != "/socket.io/" || got.URL.Query().Get("token") != "a b" {
		t.Errorf("URL: got %v", got.URL)
	}
	if got.Context() != ctx || got.Body != http.NoBody {
		t.Errorf("context %v, body %v", got.Context(), got.Body)
	}
	if c, err := got.Cookie("b"); err != nil || c.Value != "2" {
		t.Errorf("cookie b: %v %v", c, err)
	}
	got.Header.Set("Origin", "changed") // a copy: the next one is untouched
	if o := q.build(ctx).Header.Get("Origin"); o != "https://example.com" {
		t.Errorf("second copy's Origin: %q", o)
	}
}

func TestRequestWithoutRequestURI(t *testing.T) {
	r, err := http.NewRequest("GET", "http://example.com/socket.io/?EIO=4", nil)
	if err != nil {
		t.Fatal(err)
	}
	got := newRequest(r)
	if u := got.build(context.Background()).URL.String(); u != "/socket.io/?EIO=4" {
		t.Errorf("URL: %q", u)
	}
}
