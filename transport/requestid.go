package transport

import "net/http"

// OpenAPIPath is where the OpenAPI document of the rule table is served
// (the openapi entry).
const OpenAPIPath = "/mvapireq/openapi.json"

// requestID is the X-Request-Id a client (or a proxy in front) sent, when
// it is a plausible id: 1 to 64 letters, digits, '-', '_', '.', ':'.
// Anything else is ignored and the engine makes one. The id is echoed in
// the answer's X-Request-Id and names the request in every log line.
func requestID(r *http.Request) string {
	id := r.Header.Get("X-Request-Id")
	if len(id) == 0 || len(id) > 64 {
		return ""
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return ""
		}
	}
	return id
}
