// Command chapel is the Chapel desktop app and its command line: with no
// arguments it opens the window; with a command (chat, conversations,
// version) it runs that and exits.
package main

import (
	"embed"
	"os"

	"github.com/chapelapp/chapel/app"
)

//go:embed all:frontend/dist
var assets embed.FS

//go:embed build/appicon.png
var icon []byte

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	os.Exit(app.Main(os.Args[1:], assets, icon, version))
}
