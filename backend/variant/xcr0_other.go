//go:build !amd64

package variant

func osEnablesAMX() bool { return false }
