package summarize

import (
	"embed"
	"encoding/hex"
	"fmt"
	"strings"

	"lukechampine.com/blake3"

	"github.com/chapelapp/chapel/backend/engine"
)

// promptFiles holds one file per style. Each has a "## map" section (the
// system turn for summarising one passage), a "## combine" section (for
// combining partial summaries, keeping their markers) and a "## final"
// section (the output shape, added to whichever step writes the summary
// itself). Lines before the first section are notes for people.
//
//go:embed prompts/*.md
var promptFiles embed.FS

// prompt is one style's parsed prompt file.
type prompt struct {
	style   string
	mapping string // "## map"
	combine string // "## combine"
	final   string // "## final"
	version string // hash of the file: part of the cache key
}

var prompts = mustLoadPrompts()

func mustLoadPrompts() map[string]prompt {
	out := map[string]prompt{}
	for _, style := range Styles {
		data, err := promptFiles.ReadFile("prompts/" + style + ".md")
		if err != nil {
			panic(err)
		}
		p, err := parsePrompt(style, string(data))
		if err != nil {
			panic(err)
		}
		out[style] = p
	}
	return out
}

// parsePrompt splits a prompt file into its sections.
func parsePrompt(style, data string) (prompt, error) {
	sum := blake3.Sum256([]byte(data))
	p := prompt{style: style, version: hex.EncodeToString(sum[:8])}
	sections := map[string]*strings.Builder{}
	var cur *strings.Builder
	for _, line := range strings.Split(strings.ReplaceAll(data, "\r\n", "\n"), "\n") {
		if name, ok := strings.CutPrefix(line, "## "); ok {
			name = strings.TrimSpace(name)
			if sections[name] != nil {
				return p, fmt.Errorf("prompts/%s.md: section %q twice", style, name)
			}
			cur = &strings.Builder{}
			sections[name] = cur
			continue
		}
		if cur != nil {
			cur.WriteString(line + "\n")
		}
	}
	get := func(name string) (string, error) {
		b := sections[name]
		if b == nil || strings.TrimSpace(b.String()) == "" {
			return "", fmt.Errorf("prompts/%s.md: no %q section", style, name)
		}
		delete(sections, name)
		return strings.TrimSpace(b.String()), nil
	}
	var err error
	if p.mapping, err = get("map"); err != nil {
		return p, err
	}
	if p.combine, err = get("combine"); err != nil {
		return p, err
	}
	if p.final, err = get("final"); err != nil {
		return p, err
	}
	for name := range sections {
		return p, fmt.Errorf("prompts/%s.md: unknown section %q", style, name)
	}
	return p, nil
}

// Headers of the user turns; the material follows them.
const (
	passageHeader = "Passage %s:\n\n"
	combineHeader = "Partial summaries, in document order:\n\n"
)

// system is the system turn of a map or combine step; a final step also
// gets the output shape.
func (p prompt) system(combine, final bool) string {
	s := p.mapping
	if combine {
		s = p.combine
	}
	if final {
		s += "\n\n" + p.final
	}
	return s
}

// mapMessages asks for a summary of one passage shown under its marker(s).
func (p prompt) mapMessages(final bool, markers []string, passage string) []engine.Message {
	return []engine.Message{
		{Role: engine.RoleSystem, Content: p.system(false, final)},
		{Role: engine.RoleUser, Content: fmt.Sprintf(passageHeader, strings.Join(markers, " ")) + strings.ReplaceAll(passage, "\f", "\n\n")},
	}
}

// combineMessages asks to combine partial summaries, each carrying its
// markers.
func (p prompt) combineMessages(final bool, inputs []string) []engine.Message {
	return []engine.Message{
		{Role: engine.RoleSystem, Content: p.system(true, final)},
		{Role: engine.RoleUser, Content: combineHeader + strings.Join(inputs, "\n\n")},
	}
}

// templateSlack is the tokens a chat template may add around two turns
// (role names, start and end tokens); not countable without the template.
const templateSlack = 32

// overheads are the prompt tokens of a map and a combine step besides the
// material, counted with the engine's tokenizer: the larger system turn (a
// final step's), the header with a long marker, and the template's slack.
func (p prompt) overheadTexts() []string {
	return []string{
		p.system(false, true) + fmt.Sprintf(passageHeader, "[pp. 1000–1000] [§ A long section title here]"),
		p.system(true, true) + combineHeader,
	}
}
