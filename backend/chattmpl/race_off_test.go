//go:build !race

package chattmpl

const raceOn = false
