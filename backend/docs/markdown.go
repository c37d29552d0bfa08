package docs

import (
	"regexp"
	"strings"

	"github.com/chapelapp/chapel/backend/docs/doctext"
)

// extractMarkdown reads Markdown: ATX (# Title) and setext (underlined)
// headings, paragraphs split on blank lines, list items and block quotes
// as paragraphs, fenced and indented code kept verbatim, inline markup
// (links, emphasis, code spans) reduced to its text.
func extractMarkdown(e *extractor, text string) (*Document, error) {
	lines := strings.Split(text, "\n")
	b := &doctext.Builder{}
	// YAML front matter: skipped, its title kept.
	if len(lines) > 2 && strings.TrimSpace(lines[0]) == "---" {
		for i := 1; i < len(lines) && i < 200; i++ {
			l := strings.TrimSpace(lines[i])
			if strings.HasPrefix(l, "title:") {
				b.Title = strings.Trim(strings.TrimSpace(l[len("title:"):]), `"'`)
			}
			if l == "---" || l == "..." {
				lines = lines[i+1:]
				break
			}
		}
	}
	var para []string
	flush := func() {
		if len(para) > 0 {
			b.Para(mdInline(strings.Join(para, " ")))
			para = para[:0]
		}
	}
	fence := ""
	var code []string
	for i := 0; i < len(lines); i++ {
		if i&4095 == 0 {
			if err := e.ctx.Err(); err != nil {
				return nil, err
			}
		}
		line := strings.TrimRight(lines[i], " \t")
		trimmed := strings.TrimLeft(line, " ")
		indent := len(line) - len(trimmed)
		if fence != "" { // inside a fenced code block
			if strings.HasPrefix(trimmed, fence) && strings.Trim(trimmed, fence[:1]) == "" {
				b.Para(strings.Join(code, "\n"))
				fence, code = "", code[:0]
				continue
			}
			code = append(code, line)
			continue
		}
		switch {
		case strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~"):
			flush()
			fence = trimmed[:3]
			for _, c := range trimmed[3:] {
				if string(c) != fence[:1] {
					break
				}
				fence += fence[:1]
			}
			continue
		case trimmed == "":
			flush()
			continue
		case indent >= 4 && len(para) == 0: // indented code
			block := []string{line[4:]}
			for i+1 < len(lines) && (strings.HasPrefix(lines[i+1], "    ") || strings.TrimSpace(lines[i+1]) == "") {
				i++
				block = append(block, strings.TrimPrefix(strings.TrimRight(lines[i], " \t"), "    "))
			}
			b.Para(strings.Join(block, "\n"))
			continue
		}
		if lvl, text, ok := atxHeading(trimmed); ok && indent < 4 {
			flush()
			b.Heading(lvl, mdInline(text))
			continue
		}
		if len(para) > 0 && indent < 4 && setextLine(trimmed) != 0 {
			lvl := setextLine(trimmed)
			text := mdAttrs.ReplaceAllString(mdInline(strings.Join(para, " ")), "")
			para = para[:0]
			b.Heading(lvl, text)
			continue
		}
		if isThematicBreak(trimmed) || strings.HasPrefix(trimmed, ":::") || strings.Trim(trimmed, "- ") == "" {
			flush() // rules, Pandoc fenced divs and simple-table borders
			continue
		}
		if strings.HasPrefix(trimmed, ":   ") || strings.HasPrefix(trimmed, ":\t") {
			flush() // a definition list's definition
			trimmed = strings.TrimSpace(trimmed[1:])
		}
		if strings.HasPrefix(trimmed, ">") {
			trimmed = strings.TrimSpace(strings.TrimLeft(trimmed, "> "))
			if trimmed == "" {
				flush()
				continue
			}
		}
		if listItem.MatchString(trimmed) {
			flush()
			if strings.IndexByte("-*+", trimmed[0]) >= 0 {
				trimmed = strings.TrimSpace(trimmed[1:]) // a bullet, not text
			}
		}
		if strings.HasPrefix(trimmed, "|") && strings.Trim(trimmed, "|-: ") == "" {
			continue // a table's delimiter row
		}
		para = append(para, trimmed)
	}
	if fence != "" {
		b.Para(strings.Join(code, "\n"))
	}
	flush()
	return b.Finish(), nil
}

// mdAttrs is a heading's attribute block: "Title {#id .class}".
var mdAttrs = regexp.MustCompile(`\s*\{[#.][^{}]*\}\s*$`)

var listItem = regexp.MustCompile(`^([-*+]|\d{1,9}[.)])\s`)

// atxHeading parses "## Title ##".
func atxHeading(s string) (int, string, bool) {
	n := 0
	for n < len(s) && s[n] == '#' {
		n++
	}
	if n == 0 || n > 6 || (n < len(s) && s[n] != ' ' && s[n] != '\t') {
		return 0, "", false
	}
	text := strings.TrimSpace(s[n:])
	if t := strings.TrimRight(text, "#"); t == "" || strings.HasSuffix(t, " ") {
		text = strings.TrimSpace(t)
	}
	return n, mdAttrs.ReplaceAllString(text, ""), true
}

// setextLine returns 1 for "===", 2 for "---" underlines, else 0.
func setextLine(s string) int {
	switch {
	case len(s) > 0 && strings.Trim(s, "=") == "":
		return 1
	case len(s) > 1 && strings.Trim(s, "-") == "":
		return 2
	}
	return 0
}

func isThematicBreak(s string) bool {
	t := strings.ReplaceAll(s, " ", "")
	return len(t) >= 3 && (strings.Trim(t, "*") == "" || strings.Trim(t, "-") == "" || strings.Trim(t, "_") == "")
}

var (
	mdImage    = regexp.MustCompile(`!\[([^\[\]]*)\]\((?:[^()\s]|\([^()]*\))*(?:\s+"[^"]*")?\)`)
	mdLink     = regexp.MustCompile(`\[([^\[\]]*)\]\((?:[^()\s]|\([^()]*\))*(?:\s+"[^"]*")?\)`)
	mdAttr     = regexp.MustCompile(`\{[#.][^{}\n]*\}`)
	mdEmptyRef = regexp.MustCompile(`\[\]`)
	mdEscape   = regexp.MustCompile("\\\\([!-/:-@\\[-`{-~ ])")
	mdRefLink  = regexp.MustCompile(`\[([^\]]+)\]\[[^\]]*\]`)
	mdStrong   = regexp.MustCompile(`\*\*(\S(?:.*?\S)?)\*\*`)
	mdEmph     = regexp.MustCompile(`(^|[\s(])\*(\S(?:[^*]*?\S)?)\*`)
	mdCodeSpan = regexp.MustCompile("`+([^`]+)`+")
	mdHTMLTag  = regexp.MustCompile(`</?[a-zA-Z][a-zA-Z0-9-]*(\s[^<>]*)?/?>`)
	mdAutoLink = regexp.MustCompile(`<(https?://[^>\s]+)>`)
)

// mdInline reduces inline Markdown to its text.
func mdInline(s string) string {
	s = mdCodeSpan.ReplaceAllString(s, "$1")
	s = mdAttr.ReplaceAllString(s, "")
	for i := 0; i < 3; i++ { // links inside links: [[text](a)](b)
		t := mdImage.ReplaceAllString(s, "$1")
		t = mdLink.ReplaceAllString(t, "$1")
		if t == s {
			break
		}
		s = t
	}
	s = mdEmptyRef.ReplaceAllString(s, "")
	s = mdRefLink.ReplaceAllString(s, "$1")
	s = mdAutoLink.ReplaceAllString(s, "$1")
	s = mdStrong.ReplaceAllString(s, "$1")
	s = mdEmph.ReplaceAllString(s, "$1$2")
	s = mdHTMLTag.ReplaceAllString(s, "")
	return mdEscape.ReplaceAllString(s, "$1")
}
