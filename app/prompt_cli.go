package app

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/chapelapp/chapel/backend/chattmpl"
	"github.com/chapelapp/chapel/backend/gguf"
)

// cmdPrompt prints the prompt text Chapel renders for a conversation with a
// chat template (from a .jinja file or a GGUF model's header).
func cmdPrompt(args []string) int {
	guardTemplates() // the template renders in this process
	return runPrompt(args, os.Stdout, os.Stderr)
}

// conversationFile is the JSON `chapel prompt` reads. Other top-level keys
// (enable_thinking, …) are passed to the template as variables.
type conversationFile struct {
	Messages            []map[string]any `json:"messages"`
	AddGenerationPrompt *bool            `json:"add_generation_prompt"`
}

func runPrompt(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("prompt", flag.ContinueOnError)
	fl.SetOutput(io.Discard)
	tmplPath := fl.String("template", "", "")
	modelPath := fl.String("model", "", "")
	bos := fl.String("bos", "", "")
	eos := fl.String("eos", "", "")
	nowFlag := fl.String("now", "", "")
	rest, err := parseInterleaved(fl, args)
	if err != nil {
		return usageError(err)
	}
	if len(rest) != 1 || (*tmplPath == "") == (*modelPath == "") {
		return usageError(errors.New("prompt needs --template FILE.jinja or --model PATH, and one CONVERSATION.json"))
	}
	now := time.Now()
	if *nowFlag != "" {
		if now, err = time.Parse(time.RFC3339, *nowFlag); err != nil {
			return usageError(fmt.Errorf("--now wants a time like 2025-03-08T12:00:00Z: %w", err))
		}
	}
	src, bosText, eosText, err := promptTemplate(*tmplPath, *modelPath)
	if err != nil {
		return fail(err)
	}
	set := map[string]bool{}
	fl.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["bos"] {
		bosText = *bos
	}
	if set["eos"] {
		eosText = *eos
	}
	vars, err := readConversation(rest[0])
	if err != nil {
		return fail(err)
	}
	tmpl, err := chattmpl.Parse(src, bosText, eosText)
	if err != nil {
		return fail(fmt.Errorf("the Jinja engine cannot read this template (Chapel would use llama.cpp's built-in formatting): %w", err))
	}
	out, err := tmpl.Execute(vars, now)
	var te *chattmpl.TemplateError
	if errors.As(err, &te) {
		// Chapel adapts a conversation the template rejects; show that.
		p, err2 := tmpl.RenderChat(plainMessages(vars["messages"]), chattmpl.Options{AddGenerationPrompt: vars["add_generation_prompt"] == true, Now: now})
		if err2 != nil {
			return fail(fmt.Errorf("the template rejects this conversation: %s", te.Message))
		}
		fmt.Fprintf(stderr, "chapel: the template says %q. %s\n", te.Message, p.Note())
		out, err = p.Text, nil
	}
	if err != nil {
		return fail(err)
	}
	fmt.Fprint(stdout, out)
	return 0
}

// promptTemplate reads the template source and the BOS and EOS texts:
// from a .jinja file (no tokens), or from a GGUF model's header (its
// tokenizer.chat_template and the texts of its BOS and EOS tokens).
func promptTemplate(tmplPath, modelPath string) (src, bos, eos string, err error) {
	if tmplPath != "" {
		b, err := os.ReadFile(tmplPath)
		if err != nil {
			return "", "", "", fmt.Errorf("read the template: %w", err)
		}
		return string(b), "", "", nil
	}
	hdr, err := gguf.ReadFile(modelPath)
	if err != nil {
		return "", "", "", fmt.Errorf("read the model %s: %w", modelPath, err)
	}
	src, ok := hdr.String("tokenizer.chat_template")
	if !ok || src == "" {
		return "", "", "", fmt.Errorf("the model %s has no chat template: Chapel runs it as plain completion", modelPath)
	}
	var ids []uint64
	for _, key := range []string{"tokenizer.ggml.bos_token_id", "tokenizer.ggml.eos_token_id"} {
		id, ok := hdr.Uint(key)
		if !ok {
			id = 1 << 62 // none: no vocabulary entry has this id
		}
		ids = append(ids, id)
	}
	texts, err := gguf.TokenTexts(modelPath, ids...)
	if err != nil {
		return "", "", "", fmt.Errorf("read the model's tokens: %w", err)
	}
	return src, texts[0], texts[1], nil
}

// readConversation reads CONVERSATION.json into template variables.
func readConversation(path string) (map[string]any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the conversation: %w", err)
	}
	var vars map[string]any
	if err := json.Unmarshal(b, &vars); err != nil {
		return nil, fmt.Errorf("the conversation %s is not JSON: %w", path, err)
	}
	var conv conversationFile
	if err := json.Unmarshal(b, &conv); err != nil || conv.Messages == nil {
		return nil, fmt.Errorf(`the conversation %s needs {"messages": [{"role": …, "content": …}, …]}`, path)
	}
	if conv.AddGenerationPrompt == nil {
		vars["add_generation_prompt"] = true
	}
	return vars, nil
}

// plainMessages turns JSON messages into role and content pairs.
func plainMessages(v any) []chattmpl.Message {
	list, _ := v.([]any)
	var out []chattmpl.Message
	for _, m := range list {
		mm, _ := m.(map[string]any)
		role, _ := mm["role"].(string)
		content, _ := mm["content"].(string)
		out = append(out, chattmpl.Message{Role: role, Content: content})
	}
	return out
}
