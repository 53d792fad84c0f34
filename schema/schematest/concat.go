package schematest

import (
	"fmt"
	"strings"
)

// MaxConcatArgs is the most arguments SQL Server's CONCAT accepts (and
// the fewest is 2).
const MaxConcatArgs = 254

// ConcatCalls parses expr, a string expression built for SQL Server by
// schema.SQLServer.Concat: CONCAT(...) calls, nested to any depth, whose
// other arguments are quoted literals (with an optional N, E or U& prefix)
// or placeholders (@pN, $N or ?). It returns the number of arguments of
// each CONCAT call, outermost first, and the literals and placeholders in
// order. An error says where expr is not of that shape.
func ConcatCalls(expr string) (args []int, leaves []string, err error) {
	p := &concatParser{s: expr}
	if err := p.expr(); err != nil {
		return nil, nil, err
	}
	p.space()
	if p.i != len(p.s) {
		return nil, nil, fmt.Errorf("concat: trailing text at byte %d: %q", p.i, clip(p.s[p.i:]))
	}
	return p.args, p.leaves, nil
}

// CheckTSQLConcat checks that expr (see ConcatCalls) calls CONCAT with 2
// to MaxConcatArgs arguments everywhere and returns its literals and
// placeholders in order.
func CheckTSQLConcat(expr string) (leaves []string, err error) {
	args, leaves, err := ConcatCalls(expr)
	if err != nil {
		return nil, err
	}
	for i, n := range args {
		if n < 2 || n > MaxConcatArgs {
			return nil, fmt.Errorf("concat: CONCAT call %d has %d arguments, SQL Server takes 2 to %d", i+1, n, MaxConcatArgs)
		}
	}
	return leaves, nil
}

type concatParser struct {
	s      string
	i      int
	args   []int
	leaves []string
}

func (p *concatParser) space() {
	for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
		p.i++
	}
}

func (p *concatParser) expr() error {
	p.space()
	rest := p.s[p.i:]
	if len(rest) >= 7 && strings.EqualFold(rest[:7], "CONCAT(") {
		return p.call()
	}
	return p.leaf()
}

func (p *concatParser) call() error {
	p.i += len("CONCAT(")
	slot := len(p.args)
	p.args = append(p.args, 0)
	for {
		if err := p.expr(); err != nil {
			return err
		}
		p.args[slot]++
		p.space()
		if p.i >= len(p.s) {
			return fmt.Errorf("concat: CONCAT call %d is not closed", slot+1)
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case ')':
			p.i++
			return nil
		default:
			return fmt.Errorf("concat: want , or ) at byte %d: %q", p.i, clip(p.s[p.i:]))
		}
	}
}

func (p *concatParser) leaf() error {
	start := p.i
	s := p.s
	switch {
	case p.i < len(s) && s[p.i] == '?':
		p.i++
	case strings.HasPrefix(s[p.i:], "@p") || strings.HasPrefix(s[p.i:], "$"):
		if s[p.i] == '@' {
			p.i += len("@p")
		} else {
			p.i += len("$")
		}
		d := p.i
		for p.i < len(s) && s[p.i] >= '0' && s[p.i] <= '9' {
			p.i++
		}
		if p.i == d {
			return fmt.Errorf("concat: placeholder without a number at byte %d", start)
		}
	default:
		backslash := false
		for _, pre := range []string{"U&", "u&", "N", "n", "E", "e"} {
			if strings.HasPrefix(s[p.i:], pre+"'") {
				backslash = pre == "E" || pre == "e"
				p.i += len(pre)
				break
			}
		}
		if p.i >= len(s) || s[p.i] != '\'' {
			return fmt.Errorf("concat: want CONCAT(, a quoted literal or a placeholder at byte %d: %q", start, clip(s[start:]))
		}
		for p.i++; ; p.i++ {
			if p.i >= len(s) {
				return fmt.Errorf("concat: literal at byte %d is not closed", start)
			}
			if backslash && s[p.i] == '\\' {
				p.i++
				continue
			}
			if s[p.i] == '\'' {
				if p.i+1 < len(s) && s[p.i+1] == '\'' {
					p.i++
					continue
				}
				p.i++
				break
			}
		}
	}
	p.leaves = append(p.leaves, s[start:p.i])
	return nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
