package builtin

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"strings"

	"github.com/jmoiron/sqlx"

	"mvapi/engine"
	"mvapi/engine/format"

	"mvapi/schema"
)

// Settings files: getini/setini read and write one key of an ini file in
// the server folder (serverdir; the file is inifile unless file= names
// another plain *.ini there). savesettings/saveinifiles write the global
// config (tb_globalconfig) into its [globalconfig] section; loadinifiles
// reads that section back into tb_globalconfig and reloads the config.
// Secrets never reach the file: a secret option (showcfg masks the same)
// is written as maskedSetting, and loadinifiles leaves an option whose
// value is maskedSetting unchanged. Files are written atomically, mode 0600.

// configSection is the ini section that mirrors tb_globalconfig.
const configSection = "globalconfig"

func registerAdminIni(reg *engine.Registry) {
	for _, b := range []engine.Builtin{
		{Name: "getini", Params: []string{"section", "key", "file"}, Handler: getIni,
			Doc: "Read key of [section] of the ini file (OK: value); without key, the section as a table."},
		{Name: "setini", Params: []string{"section", "key", "value", "file"}, Handler: setIni,
			Doc: "Write key=value into [section] of the ini file (created when missing)."},
		{Name: "savesettings", Params: []string{"file"}, Handler: saveSettings,
			Doc: "Write the global config options stored in tb_globalconfig into [globalconfig] of the ini file, secrets masked."},
		{Name: "saveinifiles", Params: []string{"module", "file"}, Handler: saveSettings,
			Doc: "Same as savesettings (mvapi has one settings file)."},
		{Name: "loadinifiles", Params: []string{"module", "file"}, Handler: loadIniFiles,
			Doc: "Load [globalconfig] of the ini file into tb_globalconfig (registered options only, each checked) and reload."},
	} {
		b.Access = engine.AdminAPI
		reg.Add(b)
	}
}

// iniName is the ini file a request names: file= or global config inifile,
// a plain *.ini name in the server folder.
func iniName(c *engine.Call) (string, error) {
	name := strings.TrimSpace(c.Param("file"))
	if name == "" {
		name = strings.TrimSpace(c.Config.Get("inifile"))
	}
	clean, err := cleanRelPath(name)
	if err != nil || strings.Contains(clean, "/") || !strings.HasSuffix(strings.ToLower(clean), ".ini") {
		return "", errors.New("bad file: a plain .ini file name in the server folder (serverdir)")
	}
	return clean, nil
}

// loadIni opens the server folder and reads the ini file (empty when it
// does not exist yet).
func loadIni(c *engine.Call, create bool) (*os.Root, string, *iniFile, format.Result, bool) {
	name, err := iniName(c)
	if err != nil {
		return nil, "", nil, engine.Errorf("%v", err), false
	}
	root, err := openFolder(c.Config.Get("serverdir"), create)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, name, &iniFile{}, format.Result{}, true
	}
	if err != nil {
		c.Engine.Logger().Error("ini: server folder", "err", err)
		return nil, "", nil, engine.Errorf("%s: the server folder cannot be opened (serverdir)", c.Entry.Name), false
	}
	b, err := readInRoot(root, name, maxFileBytes(c))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return root, name, &iniFile{}, format.Result{}, true
	case errors.Is(err, errTooBig):
		root.Close()
		return nil, "", nil, engine.Errorf("%s is larger than maxfilebytes", name), false
	case err != nil:
		root.Close()
		return nil, "", nil, engine.Errorf("%s: cannot read %s: %s", c.Entry.Name, name, pathReason(err)), false
	}
	return root, name, parseIni(b), format.Result{}, true
}

func getIni(_ context.Context, c *engine.Call) (format.Result, error) {
	sec, key := strings.TrimSpace(c.Param("section")), strings.TrimSpace(c.Param("key"))
	if err := checkIniName(sec, key, false); err != nil {
		return engine.Errorf("%v", err), nil
	}
	root, name, f, res, ok := loadIni(c, false)
	if !ok {
		return res, nil
	}
	if root != nil {
		root.Close()
	}
	if key == "" {
		kv, found := f.keys(sec)
		if !found {
			return engine.Failf(engine.KindNotFound, "not found: [%s] in %s", sec, name), nil
		}
		rows := make([][]string, len(kv))
		for i, p := range kv {
			rows[i] = []string{p[0], p[1]}
		}
		return table(fmt.Sprintf("%d keys in [%s]", len(rows), sec), []string{"key", "value"}, rows), nil
	}
	v, found := f.get(sec, key)
	if !found {
		return engine.Failf(engine.KindNotFound, "not found: [%s] %s in %s", sec, key, name), nil
	}
	return engine.OK(v), nil
}

// saveIni writes f back and answers text.
func saveIni(c *engine.Call, root *os.Root, name string, f *iniFile, text string) format.Result {
	b := f.bytes()
	if int64(len(b)) > maxFileBytes(c) {
		return engine.Errorf("%s would be larger than maxfilebytes", name)
	}
	if err := writeInRoot(root, name, b, 0o600); err != nil {
		c.Engine.Logger().Warn("ini write refused", "file", name, "err", err)
		return engine.Errorf("%s: cannot write %s: %s", c.Entry.Name, name, pathReason(err))
	}
	return engine.OK(text)
}

func setIni(_ context.Context, c *engine.Call) (format.Result, error) {
	sec, key, value := strings.TrimSpace(c.Param("section")), strings.TrimSpace(c.Param("key")), strings.TrimSpace(c.Param("value"))
	if err := checkIniName(sec, key, true); err != nil {
		return engine.Errorf("%v", err), nil
	}
	if err := checkIniValue(value); err != nil {
		return engine.Errorf("%v", err), nil
	}
	if strings.EqualFold(sec, configSection) && engine.IsSecurityOption(key) {
		return engine.Failf(engine.KindDenied, "access denied: %s is a security option: setini and loadinifiles never change it (use --set, MVAPI_%s or tb_globalconfig)",
			strings.ToLower(key), strings.ToUpper(key)), nil
	}
	root, name, f, res, ok := loadIni(c, true)
	if !ok {
		return res, nil
	}
	defer root.Close()
	f.set(sec, key, value)
	return saveIni(c, root, name, f, fmt.Sprintf("[%s] %s written to %s", sec, key, name)), nil
}

func saveSettings(ctx context.Context, c *engine.Call) (format.Result, error) {
	db := c.DB()
	var rows []struct {
		Name  string `db:"name"`
		Value string `db:"value"`
	}
	if err := db.SelectContext(ctx, &rows, configRowsSQL(db.Dialect)); err != nil {
		return format.Result{}, err
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Name < rows[j].Name })
	kv := make([][2]string, 0, len(rows))
	skipped := 0
	for _, r := range rows {
		n := strings.ToLower(strings.TrimSpace(r.Name))
		if _, ok := engine.LookupOption(n); !ok {
			skipped++ // not an option of mvapi: loadinifiles would refuse it
			continue
		}
		if !iniKeyRE.MatchString(n) || checkIniValue(r.Value) != nil {
			return engine.Errorf("savesettings: tb_globalconfig %q cannot be written as one ini line", clipText(r.Name, 40)), nil
		}
		kv = append(kv, [2]string{n, maskedValue(n, r.Value)})
	}
	root, name, f, res, ok := loadIni(c, true)
	if !ok {
		return res, nil
	}
	defer root.Close()
	f.replaceSection(configSection, kv)
	text := fmt.Sprintf("%d settings saved to %s [%s]", len(kv), name, configSection)
	if skipped > 0 {
		text += fmt.Sprintf("; %d rows that are not mvapi options left out", skipped)
	}
	return saveIni(c, root, name, f, text), nil
}

func loadIniFiles(ctx context.Context, c *engine.Call) (format.Result, error) {
	// It changes tb_globalconfig: the proof db needs (issue 10).
	if res, ok := needVerifiedAdmin(c, "loadinifiles"); !ok {
		return res, nil
	}
	root, name, f, res, ok := loadIni(c, false)
	if !ok {
		return res, nil
	}
	if root != nil {
		root.Close()
	}
	kv, found := f.keys(configSection)
	if !found {
		return engine.Failf(engine.KindNotFound, "not found: [%s] in %s", configSection, name), nil
	}
	values := map[string]string{}
	var unknown []string
	for _, p := range kv {
		n := strings.ToLower(p[0])
		if _, ok := engine.LookupOption(n); !ok {
			unknown = append(unknown, n)
			continue
		}
		if p[1] != maskedSetting {
			values[n] = p[1]
		}
	}
	if len(unknown) > 0 {
		return engine.Errorf("loadinifiles: nothing loaded, unknown options: %s", strings.Join(unknown, ", ")), nil
	}
	if _, err := engine.LoadConfig(ctx, nil, values); err != nil {
		return engine.Errorf("loadinifiles: nothing loaded: %v", err), nil
	}
	db := c.DB()
	if res, ok, err := keepSecurityOptions(ctx, c, values); err != nil || !ok {
		return res, err
	}
	err := inTx(ctx, db, func(tx *sqlx.Tx) error {
		for n, v := range values {
			r, err := tx.ExecContext(ctx, configUpdateSQL(db.Dialect), v, n)
			if err != nil {
				return err
			}
			if k, err := r.RowsAffected(); err != nil {
				return err
			} else if k > 0 {
				continue
			}
			if _, err := tx.ExecContext(ctx, configInsertSQL(db.Dialect), n, v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return format.Result{}, err
	}
	if err := c.Engine.ReloadConfig(ctx); err != nil {
		return engine.Errorf("loadinifiles: %d settings stored, but the config did not reload: %v", len(values), err), nil
	}
	if err := c.Engine.Announce(ctx, engine.ChangeConfig); err != nil {
		c.Engine.Logger().Error("loadinifiles: other nodes not told", "err", err)
	}
	return engine.OK(fmt.Sprintf("%d settings loaded from %s [%s], config reloaded", len(values), name, configSection)), nil
}

// keepSecurityOptions leaves out of values the security options the file
// holds unchanged (a file written by savesettings holds them all) and
// refuses the load when the file would change one: command actions,
// folders, trust and secrets never come from an ini file.
func keepSecurityOptions(ctx context.Context, c *engine.Call, values map[string]string) (format.Result, bool, error) {
	var stored []struct {
		Name  string `db:"name"`
		Value string `db:"value"`
	}
	db := c.DB()
	if err := db.SelectContext(ctx, &stored, configRowsSQL(db.Dialect)); err != nil {
		return format.Result{}, false, err
	}
	current := map[string]string{}
	for _, r := range stored {
		current[strings.ToLower(strings.TrimSpace(r.Name))] = r.Value
	}
	var changed []string
	for n, v := range values {
		if !engine.IsSecurityOption(n) {
			continue
		}
		was, ok := current[n]
		if !ok {
			was = c.Config.Get(n)
		}
		if strings.TrimSpace(v) != strings.TrimSpace(was) {
			changed = append(changed, n)
			continue
		}
		delete(values, n)
	}
	if len(changed) > 0 {
		sort.Strings(changed)
		return engine.Failf(engine.KindDenied, "loadinifiles: nothing loaded: security options cannot be changed from an ini file: %s (use --set, MVAPI_NAME or tb_globalconfig)",
			strings.Join(changed, ", ")), false, nil
	}
	return format.Result{}, true, nil
}

var configRowsSQL = schema.Statement("SELECT name, value FROM tb_globalconfig")

var configUpdateSQL = schema.Statement("UPDATE tb_globalconfig SET value = ? WHERE name = ?")

var configInsertSQL = schema.Statement("INSERT INTO tb_globalconfig (name, value) VALUES (?, ?)")
