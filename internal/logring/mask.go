package logring

import (
	"log/slog"
	"regexp"
	"strings"
)

// Masked replaces a secret value in the log.
const Masked = "xxxxx"

// secretKeyParts mark an attribute key whose value is a secret.
var secretKeyParts = []string{"pass", "pwd", "secret", "token", "authmd5", "authkey", "apikey", "apiv2key",
	"md5salt", "encryptkey", "credential", "privatekey"}

// IsSecretKey reports whether an attribute or option called key holds a
// secret (its value must not be shown).
func IsSecretKey(key string) bool {
	k := strings.ToLower(key)
	if k == "key" {
		return true
	}
	for _, p := range secretKeyParts {
		if strings.Contains(k, p) {
			return true
		}
	}
	return false
}

// secretInText finds name=value pairs of secrets inside text, such as a
// query string that was logged.
var secretInText = regexp.MustCompile(`(?i)\b(authpwd|authmd5|authkey|u_password|password|newpassword|oldpassword|apiv2key|filedata)=[^&\s"']*`)

// MaskText masks the values of secret name=value pairs in s.
func MaskText(s string) string {
	if !strings.Contains(s, "=") {
		return s
	}
	return secretInText.ReplaceAllString(s, "${1}="+Masked)
}

// maskRecord returns r with its message and attributes masked.
func maskRecord(r slog.Record) slog.Record {
	out := slog.NewRecord(r.Time, r.Level, MaskText(r.Message), r.PC)
	r.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(maskAttr(a))
		return true
	})
	return out
}

// maskAttr masks a secret attribute, a secret pair inside a string value,
// and the same inside groups.
func maskAttr(a slog.Attr) slog.Attr {
	if IsSecretKey(a.Key) {
		return slog.String(a.Key, Masked)
	}
	switch a.Value.Kind() {
	case slog.KindString:
		if s := a.Value.String(); strings.Contains(s, "=") {
			return slog.String(a.Key, MaskText(s))
		}
	case slog.KindGroup:
		g := a.Value.Group()
		masked := make([]any, len(g))
		for i, x := range g {
			masked[i] = maskAttr(x)
		}
		return slog.Group(a.Key, masked...)
	case slog.KindLogValuer:
		return maskAttr(slog.Attr{Key: a.Key, Value: a.Value.Resolve()})
	}
	return a
}
