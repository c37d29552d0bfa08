package docs

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"
)

// textInputs are plain texts that exercise every branch of decoding and
// paragraph splitting: encodings (UTF-8 with and without a BOM and with
// damage, UTF-16 both ways with and without a BOM, Windows-1252), line
// ends (CRLF, CR, none at the end), form feeds, lines of white space
// alone, trailing spaces, controls, and lines far longer than a block.
func textInputs(t *testing.T) map[string][]byte {
	t.Helper()
	in := map[string][]byte{}
	corpus, _ := filepath.Glob("/work/shared/corpus/*")
	ref, _ := filepath.Glob("/work/shared/corpus/reference/*")
	for _, p := range append(corpus, ref...) {
		if data, err := os.ReadFile(p); err == nil {
			// Every file is read as text, a PDF's or a zip's bytes too:
			// damaged UTF-8 and Windows-1252 at length.
			in["corpus/"+filepath.Base(p)] = data
		}
	}
	if len(in) == 0 {
		t.Log("no corpus in /work/shared/corpus; generated texts only")
	}
	prose := "First line of the first paragraph,  \nits second line.\t\n\nA second paragraph: café, naïve, 日本語, emoji 🙂.\n"
	utf16le := func(s string, bom bool) []byte {
		var b bytes.Buffer
		if bom {
			b.Write([]byte{0xFF, 0xFE})
		}
		binary.Write(&b, binary.LittleEndian, utf16.Encode([]rune(s)))
		return b.Bytes()
	}
	utf16be := func(s string, bom bool) []byte {
		var b bytes.Buffer
		if bom {
			b.Write([]byte{0xFE, 0xFF})
		}
		binary.Write(&b, binary.BigEndian, utf16.Encode([]rune(s)))
		return b.Bytes()
	}
	long := strings.Repeat("word ", 700_000) // 3.5 MB in one line: past a block and the line spill
	gen := map[string]string{
		"lf":                  prose,
		"crlf":                strings.ReplaceAll(prose, "\n", "\r\n"),
		"cr":                  strings.ReplaceAll(prose, "\n", "\r"),
		"mixed line ends":     "a\r\r\nb\n\rc\r\n\r\nd\r",
		"cr control lf":       "one\r\x01\ntwo\r\ufeff\nthree",
		"no trailing newline": "one paragraph\n\nthe last, unended",
		"blank lines only":    "  \n\t\n \u00a0 \n\u3000\n",
		"form feeds":          "page one\fpage two\n\f\fpage three\f",
		"trailing spaces":     "a   \t\nb \t \n\n  indented\t  \n",
		"nbsp and soft hyphen": "a\u00a0\nb\u00a0\u00a0\n\u00ad\nc\n\n\u00a0\u00a0x\u00a0\n\n\u00ad\n\n" +
			"\ufb01ne \ufb03ce\u0085end\u200b",
		"controls":           "nul\x00 bell\x07 del\x7f esc\x1b[0m\v vt\u0080\u009f\n\nbom\ufeffinside",
		"valid replacement":  "a\uFFFDb\n\n\uFFFD",
		"huge single line":   long,
		"huge line trailing": long + "   \t  \n" + long + strings.Repeat(" ", 100_000) + "x",
		"huge blank line":    strings.Repeat(" \t", 200_000) + "\nafter",
		"empty":              "",
		"one char":           "x",
		"many paragraphs":    strings.Repeat("line one\nline two  \n\n\n", 5000),
	}
	for name, s := range gen {
		in[name] = []byte(s)
		in[name+" (utf-8 bom)"] = append([]byte{0xEF, 0xBB, 0xBF}, s...)
	}
	in["utf16le bom"] = utf16le(prose, true)
	in["utf16be bom"] = utf16be(prose, true)
	in["utf16le no bom"] = utf16le(strings.Repeat(prose, 3), false)
	in["utf16be no bom"] = utf16be(strings.Repeat(prose, 3), false)
	in["utf16le crlf long"] = utf16le(strings.ReplaceAll(strings.Repeat(prose, 2000), "\n", "\r\n"), true)
	in["utf16 lone surrogates"] = append(utf16le("ab", true), 0x00, 0xD8, 0x41, 0x00, 0x00, 0xDC, 0x00, 0xD8, 0x00, 0xD8, 0x00, 0xDC, 0x00, 0xD8)
	in["utf16 odd byte"] = append(utf16be("odd", true), 'x')
	cp := []byte("Caf\xe9 na\xefve \x80 \x81 \x93quoted\x94\r\n\r\n\xa0\xa0\n\xadsoft \xff")
	in["cp1252"] = cp
	in["cp1252 long"] = bytes.Repeat(cp, 50_000)
	damaged := []byte("caf\xc3\xa9 \xff\xfe\xfd run, \xe2\x82 cut, \xf0\x9f\x99\x82 ok, \xc3\xa9\xc3\xa9 \x80\n\nend\xe2")
	in["utf-8 damaged"] = damaged
	in["utf-8 damaged long"] = bytes.Repeat(damaged, 30_000)
	return in
}

// TestTextStreamSame reads every input with the streaming reader, with
// blocks of many sizes (so that characters, CRLF pairs, surrogate pairs and
// bad runs are cut at every place), and with the reader it replaced: the
// text, paragraphs, sections and title must be byte for byte the same.
// Markdown, which shares the decoding, is compared the same way.
func TestTextStreamSame(t *testing.T) {
	defer func(n int) { textBlock = n }(textBlock)
	e := &extractor{ctx: context.Background(), lim: DefaultLimits(), format: Text}
	for name, data := range textInputs(t) {
		want, err := oldExtractText(e, data)
		if err != nil {
			t.Fatalf("%s: old reader: %v", name, err)
		}
		wantText := oldDecodeText(data)
		wantMD, mdErr := extractMarkdown(e, wantText)
		blocks := []int{1 << 20, 1, 2, 3, 5, 4096, 65537}
		if len(data) > 64<<10 {
			blocks = []int{1 << 20, 4093, 65537} // long inputs: fewer blocks, still cut at thousands of places
		}
		for _, n := range blocks {
			textBlock = n
			t.Run(fmt.Sprintf("%s/block=%d", name, n), func(t *testing.T) {
				got, err := extractText(e, data)
				if err != nil {
					t.Fatal(err)
				}
				if got.Text != want.Text {
					t.Fatalf("text differs at byte %d of %d/%d", firstDiff(got.Text, want.Text), len(got.Text), len(want.Text))
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("document differs:\n got %+v\nwant %+v", got.Paragraphs[:min(5, len(got.Paragraphs))], want.Paragraphs[:min(5, len(want.Paragraphs))])
				}
				if s := decodeText(data); s != wantText {
					t.Fatalf("decoded text differs at byte %d", firstDiff(s, wantText))
				}
				if mdErr == nil && n == 1<<20 {
					md, err := extractMarkdown(e, decodeText(data))
					if err != nil || !reflect.DeepEqual(md, wantMD) {
						t.Fatalf("markdown differs (%v)", err)
					}
				}
			})
		}
	}
}

// TestTextExtractSame runs the whole of Extract (the streaming path from a
// file) over the corpus's text and Markdown files and the generated texts
// saved as files, against the old reader.
func TestTextExtractSame(t *testing.T) {
	dir := t.TempDir()
	e := &extractor{ctx: context.Background(), lim: DefaultLimits(), format: Text}
	for name, data := range textInputs(t) {
		isMD := strings.HasSuffix(name, ".md")
		if strings.HasPrefix(name, "corpus/") && !isMD && !strings.HasSuffix(name, ".txt") {
			continue // Extract reads these by their format
		}
		fname := "f.txt"
		if isMD {
			fname = "f.md"
		}
		path := filepath.Join(dir, fname)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		got, gotErr := Extract(context.Background(), f, int64(len(data)), fname, DefaultLimits())
		f.Close()
		var want *Document
		var wantErr error
		if isMD {
			want, wantErr = extractMarkdown(e, oldDecodeText(data))
		} else {
			want, wantErr = oldExtractText(e, data)
		}
		if wantErr != nil {
			t.Fatalf("%s: old reader: %v", name, wantErr)
		}
		if len(data) == 0 || blank(want.Text) || binaryHead(data[:min(len(data), 1024)]) {
			if gotErr == nil {
				t.Errorf("%s: read, want a refusal", name)
			}
			continue
		}
		if gotErr != nil {
			t.Errorf("%s: %v", name, gotErr)
			continue
		}
		want.Format = got.Format
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: document differs (text at byte %d)", name, firstDiff(got.Text, want.Text))
		}
	}
}

func firstDiff(a, b string) int {
	for i := 0; i < min(len(a), len(b)); i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// extractText reads plain text held in memory (see readText).
func extractText(e *extractor, data []byte) (*Document, error) {
	return readText(e, bytes.NewReader(data), int64(len(data)))
}

// decodeText turns bytes into UTF-8 (see sniffText for how the encoding is
// chosen). Bad bytes become U+FFFD; "\r\n" and "\r" become "\n"; control
// characters other than tab, newline and form feed are dropped, as is
// U+FEFF.
func decodeText(data []byte) string {
	s, _ := readDecoded(context.Background(), bytes.NewReader(data), int64(len(data)))
	return s
}
