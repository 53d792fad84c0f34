package wire

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"
)

// parseJSON parses a flat JSON object, optionally wrapped in a top-level
// "params" or "request" object; see ParseBody.
func parseJSON(body []byte) ([]Param, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("wire: json: %w", err)
	}
	if tok != json.Delim('{') {
		return nil, errors.New("wire: json: body is not an object")
	}
	var c collector
	if err := readJSONObject(dec, &c, true); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("wire: json: unexpected data after the object")
	}
	return c.params, nil
}

// readJSONObject reads the members of an object whose '{' has been consumed,
// up to and including its '}'. When top is set, a "params" or "request" member
// holding an object is read as a wrapper of further parameters.
func readJSONObject(dec *json.Decoder, c *collector, top bool) error {
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("wire: json: %w", err)
		}
		key, ok := tok.(string)
		if !ok {
			return errors.New("wire: json: object key is not a string")
		}
		if tok, err = dec.Token(); err != nil {
			return fmt.Errorf("wire: json: parameter %q: %w", key, err)
		}
		switch v := tok.(type) {
		case json.Delim:
			lower := strings.ToLower(key)
			if top && v == '{' && (lower == "params" || lower == "request") {
				if err := readJSONObject(dec, c, false); err != nil {
					return err
				}
				continue
			}
			return fmt.Errorf("wire: json: parameter %q: nested objects and arrays are not allowed", key)
		case string:
			err = c.add(key, v)
		case json.Number:
			err = c.add(key, v.String())
		case bool:
			err = c.add(key, strconv.FormatBool(v))
		case nil:
			// null: the parameter is absent.
		}
		if err != nil {
			return err
		}
	}
	if _, err := dec.Token(); err != nil { // the closing '}'
		return fmt.Errorf("wire: json: %w", err)
	}
	return nil
}

// xmlFrame is an open XML element while parsing.
type xmlFrame struct {
	name       string
	text       strings.Builder
	hasChild   bool
	structural bool // SOAP Envelope or Body: never a parameter itself
}

// parseXML collects the leaf elements of an XML document as parameters,
// unwrapping a SOAP envelope; see ParseBody. It reports whether the root was
// a SOAP Envelope.
func parseXML(body []byte) (params []Param, soap bool, err error) {
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.CharsetReader = charsetReader
	var (
		c        collector
		stack    []*xmlFrame
		rootSeen bool
	)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, false, fmt.Errorf("wire: xml: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			local := t.Name.Local
			frame := &xmlFrame{name: local}
			switch depth := len(stack); {
			case depth == 0 && rootSeen:
				return nil, false, errors.New("wire: xml: more than one root element")
			case depth == 0:
				rootSeen = true
				soap = strings.EqualFold(local, "Envelope")
				frame.structural = soap
			case depth >= MaxNesting:
				return nil, false, errTooDeep
			case depth == 1 && soap && strings.EqualFold(local, "Header"):
				if err := skipXML(dec, depth+1); err != nil {
					return nil, false, err
				}
				continue
			case depth == 1 && soap && strings.EqualFold(local, "Body"):
				frame.structural = true
			}
			if len(stack) > 0 {
				stack[len(stack)-1].hasChild = true
			}
			stack = append(stack, frame)
		case xml.CharData:
			if n := len(stack); n > 0 && !stack[n-1].hasChild {
				stack[n-1].text.Write(t)
			}
		case xml.EndElement:
			frame := stack[len(stack)-1] // the strict decoder balances elements
			stack = stack[:len(stack)-1]
			if frame.hasChild || frame.structural {
				continue
			}
			if err := c.add(frame.name, strings.TrimSpace(frame.text.String())); err != nil {
				return nil, false, err
			}
		}
	}
	if !rootSeen && len(bytes.TrimSpace(body)) > 0 {
		return nil, false, errors.New("wire: xml: no element found")
	}
	return c.params, soap, nil
}

// MaxNesting is the deepest element nesting an XML or SOAP body may have
// (the root is level 1). Real requests need 3 (Envelope, Body, the
// entry's element); a deeper body is refused at once, so that a body of
// nested elements costs no more than its first levels. JSON bodies are flat
// anyway (at most a "params" wrapper).
const MaxNesting = 32

var errTooDeep = fmt.Errorf("wire: xml: elements nested deeper than %d levels", MaxNesting)

// skipXML skips the rest of an element whose start tag (at nesting level
// depth) was just read, refusing nesting deeper than MaxNesting (xml's own
// Skip has no bound).
func skipXML(dec *xml.Decoder, depth int) error {
	for open := 1; open > 0; {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("wire: xml: %w", err)
		}
		switch tok.(type) {
		case xml.StartElement:
			open++
			if depth+open-1 > MaxNesting {
				return errTooDeep
			}
		case xml.EndElement:
			open--
		}
	}
	return nil
}

// charsetReader lets XML documents declare US-ASCII or ISO-8859-1 in
// addition to the UTF-8 that encoding/xml understands natively.
func charsetReader(label string, in io.Reader) (io.Reader, error) {
	switch strings.ToLower(label) {
	case "us-ascii", "ascii":
		return in, nil
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1":
		raw, err := io.ReadAll(in)
		if err != nil {
			return nil, err
		}
		out := make([]byte, 0, len(raw))
		for _, b := range raw {
			out = utf8.AppendRune(out, rune(b))
		}
		return bytes.NewReader(out), nil
	}
	return nil, fmt.Errorf("unsupported charset %q", label)
}
