package bench

import (
	"sync"
	"time"

	"github.com/chapelapp/chapel/backend/llama"
)

// MemoryBandwidth measures how fast threads goroutines together read a
// buffer of size bytes, in GB/s: the best of reps passes. Generation reads
// every weight once per token, so bandwidth ÷ model bytes is the ceiling on
// tokens per second (the roofline).
func MemoryBandwidth(threads, size, reps int) float64 {
	words := make([]uint64, size/8)
	for i := range words {
		words[i] = uint64(i)
	}
	chunk := len(words) / threads
	best := 0.0
	var sink uint64
	var mu sync.Mutex
	for r := 0; r < reps; r++ {
		var wg sync.WaitGroup
		start := time.Now()
		for t := 0; t < threads; t++ {
			part := words[t*chunk : (t+1)*chunk]
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := llama.ReadSum(part)
				mu.Lock()
				sink += s
				mu.Unlock()
			}()
		}
		wg.Wait()
		gbps := float64(chunk*threads*8) / time.Since(start).Seconds() / 1e9
		best = max(best, gbps)
	}
	_ = sink
	return best
}
