package ws

import "sync"

// bufPool holds buffers of one size, so that an idle connection keeps none.
type bufPool struct {
	size int
	p    sync.Pool
}

func newBufPool(size int) *bufPool {
	bp := &bufPool{size: size}
	bp.p.New = func() any {
		b := make([]byte, size)
		return &b
	}
	return bp
}

func (bp *bufPool) get() *[]byte { return bp.p.Get().(*[]byte) }

// put returns b to the pool if it is of the pool's size.
func (bp *bufPool) put(b *[]byte) {
	if len(*b) == bp.size {
		bp.p.Put(b)
	}
}
