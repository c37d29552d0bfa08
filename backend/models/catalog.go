package models

import (
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"

	catalog "github.com/chapelapp/chapel/models"
)

// EnvCatalogFile replaces the built-in catalogue with a JSON file. It
// exists for tests only: the browser test and the CLI tests list a
// synthetic model served from 127.0.0.1 (a catalogue's host must be https,
// or http on a loopback address).
const EnvCatalogFile = "CHAPEL_CATALOG_FILE"

// CatalogModel is one model of the curated catalogue (models/catalog.json).
type CatalogModel struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	Kind           string `json:"kind"` // "chat" or "embedding"
	Repo           string `json:"repo"`
	File           string `json:"file"`
	Revision       string `json:"revision"`   // the pinned commit (40 hex)
	SizeBytes      int64  `json:"size_bytes"` // 0: unknown, the server's X-Linked-Size decides
	SHA256         string `json:"sha256"`     // "": unknown, the server's X-Linked-Etag decides
	Parameters     string `json:"parameters"` // a label: "1.5B"
	Quantization   string `json:"quantization"`
	ContextLength  int    `json:"context_length"` // trained context, from the model card
	License        string `json:"license"`
	TemplateFamily string `json:"template_family"`
	Reasoning      bool   `json:"reasoning"` // thinks before answering (always or optionally)
	GoodAt         string `json:"good_at"`
	Note           string `json:"note,omitempty"`
}

// Catalog is the parsed catalogue.
type Catalog struct {
	Version int            `json:"version"`
	Host    string         `json:"host"` // where every file is downloaded from
	Models  []CatalogModel `json:"models"`
}

var (
	hex64 = regexp.MustCompile(`^[0-9a-f]{64}$`)
	hex40 = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

// LoadCatalog parses the catalogue built into Chapel (or $CHAPEL_CATALOG_FILE's)
// and checks it.
func LoadCatalog() (*Catalog, error) {
	if p := os.Getenv(EnvCatalogFile); p != "" {
		b, err := os.ReadFile(p)
		if err != nil {
			return nil, fmt.Errorf("read the model catalogue %s: %w", p, err)
		}
		return ParseCatalog(b)
	}
	return ParseCatalog(catalog.JSON)
}

// ParseCatalog parses and checks a catalogue.
func ParseCatalog(b []byte) (*Catalog, error) {
	var c Catalog
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("read the model catalogue: %w", err)
	}
	if err := c.Check(); err != nil {
		return nil, err
	}
	return &c, nil
}

// Check reports the first incomplete or malformed entry.
func (c *Catalog) Check() error {
	u, err := url.Parse(c.Host)
	loopback := err == nil && u.Scheme == "http" && (u.Hostname() == "127.0.0.1" || u.Hostname() == "localhost" || u.Hostname() == "::1")
	if err != nil || (u.Scheme != "https" && !loopback) || u.Host == "" {
		return fmt.Errorf("catalogue host %q is not an https address", c.Host)
	}
	seen := map[string]bool{}
	for i, m := range c.Models {
		if m.ID == "" {
			return fmt.Errorf("catalogue entry %d has no id", i)
		}
		if seen[m.ID] {
			return fmt.Errorf("catalogue id %q appears twice", m.ID)
		}
		seen[m.ID] = true
		for field, v := range map[string]string{"name": m.Name, "kind": m.Kind, "repo": m.Repo, "file": m.File,
			"revision": m.Revision, "parameters": m.Parameters, "quantization": m.Quantization,
			"license": m.License, "good_at": m.GoodAt} {
			if strings.TrimSpace(v) == "" {
				return fmt.Errorf("catalogue entry %q has no %s", m.ID, field)
			}
		}
		if m.Kind != "chat" && m.Kind != "embedding" {
			return fmt.Errorf("catalogue entry %q: kind %q is neither chat nor embedding", m.ID, m.Kind)
		}
		if m.Kind == "chat" && m.TemplateFamily == "" {
			return fmt.Errorf("catalogue entry %q has no template_family", m.ID)
		}
		if !hex40.MatchString(m.Revision) {
			return fmt.Errorf("catalogue entry %q: revision %q is not a 40-hex commit", m.ID, m.Revision)
		}
		if m.SHA256 != "" && !hex64.MatchString(m.SHA256) {
			return fmt.Errorf("catalogue entry %q: sha256 %q is not 64 lowercase hex digits", m.ID, m.SHA256)
		}
		if m.SizeBytes < 0 || m.ContextLength <= 0 {
			return fmt.Errorf("catalogue entry %q: size or context length out of range", m.ID)
		}
		if !strings.HasSuffix(strings.ToLower(m.File), Ext) || strings.ContainsAny(m.File, `/\`) {
			return fmt.Errorf("catalogue entry %q: file %q is not a plain .gguf name", m.ID, m.File)
		}
	}
	return nil
}

// Find returns the entry with id.
func (c *Catalog) Find(id string) (CatalogModel, bool) {
	for _, m := range c.Models {
		if m.ID == id {
			return m, true
		}
	}
	return CatalogModel{}, false
}

// URL is where m downloads from: <host>/<repo>/resolve/<revision>/<file>
// (Hugging Face's layout).
func (c *Catalog) URL(m CatalogModel) string {
	host := strings.TrimRight(c.Host, "/")
	return host + "/" + m.Repo + "/resolve/" + url.PathEscape(m.Revision) + "/" + url.PathEscape(m.File)
}

// NeedsMemory estimates the memory a catalogue model needs to chat: its
// weights, plus a fifth for the context cache and working buffers at the
// default 4,096-token context, plus 300 MB. The header gives a better
// figure once the file is here (engine.EstimateMemory).
func (m CatalogModel) NeedsMemory() int64 {
	if m.SizeBytes <= 0 {
		return 0
	}
	return m.SizeBytes + m.SizeBytes/5 + 300<<20
}

// Fit is what a catalogue model would take on this computer.
type Fit struct {
	CatalogModel
	URL         string `json:"url"`
	NeedsMemory int64  `json:"needs_memory"`
	FitsMemory  bool   `json:"fits_memory"` // fits the memory the system has in all (or unknown)
	FitsDisk    bool   `json:"fits_disk"`   // fits the free disk of the models folder (or unknown)
	Recommended bool   `json:"recommended"`
	Downloaded  bool   `json:"downloaded"` // the file is already in the models folder
}

// Machine is what this computer has, measured; -1 means unknown.
type Machine struct {
	TotalMemory     int64 `json:"total_memory"`
	AvailableMemory int64 `json:"available_memory"`
	DiskFree        int64 `json:"disk_free"` // in the models folder
}

// recommendMax caps the recommended pick: past 4B-class files, CPU
// generation gets slow enough to disappoint a first chat.
const recommendMax = 2_600_000_000

// Fits rates every catalogue model against the machine and marks one
// recommended: the largest chat model that answers directly (no thinking
// first, which is slow on a CPU), is at most 4B-class, needs at most half
// the total memory (so the rest of the computer keeps working) and fits
// the disk.
// have reports whether a file is already downloaded.
func (c *Catalog) Fits(mc Machine, have func(file string) bool) []Fit {
	out := make([]Fit, 0, len(c.Models))
	best := -1
	for _, m := range c.Models {
		f := Fit{CatalogModel: m, URL: c.URL(m), NeedsMemory: m.NeedsMemory()}
		f.FitsMemory = mc.TotalMemory < 0 || f.NeedsMemory <= mc.TotalMemory
		f.FitsDisk = mc.DiskFree < 0 || m.SizeBytes <= mc.DiskFree
		if have != nil {
			f.Downloaded = have(m.File)
		}
		comfortable := mc.TotalMemory < 0 && m.SizeBytes <= 2<<30 || mc.TotalMemory >= 0 && f.NeedsMemory <= mc.TotalMemory/2
		if m.Kind == "chat" && !m.Reasoning && m.SizeBytes <= recommendMax && f.FitsDisk && comfortable && (best < 0 || m.SizeBytes > out[best].SizeBytes) {
			best = len(out)
		}
		out = append(out, f)
	}
	if best >= 0 {
		out[best].Recommended = true
	}
	return out
}
