package actions

import (
	"mvapi/engine"
	"mvapi/engine/sqltemplate"
)

// The statements an action runs, which the engine's loader checks against
// the database when the row is compiled (engine.StatementsAction).

var (
	_ engine.StatementsAction = sqlAction{}
	_ engine.StatementsAction = (*emailAction)(nil)
	_ engine.StatementsAction = (*smsAction)(nil)
	_ engine.StatementsAction = (*commandAction)(nil)
	_ engine.StatementsAction = (*restartAction)(nil)
)

// Statements is the SQL action's statement.
func (a sqlAction) Statements() []*sqltemplate.Template { return []*sqltemplate.Template{a.t} }

// Statements are the {select ...} sub-queries of the email's body.
func (x *emailAction) Statements() []*sqltemplate.Template { return x.b.statements() }

// Statements are the {select ...} sub-queries of the SMS's body.
func (x *smsAction) Statements() []*sqltemplate.Template { return x.b.statements() }

// Statements are the {select ...} sub-queries of the command's arguments.
func (x *commandAction) Statements() []*sqltemplate.Template { return statementsOf(x.args...) }

// Statements are the {select ...} sub-queries of the restart's reason.
func (x *restartAction) Statements() []*sqltemplate.Template { return statementsOf(x.reason) }

func (b *Body) statements() []*sqltemplate.Template {
	return statementsOf(append([]text{b.Subject, b.Main}, b.To...)...)
}

func statementsOf(ts ...text) []*sqltemplate.Template {
	var out []*sqltemplate.Template
	for _, t := range ts {
		for _, p := range t {
			if p.sub != nil {
				out = append(out, p.sub)
			}
		}
	}
	return out
}
