package format

import (
	"encoding/csv"
	"strings"
	"sync"
	"unicode/utf8"
)

// appendText renders the text format: the Text unaltered and, when there is
// a table, "\r\n" and the table as CSV with a header line and CRLF line ends.
//
// encoding/csv drops a lone CR inside a value when writing CRLF line ends,
// and a reader turns a CRLF inside a quoted value into LF.
func appendText(dst []byte, r Result) []byte {
	dst = append(dst, r.Text...)
	if !r.hasTable() {
		return dst
	}
	dst = append(dst, "\r\n"...)
	w := csvPool.Get().(*csvWriter)
	aw, cw := &w.aw, w.cw
	aw.b = dst
	writeRecord(cw, aw, r.Columns)
	var rec []string
	for _, row := range r.Rows {
		if len(row) != len(r.Columns) {
			rec = rec[:0]
			for i := range r.Columns {
				rec = append(rec, cell(row, i))
			}
			row = rec
		}
		writeRecord(cw, aw, row)
	}
	cw.Flush()
	dst = aw.b
	aw.b = nil
	csvPool.Put(w)
	return dst
}

// csvWriter is a csv.Writer (CRLF line ends) over an appendWriter, pooled:
// csv.NewWriter allocates a 4 KiB buffer each time. Between uses the
// writer is flushed and its appendWriter holds no slice.
type csvWriter struct {
	aw appendWriter
	cw *csv.Writer
}

var csvPool = sync.Pool{New: func() any {
	w := &csvWriter{}
	w.cw = csv.NewWriter(&w.aw)
	w.cw.UseCRLF = true
	return w
}}

// writeRecord writes one CSV record. encoding/csv writes a record made of a
// single empty field as an empty line, which readers skip; it is written as
// `""` instead so that a one-column NULL row survives the round trip.
func writeRecord(cw *csv.Writer, aw *appendWriter, rec []string) {
	if len(rec) == 1 && rec[0] == "" {
		cw.Flush()
		aw.b = append(aw.b, "\"\"\r\n"...)
		return
	}
	// Writing to an appendWriter cannot fail, and the fields are plain text.
	_ = cw.Write(rec)
}

// appendClearText renders the cleartext format: the Text unaltered and, when
// there is a table, one block of name=value lines per row, each block
// preceded by an empty line. CR and LF in names and values become spaces.
func appendClearText(dst []byte, r Result) []byte {
	dst = append(dst, r.Text...)
	if !r.hasTable() {
		return dst
	}
	dst = append(dst, "\r\n"...)
	for _, row := range r.Rows {
		dst = append(dst, "\r\n"...)
		for i, col := range r.Columns {
			dst = appendOneLine(dst, col)
			dst = append(dst, '=')
			dst = appendOneLine(dst, cell(row, i))
			dst = append(dst, "\r\n"...)
		}
	}
	return dst
}

// appendOneLine appends s with every CR and LF replaced by a space.
func appendOneLine(dst []byte, s string) []byte {
	for {
		i := strings.IndexAny(s, "\r\n")
		if i < 0 {
			return append(dst, s...)
		}
		dst = append(append(dst, s[:i]...), ' ')
		s = s[i+1:]
	}
}

// appendHTML renders the html format: a minimal HTML5 document (also
// well-formed XML) with the Text in a <p> and the table, if any, in a
// <table> with a <th> header row.
func appendHTML(dst []byte, r Result) []byte {
	dst = append(dst, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><title>mvapi "...)
	dst = append(dst, r.status()...)
	dst = append(dst, "</title></head><body>\n<p>"...)
	dst = appendHTMLEscaped(dst, r.Text)
	dst = append(dst, "</p>\n"...)
	if r.hasTable() {
		dst = append(dst, "<table>\n<thead><tr>"...)
		for _, col := range r.Columns {
			dst = append(dst, "<th>"...)
			dst = appendHTMLEscaped(dst, col)
			dst = append(dst, "</th>"...)
		}
		dst = append(dst, "</tr></thead>\n<tbody>\n"...)
		for _, row := range r.Rows {
			dst = append(dst, "<tr>"...)
			for i := range r.Columns {
				dst = append(dst, "<td>"...)
				dst = appendHTMLEscaped(dst, cell(row, i))
				dst = append(dst, "</td>"...)
			}
			dst = append(dst, "</tr>\n"...)
		}
		dst = append(dst, "</tbody>\n</table>\n"...)
	}
	return append(dst, "</body></html>\n"...)
}

// appendHTMLEscaped appends s escaped for HTML text and attribute values.
// Characters HTML5 forbids in a document (NUL and other controls except tab,
// LF and CR, noncharacters), form feed (so that the document stays
// well-formed XML) and invalid UTF-8 become U+FFFD.
func appendHTMLEscaped(dst []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); {
		c, w := utf8.DecodeRuneInString(s[i:])
		var esc string
		switch {
		case c == '<':
			esc = "&lt;"
		case c == '>':
			esc = "&gt;"
		case c == '&':
			esc = "&amp;"
		case c == '"':
			esc = "&#34;"
		case c == '\'':
			esc = "&#39;"
		case c == utf8.RuneError && w == 1, htmlForbidden(c):
			esc = "\uFFFD"
		default:
			i += w
			continue
		}
		dst = append(append(dst, s[last:i]...), esc...)
		i += w
		last = i
	}
	return append(dst, s[last:]...)
}

// htmlForbidden reports whether c is a control character or a noncharacter,
// which HTML5 does not allow in a document, or a form feed, which XML does
// not allow; tab, LF and CR are allowed.
func htmlForbidden(c rune) bool {
	switch {
	case c < 0x20:
		return c != '\t' && c != '\n' && c != '\r'
	case c >= 0x7F && c <= 0x9F:
		return true
	case c >= 0xFDD0 && c <= 0xFDEF:
		return true
	}
	return c&0xFFFE == 0xFFFE
}
