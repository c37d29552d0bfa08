package app

import (
	goruntime "runtime"

	"github.com/chapelapp/chapel/backend/paths"
	"github.com/chapelapp/chapel/backend/variant"
)

// AboutInfo is what the About box shows: the version, the engine build that
// runs on this CPU and why, and where the data lives. The licences of the
// bundled software are listed by the frontend (frontend/src/lib/bundled.ts);
// their texts ship in the packages as THIRD_PARTY_LICENSES.txt.
type AboutInfo struct {
	Version   string   `json:"version"`
	Platform  string   `json:"platform"` // GOOS/GOARCH
	Engine    string   `json:"engine"`   // the engine variant's name
	Reason    string   `json:"reason"`   // why that one, in a sentence
	Shipped   []string `json:"shipped"`  // the engine variants this installation carries
	CPU       string   `json:"cpu"`      // the CPU's name, where the OS says it
	DataDir   string   `json:"data_dir"`
	ModelsDir string   `json:"models_dir"`
}

// About describes this installation for the About box.
func (a *App) About() AboutInfo {
	c := variant.Current()
	models, _ := paths.ModelsDir()
	return AboutInfo{
		Version:   a.version,
		Platform:  goruntime.GOOS + "/" + goruntime.GOARCH,
		Engine:    c.Variant.Name,
		Reason:    c.Reason,
		Shipped:   c.Shipped,
		CPU:       c.CPU.Model,
		DataDir:   a.svc.home,
		ModelsDir: models,
	}
}
