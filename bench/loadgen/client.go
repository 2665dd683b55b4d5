package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"syscall"
	"time"
)

// target is where requests go: host:port, the path, and the Host header.
type target struct {
	addr string
	path string
}

// conn is one client connection, HTTP/1.1 over TCP, kept alive between requests.
type conn struct {
	target  target
	net     net.Conn
	reader  *bufio.Reader
	request bytes.Buffer
	// reconnects counts the connections opened after the first one.
	reconnects int
	opened     bool
}

// exchange is one request's outcome: the answer's status and body, and whether the server
// announced it would close the connection.
type exchange struct {
	status int
	body   []byte
	closes bool
}

func (c *conn) close() {
	if c.net != nil {
		c.net.Close()
		c.net = nil
	}
}

// dial opens the connection.
func (c *conn) dial(deadline time.Time) *failure {
	dialer := net.Dialer{Deadline: deadline}
	connection, err := dialer.Dial("tcp", c.target.addr)
	if err != nil {
		return transportFailure("connect", err)
	}
	if c.opened {
		c.reconnects++
	}
	c.opened = true
	c.net = connection
	c.reader = bufio.NewReaderSize(connection, 16<<10)
	return nil
}

// post sends one POST with body and reads the whole answer, connecting first when the
// connection is not open. deadline bounds the whole exchange.
func (c *conn) post(contentType string, body []byte, deadline time.Time) (exchange, *failure) {
	if c.net == nil {
		if failed := c.dial(deadline); failed != nil {
			return exchange{}, failed
		}
	}
	c.net.SetDeadline(deadline)
	c.request.Reset()
	fmt.Fprintf(&c.request, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
		c.target.path, c.target.addr, contentType, len(body))
	c.request.Write(body)
	if _, err := c.net.Write(c.request.Bytes()); err != nil {
		c.close()
		return exchange{}, transportFailure("write", err)
	}
	response, err := http.ReadResponse(c.reader, nil)
	if err != nil {
		c.close()
		return exchange{}, transportFailure("read", err)
	}
	answer, err := io.ReadAll(response.Body)
	response.Body.Close()
	if err != nil {
		c.close()
		return exchange{}, transportFailure("read", err)
	}
	if response.Close {
		c.close()
	}
	return exchange{status: response.StatusCode, body: answer, closes: response.Close}, nil
}

// transportFailure names a network error's kind: timeout, the server closing the
// connection (eof, reset), or the step's own name.
func transportFailure(step string, err error) *failure {
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		return fail("timeout", "%s: no answer in time", step)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fail("closed", "%s: the server closed the connection", step)
	case isReset(err):
		return fail("reset", "%s: %v", step, err)
	}
	return fail(step, "%v", err)
}

func isReset(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// statusFailure names a non-200 answer by its status.
func statusFailure(got exchange) *failure {
	return fail("status_"+strconv.Itoa(got.status), "%.160q", got.body)
}
