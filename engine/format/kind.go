package format

// Kind says what sort of outcome an answer is, beside its text: KindNone
// for a success, one of the failure kinds otherwise. The lockout, the JSONP
// fallback and the request counters decide by the kind, never by the text.
// It is a small integer so a Result stays cheap to copy.
type Kind uint8

// The kinds of outcome. The engine re-exports them (engine.KindAuth, ...);
// the engine package documents which answers get which kind.
const (
	// KindNone is a success.
	KindNone Kind = iota
	// KindAuth is a failed authentication (wrong key, user or password,
	// missing authid, IP not allowed); it counts towards the lockout.
	KindAuth
	// KindDenied is a caller who may not do this (level, registration,
	// credit, rule, banned or locked IP, disabled entry).
	KindDenied
	// KindInvalid is a request that cannot be served as sent: a missing or
	// bad parameter, a state that does not allow it. engine.Errorf answers
	// this kind.
	KindInvalid
	// KindNotFound is a named thing (entry, user, record) that does not exist.
	KindNotFound
	// KindNotSupported is an entry or option this server does not implement
	// or has not configured.
	KindNotSupported
	// KindBusy is a server at a limit (queue full); the client may retry.
	KindBusy
	// KindUnavailable is a dependency that failed for now (another node, a
	// gateway); the client may retry.
	KindUnavailable
	// KindInternal is an unexpected error: logged once by the engine with
	// the entry and the request id, answered with a generic text.
	KindInternal
	// KindCanceled is a request whose client went away before the answer:
	// neither logged as an error nor counted as a failed request.
	KindCanceled
	// KindRateLimited is a request past a rate limit; Result.RetryAfter
	// says when to try again (HTTP 429 with httpstrictresponse).
	KindRateLimited

	// NumKinds is the number of kinds, for tables indexed by Kind.
	NumKinds = iota
)

var kindNames = [NumKinds]string{
	KindNone: "ok", KindAuth: "auth", KindDenied: "denied", KindInvalid: "invalid",
	KindNotFound: "notfound", KindNotSupported: "notsupported", KindBusy: "busy",
	KindUnavailable: "unavailable", KindInternal: "internal", KindCanceled: "canceled", KindRateLimited: "ratelimited",
}

// String is the kind's short lower-case name ("auth", "internal"), as logs
// and counters show it.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}
