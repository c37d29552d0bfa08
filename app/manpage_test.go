package app

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// manPage is the manual page the .deb installs (scripts/package-linux.sh).
const manPage = "../build/linux/chapel.1"

var (
	usageLine  = regexp.MustCompile(`(?m)^  chapel (?:\[--home DIR\] )?([a-z][a-z-]*)(?: (delete|catalog|download)\b)?`)
	fontEscape = regexp.MustCompile(`\\f[BIRP]`)
	roffMacro  = regexp.MustCompile(`^\.[A-Z]{1,2} `)
)

// usageCommands returns the commands the usage text lists ("chat",
// "models download", …), each once.
func usageCommands(text string) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range usageLine.FindAllStringSubmatch(text, -1) {
		c := m[1]
		if m[2] != "" {
			c += " " + m[2]
		}
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}

// roffText turns one line of roff into its words: font escapes, macro
// names and quotes dropped, \- read as -.
func roffText(line string) string {
	line = fontEscape.ReplaceAllString(line, "")
	line = strings.ReplaceAll(line, `\-`, "-")
	line = roffMacro.ReplaceAllString(line, "")
	return strings.Join(strings.Fields(strings.ReplaceAll(line, `"`, " ")), " ")
}

// manCommands returns the tags of the COMMANDS section (the first line
// after each .TP or .TQ), as words.
func manCommands(page string) []string {
	var out []string
	in, tag := false, false
	for _, line := range strings.Split(page, "\n") {
		switch {
		case strings.HasPrefix(line, ".SH "):
			in = strings.TrimSpace(line[4:]) == "COMMANDS"
			tag = false
		case !in:
		case line == ".TP" || line == ".TQ":
			tag = true
		case tag:
			out = append(out, roffText(line))
			tag = false
		}
	}
	return out
}

// TestManualPage: the manual page describes every command of the usage
// text, and names no command the program does not have.
func TestManualPage(t *testing.T) {
	b, err := os.ReadFile(manPage)
	if err != nil {
		t.Fatal(err)
	}
	tags := manCommands(string(b))
	cmds := usageCommands(usage)
	if len(cmds) < 15 || len(tags) < 15 {
		t.Fatalf("read %d commands from the usage text and %d from the manual page: the parsing no longer matches them", len(cmds), len(tags))
	}
	for _, c := range cmds {
		found := false
		for _, tag := range tags {
			found = found || tag == c || strings.HasPrefix(tag, c+" ")
		}
		if !found {
			t.Errorf("the manual page (%s) does not describe `chapel %s`", manPage, c)
		}
	}
	known := map[string]bool{"help": true}
	for _, c := range cmds {
		known[strings.Fields(c)[0]] = true
	}
	for _, tag := range tags {
		if first := strings.Fields(tag)[0]; !known[first] {
			t.Errorf("the manual page describes %q, which is not a command in the usage text", tag)
		}
	}
}

// TestManualPageParsing: the two readers above, on lines of both forms.
func TestManualPageParsing(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"macro and quotes", ".SH COMMANDS\n.TP\n.BI \"chat \" \"[options] MESSAGE\"\nSend it.\n", []string{"chat [options] MESSAGE"}},
		{"font escapes", ".SH COMMANDS\n.TP\n\\fBsearch\\fR [\\fB\\-\\-json\\fR] \\fIQUERY\\fR\nFind.\n", []string{"search [--json] QUERY"}},
		{"TQ and other sections", ".SH COMMANDS\n.TP\n.B \"prompt \\-\\-template\"\n.TQ\n.B help\nx\n.SH ENVIRONMENT\n.TP\n.B CHAPEL_HOME\n", []string{"prompt --template", "help"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := manCommands(tt.in)
			if strings.Join(got, "|") != strings.Join(tt.want, "|") {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	got := usageCommands("Usage:\n  chapel [--home DIR]   open\n  chapel chat [flags] M\n  chapel models download [--home DIR] ID\n  chapel chat again\n")
	if strings.Join(got, "|") != "chat|models download" {
		t.Errorf("usage commands %q", got)
	}
}
