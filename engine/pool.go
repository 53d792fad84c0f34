package engine

import (
	"context"
	"errors"
	"log/slog"
	"sync"
)

// errPoolFull is returned when the async queue is full.
var errPoolFull = errors.New("async queue full")

// asyncPool runs asynchronous customsql and actions on a bounded number of
// workers. Close waits for every queued job.
type asyncPool struct {
	jobs   chan func(context.Context)
	wg     sync.WaitGroup
	mu     sync.RWMutex
	closed bool
	log    *slog.Logger
}

func newAsyncPool(workers, queue int, log *slog.Logger) *asyncPool {
	if workers < 1 {
		workers = 1
	}
	if queue < 1 {
		queue = 1
	}
	p := &asyncPool{jobs: make(chan func(context.Context), queue), log: log}
	p.wg.Add(workers)
	for range workers {
		go p.work()
	}
	return p
}

func (p *asyncPool) work() {
	defer p.wg.Done()
	for job := range p.jobs {
		p.run(job)
	}
}

func (p *asyncPool) run(job func(context.Context)) {
	defer func() {
		if r := recover(); r != nil {
			p.log.Error("async job panicked", "panic", r)
		}
	}()
	job(context.Background())
}

// submit queues job or returns errPoolFull; it never blocks.
func (p *asyncPool) submit(job func(context.Context)) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return errors.New("server is shutting down")
	}
	select {
	case p.jobs <- job:
		return nil
	default:
		return errPoolFull
	}
}

// close stops accepting jobs and waits until the queued ones have run.
func (p *asyncPool) close() {
	p.mu.Lock()
	if !p.closed {
		p.closed = true
		close(p.jobs)
	}
	p.mu.Unlock()
	p.wg.Wait()
}
