package engine

import (
	"mvapi/engine/tsql"
	"mvapi/schema"
)

// TranslateSQL translates a DBA's SQL (customsql, a {select ...} of an
// action body, a SQL action or scheduled task) for d under the global
// option customsqldialect (auto, tsql, native; a leading "-- dialect: ..."
// comment of the statement overrides it). On SQL Server the text is
// returned untouched. cfg may be nil (auto).
func TranslateSQL(src string, d schema.Dialect, cfg *Config) (string, error) {
	target, err := tsql.TargetFor(d.Name)
	if err != nil {
		return "", err
	}
	mode := tsql.Auto
	if cfg != nil {
		if mode, err = tsql.ParseMode(cfg.Get("customsqldialect")); err != nil {
			return "", err
		}
	}
	return tsql.Translate(src, target, mode)
}

// SQLDialect is a schema.Dialect that also translates the sub-queries an
// action body compiles with it (see actions.ParseBody).
type SQLDialect struct {
	schema.Dialect
	cfg *Config
}

// DialectFor returns d with cfg's customsqldialect attached.
func DialectFor(d schema.Dialect, cfg *Config) SQLDialect { return SQLDialect{Dialect: d, cfg: cfg} }

// TranslateSQL translates src as TranslateSQL does.
func (d SQLDialect) TranslateSQL(src string) (string, error) {
	return TranslateSQL(src, d.Dialect, d.cfg)
}
