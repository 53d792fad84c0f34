package wire

import (
	"bytes"
	"fmt"
	"mime"
	"strings"
)

// Body formats reported by ParseBody.
const (
	formatQuery = "query"
	formatJSON  = "json"
	formatXML   = "xml"
	formatSOAP  = "soap"
	formatINI   = "ini"
)

// ParseBody decodes a request body according to its content type and, when
// the content type is missing or generic (text/plain,
// application/octet-stream, ...), by sniffing the content:
//
//   - application/x-www-form-urlencoded, or text that looks like a query
//     (contains '=' and no newline except trailing ones): parsed with the
//     [ParseQuery] rules; format "query".
//   - application/json (or any +json type), or a body starting with '{': a
//     flat JSON object. String, number and bool values become text, numbers
//     exactly as written; null values and empty keys are skipped. Nested objects or arrays
//     are an error, except that a top-level key "params" or "request" may
//     hold an object wrapping the parameters (flat and wrapped keys may be
//     mixed). Format "json".
//   - application/xml, text/xml (or any +xml type), or a body starting with
//     '<': any XML whose leaf elements are the parameters (local element name
//     → name, text with surrounding white space trimmed → value). A SOAP 1.1
//     or 1.2 Envelope is unwrapped (its Header is skipped); attributes are
//     ignored. Format "soap" when an Envelope was seen, else "xml".
//   - anything else: ini style, lines "key=value" with key and value trimmed
//     and taken literally (no percent-decoding). Blank lines and lines
//     starting with ';', '#' or '[' are ignored; any other line without '='
//     or with an empty key is an error. Format "ini".
//
// A leading UTF-8 byte order mark is ignored and an empty body yields no
// parameters with format "query"; multipart bodies are not supported. At most
// 1000 parameters and names of at most 128 bytes are accepted. Finally
// [Expand] is applied with xorKey.
func ParseBody(contentType string, body []byte, xorKey string) (params []Param, format string, err error) {
	body = bytes.TrimPrefix(body, []byte("\xef\xbb\xbf"))
	format, err = detectFormat(contentType, body)
	if err != nil {
		return nil, "", err
	}
	switch format {
	case formatQuery:
		params, err = parseQuery(string(body))
	case formatJSON:
		params, err = parseJSON(body)
	case formatXML:
		var soap bool
		params, soap, err = parseXML(body)
		if soap {
			format = formatSOAP
		}
	default:
		params, err = parseINI(body)
	}
	if err != nil {
		return nil, "", err
	}
	params, err = finish(params, xorKey)
	if err != nil {
		return nil, "", err
	}
	return params, format, nil
}

// detectFormat picks the body format from the media type, falling back to
// sniffing the content. It never returns formatSOAP: parseXML tells.
func detectFormat(contentType string, body []byte) (string, error) {
	mediaType := mediaTypeOf(contentType)
	switch {
	case mediaType == "application/x-www-form-urlencoded":
		return formatQuery, nil
	case mediaType == "application/json", strings.HasSuffix(mediaType, "+json"):
		return formatJSON, nil
	case mediaType == "application/xml", mediaType == "text/xml", strings.HasSuffix(mediaType, "+xml"):
		return formatXML, nil
	case strings.HasPrefix(mediaType, "multipart/"):
		return "", fmt.Errorf("wire: unsupported content type %q", mediaType)
	}

	trimmed := bytes.TrimSpace(body)
	switch {
	case len(trimmed) == 0:
		return formatQuery, nil
	case trimmed[0] == '{':
		return formatJSON, nil
	case trimmed[0] == '<':
		return formatXML, nil
	case looksLikeQuery(body):
		return formatQuery, nil
	}
	return formatINI, nil
}

// mediaTypeOf returns the lower-cased media type of a Content-Type header
// value without its parameters, tolerating malformed parameters.
func mediaTypeOf(contentType string) string {
	if mt, _, err := mime.ParseMediaType(contentType); err == nil {
		return mt
	}
	mt, _, _ := strings.Cut(contentType, ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

// looksLikeQuery reports whether body is a single line (trailing line breaks
// allowed) that contains '='.
func looksLikeQuery(body []byte) bool {
	line := bytes.TrimRight(body, "\r\n")
	return bytes.IndexByte(line, '=') >= 0 && bytes.IndexByte(line, '\n') < 0
}

// parseINI parses "key=value" lines; see ParseBody.
func parseINI(body []byte) ([]Param, error) {
	var c collector
	for n, line := range strings.Split(string(body), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.ContainsAny(line[:1], ";#[") {
			continue
		}
		key, value, found := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !found {
			return nil, fmt.Errorf("wire: ini line %d: missing '='", n+1)
		}
		if key == "" {
			return nil, fmt.Errorf("wire: ini line %d: empty parameter name", n+1)
		}
		if err := c.add(key, strings.TrimSpace(value)); err != nil {
			return nil, err
		}
	}
	return c.params, nil
}
