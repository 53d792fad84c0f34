package engine

import (
	"fmt"

	"mvapi/engine/format"
)

// OK is a success answer "OK: text".
func OK(text string) format.Result { return format.Result{OK: true, Text: "OK: " + text} }

// Shaped is a success answer in a shape real clients parse as it is, such
// as "Your credit is $9.8".
func Shaped(text string) format.Result { return format.Result{OK: true, Text: text} }

// Errorf is a failure answer "ERROR: ..." for the client, of KindInvalid
// (the request cannot be served as sent). Keep it a short sentence;
// internal detail belongs in the log. Failf answers another kind.
func Errorf(f string, args ...any) format.Result {
	return format.Result{Kind: KindInvalid, Text: "ERROR: " + fmt.Sprintf(f, args...)}
}

// Failf is a failure answer "ERROR: ..." of the given kind.
func Failf(kind Kind, f string, args ...any) format.Result {
	return format.Result{Kind: kind, Text: "ERROR: " + fmt.Sprintf(f, args...)}
}
