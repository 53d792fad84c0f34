package actions

import "strings"

// QuoteArgs joins args into a command line that SplitArgs splits back into
// args (tests build command rows with it).
func QuoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = "'" + strings.ReplaceAll(a, "'", `'"'"'`) + "'"
	}
	return strings.Join(q, " ")
}
