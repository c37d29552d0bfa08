package app

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/chapelapp/chapel/backend/variant"
)

// cmdVersion prints the version; --verbose adds the platform, the CPU, the
// engine build that runs on it and why, and the builds this copy carries.
func cmdVersion(args []string, version string) int {
	verbose, asJSON := false, false
	for _, a := range args {
		switch a {
		case "-v", "--verbose", "-verbose":
			verbose = true
		case "--json", "-json":
			verbose, asJSON = true, true
		default:
			return usageError(fmt.Errorf("version takes --verbose or --json, not %q", a))
		}
	}
	if !verbose {
		fmt.Println("chapel", version)
		return 0
	}
	c := variant.Current()
	if asJSON {
		out := map[string]any{"version": version, "os": runtime.GOOS, "arch": runtime.GOARCH, "go": runtime.Version(),
			"engine": c.Variant.Name, "engine_path": c.Path, "reason": c.Reason, "shipped": c.Shipped, "cpu": c.CPU}
		if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
			return fail(err)
		}
		return 0
	}
	cpuName := c.CPU.Model
	if cpuName == "" {
		cpuName = "unknown CPU"
	}
	fmt.Printf("chapel %s (%s/%s, %s)\n", termLine(version), runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Printf("cpu:     %s; reports %s\n", termLine(cpuName), strings.Join(c.CPU.Has, " "))
	fmt.Printf("engine:  %s (%s)\n", c.Variant.Name, termLine(c.Path))
	fmt.Printf("why:     %s\n", termLine(c.Reason))
	if len(c.Shipped) > 0 {
		fmt.Printf("carries: %s\n", strings.Join(c.Shipped, ", "))
	}
	return 0
}
