package master

import "sync"

// coalescer runs an operation for callers that may ask concurrently.
// Callers who ask while a run is in progress are batched: when it ends,
// exactly one more run starts and all of them get its result. No request is
// lost, each caller's result comes from a run that started after it asked
// (so it sees the files as they were when it asked), and runs never overlap.
type coalescer[R any] struct {
	run     func() R
	mu      sync.Mutex
	waiting []chan R
	running bool
}

func newCoalescer[R any](run func() R) *coalescer[R] { return &coalescer[R]{run: run} }

// Do asks for a run and waits for the result of the run that serves it.
func (c *coalescer[R]) Do() R {
	ch := make(chan R, 1)
	c.mu.Lock()
	c.waiting = append(c.waiting, ch)
	if !c.running {
		c.running = true
		go c.loop()
	}
	c.mu.Unlock()
	return <-ch
}

func (c *coalescer[R]) loop() {
	for {
		c.mu.Lock()
		batch := c.waiting
		c.waiting = nil
		if len(batch) == 0 {
			c.running = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		r := c.run()
		for _, ch := range batch {
			ch <- r
		}
	}
}
