package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkListWhileSummaryWrites measures how long listing the documents
// takes while a summary saves its pieces as fast as it can (each piece a
// write transaction of a few kilobytes, as summarize does). "read pool" is
// how the store lists; "write lock" lists through the writer connection
// with BEGIN IMMEDIATE, as every read did before the store had a read pool.
// It reports the median and 99th-percentile listing latency and the pieces
// the writer saved per second. Run it with
//
//	make go-test PKG=./backend/store/ ARGS='-run ^$ -bench ListWhileSummaryWrites -benchtime 300x'
func BenchmarkListWhileSummaryWrites(b *testing.B) {
	for _, mode := range []string{"read pool", "write lock"} {
		b.Run(mode, func(b *testing.B) {
			ctx := context.Background()
			s, err := Open(ctx, b.TempDir()+"/chapel.db")
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			var docID int64
			for i := range 50 {
				d, _, err := s.AddDocument(ctx, newDoc(fmt.Sprintf("%02x", i), fmt.Sprintf("doc %d.pdf", i), "Some text of the document.", " More of it."))
				if err != nil {
					b.Fatal(err)
				}
				docID = d.ID
			}
			sum, _, err := s.StartSummary(ctx, docID, "brief", "bench", "m")
			if err != nil {
				b.Fatal(err)
			}

			stop := make(chan struct{})
			var wg sync.WaitGroup
			var pieces int
			wg.Add(1)
			go func() { // the summary: one piece after another
				defer wg.Done()
				text := strings.Repeat("A sentence of a partial summary. ", 120)
				for ord := 0; ; ord++ {
					select {
					case <-stop:
						return
					default:
					}
					if err := s.SavePiece(ctx, SummaryPiece{SummaryID: sum.ID, Ord: ord % 500, First: ord, Last: ord,
						Status: PieceComplete, Text: text}); err != nil {
						b.Error(err)
						return
					}
					pieces++
				}
			}()

			list := s.ListDocuments
			if mode == "write lock" {
				list = func(ctx context.Context) ([]Document, error) {
					var ds []Document
					err := s.inTx(ctx, "list", func(tx *sql.Tx) error {
						var err error
						ds, err = listDocuments(ctx, tx)
						return err
					})
					return ds, err
				}
			}
			lat := make([]time.Duration, 0, b.N)
			start := time.Now()
			b.ResetTimer()
			for range b.N {
				t0 := time.Now()
				ds, err := list(ctx)
				lat = append(lat, time.Since(t0))
				if err != nil || len(ds) != 50 {
					b.Fatalf("%d documents, %v", len(ds), err)
				}
			}
			b.StopTimer()
			elapsed := time.Since(start)
			close(stop)
			wg.Wait()
			slices.Sort(lat)
			p50, p99 := lat[len(lat)/2], lat[min(len(lat)-1, len(lat)*99/100)]
			b.ReportMetric(float64(p50.Microseconds()), "p50-µs")
			b.ReportMetric(float64(p99.Microseconds()), "p99-µs")
			b.ReportMetric(float64(pieces)/elapsed.Seconds(), "pieces/s")
			b.Logf("%s: %d listings, median %v, 99th percentile %v; the writer saved %.0f pieces/s",
				mode, len(lat), p50, p99, float64(pieces)/elapsed.Seconds())
		})
	}
}
