package client

import "testing"

// deep calls f under n more frames.
func deep(n int, f func() bool) bool {
	if n == 0 {
		return f()
	}
	return deep(n-1, f)
}

func TestOnHandlerGoroutine(t *testing.T) {
	if onHandlerGoroutine() {
		t.Error("test goroutine: on a handler goroutine")
	}
	d := newDispatcher()
	go runDispatcher(d)
	type result struct{ inside, deep, spawned bool }
	res := make(chan result, 1)
	d.post(func() {
		var r result
		r.inside = onHandlerGoroutine()
		r.deep = deep(500, onHandlerGoroutine) // past the first stack buffer
		spawned := make(chan bool)
		go func() { spawned <- onHandlerGoroutine() }()
		r.spawned = <-spawned
		res <- r
	})
	got := <-res
	d.close()
	<-d.done
	if want := (result{true, true, false}); got != want {
		t.Errorf("got %+v; want %+v", got, want)
	}
}
