package docs

import (
	"encoding/hex"
	"strconv"
	"strings"

	"golang.org/x/text/encoding/charmap"

	"github.com/chapelapp/chapel/backend/docs/doctext"
)

// rtfSkip are destinations whose text is not the document's.
var rtfSkip = map[string]bool{
	"fonttbl": true, "colortbl": true, "stylesheet": true, "info": true, "pict": true, "object": true,
	"header": true, "headerl": true, "headerr": true, "headerf": true, "footer": true, "footerl": true,
	"footerr": true, "footerf": true, "fldinst": true, "listtable": true, "listoverridetable": true,
	"revtbl": true, "rsidtbl": true, "generator": true, "xmlnstbl": true, "themedata": true,
	"colorschememapping": true, "latentstyles": true, "datastore": true, "filetbl": true,
	"bkmkstart": true, "bkmkend": true, "pntext": true, "pntxta": true, "pntxtb": true, "listtext": true,
	"shpinst": true, "nonshppict": true, "footnote": true, "annotation": true, "atnid": true, "atnauthor": true,
	"userprops": true, "docvar": true, "mmathPr": true, "wgrffmtfilter": true, "pgdsctbl": true,
}

var rtfSymbols = map[string]string{
	"emdash": "—", "endash": "–", "bullet": "•", "lquote": "‘", "rquote": "’", "ldblquote": "“",
	"rdblquote": "”", "emspace": " ", "enspace": " ", "qmspace": " ", "tab": "\t", "line": "\n",
}

type rtfState struct {
	skip  bool
	uc    int  // characters to skip after \u
	title bool // inside \title
	style bool // inside \stylesheet
}

// extractRTF tokenizes RTF: groups, control words and symbols; text in the
// \ansicpg code page; \uN characters with \ucN fallbacks skipped; headings
// from \outlinelevel or "heading N" styles.
func extractRTF(e *extractor, data []byte) (*Document, error) {
	b := &doctext.Builder{}
	cp := charmap.Windows1252
	st := rtfState{uc: 1}
	var stack []rtfState
	var text strings.Builder
	var title strings.Builder
	level := 0                  // heading level of the current paragraph
	styleLevel := map[int]int{} // style number → heading level
	pendingSkip := 0            // fallback characters still to skip after \u
	styleNum := -1
	var styleName strings.Builder
	flush := func() {
		s := strings.TrimSpace(text.String())
		text.Reset()
		if level > 0 {
			b.Heading(level, s)
		} else {
			b.Para(s)
		}
	}
	emit := func(s string) {
		switch {
		case pendingSkip > 0:
			pendingSkip--
		case st.title:
			title.WriteString(s)
		case st.style:
			styleName.WriteString(s)
		case !st.skip:
			text.WriteString(s)
		}
	}
	for i := 0; i < len(data); {
		if i&0xFFFF == 0 {
			if err := e.ctx.Err(); err != nil {
				return nil, err
			}
		}
		c := data[i]
		switch c {
		case '{':
			if len(stack) >= e.lim.MaxDepth {
				return nil, doctext.TooDeepError(RTF, e.lim.MaxDepth)
			}
			stack = append(stack, st)
			i++
		case '}':
			if len(stack) > 0 {
				st = stack[len(stack)-1]
				stack = stack[:len(stack)-1]
			}
			i++
		case '\\':
			word, param, hasParam, n := rtfControl(data[i:])
			i += n
			switch {
			case word == "'":
				var code [1]byte
				if i+2 <= len(data) {
					if _, err := hex.Decode(code[:], data[i:i+2]); err == nil {
						emit(string(cp.DecodeByte(code[0])))
						i += 2
					}
				}
				continue
			case word == "*":
				st.skip = true
				continue
			case word == "\\" || word == "{" || word == "}":
				emit(word)
				continue
			case word == "~":
				emit(" ")
				continue
			case word == "_":
				emit("-")
				continue
			case word == "\n" || word == "\r":
				word = "par"
			}
			pendingSkip = 0
			switch word {
			case "ansicpg":
				if m := codePage(param); m != nil {
					cp = m
				}
			case "uc":
				if param >= 0 && param < 10 {
					st.uc = param
				}
			case "u":
				if param < 0 {
					param += 65536
				}
				emit(string(rune(param)))
				pendingSkip = st.uc
			case "par", "sect", "page", "row":
				if !st.skip {
					flush()
				}
			case "cell", "nestcell":
				emit(" | ")
			case "pard":
				level = 0
			case "outlinelevel":
				if param >= 0 && param < 9 {
					if st.style && styleNum >= 0 {
						styleLevel[styleNum] = param + 1
					} else if !st.skip {
						level = param + 1
					}
				}
			case "s":
				if st.style {
					styleNum = param
				} else if l := styleLevel[param]; l > 0 && !st.skip {
					level = l
				}
			case "stylesheet":
				st.style, st.skip = true, true
			case "title":
				st.title = true
			case "bin":
				if hasParam && param > 0 {
					i = min(len(data), i+param)
				}
			default:
				if s, ok := rtfSymbols[word]; ok {
					emit(s)
				} else if rtfSkip[word] {
					st.skip = true
				}
			}
		case '\r', '\n':
			i++
		default:
			j := i
			for j < len(data) && data[j] != '\\' && data[j] != '{' && data[j] != '}' && data[j] != '\r' && data[j] != '\n' {
				j++
			}
			for _, c := range data[i:j] {
				if c < 0x80 {
					emit(string(rune(c)))
				} else {
					emit(string(cp.DecodeByte(c)))
				}
			}
			// In the style sheet, "name;" ends an entry.
			if st.style {
				if name := styleName.String(); strings.Contains(name, ";") {
					if lvl := headingLevel(strings.TrimSuffix(strings.TrimSpace(name), ";")); lvl > 0 && styleNum >= 0 {
						styleLevel[styleNum] = lvl
					}
					styleName.Reset()
					styleNum = -1
				}
			}
			i = j
		}
	}
	flush()
	b.Title = doctext.CleanTitle(title.String())
	return b.Finish(), nil
}

// rtfControl reads a control word or symbol at data[0] == '\\': its name,
// numeric parameter and the bytes consumed (with the delimiting space).
func rtfControl(data []byte) (string, int, bool, int) {
	i := 1
	if i >= len(data) {
		return "", 0, false, 1
	}
	if !isLetter(data[i]) {
		return string(data[i]), 0, false, 2
	}
	for i < len(data) && isLetter(data[i]) && i < 64 {
		i++
	}
	word := string(data[1:i])
	j := i
	if j < len(data) && data[j] == '-' {
		j++
	}
	for j < len(data) && data[j] >= '0' && data[j] <= '9' && j-i < 10 {
		j++
	}
	param, hasParam := 0, false
	if j > i {
		if v, err := strconv.Atoi(string(data[i:j])); err == nil {
			param, hasParam = v, true
		}
	}
	if j < len(data) && data[j] == ' ' {
		j++
	}
	return word, param, hasParam, j
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// codePage maps an \ansicpg number to a decoder.
func codePage(n int) *charmap.Charmap {
	switch n {
	case 1250:
		return charmap.Windows1250
	case 1251:
		return charmap.Windows1251
	case 1252:
		return charmap.Windows1252
	case 1253:
		return charmap.Windows1253
	case 1254:
		return charmap.Windows1254
	case 1255:
		return charmap.Windows1255
	case 1256:
		return charmap.Windows1256
	case 1257:
		return charmap.Windows1257
	case 1258:
		return charmap.Windows1258
	case 437:
		return charmap.CodePage437
	case 850:
		return charmap.CodePage850
	case 10000:
		return charmap.Macintosh
	}
	return nil
}
