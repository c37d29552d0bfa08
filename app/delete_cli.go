package app

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"

	"github.com/chapelapp/chapel/backend/apperr"
)

// cmdDeleteConversations deletes saved conversations: `chapel
// conversations delete [--home DIR] ID...`. A reply being written in one is
// stopped first; the text leaves the disk (see store.deleteTx).
func cmdDeleteConversations(args []string) int {
	return deleteCommand("conversations delete", "conversation", args, func(ctx context.Context, svc *services, id int64) error {
		return svc.chat.Delete(ctx, id)
	})
}

// cmdDeleteDocuments deletes stored documents with their passages,
// summaries and stored copy: `chapel documents delete [--home DIR] ID...`.
// Conversations about a document stay, detached from it.
func cmdDeleteDocuments(args []string) int {
	return deleteCommand("documents delete", "document", args, func(ctx context.Context, svc *services, id int64) error {
		return svc.deleteDocument(ctx, id)
	})
}

// deleteCommand parses --home and the IDs, then deletes each one, saying
// so; the exit code is 1 when any could not be deleted.
func deleteCommand(name, noun string, args []string, del func(ctx context.Context, svc *services, id int64) error) int {
	fl := flag.NewFlagSet(name, flag.ContinueOnError)
	home := fl.String("home", "", "")
	pos, err := parseInterleaved(fl, args)
	if err != nil {
		return usageError(err)
	}
	if len(pos) == 0 {
		return usageError(fmt.Errorf("%s needs the ID of the %s to delete (the first column of `chapel %ss`)", name, noun, noun))
	}
	// Each ID once: "delete 5 5" deletes 5 and is done, not "5 not found".
	var ids []int64
	for _, p := range pos {
		id, err := strconv.ParseInt(p, 10, 64)
		if err != nil || id <= 0 {
			return usageError(fmt.Errorf("%q is not a %s ID (a number from `chapel %ss`)", p, noun, noun))
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	if err := setHome(*home); err != nil {
		return fail(err)
	}
	ctx := context.Background()
	return withServices(ctx, func(svc *services) int {
		code := 0
		for _, id := range ids {
			if err := del(ctx, svc, id); err != nil {
				fmt.Fprintf(os.Stderr, "chapel: %s\n", termLine(apperr.Message(err)))
				code = 1
				continue
			}
			fmt.Printf("deleted %s %d\n", noun, id)
		}
		return code
	})
}
