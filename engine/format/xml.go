package format

import (
	"encoding/xml"
	"strconv"
	"unicode/utf8"
)

// xmlHeader is the XML declaration that starts the xml and soap formats.
const xmlHeader = `<?xml version="1.0" encoding="UTF-8"?>` + "\n"

// appendXML renders the xml format: the declaration and one root <mvapi>
// whose first direct children are <code> and <text>, then <status> and, when
// there is a table, <rows>.
func appendXML(dst []byte, r Result) []byte {
	dst = append(dst, xmlHeader...)
	dst = append(dst, "<mvapi>"...)
	dst = appendXMLChildren(dst, r)
	return append(dst, "</mvapi>\n"...)
}

// appendSOAP renders the soap format: a SOAP 1.1 envelope whose body holds
// an <mvapiResponse> with the same children as the xml format's root.
func appendSOAP(dst []byte, r Result) []byte {
	dst = append(dst, xmlHeader...)
	dst = append(dst, `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">`+
		"<soap:Body><mvapiResponse>"...)
	dst = appendXMLChildren(dst, r)
	return append(dst, "</mvapiResponse></soap:Body></soap:Envelope>\n"...)
}

// appendXMLChildren appends the children shared by the xml and soap formats:
// <code>, <text>, <status>, <truncated>1</truncated> when the rows were
// cut and, when there is a table,
// <rows><row><COLUMN>value</COLUMN>...</row>...</rows>.
func appendXMLChildren(dst []byte, r Result) []byte {
	dst = append(dst, "<code>"...)
	dst = strconv.AppendInt(dst, int64(r.Code()), 10)
	dst = append(dst, "</code><text>"...)
	aw := &appendWriter{b: dst}
	escapeXML(aw, r.Text)
	aw.b = append(aw.b, "</text><status>"...)
	aw.b = append(aw.b, r.status()...)
	aw.b = append(aw.b, "</status>"...)
	if r.Truncated {
		aw.b = append(aw.b, "<truncated>1</truncated>"...)
	}
	if !r.hasTable() {
		return aw.b
	}
	names := make([][]byte, len(r.Columns))
	for i, col := range r.Columns {
		names[i] = appendXMLName(nil, col)
	}
	aw.b = append(aw.b, "<rows>"...)
	for _, row := range r.Rows {
		aw.b = append(aw.b, "<row>"...)
		for i, name := range names {
			aw.b = append(append(append(aw.b, '<'), name...), '>')
			escapeXML(aw, cell(row, i))
			aw.b = append(append(append(aw.b, "</"...), name...), '>')
		}
		aw.b = append(aw.b, "</row>"...)
	}
	return append(aw.b, "</rows>"...)
}

// escapeXML appends s to aw escaped by encoding/xml, which also replaces
// invalid UTF-8 and characters outside the XML 1.0 range with U+FFFD.
func escapeXML(aw *appendWriter, s string) {
	// Writing to an appendWriter cannot fail.
	_ = xml.EscapeText(aw, []byte(s))
}

// appendXMLName appends name made into a valid XML element name: every
// character other than an ASCII letter, digit, '_', '-' or '.' becomes '_',
// and a name that does not start with a letter or '_' (including the empty
// name) gets a leading '_'.
func appendXMLName(dst []byte, name string) []byte {
	if name == "" || !isNameStart(name[0]) {
		dst = append(dst, '_')
	}
	for _, c := range name {
		if c < utf8.RuneSelf && (isNameStart(byte(c)) || isNameByte(byte(c))) {
			dst = append(dst, byte(c))
		} else {
			dst = append(dst, '_')
		}
	}
	return dst
}

// isNameStart reports whether c may start an XML name (ASCII subset).
func isNameStart(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// isNameByte reports whether c, not a name start, may follow in an XML name
// (ASCII subset).
func isNameByte(c byte) bool {
	return c == '-' || c == '.' || '0' <= c && c <= '9'
}
