//go:build race

package chattmpl

// raceOn: the race detector maps terabytes of shadow memory, so the
// runaway child cannot be held to a small address space.
const raceOn = true
