package engine

import "strings"

// Source says where the value of option name in force came from:
// "default" (the registry), "table" (tb_globalconfig), "env"
// (MVAPI_<NAME>) or "flag" (serve --set). Later ones win over earlier ones
// in that order; showcfg shows it.
func (c *Config) Source(name string) string {
	switch s := c.source[strings.ToLower(name)]; {
	case s == "tb_globalconfig":
		return "table"
	case s == "--set":
		return "flag"
	case strings.HasPrefix(s, "MVAPI_"):
		return "env"
	}
	return "default"
}
