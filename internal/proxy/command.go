package proxy

import (
	"fmt"
	"strings"
)

// runtimeCommand is one command of the worker's runtime API (reached
// through the master CLI's "@N command"). The table is small on purpose:
// a runtime API package can take it over as it grows.
type runtimeCommand struct {
	words []string // the command's words, e.g. "show", "resolvers"
	usage string   // words and arguments, as "help" lists them
	help  string
	run   func(e *Engine, args []string) string
}

var runtimeCommands []runtimeCommand

func init() {
	runtimeCommands = []runtimeCommand{
		{[]string{"help"}, "help", "list the commands", func(e *Engine, _ []string) string { return commandList("") }},
		{[]string{"show", "resolvers"}, "show resolvers [id]", "dumps counters from all resolvers section and associated name servers", (*Engine).showResolvers},
	}
}

// Command answers one runtime API line as HAProxy's CLI does; an
// unknown command gets the list of commands.
func (e *Engine) Command(line string) string {
	f := strings.Fields(line)
	for _, c := range runtimeCommands {
		if len(f) >= len(c.words) && strings.Join(f[:len(c.words)], " ") == strings.Join(c.words, " ") {
			return c.run(e, f[len(c.words):])
		}
	}
	return commandList("Unknown command, but maybe one of the following ones is a better match:\n")
}

func commandList(head string) string {
	var b strings.Builder
	b.WriteString(head)
	for _, c := range runtimeCommands {
		fmt.Fprintf(&b, "  %-40s: %s\n", c.usage, c.help)
	}
	return b.String()
}

func (e *Engine) showResolvers(args []string) string {
	if e.resolvers == nil {
		if len(args) > 0 {
			return "Can't find that resolvers section\n\n"
		}
		return "\n"
	}
	name := ""
	if len(args) > 0 {
		name = args[0]
	}
	return e.resolvers.ShowResolvers(name)
}

// ShowResolvers is the runtime API's "show resolvers [id]"
// (runtime.Resolvers).
func (e *Engine) ShowResolvers(id string) string {
	var args []string
	if id != "" {
		args = []string{id}
	}
	return e.showResolvers(args)
}
