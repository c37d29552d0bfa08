package app

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"unicode"

	"github.com/chapelapp/chapel/backend/store"
)

// cmdSearch finds messages and document passages: chapel search [--home DIR] [--json] QUERY.
func cmdSearch(args []string) int {
	fl := flag.NewFlagSet("search", flag.ContinueOnError)
	home := fl.String("home", "", "")
	asJSON := fl.Bool("json", false, "")
	pos, err := parseInterleaved(fl, args)
	if err != nil {
		return usageError(err)
	}
	query := strings.Join(pos, " ")
	if strings.TrimSpace(query) == "" {
		return usageError(fmt.Errorf("search needs a QUERY"))
	}
	if err := setHome(*home); err != nil {
		return fail(err)
	}
	ctx := context.Background()
	return withServices(ctx, func(svc *services) int {
		res, err := svc.store.Search(ctx, query, searchLimit)
		if err != nil {
			return fail(err)
		}
		if *asJSON {
			return printJSON(res)
		}
		printSearch(res)
		return 0
	})
}

// printSearch prints hits one a line, the matched words in [brackets].
func printSearch(res store.SearchResults) {
	if len(res.Messages) == 0 && len(res.Passages) == 0 {
		fmt.Printf("Nothing matches %q.\n", res.Query)
		return
	}
	for _, h := range res.Messages {
		fmt.Fprintf(os.Stdout, "conversation %d, message %d (%s, %s): %s\n",
			h.ConversationID, h.MessageID, oneLine(h.ConversationTitle), h.Role, plainSnippet(h.Snippet))
	}
	for _, h := range res.Passages {
		where := fmt.Sprintf("passage %d", h.ChunkOrd)
		switch {
		case h.PageStart > 0 && h.PageEnd > h.PageStart:
			where = fmt.Sprintf("pp. %d–%d", h.PageStart, h.PageEnd)
		case h.PageStart > 0:
			where = fmt.Sprintf("p. %d", h.PageStart)
		case h.Section != "":
			where = "§ " + h.Section
		}
		fmt.Fprintf(os.Stdout, "document %d (%s, %s): %s\n", h.DocumentID, oneLine(h.DocumentName), oneLine(where), plainSnippet(h.Snippet))
	}
}

// plainSnippet is a snippet on one terminal line, the matches in brackets.
func plainSnippet(s string) string {
	s = strings.NewReplacer(store.HitStart, "[", store.HitEnd, "]").Replace(s)
	return oneLine(s)
}

// oneLine makes stored text safe for one terminal line: control
// characters (newlines, escapes that could drive the terminal) become spaces.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}
