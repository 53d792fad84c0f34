package actions

import (
	"errors"
	"fmt"
	"strings"

	"mvapi/engine/sqltemplate"
)

// maxArgs bounds the argv of one command line.
const maxArgs = 256

// SplitArgs splits a command line into argv without a shell: no variables,
// globs, pipes, redirections or command separators exist.
//
//   - Spaces, tabs and new lines separate arguments.
//   - 'single quotes' keep everything up to the next single quote.
//   - "double quotes" keep everything; inside them \" is a quote and \\ a
//     backslash.
//   - Outside quotes a backslash before a space, a tab, a new line or a
//     quote escapes it; any other backslash is literal, so Windows paths
//     such as C:\tools\x.exe need no quoting.
//   - ” or "" is an empty argument.
func SplitArgs(line string) ([]string, error) {
	parts, err := splitTemplate(line, nil)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(parts))
	for i, p := range parts {
		for _, x := range p {
			out[i] += x.lit
		}
	}
	return out, nil
}

// splitTemplate splits line into argv templates. With a dialect, {field}
// and {select ...} keywords are compiled wherever they appear (a value
// substituted later stays inside its argument); with nil, braces are text.
func splitTemplate(line string, d sqltemplate.Dialect) ([]text, error) {
	var (
		args  []text
		cur   text
		lit   strings.Builder
		inArg bool
		quote byte
		qpos  int
	)
	flushLit := func() {
		if lit.Len() > 0 {
			cur = append(cur, piece{lit: lit.String()})
			lit.Reset()
		}
	}
	endArg := func() error {
		flushLit()
		if inArg {
			if len(args) == maxArgs {
				return fmt.Errorf("more than %d arguments", maxArgs)
			}
			if cur == nil {
				cur = text{}
			}
			args = append(args, cur)
		}
		cur, inArg = nil, false
		return nil
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		if c == '{' && d != nil {
			p, end, ok, err := scanKeyword(line, i, d)
			if err != nil {
				return nil, err
			}
			if ok {
				flushLit()
				cur, inArg = append(cur, p), true
				i = end - 1
				continue
			}
		}
		switch {
		case quote == '\'':
			if c == '\'' {
				quote = 0
			} else {
				lit.WriteByte(c)
			}
		case quote == '"':
			switch {
			case c == '"':
				quote = 0
			case c == '\\' && i+1 < len(line) && (line[i+1] == '"' || line[i+1] == '\\'):
				i++
				lit.WriteByte(line[i])
			default:
				lit.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, qpos, inArg = c, i, true
		case c == '\\' && i+1 < len(line) && strings.IndexByte(" \t\r\n'\"", line[i+1]) >= 0:
			i++
			lit.WriteByte(line[i])
			inArg = true
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			if err := endArg(); err != nil {
				return nil, err
			}
		default:
			lit.WriteByte(c)
			inArg = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("byte %d: unterminated %c quote", qpos, quote)
	}
	if err := endArg(); err != nil {
		return nil, err
	}
	if len(args) == 0 {
		return nil, errors.New("empty command line")
	}
	return args, nil
}
