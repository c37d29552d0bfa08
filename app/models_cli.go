package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/chapelapp/chapel/backend/download"
	"github.com/chapelapp/chapel/backend/models"
	"github.com/chapelapp/chapel/backend/paths"
)

// cmdModels lists the models Chapel can use, the catalogue, or downloads one.
func cmdModels(args []string) int {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "catalog", "catalogue":
			return cmdModelsCatalog(args[1:])
		case "download":
			return cmdModelsDownload(args[1:])
		case "list":
			args = args[1:]
		default:
			return usageError(fmt.Errorf("unknown models command %q (list, catalog or download)", args[0]))
		}
	}
	fl := flag.NewFlagSet("models", flag.ContinueOnError)
	home := fl.String("home", "", "")
	asJSON := fl.Bool("json", false, "")
	if pos, err := parseInterleaved(fl, args); err != nil || len(pos) > 0 {
		return usageError(fmt.Errorf("models takes no arguments besides --home and --json"))
	}
	if err := setHome(*home); err != nil {
		return fail(err)
	}
	dir, err := paths.DataDir()
	if err != nil {
		return fail(err)
	}
	list, err := models.List(context.Background(), modelDirsIn(dir), models.OtherStores(models.CurrentEnv()))
	if err != nil {
		return fail(err)
	}
	if *asJSON {
		return printJSON(list)
	}
	if len(list) == 0 {
		fmt.Fprintln(os.Stderr, "No models found. 'chapel models catalog' lists models to download.")
		return 0
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tFROM\tPARAMS\tQUANT\tSIZE\tCONTEXT\tTEMPLATE\tTHINKS\tFITS\tPATH")
	for _, e := range list {
		if !e.Valid {
			fmt.Fprintf(tw, "%s\t%s\t\t\t%s\t\t\t\t\t%s (%s)\n", termLine(e.Name), models.AppLabels[e.App], gbText(e.SizeBytes), termLine(e.Path), termLine(e.Problem))
			continue
		}
		// Names, quantisations and template families come from the files' own headers.
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", termLine(e.Name), models.AppLabels[e.App], paramsText(e.Params),
			termLine(e.Quantization), gbText(e.SizeBytes), e.ContextLength, termLine(e.TemplateFamily), yesNo(e.Reasoning), yesNo(e.FitsMemory), termLine(e.Path))
	}
	tw.Flush()
	return 0
}

// cmdModelsCatalog prints the catalogue with what fits this computer.
func cmdModelsCatalog(args []string) int {
	fl := flag.NewFlagSet("models catalog", flag.ContinueOnError)
	home := fl.String("home", "", "")
	asJSON := fl.Bool("json", false, "")
	if pos, err := parseInterleaved(fl, args); err != nil || len(pos) > 0 {
		return usageError(fmt.Errorf("models catalog takes no arguments besides --home and --json"))
	}
	if err := setHome(*home); err != nil {
		return fail(err)
	}
	dir, err := paths.ModelsDir()
	if err != nil {
		return fail(err)
	}
	c, err := models.LoadCatalog()
	if err != nil {
		return fail(err)
	}
	mc := models.MeasureMachine(dir)
	fits := c.Fits(mc, models.HaveFile(dir))
	if *asJSON {
		return printJSON(models.CatalogView{Machine: mc, Models: fits, Downloads: download.Pending(dir), Dir: dir})
	}
	fmt.Printf("This computer: %s of memory (%s available now), %s free for models in %s\n\n",
		gbText(mc.TotalMemory), gbText(mc.AvailableMemory), gbText(mc.DiskFree), dir)
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tPARAMS\tSIZE\tNEEDS\tFITS\tLICENCE\tGOOD AT")
	for _, f := range fits {
		fit := "yes"
		switch {
		case f.Downloaded:
			fit = "downloaded"
		case !f.FitsMemory:
			fit = "no: memory"
		case !f.FitsDisk:
			fit = "no: disk"
		}
		id := f.ID
		if f.Recommended {
			id += " *"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", id, f.Parameters, gbText(f.SizeBytes), gbText(f.NeedsMemory), fit, f.License, f.GoodAt)
	}
	tw.Flush()
	fmt.Println("\n* recommended for this computer. Download with: chapel models download ID")
	return 0
}

// cmdModelsDownload downloads a catalogue model or a .gguf address into
// the models folder, with progress on stderr. Ctrl+C pauses: the same
// command resumes.
func cmdModelsDownload(args []string) int {
	fl := flag.NewFlagSet("models download", flag.ContinueOnError)
	home := fl.String("home", "", "")
	sha := fl.String("sha256", "", "")
	pos, err := parseInterleaved(fl, args)
	if err != nil {
		return usageError(err)
	}
	if len(pos) != 1 {
		return usageError(fmt.Errorf("models download needs one catalogue ID or .gguf address"))
	}
	if err := setHome(*home); err != nil {
		return fail(err)
	}
	dir, err := paths.ModelsDir()
	if err != nil {
		return fail(err)
	}
	req, name, err := models.ResolveDownload(pos[0], *sha, dir)
	if err != nil {
		return fail(err)
	}
	if models.HaveFile(dir)(req.File) {
		fmt.Fprintf(os.Stderr, "%s is already downloaded: %s\n", name, dir)
		return 0
	}
	ctx, stop := stopContext()
	defer stop()
	pctx, pause := context.WithCancelCause(context.Background())
	go func() {
		<-ctx.Done()
		pause(download.ErrPaused)
	}()
	line := newProgressLine()
	path, err := download.Run(pctx, req, download.Options{}, func(p download.Progress) { downloadLine(line, name, p) })
	line.done()
	if errors.Is(err, download.ErrPaused) {
		fmt.Fprintln(os.Stderr, "chapel: paused; run the same command to resume")
		return stoppedCode()
	}
	if err != nil {
		return fail(err)
	}
	fmt.Println(path)
	return 0
}

func downloadLine(line *progressLine, name string, p download.Progress) {
	switch p.State {
	case download.StateChecking:
		if p.Done > 0 {
			line.print(true, "resuming: checking the %s already downloaded of %s", gbText(p.Done), name)
		} else {
			line.print(false, "asking the server about %s", name)
		}
	case download.StateDownloading:
		pct := ""
		if p.Total > 0 {
			pct = fmt.Sprintf("%d%%, ", p.Done*100/p.Total)
		}
		speed := ""
		if p.BytesPerSec > 0 {
			speed = fmt.Sprintf(" · %.1f MB/s", p.BytesPerSec/1e6)
		}
		left := ""
		if p.SecondsLeft >= 0 && p.BytesPerSec > 0 {
			left = " · about " + durationText(p.SecondsLeft) + " left"
		}
		line.print(false, "downloading %s: %s%s of %s%s%s", name, pct, gbText(p.Done), gbText(p.Total), speed, left)
	case download.StateRetrying:
		line.print(true, "%s; trying again", p.Error)
	case download.StateVerifying:
		line.print(true, "checking the SHA-256 of %s", name)
	case download.StateDone:
		verified := "SHA-256 verified"
		if !p.Verified {
			verified = "no SHA-256 was known to check it against"
		}
		line.print(true, "downloaded %s (%s, %s)", name, gbText(p.Done), verified)
	}
}

func gbText(n int64) string {
	switch {
	case n < 0:
		return "unknown"
	case n >= 1e9:
		return fmt.Sprintf("%.1f GB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.0f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%d KB", (n+999)/1000)
}

func paramsText(n uint64) string {
	switch {
	case n >= 1e9:
		return fmt.Sprintf("%.1fB", float64(n)/1e9)
	case n >= 1e6:
		return fmt.Sprintf("%.0fM", float64(n)/1e6)
	}
	return fmt.Sprintf("%dK", n/1000)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func durationText(s float64) string {
	switch {
	case s < 60:
		return fmt.Sprintf("%.0f s", s)
	case s < 3600:
		return fmt.Sprintf("%.0f min", s/60)
	}
	return fmt.Sprintf("%.1f h", s/3600)
}
