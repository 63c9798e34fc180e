package runtime

import (
	"fmt"
	"strings"

	"baton/internal/sticktable"
)

// Stick table commands: show table, clear table, set table. The tables
// live in memory every generation shares, so the serving generation
// answers for the service.

// Tables is implemented by a Target with stick tables.
type Tables interface {
	// StickTables are the generation's tables (nil for none).
	StickTables() *sticktable.Tables
}

// tableCommands join the others (commands.go).
var tableCommands = []*command{
	{words: w("clear table"), usage: "clear table <table> [<filter>]*", help: "remove an entry from a table (filter: data/key)", level: LevelOperator, run: clearTable},
	{words: w("set table"), usage: "set table <table> key <k> [data.* <v>]*", help: "update or create a table entry's data", level: LevelAdmin, run: setTable},
	{words: w("show table"), usage: "show table <table> [<filter>]*", help: "report table usage stats or dump this table's contents (filter: data/key)", level: LevelOperator, run: showTable},
}

func tablesOf(x *call) *sticktable.Tables {
	if t, ok := x.t.(Tables); ok {
		return t.StickTables()
	}
	return nil
}

// tableArgs finds the table and reads a filter ("data.TYPE OP V") or a
// key ("key K").
func tableArgs(x *call) (*sticktable.Table, *sticktable.Filter, sticktable.Key, string) {
	t := tablesOf(x).Get(x.args[0])
	if t == nil {
		return nil, nil, nil, "No such table\n"
	}
	rest := x.args[1:]
	if len(rest) == 0 {
		return t, nil, nil, ""
	}
	if rest[0] == "key" {
		if len(rest) != 2 {
			return nil, nil, nil, "Key value expected\n"
		}
		k, err := t.ParseKey(rest[1])
		if err != nil {
			return nil, nil, nil, err.Error() + "\n"
		}
		return t, nil, k, ""
	}
	f, err := t.ParseFilter(rest)
	if err != nil {
		return nil, nil, nil, err.Error() + "\n"
	}
	return t, f, nil, ""
}

func showTable(x *call) string {
	if len(x.args) == 0 {
		var b strings.Builder
		for _, t := range tablesOf(x).List() {
			b.WriteString(t.Header())
		}
		return b.String()
	}
	t, f, k, msg := tableArgs(x)
	if msg != "" {
		return msg
	}
	return t.Show(f, k)
}

func clearTable(x *call) string {
	if len(x.args) == 0 {
		return "Optional table name expected\n"
	}
	t, f, k, msg := tableArgs(x)
	if msg != "" {
		return msg
	}
	t.Clear(f, k)
	return ""
}

func setTable(x *call) string {
	if len(x.args) < 3 || x.args[1] != "key" {
		return "Key value expected\n"
	}
	t := tablesOf(x).Get(x.args[0])
	if t == nil {
		return "No such table\n"
	}
	k, err := t.ParseKey(x.args[2])
	if err != nil {
		return err.Error() + "\n"
	}
	if err := t.SetData(k, x.args[3:]); err != nil {
		return fmt.Sprintln(err)
	}
	return ""
}
