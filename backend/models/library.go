package models

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/download"
	"github.com/chapelapp/chapel/backend/paths"
)

// EventDownloadPrefix starts the event name of each download's progress:
// download:progress:<catalogue id>.
const EventDownloadPrefix = "download:progress:"

// Library is the catalogue as the window sees it: what fits this computer,
// and downloading its models into Chapel's models folder.
type Library struct {
	dir string // Chapel's models folder, where downloads go
	dl  *download.Manager
	em  Emitter
}

// NewLibrary downloads into dir; progress events go to em (may be nil).
func NewLibrary(dir string, opts download.Options, em Emitter) *Library {
	return &Library{dir: dir, dl: download.NewManager(opts), em: em}
}

// CatalogView is the catalogue rated against this computer.
type CatalogView struct {
	Machine   Machine             `json:"machine"`
	Models    []Fit               `json:"models"`
	Downloads []download.Progress `json:"downloads"` // running, paused, or left unfinished by an earlier run
	Dir       string              `json:"dir"`
}

// DownloadRef names a started download and the event its progress streams on.
type DownloadRef struct {
	ID    string `json:"id"` // the catalogue id
	File  string `json:"file"`
	Event string `json:"event"`
}

// MeasureMachine measures this computer's memory and the free disk of dir.
func MeasureMachine(dir string) Machine {
	total, avail := Memory()
	free := int64(-1)
	probe := dir
	for probe != "" {
		if f, err := paths.DiskFree(probe); err == nil {
			free = f
			break
		}
		parent := filepath.Dir(probe)
		if parent == probe {
			break
		}
		probe = parent // the folder may not exist yet
	}
	return Machine{TotalMemory: total, AvailableMemory: avail, DiskFree: free}
}

// HaveFile reports whether dir holds a finished file of that name.
func HaveFile(dir string) func(string) bool {
	return func(file string) bool {
		fi, err := os.Stat(filepath.Join(dir, file))
		return err == nil && fi.Mode().IsRegular()
	}
}

// View rates the catalogue against this computer.
func (l *Library) View() (CatalogView, error) {
	c, err := LoadCatalog()
	if err != nil {
		return CatalogView{}, apperr.Wrap(apperr.Internal, err, "the model catalogue cannot be read")
	}
	mc := MeasureMachine(l.dir)
	return CatalogView{Machine: mc, Models: c.Fits(mc, HaveFile(l.dir)), Downloads: l.downloads(c), Dir: l.dir}, nil
}

// downloads lists the running and unfinished downloads, by catalogue id.
func (l *Library) downloads(c *Catalog) []download.Progress {
	byFile := map[string]string{}
	for _, m := range c.Models {
		byFile[m.File] = m.ID
	}
	seen := map[string]bool{}
	var out []download.Progress
	add := func(p download.Progress) {
		if seen[p.File] {
			return
		}
		seen[p.File] = true
		if id, ok := byFile[p.File]; ok {
			p.ID = id
		}
		out = append(out, p)
	}
	for _, p := range l.dl.List() {
		add(p)
	}
	for _, p := range download.Pending(l.dir) {
		add(p)
	}
	return out
}

func (l *Library) find(id string) (*Catalog, CatalogModel, error) {
	c, err := LoadCatalog()
	if err != nil {
		return nil, CatalogModel{}, apperr.Wrap(apperr.Internal, err, "the model catalogue cannot be read")
	}
	m, ok := c.Find(id)
	if !ok {
		return nil, CatalogModel{}, apperr.New(apperr.NotFound, "%q is not in the model catalogue", id)
	}
	return c, m, nil
}

// Request is the download of catalogue model m into dir.
func (c *Catalog) Request(m CatalogModel, dir string) download.Request {
	return download.Request{URL: c.URL(m), Dir: dir, File: m.File, SHA256: m.SHA256, Size: m.SizeBytes}
}

// Start downloads catalogue model id (resuming a part left on disk).
func (l *Library) Start(id string) (DownloadRef, error) {
	c, m, err := l.find(id)
	if err != nil {
		return DownloadRef{}, err
	}
	ref := DownloadRef{ID: id, File: m.File, Event: EventDownloadPrefix + id}
	if HaveFile(l.dir)(m.File) {
		return DownloadRef{}, apperr.New(apperr.Conflict, "%s is already downloaded", m.Name)
	}
	_, err = l.dl.Start(c.Request(m, l.dir), l.reporter(ref))
	return ref, err
}

func (l *Library) reporter(ref DownloadRef) func(download.Progress) {
	return func(p download.Progress) {
		p.ID = ref.ID
		if l.em != nil {
			l.em.Emit(ref.Event, p)
		}
	}
}

// Pause pauses catalogue model id's download; its part is kept.
func (l *Library) Pause(id string) error {
	_, m, err := l.find(id)
	if err != nil {
		return err
	}
	return l.dl.Pause(m.File)
}

// Resume continues catalogue model id's paused or unfinished download.
func (l *Library) Resume(id string) (DownloadRef, error) {
	c, m, err := l.find(id)
	if err != nil {
		return DownloadRef{}, err
	}
	ref := DownloadRef{ID: id, File: m.File, Event: EventDownloadPrefix + id}
	if _, ok := download.Resumable(l.dir, m.File); !ok {
		_, err = l.dl.Start(c.Request(m, l.dir), l.reporter(ref))
		return ref, err
	}
	return ref, l.dl.Resume(m.File, l.dir, l.reporter(ref))
}

// Cancel stops catalogue model id's download and deletes its part.
func (l *Library) Cancel(id string) error {
	_, m, err := l.find(id)
	if err != nil {
		return err
	}
	return l.dl.Cancel(m.File, l.dir)
}

// Close pauses the running downloads (their parts resume next time).
func (l *Library) Close() { l.dl.Close() }

// ResolveDownload turns a catalogue id or an address into a download into
// dir; sha256 (may be "") is the expected digest of an address.
func ResolveDownload(idOrURL, sha256, dir string) (download.Request, string, error) {
	if strings.HasPrefix(idOrURL, "http://") || strings.HasPrefix(idOrURL, "https://") {
		file := download.FileFromURL(idOrURL)
		if !strings.HasSuffix(strings.ToLower(file), Ext) {
			return download.Request{}, "", apperr.New(apperr.Invalid, "%q does not name a .gguf file", idOrURL)
		}
		return download.Request{URL: idOrURL, Dir: dir, File: file, SHA256: sha256}, file, nil
	}
	c, err := LoadCatalog()
	if err != nil {
		return download.Request{}, "", err
	}
	m, ok := c.Find(idOrURL)
	if !ok {
		return download.Request{}, "", apperr.New(apperr.NotFound, "%q is neither a catalogue id (see 'chapel models catalog') nor a web address", idOrURL)
	}
	r := c.Request(m, dir)
	if sha256 != "" {
		r.SHA256 = sha256
	}
	return r, m.Name, nil
}
