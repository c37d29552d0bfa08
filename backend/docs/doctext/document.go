// Package doctext owns what every document reader shares: the Document a
// reader produces (text with its pages, sections and paragraphs as byte
// offsets), the Builder that assembles one, the Limits a file is read under,
// the Error sentences a failing file is reported with, and the text clean-up
// and bounded decoding the readers have in common. backend/docs (which picks
// the reader) and its format readers such as backend/docs/pdf import it;
// code outside backend/docs uses the same types through backend/docs.
package doctext

// Format is a document format Chapel can read.
type Format string

const (
	PDF      Format = "pdf"
	DOCX     Format = "docx"
	ODT      Format = "odt"
	EPUB     Format = "epub"
	HTML     Format = "html"
	Markdown Format = "markdown"
	Text     Format = "text"
	RTF      Format = "rtf"
)

// Span is a range of bytes [Start, End) in Document.Text.
type Span struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// Section is a heading and the text it governs: from its own start to the
// start of the next heading of the same or a higher level.
type Section struct {
	Title string `json:"title"`
	Level int    `json:"level"` // 1 = top level
	Page  int    `json:"page"`  // 1-based page the heading is on (PDF), else 0
	Start int    `json:"start"` // byte offset into Document.Text
	End   int    `json:"end"`
}

// Page is one page of a paginated document (PDF): its byte range in
// Document.Text, which excludes the "\f" that separates pages.
type Page struct {
	Number int `json:"number"` // 1-based
	Start  int `json:"start"`
	End    int `json:"end"`
}

// Document is the extracted text of one file with its structure. Its JSON
// (`chapel extract --json`) has snake_case keys, as every other command's.
type Document struct {
	Format     Format    `json:"format"`
	Title      string    `json:"title"`
	Text       string    `json:"text"`
	Pages      []Page    `json:"pages"`      // PDF only
	Sections   []Section `json:"sections"`   // in text order
	Paragraphs []Span    `json:"paragraphs"` // in text order
	// PagesAnnounced is the page count a PDF's page tree states (/Count);
	// more than len(Pages) when pages could not be read (a file cut short).
	// 0 when the file states none (or its page tree is lost), and for
	// other formats.
	PagesAnnounced int `json:"pages_announced"`
	// PagesLost says a PDF's page tree could not be read (a file cut short):
	// Pages are the page objects found, and others may be missing.
	PagesLost bool `json:"pages_lost"`
}

// PageAt returns the 1-based page holding byte offset off, or 0 when the
// document has no pages.
func (d *Document) PageAt(off int) int {
	lo, hi := 0, len(d.Pages)
	for lo < hi {
		m := (lo + hi) / 2
		if d.Pages[m].End < off {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(d.Pages) {
		return d.Pages[lo].Number
	}
	if len(d.Pages) > 0 {
		return d.Pages[len(d.Pages)-1].Number
	}
	return 0
}

// Limits bound the work and memory one file may cost.
type Limits struct {
	MaxInflated int64 // bytes a file may expand to (zip entries, PDF streams), and the largest file read whole
	MaxEntries  int   // entries in a zip-based file
	MaxDepth    int   // nesting of XML elements, PDF objects and form XObjects
	MaxPages    int   // pages of a PDF

	// Progress, when set, is called as the pages of a PDF are read, with
	// the pages done so far, last with pagesDone == pagesTotal. Other
	// formats do not call it.
	Progress func(pagesDone, pagesTotal int)
}

// DefaultLimits suits a desktop app: generous for real documents, fatal
// for bombs.
func DefaultLimits() Limits {
	return Limits{MaxInflated: 256 << 20, MaxEntries: 10000, MaxDepth: 256, MaxPages: 10000}
}

// WithDefaults returns l with every unset (zero or negative) bound taken
// from DefaultLimits.
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits()
	if l.MaxInflated <= 0 {
		l.MaxInflated = d.MaxInflated
	}
	if l.MaxEntries <= 0 {
		l.MaxEntries = d.MaxEntries
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.MaxPages <= 0 {
		l.MaxPages = d.MaxPages
	}
	return l
}

// FormatNoun names a format in a sentence: "PDF", "DOCX file", …
func FormatNoun(f Format) string {
	switch f {
	case PDF:
		return "PDF"
	case DOCX:
		return "DOCX file"
	case ODT:
		return "ODT file"
	case EPUB:
		return "EPUB book"
	case HTML:
		return "web page"
	case Markdown:
		return "Markdown file"
	case RTF:
		return "RTF file"
	}
	return "text file"
}
