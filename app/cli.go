package app

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/chat"
	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/models"
)

// parseInterleaved parses flags that may stand before or after the
// positional arguments, and returns the positional ones.
func parseInterleaved(fl *flag.FlagSet, args []string) ([]string, error) {
	fl.SetOutput(nopWriter{})
	var pos []string
	for {
		if err := fl.Parse(args); err != nil {
			return nil, err
		}
		args = fl.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// givenFlags names the flags set on the command line.
func givenFlags(fl *flag.FlagSet) map[string]bool {
	given := map[string]bool{}
	fl.Visit(func(f *flag.Flag) { given[f.Name] = true })
	return given
}

// cmdChat sends one message and streams the reply to stdout.
func cmdChat(args []string) int {
	fl := flag.NewFlagSet("chat", flag.ContinueOnError)
	home := fl.String("home", "", "")
	modelPath := fl.String("model", "", "")
	convID := fl.Int64("conversation", 0, "")
	instructions := fl.String("instructions", "", "")
	maxTokens := fl.Int("max-tokens", -1, "")
	temperature := fl.Float64("temperature", -1, "")
	seed := fl.Int64("seed", -1, "")
	endpoint := fl.String("endpoint", "", "")
	apiKey := fl.String("api-key", os.Getenv("CHAPEL_API_KEY"), "")
	pos, err := parseInterleaved(fl, args)
	if err != nil {
		return usageError(err)
	}
	// Sampling flags given override the saved settings, in their ranges:
	// a -5 once passed as "not given" and sampled at the saved temperature.
	given := givenFlags(fl)
	if !given["max-tokens"] {
		*maxTokens = -1
	} else if *maxTokens < 0 {
		return usageError(fmt.Errorf("--max-tokens must be 0 (no limit) or more"))
	}
	if !given["seed"] {
		*seed = -1
	} else if *seed < 0 {
		return usageError(fmt.Errorf("--seed must be 0 or more (leave it out for a random seed)"))
	}
	if !given["temperature"] {
		*temperature = -1
	} else if *temperature < 0 || *temperature > 5 {
		return usageError(fmt.Errorf("--temperature must be between 0 and 5"))
	}
	if err := setHome(*home); err != nil {
		return fail(err)
	}
	message := strings.Join(pos, " ")
	if message == "" || message == "-" {
		if message, err = readStdin(); err != nil {
			return fail(err)
		}
	}
	if strings.TrimSpace(message) == "" {
		return usageError(fmt.Errorf("chat needs a MESSAGE"))
	}

	ctx, stop := stopContext()
	defer stop()
	return withServices(ctx, func(svc *services) int {
		if *endpoint != "" { // engines_cli.go: --model names the endpoint's model
			if err := useEndpointForCLI(ctx, svc, *endpoint, *apiKey, modelPath); err != nil {
				return fail(err)
			}
		}
		a := chatArgs{modelPath: *modelPath, convID: *convID, maxTokens: *maxTokens, temperature: *temperature, seed: *seed, message: message}
		if given["instructions"] {
			a.instructions = instructions
		}
		return chatOnce(ctx, svc, a)
	})
}

// chatArgs are chat's flags and message.
type chatArgs struct {
	modelPath   string
	convID      int64
	maxTokens   int
	temperature float64
	seed        int64
	message     string
	// instructions, when given, become the conversation's own (a new one's,
	// or --conversation's, replacing its); "" removes them.
	instructions *string
}

// chatOnce sends one message and streams the reply to stdout.
func chatOnce(ctx context.Context, svc *services, a chatArgs) int {
	if err := loadForCLI(ctx, svc, a.modelPath, a.convID); err != nil {
		return fail(err)
	}
	// How prompts are laid out, once, as the window's status bar says it.
	if info, ok := svc.engine.Model(ctx); ok {
		if line := templateLine(info); line != "" {
			fmt.Fprintf(os.Stderr, "chapel: %s\n", line)
		}
	}
	set, err := svc.chat.Settings(ctx) // with the loaded model's own settings
	if err != nil {
		return fail(err)
	}
	if a.maxTokens >= 0 {
		set.MaxTokens = a.maxTokens
	}
	if a.temperature >= 0 {
		set.Temperature = float32(a.temperature)
	}
	if a.seed >= 0 {
		set.Seed = a.seed
	}
	if set, err = chat.ValidateSettings(set); err != nil {
		return fail(err)
	}
	if a.instructions != nil {
		if a.convID, err = giveInstructions(ctx, svc, a.convID, *a.instructions); err != nil {
			return fail(err)
		}
	}
	out := newLineFlusher(os.Stdout)
	reply := newReplySplitter(out.write, os.Stderr) // a reasoning model's thinking goes to stderr
	res, gen, err := svc.chat.SendSync(ctx, a.convID, a.message, set.Options(), reply.write)
	reply.end()
	out.end()
	if res.Conversation.ID != 0 {
		fmt.Fprintf(os.Stderr, "conversation: %d\n", res.Conversation.ID)
	}
	if err != nil {
		return fail(err)
	}
	if ctx.Err() != nil {
		fmt.Fprintln(os.Stderr, "chapel: stopped; the reply so far is saved")
		return stoppedCode()
	}
	// What the model did not read, as the window's status bar says it.
	if gen.CutTokens > 0 {
		fmt.Fprintf(os.Stderr, "chapel: the message is longer than the model's context: its first %d tokens were not read (a larger context in the model's settings reads all of it)\n", gen.CutTokens)
	}
	if gen.DroppedMessages > 0 {
		verb := "were"
		if gen.DroppedMessages == 1 {
			verb = "was"
		}
		fmt.Fprintf(os.Stderr, "chapel: %s %s left out to fit the model's context\n", plural(gen.DroppedMessages, "older message"), verb)
	}
	if os.Getenv("CHAPEL_STATS") != "" {
		fmt.Fprintf(os.Stderr, "tokens: %d prompt (%d cached), %d generated at %.1f tok/s\n",
			gen.PromptTokens, gen.CachedTokens, gen.CompletionTokens, gen.TokensPerSecond)
	}
	return 0
}

// templateLine says how the loaded model's prompts are written, in the
// sentences the window's status bar gives (StatusBar.svelte): its own chat
// template, llama.cpp's built-in formatting, or plain completion because
// the file has no template or one that could not be used. "" when the
// engine does not say (a remote endpoint applies its own).
func templateLine(m engine.ModelInfo) string {
	switch {
	case !m.HasTemplate && m.TemplateUnusable:
		return "plain completion (its chat template could not be used): this model's chat template is damaged or refuses every conversation, so Chapel set it aside and continues your text as plain completion"
	case !m.HasTemplate && m.TemplateMode != "":
		return "plain completion (no chat template): this model has no chat template, so Chapel continues your text as plain completion"
	case m.TemplateMode == engine.TemplateJinja:
		return "the model's template: prompts are written with the model's own chat template, exactly as it was trained"
	case m.TemplateMode == engine.TemplateBuiltin:
		return "built-in template: the model's template could not be read; llama.cpp's built-in formatting for it is used instead"
	}
	return ""
}

// giveInstructions sets conversation id's own instructions, making the
// conversation first when id is 0 (its title comes from the message, as a
// New chat's does); a conversation made here goes again when they are
// refused.
func giveInstructions(ctx context.Context, svc *services, id int64, text string) (int64, error) {
	made := false
	if id == 0 {
		c, err := svc.store.CreateConversation(ctx, "", "")
		if err != nil {
			return 0, err
		}
		id, made = c.ID, true
	}
	if _, err := svc.store.SetInstructions(ctx, id, text); err != nil {
		if made {
			_ = svc.store.DeleteConversation(ctx, id)
		}
		return 0, err
	}
	return id, nil
}

// withServices opens the backend for a command, runs fn and closes it.
// The log goes to the data folder's log file, as the window's does: what
// the command prints is its output and, when it fails, one sentence.
func withServices(ctx context.Context, fn func(svc *services) int) int {
	log, closeLog := newLogger(true)
	defer closeLog()
	svc, err := openServices(ctx, log, nil)
	if err != nil {
		return fail(err)
	}
	defer svc.close()
	return fn(svc)
}

// loadForCLI loads the model named by --model, else the one the
// conversation used last, else the one chosen last in the app.
func loadForCLI(ctx context.Context, svc *services, path string, convID int64) error {
	if path == "" && convID != 0 {
		c, err := svc.store.GetConversation(ctx, convID)
		if err != nil {
			return err
		}
		path = c.Model
	}
	if path == "" {
		p, ok, err := models.Remembered(ctx, svc.store)
		if err != nil {
			return err
		}
		if !ok {
			return apperr.New(apperr.Invalid, "no model chosen; pass --model PATH to a .gguf file")
		}
		path = p
	}
	_, err := svc.engine.Load(ctx, path, svc.models.LoadOptions(ctx, path)) // the model's saved context and threads
	return err
}

func readStdin() (string, error) {
	if isTerminal(os.Stdin) {
		return "", nil
	}
	b, err := io.ReadAll(io.LimitReader(os.Stdin, 8<<20))
	return string(b), err
}

// lineFlusher writes pieces to w as they come and ends with a newline.
type lineFlusher struct {
	w    io.Writer
	last byte
}

func newLineFlusher(w io.Writer) *lineFlusher { return &lineFlusher{w: w} }

func (l *lineFlusher) write(s string) {
	if s == "" {
		return
	}
	// A model's output is untrusted: no escape sequence reaches the terminal.
	io.WriteString(l.w, termText(s))
	l.last = s[len(s)-1]
	if f, ok := l.w.(*os.File); ok {
		f.Sync()
	}
}

func (l *lineFlusher) end() {
	if l.last != 0 && l.last != '\n' {
		io.WriteString(l.w, "\n")
	}
}

// cmdConversations lists saved conversations; `conversations delete ID…`
// deletes them.
func cmdConversations(args []string) int {
	if len(args) > 0 && args[0] == "delete" {
		return cmdDeleteConversations(args[1:])
	}
	return listCommand("conversations", args, listConversations)
}

// listCommand runs a listing command: its flags are --home and --json.
func listCommand(name string, args []string, list func(ctx context.Context, svc *services, asJSON bool) int) int {
	fl := flag.NewFlagSet(name, flag.ContinueOnError)
	home := fl.String("home", "", "")
	asJSON := fl.Bool("json", false, "")
	if _, err := parseInterleaved(fl, args); err != nil {
		return usageError(err)
	}
	if err := setHome(*home); err != nil {
		return fail(err)
	}
	ctx := context.Background()
	return withServices(ctx, func(svc *services) int { return list(ctx, svc, *asJSON) })
}

// listConversations prints the saved conversations, as a table or JSON.
func listConversations(ctx context.Context, svc *services, asJSON bool) int {
	list, err := svc.store.ListConversations(ctx)
	if err != nil {
		return fail(err)
	}
	if asJSON {
		return printJSON(list)
	}
	if len(list) == 0 {
		fmt.Println("No conversations yet.")
		return 0
	}
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tUPDATED\tMESSAGES\tTITLE")
	for _, c := range list {
		fmt.Fprintf(tw, "%d\t%s\t%d\t%s\n", c.ID, time.UnixMilli(c.UpdatedAt).Format("2006-01-02 15:04"), c.MessageCount, termLine(c.Title))
	}
	tw.Flush()
	return 0
}

// printJSON prints v as indented JSON on stdout.
func printJSON(v any) int {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fail(err)
	}
	return 0
}
