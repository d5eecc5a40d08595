package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/hubkit/hub/internal/leakcheck"
)

func TestMain(m *testing.M) { leakcheck.Main(m) }

// A few exchanges of the official suites, byte for byte, over polling.
func TestConformance(t *testing.T) {
	h, shutdown := newHandler()
	ts := httptest.NewServer(h)
	defer ts.Close()
	defer shutdown(t.Context())

	call := func(method, url, body string) string {
		t.Helper()
		req, _ := http.NewRequest(method, ts.URL+url, strings.NewReader(body))
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != 200 {
			t.Fatalf("%s %s: %d %s", method, url, res.StatusCode, b)
		}
		return string(b)
	}
	sidOf := regexp.MustCompile(`"sid":"([^"]+)"`)

	// Engine.IO echo, text and binary.
	open := call("GET", "/engine.io/?EIO=4&transport=polling", "")
	if !strings.HasPrefix(open, `0{"sid":"`) || !strings.Contains(open, `"upgrades":["websocket"],"pingInterval":300,"pingTimeout":200,"maxPayload":1000000}`) {
		t.Fatalf("engine open: %s", open)
	}
	eu := "/engine.io/?EIO=4&transport=polling&sid=" + sidOf.FindStringSubmatch(open)[1]
	call("POST", eu, "4hello\x1ebAQIDBA==")
	if got := call("GET", eu, ""); got != "4hello\x1ebAQIDBA==" {
		t.Fatalf("engine echo: %q", got)
	}

	// Socket.IO: connect with auth to "/" and "/custom", then message-back and the ack.
	open = call("GET", "/socket.io/?EIO=4&transport=polling", "")
	su := "/socket.io/?EIO=4&transport=polling&sid=" + sidOf.FindStringSubmatch(open)[1]
	call("POST", su, "40{\"token\":\"t\"}\x1e40/custom,")
	got := call("GET", su, "")
	want := regexp.MustCompile(`^40\{"sid":"[^"]+"\}\x1e42\["auth",\{"token":"t"\}\]\x1e40/custom,\{"sid":"[^"]+"\}\x1e42/custom,\["auth",\{\}\]$`)
	for !want.MatchString(got) && strings.Count(got, "\x1e") < 3 { // the two replies may come in two polls
		got += "\x1e" + call("GET", su, "")
	}
	if !want.MatchString(got) {
		t.Fatalf("connect replies: %q", got)
	}
	call("POST", su, `42["message",1,"2",{"3":[true]}]`)
	if got := call("GET", su, ""); got != `42["message-back",1,"2",{"3":[true]}]` {
		t.Fatalf("message-back: %q", got)
	}
	call("POST", su, `42456["message-with-ack",1,"2",{"3":[true]}]`)
	if got := call("GET", su, ""); got != `43456[1,"2",{"3":[true]}]` {
		t.Fatalf("ack: %q", got)
	}
	call("POST", su, "451-[\"message\",{\"_placeholder\":true,\"num\":0}]\x1ebAQID")
	if got := call("GET", su, ""); got != "451-[\"message-back\",{\"_placeholder\":true,\"num\":0}]\x1ebAQID" {
		t.Fatalf("binary message-back: %q", got)
	}
}
