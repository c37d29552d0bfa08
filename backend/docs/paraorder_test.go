package docs

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"fmt"
	"index/suffixarray"
	"io"
	"io/fs"
	"os"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/chapelapp/chapel/backend/docs/internal/docstest"
)

// TestCorpusParagraphOrder measures, for each non-PDF corpus file, the
// requirement "every paragraph of the source appears once, in order".
//
// The source's paragraphs come from readers written here, independently
// of the package's own (none of its format code is called): HTML block
// elements, the EPUB spine's XHTML, DOCX w:p, ODT text:p/text:h, Markdown
// and plain-text blank-line blocks. Both sides are normalised the same
// way: lowercased, split into runs of letters and digits (so punctuation,
// markup symbols and all white space vanish), soft hyphens and zero-width
// characters dropped, ligatures expanded. Paragraph boundaries are not
// compared: a source paragraph is looked up as a token sequence in the
// whole extracted text. Paragraphs under three tokens ("Next", "-c") are
// skipped: they legitimately repeat. A paragraph repeated word for word
// must come out as many times as the source says it.
//
// Per file: found = source paragraphs present at all; once = found ones
// present exactly as many times as in the source (normally once); in
// order = the longest increasing run of their positions over found;
// whole = source paragraphs that are also one extracted paragraph
// (reported only: tables come out a row per paragraph). PARA_MISSES=1
// logs every paragraph missing, repeated or out of order.
func TestCorpusParagraphOrder(t *testing.T) {
	cases := []struct {
		name string
		read func(data []byte) ([]string, error)
	}{
		{"debian-reference-ch07.epub", epubSourceParas},
		{"debian-reference-ch10.html", htmlSourceParas},
		{"debian-reference-part.txt", textSourceParas},
		{"zsh-expansion.docx", docxSourceParas},
		{"zsh-expansion.odt", odtSourceParas},
		{"zsh-invocation.md", markdownSourceParas},
		{"zsh-redirection.html", htmlSourceParas},
	}
	var summary []string
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := docstest.CorpusFile(t, c.name)
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			src, err := c.read(data)
			if err != nil {
				t.Fatalf("independent reader: %v", err)
			}
			doc := extractFile(t, p)
			r := measureParas(src, doc)
			line := fmt.Sprintf("%-28s %5d paragraphs, %5.1f %% found, %5.1f %% once, %5.1f %% in order, %5.1f %% whole",
				c.name+":", r.total, pct(r.found, r.total), pct(r.once, r.found), pct(r.inOrder, r.found), pct(r.whole, r.total))
			t.Log(line)
			summary = append(summary, line)
			if r.total < 20 {
				t.Errorf("only %d source paragraphs: the independent reader found too little", r.total)
			}
			show := 0
			if os.Getenv("PARA_MISSES") != "" {
				show = len(r.misses)
			}
			if pct(r.found, r.total) < 98 || pct(r.once, r.found) < 98 || pct(r.inOrder, r.found) < 99 {
				t.Errorf("below the bar (98 %% found, 98 %% once, 99 %% in order)")
				show = max(show, min(len(r.misses), 12))
			}
			for _, m := range r.misses[:show] {
				t.Log(m)
			}
		})
	}
	if len(summary) > 0 {
		t.Logf("paragraph order, source vs extracted:\n%s", strings.Join(summary, "\n"))
	}
}

// TestMeasureParas checks the measure itself on a made-up extraction that
// drops one paragraph, doubles one and swaps two.
func TestMeasureParas(t *testing.T) {
	var src []string
	for i := 0; i < 10; i++ {
		src = append(src, fmt.Sprintf("Paragraph number %d says %c.", i, 'a'+i))
	}
	src = append(src, "Next", "Next") // trivial: not counted
	out := []string{src[0], src[2], src[1], src[3], src[4], src[4], src[6], src[7], src[8], src[9], "Next"}
	doc := &Document{Text: strings.Join(out, "\n\n")}
	for off, i := 0, 0; i < len(out); i++ {
		doc.Paragraphs = append(doc.Paragraphs, Span{Start: off, End: off + len(out[i])})
		off += len(out[i]) + 2
	}
	r := measureParas(src, doc)
	if r.total != 10 || r.found != 9 || r.once != 8 || r.inOrder != 8 || r.whole != 9 {
		t.Errorf("got %+v, want 10 paragraphs, 9 found, 8 once, 8 in order, 9 whole", r)
	}
}

type paraResult struct {
	total, found, once, inOrder, whole int
	misses                             []string // what fell short, for the log
}

func pct(n, d int) float64 {
	if d == 0 {
		return 100
	}
	return 100 * float64(n) / float64(d)
}

var normCleaner = strings.NewReplacer("\u00ad", "", "\u200b", "", "\u200c", "", "\u200d", "", "\u2060", "", "\ufeff", "",
	"\ufb00", "ff", "\ufb01", "fi", "\ufb02", "fl", "\ufb03", "ffi", "\ufb04", "ffl")

// normTokens is a paragraph's normalised token sequence.
func normTokens(s string) []string { return docstest.Tokens(normCleaner.Replace(s)) }

// measureParas looks each source paragraph up in the extracted text.
func measureParas(src []string, doc *Document) paraResult {
	var r paraResult
	// " tok tok … " strings: a key " a b " matches whole tokens only.
	var srcText strings.Builder
	srcText.WriteByte(' ')
	var keys []string
	var offs []int
	for _, p := range src {
		toks := normTokens(p)
		if len(toks) == 0 {
			continue
		}
		j := strings.Join(toks, " ")
		if len(toks) >= 3 {
			keys = append(keys, " "+j+" ")
			offs = append(offs, srcText.Len()-1)
		}
		srcText.WriteString(j + " ")
	}
	outText := " " + strings.Join(normTokens(doc.Text), " ") + " "
	whole := map[string]bool{}
	for _, sp := range doc.Paragraphs {
		whole[" "+strings.Join(normTokens(doc.Text[sp.Start:sp.End]), " ")+" "] = true
	}
	srcIdx, outIdx := suffixarray.New([]byte(srcText.String())), suffixarray.New([]byte(outText))
	lookup := func(idx *suffixarray.Index, k string) []int {
		o := idx.Lookup([]byte(k), -1)
		sort.Ints(o)
		return o
	}
	var positions []int // extracted position of each found paragraph, in source order
	var found []string
	for i, k := range keys {
		r.total++
		if whole[k] {
			r.whole++
		}
		want, got := lookup(srcIdx, k), lookup(outIdx, k)
		if len(got) == 0 {
			r.misses = append(r.misses, fmt.Sprintf("missing: %.160q", k))
			continue
		}
		r.found++
		if len(got) == len(want) {
			r.once++
		} else {
			r.misses = append(r.misses, fmt.Sprintf("%d times, source has %d: %.160q", len(got), len(want), k))
		}
		rank := sort.SearchInts(want, offs[i]) // the how-manyth of its kind this one is
		positions = append(positions, got[min(rank, len(got)-1)])
		found = append(found, k)
	}
	for i, ok := range lisMembers(positions) {
		if ok {
			r.inOrder++
		} else {
			r.misses = append(r.misses, fmt.Sprintf("out of order: %.160q", found[i]))
		}
	}
	return r
}

// lisMembers marks the members of one longest strictly increasing
// subsequence of xs.
func lisMembers(xs []int) []bool {
	var tails, tailIdx []int // tails[j]: smallest end of an increasing run of length j+1
	prev := make([]int, len(xs))
	for i, x := range xs {
		j := sort.SearchInts(tails, x)
		if j == len(tails) {
			tails, tailIdx = append(tails, x), append(tailIdx, i)
		} else {
			tails[j], tailIdx[j] = x, i
		}
		prev[i] = -1
		if j > 0 {
			prev[i] = tailIdx[j-1]
		}
	}
	in := make([]bool, len(xs))
	if n := len(tailIdx); n > 0 {
		for i := tailIdx[n-1]; i >= 0; i = prev[i] {
			in[i] = true
		}
	}
	return in
}

// Independent source readers.

// srcBlocks are the HTML elements whose text is a paragraph (p, li,
// h1–h6, pre, td/th, dt/dd, blockquote) or that end one (containers). A
// nested block splits its parent's text; text loose in a container (a
// table of contents made of <span>s in a <div>) is a paragraph too, as a
// browser shows it. srcHidden are never text.
var (
	srcBlocks = map[atom.Atom]bool{atom.P: true, atom.Li: true, atom.H1: true, atom.H2: true, atom.H3: true,
		atom.H4: true, atom.H5: true, atom.H6: true, atom.Pre: true, atom.Td: true, atom.Th: true, atom.Dt: true,
		atom.Dd: true, atom.Blockquote: true, atom.Div: true, atom.Ul: true, atom.Ol: true, atom.Dl: true, atom.Table: true,
		atom.Tr: true, atom.Section: true, atom.Article: true, atom.Hr: true, atom.Figure: true, atom.Body: true}
	srcHidden = map[atom.Atom]bool{atom.Head: true, atom.Script: true, atom.Style: true, atom.Template: true, atom.Noscript: true}
)

// htmlSourceParas parses a page into a tree and returns its paragraphs.
// Reader choice, not the extractor's: DocBook's navigation bars (div
// class navheader/navfooter: "Prev", "Next" and the neighbouring chapters'
// titles) are left out, as page chrome the extractor rightly drops.
func htmlSourceParas(data []byte) ([]string, error) {
	root, err := html.Parse(bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	var out []string
	var cur strings.Builder
	flush := func() {
		if s := strings.Join(strings.Fields(cur.String()), " "); s != "" {
			out = append(out, s)
		}
		cur.Reset()
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		switch n.Type {
		case html.TextNode:
			cur.WriteString(n.Data)
			return
		case html.ElementNode:
			if srcHidden[n.DataAtom] {
				return
			}
			for _, a := range n.Attr {
				if a.Key == "class" && (a.Val == "navheader" || a.Val == "navfooter") {
					return
				}
			}
			if n.DataAtom == atom.Br {
				cur.WriteByte(' ')
			}
		}
		block := n.Type == html.ElementNode && srcBlocks[n.DataAtom]
		if block {
			flush()
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
		if block {
			flush()
		}
	}
	walk(root)
	flush()
	return out, nil
}

// epubSourceParas reads the OPF named by container.xml and the spine's
// XHTML documents in order. The navigation document (properties="nav")
// is left out: it is a table of contents, not text of the book.
func epubSourceParas(data []byte) ([]string, error) {
	var container struct {
		Root struct {
			Path string `xml:"full-path,attr"`
		} `xml:"rootfiles>rootfile"`
	}
	var opf struct {
		Items []struct {
			ID    string `xml:"id,attr"`
			Href  string `xml:"href,attr"`
			Props string `xml:"properties,attr"`
		} `xml:"manifest>item"`
		Spine []struct {
			IDRef string `xml:"idref,attr"`
		} `xml:"spine>itemref"`
	}
	unmarshal := func(name string, v any) error {
		b, err := unzip(data, name)
		if err == nil {
			err = xml.Unmarshal(b, v)
		}
		return err
	}
	if err := unmarshal("META-INF/container.xml", &container); err != nil {
		return nil, err
	}
	opfPath := container.Root.Path
	if err := unmarshal(opfPath, &opf); err != nil {
		return nil, err
	}
	var out []string
	for _, ref := range opf.Spine {
		for _, it := range opf.Items {
			if it.ID != ref.IDRef || strings.Contains(" "+it.Props+" ", " nav ") {
				continue
			}
			b, err := unzip(data, path.Join(path.Dir(opfPath), it.Href))
			if err != nil {
				return nil, err
			}
			paras, err := htmlSourceParas(b)
			if err != nil {
				return nil, err
			}
			out = append(out, paras...)
		}
	}
	return out, nil
}

// unzip reads one entry of a zip file.
func unzip(data []byte, name string) ([]byte, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, err
	}
	return fs.ReadFile(zr, name)
}

// xmlParas returns the text of each paragraph element of one zip entry:
// isPara names the paragraph elements, isText those whose character data
// is text (nil: all inside a paragraph), isSpace those that stand for a
// space (tabs, breaks). A paragraph nested in another (a note, a text
// box) is a paragraph of its own.
func xmlParas(data []byte, entry string, isPara, isText, isSpace func(xml.Name) bool) ([]string, error) {
	body, err := unzip(data, entry)
	if err != nil {
		return nil, err
	}
	dec := xml.NewDecoder(bytes.NewReader(body))
	var out []string
	var stack []*strings.Builder
	inText := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			switch {
			case isPara(tok.Name):
				stack = append(stack, &strings.Builder{})
			case isText != nil && isText(tok.Name):
				inText++
			case isSpace(tok.Name) && len(stack) > 0:
				stack[len(stack)-1].WriteByte(' ')
			}
		case xml.EndElement:
			switch {
			case isPara(tok.Name) && len(stack) > 0:
				if s := strings.Join(strings.Fields(stack[len(stack)-1].String()), " "); s != "" {
					out = append(out, s)
				}
				stack = stack[:len(stack)-1]
			case isText != nil && isText(tok.Name):
				inText--
			}
		case xml.CharData:
			if len(stack) > 0 && (isText == nil || inText > 0) {
				stack[len(stack)-1].Write(tok)
			}
		}
	}
}

// xmlNames matches elements of one namespace by local name.
func xmlNames(space string, locals ...string) func(xml.Name) bool {
	return func(n xml.Name) bool { return n.Space == space && slices.Contains(locals, n.Local) }
}

func docxSourceParas(data []byte) ([]string, error) {
	const w = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
	return xmlParas(data, "word/document.xml", xmlNames(w, "p"), xmlNames(w, "t"), xmlNames(w, "tab", "br", "cr"))
}

func odtSourceParas(data []byte) ([]string, error) {
	const text = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
	return xmlParas(data, "content.xml", xmlNames(text, "p", "h"), nil, xmlNames(text, "s", "tab", "line-break"))
}

// textSourceParas splits plain text on blank lines.
func textSourceParas(data []byte) ([]string, error) {
	var out []string
	for _, block := range regexp.MustCompile(`\n[ \t\f\r]*\n`).Split(strings.ReplaceAll(string(data), "\r\n", "\n"), -1) {
		if s := strings.Join(strings.Fields(block), " "); s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}

var (
	mdFenceLine = regexp.MustCompile("^\\s*(:::|```|~~~|[-=+|: ]+$)") // fences, rules, table borders
	mdTarget    = regexp.MustCompile(`\]\((?:[^()]|\([^()]*\))*\)`)   // a link's (url "title")
	mdAttrSpan  = regexp.MustCompile(`\{[#.][^}]*\}`)                 // {#id .class}
)

// markdownSourceParas splits Markdown on blank lines and strips markup
// simply: fence and rule lines, link targets and attribute blocks go; the
// remaining symbols (#, *, `, \, >, [ ]) are punctuation the normalisation
// drops.
func markdownSourceParas(data []byte) ([]string, error) {
	var blocks []string
	for _, block := range regexp.MustCompile(`\n[ \t]*\n`).Split(string(data), -1) {
		var lines []string
		for _, l := range strings.Split(block, "\n") {
			if !mdFenceLine.MatchString(l) {
				lines = append(lines, l)
			}
		}
		s := strings.Join(lines, " ")
		s = mdAttrSpan.ReplaceAllString(mdTarget.ReplaceAllString(s, "]"), "")
		if s = strings.Join(strings.Fields(s), " "); s != "" {
			blocks = append(blocks, s)
		}
	}
	return blocks, nil
}
