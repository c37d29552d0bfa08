package app

import (
	"encoding/json"
	"maps"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/chapelapp/chapel/backend/chat"
	"github.com/chapelapp/chapel/backend/documents"
	"github.com/chapelapp/chapel/backend/download"
	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/ingest"
	"github.com/chapelapp/chapel/backend/models"
	"github.com/chapelapp/chapel/backend/remote"
	"github.com/chapelapp/chapel/backend/store"
	"github.com/chapelapp/chapel/backend/summarize"
	"github.com/chapelapp/chapel/backend/transfer"
)

// tsField is a field of a TypeScript interface in types.ts.
type tsField struct {
	optional bool   // name?: …
	typ      string // the text after the colon
}

// tsInterfaces reads the interfaces of types.ts (with the fields of the
// interfaces they extend) and its union types of interfaces (A | B, whose
// fields are those of any member).
func tsInterfaces(t *testing.T, path string) map[string]map[string]tsField {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	head := regexp.MustCompile(`^export interface (\w+)(?: extends ([\w, ]+))? \{$`)
	field := regexp.MustCompile(`^  (\w+)(\?)?: (.+?);(?:\s*//.*)?$`)
	union := regexp.MustCompile(`^export type (\w+) = (\w+(?: \| \w+)+);$`)
	out := map[string]map[string]tsField{}
	extends := map[string][]string{}
	unions := map[string][]string{}
	var cur map[string]tsField
	for _, line := range strings.Split(string(src), "\n") {
		if m := head.FindStringSubmatch(line); m != nil {
			cur = map[string]tsField{}
			out[m[1]] = cur
			if m[2] != "" {
				extends[m[1]] = strings.Split(strings.ReplaceAll(m[2], " ", ""), ",")
			}
			continue
		}
		if m := union.FindStringSubmatch(line); m != nil {
			unions[m[1]] = strings.Split(m[2], " | ")
			continue
		}
		if cur == nil {
			continue
		}
		if line == "}" {
			cur = nil
			continue
		}
		if m := field.FindStringSubmatch(line); m != nil {
			cur[m[1]] = tsField{optional: m[2] == "?", typ: m[3]}
		}
	}
	for name, bases := range extends {
		for _, b := range bases {
			for k, v := range out[b] {
				out[name][k] = v
			}
		}
	}
	for name, members := range unions {
		all := map[string]tsField{}
		for _, m := range members {
			if out[m] == nil {
				all = nil // a union of literal types, not of interfaces
				break
			}
			for k, v := range out[m] {
				all[k] = v
			}
		}
		if all != nil {
			out[name] = all
		}
	}
	return out
}

// jsonField is a field as encoding/json writes it.
type jsonField struct {
	name      string
	omitempty bool
}

// jsonFields lists the JSON fields of struct type t, with the fields of
// embedded structs as encoding/json flattens them.
func jsonFields(t reflect.Type) []jsonField {
	var out []jsonField
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				out = append(out, jsonFields(ft)...)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		// omitzero leaves a field out when it is zero, as omitempty does.
		out = append(out, jsonField{name: name, omitempty: strings.Contains(","+opts+",", ",omitempty,") || strings.Contains(","+opts+",", ",omitzero,")})
	}
	return out
}

// TestTypeScriptTypes checks frontend/src/lib/types.ts (and types-documents.ts,
// which it re-exports) against the Go types
// the bound methods return and the events carry: every JSON field Go writes
// is in the matching interface, every interface field is one Go writes, and
// a field Go omits when empty is optional there. (Only union types are
// exempt from the last two: each member has its own fields.)
func TestTypeScriptTypes(t *testing.T) {
	ts := tsInterfaces(t, "../frontend/src/lib/types.ts")
	maps.Copy(ts, tsInterfaces(t, "../frontend/src/lib/types-documents.ts"))
	pairs := []struct {
		ts    string
		value any
	}{
		{"AppInfo", Info{}},
		{"AboutInfo", AboutInfo{}},
		{"ModelInfo", engine.ModelInfo{}},
		{"ModelState", models.State{}},
		{"ModelEntry", models.Entry{}},
		{"Machine", models.Machine{}},
		{"CatalogModel", models.Fit{}},
		{"DownloadProgress", download.Progress{}},
		{"CatalogView", models.CatalogView{}},
		{"DownloadRef", models.DownloadRef{}},
		{"Conversation", store.Conversation{}},
		{"Message", store.Message{}},
		{"Draft", store.Draft{}},
		{"ConversationDetail", store.ConversationDetail{}},
		{"MessageHit", store.MessageHit{}},
		{"PassageHit", store.PassageHit{}},
		{"SearchResults", store.SearchResults{}},
		{"ImportResult", transfer.Result{}},
		{"SendResult", chat.SendResult{}},
		{"GenerationResult", engine.Result{}},
		{"ErrorPayload", chat.ErrorInfo{}},
		{"StreamEvent", chat.StreamEvent{}},
		{"ActiveReply", chat.Active{}},
		{"Settings", chat.Settings{}},
		{"DocumentInfo", store.Document{}},
		{"DocumentSection", documents.Section{}},
		{"Citation", summarize.Citation{}},
		{"SummaryView", summarize.View{}},
		{"SummaryProgress", summarize.Progress{}},
		{"EngineProgress", summarize.EngineProgress{}},
		{"SummaryPiece", summarize.Piece{}},
		{"SummaryOutline", summarize.Outline{}},
		{"DocumentDetail", documents.Detail{}},
		{"IngestFailure", ingest.Failure{}},
		{"IngestEvent", ingest.Event{}},
		{"IngestJob", ingest.Job{}},
		{"Passage", documents.Passage{}},
		{"PassageSource", documents.Source{}},
		{"DocumentFile", documents.File{}},
		{"PassagePageText", documents.PageText{}},
		{"StartupState", StartupState{}},
		{"Appearance", Appearance{}},
		{"SalvageReport", store.SalvageReport{}},
		{"RepairResult", RepairResult{}},
		{"Endpoint", remote.Endpoint{}},
		{"EndpointInput", EndpointInput{}},
		{"EndpointTest", EndpointTest{}},
		{"EndpointModel", EndpointModel{}},
		{"ServeState", ServeState{}},
		{"ModelSettings", models.Settings{}},
		{"ContextMemory", models.ContextMemory{}},
		{"ModelSettingsView", models.SettingsView{}},
		{"SavedSettings", SavedSettings{}},
	}
	for _, p := range pairs {
		iface, ok := ts[p.ts]
		if !ok {
			t.Errorf("types.ts has no interface %s (for %T)", p.ts, p.value)
			continue
		}
		// The fields are the ones encoding/json writes for the type: a
		// round trip through json.Marshal of a zero value shows every
		// field that is not omitted when empty.
		b, err := json.Marshal(p.value)
		if err != nil {
			t.Fatal(err)
		}
		var written map[string]json.RawMessage
		if err := json.Unmarshal(b, &written); err != nil {
			t.Fatal(err)
		}
		fields := jsonFields(reflect.TypeOf(p.value))
		goNames := map[string]bool{}
		for _, f := range fields {
			goNames[f.name] = true
			if _, in := written[f.name]; !in && !f.omitempty {
				t.Errorf("%T: field %s is not written although it is not omitempty", p.value, f.name)
			}
			tf, ok := iface[f.name]
			switch {
			case !ok:
				t.Errorf("%s lacks %s, which %T writes", p.ts, f.name, p.value)
			case f.omitempty && !tf.optional && p.ts != "StreamEvent":
				t.Errorf("%s.%s must be optional (%s?): %T omits it when empty", p.ts, f.name, f.name, p.value)
			}
		}
		if p.ts == "StreamEvent" {
			continue // a union: each member has some of the fields
		}
		var extra []string
		for name := range iface {
			if !goNames[name] {
				extra = append(extra, name)
			}
		}
		sort.Strings(extra)
		for _, name := range extra {
			t.Errorf("%s has %s, which %T never writes", p.ts, name, p.value)
		}
	}
}
