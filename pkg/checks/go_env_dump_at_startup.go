package checks

import (
	"fmt"
	"path"
	"strings"

	"mvdan.cc/sh/v3/syntax"

	"github.com/kharden/kharden/pkg/finding"
	"github.com/kharden/kharden/pkg/inventory"
)

// envDumpAtStartup reports containers whose start-up commands print the
// whole environment to the log, where every secret passed as an environment
// variable (ServiceAccount tokens included, when tooling exports them) ends
// up readable by anyone who can read logs. It inspects command+args of every
// container (parsing `sh -c` scripts with a real shell parser) and
// lifecycle.postStart.exec.command. Dumping commands: printenv, env with no
// command to run, set / export -p / declare -p with no other argument, and
// reads of /proc/<pid>/environ.
var envDumpAtStartup = &Check{
	ID:       "env-dump-at-startup",
	Category: finding.CategorySecrets,
	Severity: finding.SeverityHigh,
	Summary:  "Container start-up command prints the environment (and every secret in it) to the log",
	Doc: "Parses command and args of every container, and lifecycle.postStart.exec.command, as the container " +
		"runtime and the shell would run them (scripts given to `sh -c` are parsed with a shell parser). It " +
		"reports printenv, env without a command to run, set / export -p / declare -p without other arguments, " +
		"and any read of /proc/<pid>/environ. Logs are shipped, indexed and read by many more people than the " +
		"Secrets they would expose.",
	Remediation: "Remove the environment dump from the start-up command; print only the non-secret settings " +
		"you need to debug, and mount secrets as files instead of environment variables.",
	References: []string{"NSA/CISA Kubernetes Hardening Guide: Secrets", "CIS Kubernetes Benchmark 5.4.1", "MITRE ATT&CK T1552.007"},
	Engine:     EngineGo,
	Run:        runEnvDumpAtStartup,
}

func runEnvDumpAtStartup(p *Pass, o *inventory.Object) {
	t, ok := o.PodTemplateOf()
	if !ok {
		return
	}
	for _, c := range t.Containers() {
		argv := append(stringList(c.Spec["command"]), stringList(c.Spec["args"])...)
		if what := dumpsEnvironment(argv); what != "" {
			field := "command"
			if _, has := c.Spec["command"]; !has {
				field = "args"
			}
			p.Report(Location{Path: inventory.Join(c.Path, field), Container: c.Name,
				Message: fmt.Sprintf("container %q start-up command %s", c.Name, what)})
		}
		hook := stringList(inventory.SliceAt(c.Spec, "lifecycle", "postStart", "exec", "command"))
		if what := dumpsEnvironment(hook); what != "" {
			p.Report(Location{Path: inventory.Join(c.Path, "lifecycle", "postStart", "exec", "command"), Container: c.Name,
				Message: fmt.Sprintf("container %q postStart hook %s", c.Name, what)})
		}
	}
}

func stringList(v any) []string {
	list, _ := v.([]any)
	out := make([]string, 0, len(list))
	for _, e := range list {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

var shells = map[string]bool{"sh": true, "bash": true, "ash": true, "dash": true, "zsh": true, "ksh": true}

// dumpsEnvironment returns what in argv prints the environment, or "".
func dumpsEnvironment(argv []string) string {
	if len(argv) == 0 {
		return ""
	}
	args := argv
	if path.Base(args[0]) == "busybox" && len(args) > 1 {
		args = args[1:]
	}
	if shells[path.Base(args[0])] {
		for i := 1; i < len(args); i++ {
			a := args[i]
			if strings.HasPrefix(a, "-") && !strings.HasPrefix(a, "--") && strings.Contains(a, "c") {
				if i+1 < len(args) {
					return scriptDumpsEnvironment(strings.Join(args[i+1:i+2], " "))
				}
				return ""
			}
		}
		return ""
	}
	return callDumpsEnvironment(args)
}

// scriptDumpsEnvironment parses a shell script and looks at every simple
// command in it, including those in pipelines, subshells and functions.
func scriptDumpsEnvironment(script string) string {
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(script), "")
	if err != nil {
		// Not a script the shell could run either; fall back to words.
		return callDumpsEnvironment(strings.Fields(script))
	}
	found := ""
	syntax.Walk(f, func(n syntax.Node) bool {
		if found != "" {
			return false
		}
		switch v := n.(type) {
		case *syntax.CallExpr:
			var words []string
			for _, w := range v.Args {
				words = append(words, wordText(w))
			}
			found = callDumpsEnvironment(words)
		case *syntax.DeclClause:
			// export, declare, typeset, local, readonly
			words := []string{v.Variant.Value}
			for _, a := range v.Args {
				switch {
				case a.Naked && a.Value != nil:
					words = append(words, wordText(a.Value))
				case a.Naked && a.Name != nil:
					words = append(words, a.Name.Value)
				default:
					words = append(words, "NAME=VALUE")
				}
			}
			found = callDumpsEnvironment(words)
		}
		return true
	})
	return found
}

// wordText renders a shell word with quotes removed; expansions keep their
// source form so that "/proc/$$/environ" still reads as a path.
func wordText(w *syntax.Word) string {
	var b strings.Builder
	var walk func(parts []syntax.WordPart)
	walk = func(parts []syntax.WordPart) {
		for _, p := range parts {
			switch v := p.(type) {
			case *syntax.Lit:
				b.WriteString(v.Value)
			case *syntax.SglQuoted:
				b.WriteString(v.Value)
			case *syntax.DblQuoted:
				walk(v.Parts)
			case *syntax.ParamExp:
				b.WriteString("$")
				if v.Param != nil {
					b.WriteString(v.Param.Value)
				}
			default:
				b.WriteString("?")
			}
		}
	}
	walk(w.Parts)
	return b.String()
}

// callDumpsEnvironment judges one simple command.
func callDumpsEnvironment(words []string) string {
	if len(words) == 0 {
		return ""
	}
	for _, w := range words {
		if strings.HasPrefix(w, "/proc/") && strings.HasSuffix(w, "/environ") {
			return "reads " + w
		}
	}
	cmd, rest := path.Base(words[0]), words[1:]
	switch cmd {
	case "printenv":
		return "runs printenv"
	case "env":
		// env prints the environment unless it is given a command to run.
		for _, a := range rest {
			if !strings.HasPrefix(a, "-") && !strings.Contains(a, "=") {
				return ""
			}
		}
		return "runs env without a command, which prints the environment"
	case "set":
		if len(rest) == 0 {
			return "runs set without arguments, which prints every variable"
		}
	case "export", "declare", "typeset":
		if len(rest) == 0 || (len(rest) == 1 && (rest[0] == "-p" || rest[0] == "-x" || rest[0] == "-px")) {
			return "runs " + strings.Join(words, " ") + ", which prints the exported variables"
		}
	}
	return ""
}
