package mvtest

// noRateLimits turns off the request rate limits (issue 10) for test
// engines, whose tests send hundreds of requests a second from one
// address, unless the test sets them itself (as the rate limit tests do).
func noRateLimits(sets map[string]string) map[string]string {
	out := make(map[string]string, len(sets)+4)
	for _, name := range []string{"ratelimitip", "ratelimituser", "ratelimitglobal", "preauthrate"} {
		out[name] = "0"
	}
	for k, v := range sets {
		out[k] = v
	}
	return out
}
