package docs

import (
	"encoding/xml"
	"errors"
	"io"
	"net/url"
	"path"
	"strings"

	"github.com/chapelapp/chapel/backend/docs/doctext"
)

// extractEPUB follows META-INF/container.xml to the package document and
// reads the spine's XHTML files in order, skipping the navigation document.
func extractEPUB(z *zipDoc) (*Document, error) {
	container, err := z.read("META-INF/container.xml")
	if err != nil {
		return nil, err
	}
	opfPath := ""
	x := z.xml(container)
	for opfPath == "" {
		t, err := x.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		if se, ok := t.(xml.StartElement); ok && se.Name.Local == "rootfile" {
			opfPath = attr(se, "full-path")
		}
	}
	if opfPath == "" {
		return nil, doctext.DamagedError(EPUB, errors.New("container.xml names no package document"))
	}
	opf, err := z.read(opfPath)
	if err != nil {
		return nil, err
	}
	pkg, err := parseOPF(z, opf)
	if err != nil {
		return nil, err
	}
	b := &doctext.Builder{}
	base := path.Dir(opfPath)
	for _, id := range pkg.spine {
		it, ok := pkg.items[id]
		if !ok || it.nav || id == pkg.ncx || !strings.Contains(it.mediaType, "html") {
			continue
		}
		name := it.href
		if u, err := url.PathUnescape(name); err == nil {
			name = u
		}
		if i := strings.IndexByte(name, '#'); i >= 0 {
			name = name[:i]
		}
		data, err := z.read(path.Join(base, name))
		if err != nil {
			if KindOf(err) == Damaged { // a missing chapter: read the rest
				continue
			}
			return nil, err
		}
		if _, err := htmlInto(z.e, decodeHTML(data), b); err != nil {
			return nil, err
		}
		b.EndPara()
	}
	b.Title = pkg.title
	return b.Finish(), nil
}

type opfItem struct {
	href, mediaType string
	nav             bool
}

type opfPackage struct {
	title string
	items map[string]opfItem
	spine []string
	ncx   string // the id of the NCX table of contents
}

func parseOPF(z *zipDoc, data []byte) (*opfPackage, error) {
	p := &opfPackage{items: map[string]opfItem{}}
	x := z.xml(data)
	inTitle := false
	var title strings.Builder
	for {
		t, err := x.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := t.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "title":
				inTitle = p.title == "" && title.Len() == 0
			case "item":
				p.items[attr(t, "id")] = opfItem{
					href: attr(t, "href"), mediaType: attr(t, "media-type"),
					nav: strings.Contains(" "+attr(t, "properties")+" ", " nav "),
				}
			case "spine":
				p.ncx = attr(t, "toc")
			case "itemref":
				if attr(t, "linear") != "no" {
					p.spine = append(p.spine, attr(t, "idref"))
				}
			}
		case xml.EndElement:
			if t.Name.Local == "title" && inTitle {
				inTitle = false
				p.title = doctext.CleanTitle(title.String())
			}
		case xml.CharData:
			if inTitle {
				title.Write(t)
			}
		}
	}
	return p, nil
}
