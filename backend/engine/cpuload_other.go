//go:build !linux && !windows

package engine

// readCPUSample: macOS's per-core times (host_processor_info) need cgo
// outside the llama package, so there the tuner works from its timings
// alone.
func readCPUSample() (cpuSample, bool) { return cpuSample{}, false }
