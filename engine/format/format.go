// Package format encodes an mvapi answer in every wire format of the Mizu
// VoIP server API: text, cleartext, html, xml, soap, json and jsonp.
//
// Every format carries the same facts: the status (OK or ERROR), the code
// (200 on success, 499 on failure), the answer line as a text client sees it
// and, optionally, a table of rows (the result of a customsql SELECT).
// Real clients parse text bodies by prefix and XML bodies by the root's
// direct children <code> and <text>, so the layouts here are part of the
// protocol and must not change casually.
package format

import (
	"errors"
	"io"
	"sync"
)

// Result is the transport-independent answer.
type Result struct {
	// OK reports success; it selects the code (200 or 499) and the status.
	OK bool
	// Kind is KindNone on success and says what failed otherwise (KindAuth,
	// KindInvalid, KindInternal, ...). Encoders ignore it; the engine and
	// the transports decide by it, not by Text.
	Kind Kind
	// Text is the answer line as a text client sees it, already shaped:
	// "OK: apitest (1.2.3.4)", "Your credit is $9.8",
	// "0.2 EUR, Destination: Macedonia-cellular", "OK: new nonce is:abcEOF",
	// or for failures "ERROR: auth failed: wrong key".
	Text string
	// Columns names the columns of an optional table (customsql SELECT
	// results); nil (or empty) when there is no table.
	Columns []string
	// Rows holds the table; each row has len(Columns) values and a NULL is "".
	// A short row is padded with "" and extra values are ignored.
	Rows [][]string
	// File is an optional download (a voice recording). HTTP sends it as the
	// body with its content type when the answer is OK; the encoders here
	// ignore it and render Text, which describes the file.
	File *File
	// RetryAfter is how many seconds a client past a rate limit should
	// wait (KindRateLimited); 0 otherwise.
	RetryAfter int
	// Truncated says that Rows were cut (a customsql SELECT answers at
	// most 100 rows): xml and soap add <truncated>1</truncated>, json
	// "truncated":true; the text formats say so in Text.
	Truncated bool
}

// File is a binary answer: its name, MIME type and content.
type File struct {
	Name, ContentType string
	Data              []byte
}

// Code returns the API code of r: 200 on success, 499 on failure.
func (r Result) Code() int {
	if r.OK {
		return 200
	}
	return 499
}

// status returns the status word of r: "OK" or "ERROR".
func (r Result) status() string {
	if r.OK {
		return "OK"
	}
	return "ERROR"
}

// hasTable reports whether r carries a table.
func (r Result) hasTable() bool { return len(r.Columns) > 0 }

// cell returns the value of column i in row, "" when the row is short.
func cell(row []string, i int) string {
	if i < len(row) {
		return row[i]
	}
	return ""
}

// Names of the formats.
const (
	Text      = "text"
	ClearText = "cleartext"
	HTML      = "html"
	XML       = "xml"
	SOAP      = "soap"
	JSON      = "json"
	JSONP     = "jsonp"
)

// Valid reports whether name is one of the format names (lower-case input
// expected).
func Valid(name string) bool {
	return mimeType(name) != ""
}

// mimeType returns the Content-Type of the named format, "" if unknown.
// ContentType is the Content-Type AppendEncode answers for the format
// name ("" for an unknown one).
func ContentType(name string) string { return mimeType(name) }

func mimeType(name string) string {
	switch name {
	case Text, ClearText:
		return "text/plain; charset=utf-8"
	case HTML:
		return "text/html; charset=utf-8"
	case XML:
		return "application/xml; charset=utf-8"
	case SOAP:
		return "text/xml; charset=utf-8"
	case JSON:
		return "application/json; charset=utf-8"
	case JSONP:
		return "application/javascript; charset=utf-8"
	}
	return ""
}

var (
	errFormat   = errors.New("format: unknown format")
	errCallback = errors.New("format: invalid jsonp callback")
)

// AppendEncode appends r rendered in the named format to dst and returns the
// extended buffer and the Content-Type (with charset=utf-8). callback is used
// by jsonp only. On error dst is returned unchanged.
func AppendEncode(dst []byte, name string, r Result, callback string) ([]byte, string, error) {
	ct := mimeType(name)
	switch name {
	case Text:
		return appendText(dst, r), ct, nil
	case ClearText:
		return appendClearText(dst, r), ct, nil
	case HTML:
		return appendHTML(dst, r), ct, nil
	case XML:
		return appendXML(dst, r), ct, nil
	case SOAP:
		return appendSOAP(dst, r), ct, nil
	case JSON:
		return appendJSON(dst, r), ct, nil
	case JSONP:
		if !ValidCallback(callback) {
			return dst, "", errCallback
		}
		return appendJSONP(dst, r, callback), ct, nil
	}
	return dst, "", errFormat
}

// bufPool recycles encoding buffers for Encode.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// maxPooled is the largest buffer capacity Encode returns to the pool, so a
// single huge table does not pin its memory.
const maxPooled = 64 << 10

// Encode writes r rendered in the named format to w. callback is used by
// jsonp only (it should already be validated; an invalid one is an error).
// It returns the Content-Type (with charset=utf-8). Nothing is written when
// the format or the callback is invalid.
func Encode(w io.Writer, name string, r Result, callback string) (contentType string, err error) {
	bp := bufPool.Get().(*[]byte)
	b, ct, err := AppendEncode((*bp)[:0], name, r, callback)
	if err == nil {
		_, err = w.Write(b)
	}
	if cap(b) <= maxPooled {
		*bp = b
		bufPool.Put(bp)
	}
	return ct, err
}

// appendWriter is an io.Writer appending to a byte slice, for the encoders of
// the standard library that only know io.Writer.
type appendWriter struct{ b []byte }

func (a *appendWriter) Write(p []byte) (int, error) {
	a.b = append(a.b, p...)
	return len(p), nil
}
