// Package wire decodes Mizu VoIP server API requests from the wire into flat
// name/value parameters.
//
// Clients call /mvapireq/?apientry=NAME&authkey=..&authid=..&authmd5=.. over
// HTTP GET/POST, WebSocket, TCP and UDP. The transports hand the raw request
// text (a query string, or a body with its content type) to this package and
// get back an ordered list of [Param]. The package knows nothing about HTTP.
//
// Besides plain query strings the package understands request bodies in
// JSON, XML, SOAP and ini form ([ParseBody]) and undoes the obfuscation the
// Mizu WebPhone applies to requests ([Expand], [DecodeXOR]).
//
// Every parser enforces the same limits: at most 1000 parameters per request
// and parameter names of at most 128 bytes. None of them panics on any input.
package wire

import (
	"fmt"
	"net/url"
	"strings"
)

const (
	// maxParams is the largest number of parameters one request may carry.
	maxParams = 1000
	// maxNameLen is the longest parameter name accepted, in bytes.
	maxNameLen = 128
)

// Param is one decoded parameter. Name is lower-cased (parameter names are
// case-insensitive); Value is kept exactly as decoded.
type Param struct{ Name, Value string }

// ParseQuery parses a URL query string leniently and then applies [Expand]
// with xorKey.
//
// It behaves like url.ParseQuery but keeps the parameter order, lower-cases
// names, treats '+' as a space, accepts a bare "name" as name="" (the
// reference client appends "&now"), and skips empty pieces and pieces whose
// name is empty. Surrounding white space (such as a trailing CRLF on a TCP
// line) is ignored.
//
// The text may also be a whole URL or a request path: when it contains
// "mvapireq" or starts with '/' or "http", anything up to and including the
// first '?' is dropped (provided that prefix holds no '=' or '&', so a '?'
// inside a parameter value is left alone). Such a URL without a '?' and
// without any '=' carries no parameters. A single leading '?' is accepted.
//
// A bad percent-escape is an error naming the parameter. At most 1000
// parameters and names of at most 128 bytes are accepted.
func ParseQuery(raw, xorKey string) ([]Param, error) {
	params, err := parseQuery(raw)
	if err != nil {
		return nil, err
	}
	return finish(params, xorKey)
}

// parseQuery is ParseQuery without Expand.
func parseQuery(raw string) ([]Param, error) {
	raw = stripURL(strings.TrimSpace(raw))
	raw = strings.TrimPrefix(raw, "?")
	if raw == "" {
		return nil, nil
	}
	// One allocation for the parameters instead of one per doubling.
	c := collector{params: make([]Param, 0, min(strings.Count(raw, "&")+1, maxParams+1))}
	for raw != "" {
		var piece string
		piece, raw, _ = strings.Cut(raw, "&")
		if piece == "" {
			continue
		}
		rawName, rawValue, _ := strings.Cut(piece, "=")
		name, err := url.QueryUnescape(rawName)
		if err != nil {
			return nil, fmt.Errorf("wire: parameter name %q: bad percent-escape: %w", rawName, err)
		}
		value, err := url.QueryUnescape(rawValue)
		if err != nil {
			return nil, fmt.Errorf("wire: parameter %q: bad percent-escape: %w", strings.ToLower(name), err)
		}
		if err := c.add(name, value); err != nil {
			return nil, err
		}
	}
	return c.params, nil
}

// stripURL drops the scheme, host and path of a whole URL or request path,
// leaving only its query (see ParseQuery).
func stripURL(s string) string {
	lower := strings.ToLower(s)
	isURL := strings.HasPrefix(s, "/") || strings.HasPrefix(lower, "http")
	if !isURL && !strings.Contains(lower, "mvapireq") {
		return s
	}
	prefix, query, found := strings.Cut(s, "?")
	if !found {
		if strings.ContainsAny(s, "=&") {
			return s // a query that merely mentions "mvapireq"
		}
		return "" // a bare path: no parameters
	}
	if strings.ContainsAny(prefix, "=&") {
		return s // the '?' sits inside a parameter value
	}
	return query
}

// collector accumulates parameters while enforcing the package limits.
type collector struct {
	params []Param
}

// add lower-cases name and appends the parameter, failing once a limit is
// exceeded. A parameter with an empty name is dropped.
func (c *collector) add(name, value string) error {
	if name == "" {
		return nil
	}
	name = strings.ToLower(name)
	if len(name) > maxNameLen {
		return fmt.Errorf("wire: parameter name %.32q... is longer than %d bytes", name, maxNameLen)
	}
	if len(c.params) >= maxParams {
		return fmt.Errorf("wire: more than %d parameters", maxParams)
	}
	c.params = append(c.params, Param{Name: name, Value: value})
	return nil
}

// finish applies Expand and re-checks the limits on its result, since the
// content of an mcrfs parameter adds to the request.
func finish(params []Param, xorKey string) ([]Param, error) {
	params, err := Expand(params, xorKey)
	if err != nil {
		return nil, err
	}
	if len(params) > maxParams {
		return nil, fmt.Errorf("wire: more than %d parameters", maxParams)
	}
	return params, nil
}
