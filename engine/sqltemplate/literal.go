package sqltemplate

// segment is one piece of a string literal: raw literal text (still
// escaped as in the source) or a keyword.
type segment struct {
	text  string
	key   Key
	isKey bool
}

// literal compiles a string literal. start is where its prefix (N, E, U&)
// begins and q the index of the opening quote; backslash is set for E
// strings (E'...'), where a backslash escapes the next byte.
//
// A literal without keywords is copied verbatim. A literal that is exactly
// one keyword becomes that keyword's placeholder. Otherwise the text
// pieces, each re-quoted with the prefix, and the placeholders are joined
// by Dialect.Concat.
func (c *compiler) literal(start, q int, backslash bool) (int, error) {
	src := c.src
	end := literalEnd(src, q, backslash)
	if end < 0 {
		return 0, errorf("unterminated string literal starting at byte %d", start)
	}
	segs := splitLiteral(src[q+1:end-1], backslash)
	switch {
	case len(segs) == 0 || len(segs) == 1 && !segs[0].isKey:
		c.token(src[start:end])
	case len(segs) == 1:
		c.emit(c.placeholder(segs[0].key), end)
	default:
		prefix := src[start:q]
		parts := make([]string, len(segs))
		for i, s := range segs {
			if s.isKey {
				parts[i] = c.placeholder(s.key)
			} else {
				parts[i] = prefix + "'" + s.text + "'"
			}
		}
		c.emit(c.d.Concat(parts), end)
	}
	return end, nil
}

// literalEnd returns the index just past the closing quote of the literal
// whose opening quote is src[q], or -1 when it is not terminated.
func literalEnd(src string, q int, backslash bool) int {
	for j := q + 1; j < len(src); j++ {
		switch src[j] {
		case '\\':
			if backslash {
				j++
			}
		case '\'':
			if at(src, j+1) != '\'' {
				return j + 1
			}
			j++
		}
	}
	return -1
}

// splitLiteral cuts the body of a literal into text and keyword segments.
// Escape sequences are stepped over whole, so a text segment never ends
// in the middle of one and can be re-quoted as it is.
func splitLiteral(body string, backslash bool) []segment {
	var segs []segment
	text := 0 // start of the pending text segment
	for i := 0; i < len(body); {
		switch body[i] {
		case '\'':
			i += 2
			continue
		case '\\':
			if backslash {
				i += 2
				continue
			}
		case '[', '{':
			if k, n, ok := matchKeyword(body, i); ok {
				if i > text {
					segs = append(segs, segment{text: body[text:i]})
				}
				segs = append(segs, segment{key: k, isKey: true})
				i += n
				text = i
				continue
			}
		}
		i++
	}
	if text < len(body) {
		segs = append(segs, segment{text: body[text:]})
	}
	return segs
}
