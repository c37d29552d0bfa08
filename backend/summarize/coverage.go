package summarize

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/chapelapp/chapel/backend/store"
)

// coverageLine says which parts of the document the summary covers, from
// the map units whose text reached it; lost maps the others to why. Pages
// in blank (no text: scanned images, empty pages) are not claimed as
// covered; the line names them.
func coverageLine(lb *labels, chunks []store.Chunk, docPages int, units []unit, lost map[int]string, blank map[int]bool) string {
	switch lb.kind {
	case byPages:
		total := docPages
		for _, c := range chunks {
			total = max(total, c.PageEnd, c.PageStart)
		}
		why := map[int]string{}
		for _, u := range sortedKeys(lost) {
			a, b := 0, 0
			for _, c := range chunks[units[u].first : units[u].last+1] {
				if c.PageStart > 0 && (a == 0 || c.PageStart < a) {
					a = c.PageStart
				}
				b = max(b, c.PageEnd, c.PageStart)
			}
			for p := max(a, 1); p <= b; p++ {
				if _, ok := why[p]; !ok {
					why[p] = lost[u]
				}
			}
		}
		return numbered("page", "pages", total, why, false, blank)
	case byPassages:
		return numbered("passage", "passages", len(chunks), chunkReasons(units, lost), true, nil)
	}
	return sectionsLine(lb, chunkReasons(units, lost))
}

func sortedKeys(m map[int]string) []int {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// chunkReasons maps each 1-based chunk number of a lost unit to its reason.
func chunkReasons(units []unit, lost map[int]string) map[int]string {
	why := map[int]string{}
	for _, u := range sortedKeys(lost) {
		for c := units[u].first; c <= units[u].last; c++ {
			if _, ok := why[c+1]; !ok {
				why[c+1] = lost[u]
			}
		}
	}
	return why
}

// numbered writes the line for numbered parts 1..total, some lost, some
// blank (without text).
func numbered(one, many string, total int, why map[int]string, allForm bool, blank map[int]bool) string {
	var covered, empty []int
	for n := 1; n <= total; n++ {
		_, failed := why[n]
		switch {
		case failed:
		case blank[n]:
			empty = append(empty, n)
		default:
			covered = append(covered, n)
		}
	}
	if len(empty) > 0 {
		line := fmt.Sprintf("Covers no %s of %d", many, total)
		if len(covered) > 0 {
			line = fmt.Sprintf("Covers %s of %d", rangesOf(one, many, covered), total)
		}
		verb := " have"
		if len(empty) == 1 {
			verb = " has"
		}
		line += "; " + rangesOf(one, many, empty) + verb + " no text to read (scanned images?)"
		for _, g := range byReason(why) {
			line += fmt.Sprintf("; %s failed: %s", rangesOf(one, many, g.nums), g.reason)
		}
		return line
	}
	if len(why) == 0 {
		switch {
		case allForm && total == 1:
			return "Covers the only " + one
		case allForm:
			return fmt.Sprintf("Covers all %d %s", total, many)
		}
		return fmt.Sprintf("Covers %s of %d", rangesOf(one, many, covered), total)
	}
	line := fmt.Sprintf("Covers no %s of %d", many, total)
	if len(covered) > 0 {
		line = fmt.Sprintf("Covers %s of %d", rangesOf(one, many, covered), total)
	}
	for _, g := range byReason(why) {
		line += fmt.Sprintf("; %s failed: %s", rangesOf(one, many, g.nums), g.reason)
	}
	return line
}

type reasonGroup struct {
	reason string
	nums   []int
}

// byReason groups lost numbers by reason, in order of their first number.
func byReason(why map[int]string) []reasonGroup {
	nums := make([]int, 0, len(why))
	for n := range why {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	var gs []reasonGroup
	for _, n := range nums {
		i := slices.IndexFunc(gs, func(g reasonGroup) bool { return g.reason == why[n] })
		if i < 0 {
			gs = append(gs, reasonGroup{reason: why[n]})
			i = len(gs) - 1
		}
		gs[i].nums = append(gs[i].nums, n)
	}
	return gs
}

// rangesOf writes sorted numbers as "pages 1–40 and 45–113" or "page 7".
func rangesOf(one, many string, nums []int) string {
	var parts []string
	for i := 0; i < len(nums); {
		j := i
		for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
			j++
		}
		if i == j {
			parts = append(parts, strconv.Itoa(nums[i]))
		} else {
			parts = append(parts, strconv.Itoa(nums[i])+"–"+strconv.Itoa(nums[j]))
		}
		i = j + 1
	}
	word := many
	if len(nums) == 1 {
		word = one
	}
	return word + " " + joinAnd(parts)
}

func joinAnd(parts []string) string {
	if len(parts) <= 1 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

// sectionsLine writes the line for a document cited by sections; chunks
// before the first section are "the opening".
func sectionsLine(lb *labels, why map[int]string) string {
	var titles []string
	opening := false
	lostTitle := map[string]string{}
	openingWhy := ""
	for i, t := range lb.section {
		reason, isLost := why[i+1]
		if t == "" {
			opening = true
			if isLost && openingWhy == "" {
				openingWhy = reason
			}
			continue
		}
		if !slices.Contains(titles, t) {
			titles = append(titles, t)
		}
		if _, seen := lostTitle[t]; isLost && !seen {
			lostTitle[t] = reason
		}
	}
	if len(why) == 0 {
		line := "Covers all " + plural(len(titles), "section", "sections")
		if len(titles) == 1 {
			line = "Covers the only section"
		}
		if opening {
			line = strings.Replace(line, "Covers ", "Covers the opening and ", 1)
		}
		return line
	}
	line := fmt.Sprintf("Covers %d of %s", len(titles)-len(lostTitle), plural(len(titles), "section", "sections"))
	if len(lostTitle) == 0 {
		line = "Covers all " + plural(len(titles), "section", "sections")
	}
	if opening && openingWhy == "" {
		line = strings.Replace(line, "Covers ", "Covers the opening and ", 1)
	}
	var groups []reasonGroup // nums index titles
	for i, t := range titles {
		reason, ok := lostTitle[t]
		if !ok {
			continue
		}
		k := slices.IndexFunc(groups, func(g reasonGroup) bool { return g.reason == reason })
		if k < 0 {
			groups = append(groups, reasonGroup{reason: reason})
			k = len(groups) - 1
		}
		groups[k].nums = append(groups[k].nums, i)
	}
	if openingWhy != "" {
		line += "; the opening failed: " + openingWhy
	}
	for _, g := range groups {
		var names []string
		for _, i := range g.nums {
			names = append(names, "“"+titles[i]+"”")
		}
		line += fmt.Sprintf("; %s failed: %s", joinAnd(names), g.reason)
	}
	return line
}

// blankPages lists the document's pages without text (only white space):
// scanned images or empty pages, which a summary cannot claim to cover.
func (s *Service) blankPages(ctx context.Context, documentID int64) (map[int]bool, error) {
	pages, _, err := s.st.DocumentStructure(ctx, documentID)
	if err != nil || len(pages) == 0 {
		return nil, err
	}
	text, err := s.st.DocumentText(ctx, documentID)
	if err != nil {
		return nil, err
	}
	blank := map[int]bool{}
	for _, p := range pages {
		if p.Start >= 0 && p.End <= len(text) && p.Start <= p.End && strings.TrimSpace(text[p.Start:p.End]) == "" {
			blank[p.Number] = true
		}
	}
	return blank, nil
}

// DamagedCoverage makes a summary's coverage line of a PDF cut short say
// so: "Covers pages 1–31 of 31" read as the whole document, where the
// file had more. It becomes "Covers pages 1–31 of the 31 that could be
// read (the file is damaged: pages after 31 are missing)". Other lines
// are returned as they are. The summary keeps the line it returns, so the
// window, an export and the command line all say it.
func DamagedCoverage(doc store.Document, line string) string {
	if doc.Pages == 0 || (!doc.PagesLost && doc.PagesAnnounced <= doc.Pages) {
		return line
	}
	why := fmt.Sprintf("the file is damaged: pages after %d are missing", doc.Pages)
	if doc.PagesAnnounced > doc.Pages {
		why = fmt.Sprintf("the file is damaged: it announces %d pages, and those after %d are missing", doc.PagesAnnounced, doc.Pages)
	}
	of := fmt.Sprintf(" of %d", doc.Pages)
	if i := strings.Index(line, of); i >= 0 && strings.HasPrefix(line, "Covers ") {
		if rest := line[i+len(of):]; rest == "" || rest[0] == ';' {
			return fmt.Sprintf("%s of the %d that could be read (%s)%s", line[:i], doc.Pages, why, rest)
		}
	}
	if line == "" {
		return line
	}
	return line + " (" + why + ")"
}
