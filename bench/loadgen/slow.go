package main

import (
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// slowReport describes the slowloris connections held during a run.
type slowReport struct {
	Clients     int     `json:"clients"`
	IntervalS   float64 `json:"interval_s"`
	OpenAtStart int64   `json:"open_at_start"` // open when the measured window began
	OpenAtEnd   int64   `json:"open_at_end"`
	MinOpen     int64   `json:"min_open"` // the fewest open during the measured window
	// Dropped counts the slow connections the server closed (each then opened again).
	Dropped         int64 `json:"dropped"`
	ConnectFailures int64 `json:"connect_failures"`
}

// slowPool holds slowloris clients: each opens a connection, sends a request line and one
// header, then one more header line every interval, never ending the head. When the server
// closes the connection (a header timeout), the client opens another one.
type slowPool struct {
	opts            options
	open            atomic.Int64
	opened          atomic.Int64 // connections that sent their request line at least once
	dropped         atomic.Int64
	connectFailures atomic.Int64
	measuringSince  atomic.Bool
	minOpen         atomic.Int64
	openAtStart     int64
	done            chan struct{}
	wg              sync.WaitGroup
}

func startSlow(opts options) *slowPool {
	pool := &slowPool{opts: opts, done: make(chan struct{})}
	pool.minOpen.Store(int64(opts.slow))
	for id := range opts.slow {
		pool.wg.Add(1)
		go pool.client(id)
	}
	return pool
}

// settle waits until every slow client has opened its connection (or failed to), then
// settle more, so that the server holds them all before the measured requests start.
func (p *slowPool) settle(wait time.Duration, deadline time.Time) {
	for p.opened.Load()+p.connectFailures.Load() < int64(p.opts.slow) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(wait)
}

// measuring marks the start of the measured window: the count of open connections from here
// on is tracked.
func (p *slowPool) measuring() {
	p.openAtStart = p.open.Load()
	p.minOpen.Store(p.openAtStart)
	p.measuringSince.Store(true)
}

func (p *slowPool) stop() *slowReport {
	report := &slowReport{
		Clients: p.opts.slow, IntervalS: p.opts.slowInterval.Seconds(), OpenAtStart: p.openAtStart,
		OpenAtEnd: p.open.Load(), MinOpen: p.minOpen.Load(),
	}
	close(p.done)
	p.wg.Wait()
	report.Dropped, report.ConnectFailures = p.dropped.Load(), p.connectFailures.Load()
	return report
}

func (p *slowPool) decrementOpen() {
	now := p.open.Add(-1)
	if p.measuringSince.Load() {
		for {
			least := p.minOpen.Load()
			if now >= least || p.minOpen.CompareAndSwap(least, now) {
				return
			}
		}
	}
}

func (p *slowPool) client(id int) {
	defer p.wg.Done()
	head := "POST " + p.opts.target.path + " HTTP/1.1\r\nHost: " + p.opts.target.addr + "\r\nContent-Type: application/json\r\n"
	for {
		connection, err := net.DialTimeout("tcp", p.opts.target.addr, p.opts.timeout)
		if err != nil {
			p.connectFailures.Add(1)
			if !p.pause(p.opts.slowInterval) {
				return
			}
			continue
		}
		if _, err := connection.Write([]byte(head)); err != nil {
			connection.Close()
			p.dropped.Add(1)
			continue
		}
		p.open.Add(1)
		p.opened.Add(1)
		// The server closing the connection (or answering, which a server may do, e.g. 408)
		// ends the read.
		closed := make(chan struct{})
		go func() {
			buffer := make([]byte, 512)
			for {
				if _, err := connection.Read(buffer); err != nil {
					close(closed)
					return
				}
			}
		}()
		line := 0
		ticker := time.NewTicker(p.opts.slowInterval)
	hold:
		for {
			select {
			case <-p.done:
				ticker.Stop()
				connection.Close()
				<-closed
				p.decrementOpen()
				return
			case <-closed:
				break hold
			case <-ticker.C:
				line++
				header := "X-Slow-" + strconv.Itoa(id) + ": " + strconv.Itoa(line) + "\r\n"
				if _, err := connection.Write([]byte(header)); err != nil {
					break hold
				}
			}
		}
		ticker.Stop()
		connection.Close()
		<-closed
		p.decrementOpen()
		p.dropped.Add(1)
		// A server that closes at once must not turn the pool into a busy loop of connects.
		if !p.pause(100 * time.Millisecond) {
			return
		}
	}
}

// pause waits d unless the pool stops first (false).
func (p *slowPool) pause(d time.Duration) bool {
	select {
	case <-p.done:
		return false
	case <-time.After(d):
		return true
	}
}
