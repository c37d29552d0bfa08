//go:build !windows || !amd64

package variant

// wineInfo: only a Windows x86-64 program is looked at for Wine.
func wineInfo() (version, host string, amx bool) { return "", "", false }
