// Package app is Chapel's shell: the Wails window with the methods bound to
// the frontend, and the command line. It is the only package that imports
// the Wails runtime; each bound method or command makes backend calls and
// turns their errors into {code, message} or one sentence on stderr.
package app

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/paths"
	"github.com/chapelapp/chapel/backend/store"
)

const usage = `Chapel: a private assistant that runs on this computer.

Usage:
  chapel [--home DIR]                     open the window
  chapel [--home DIR] FILE...             open the window with these files (documents, .gguf models);
                                          when it is already open, hand them to it
  chapel chat [flags] MESSAGE             send MESSAGE and stream the reply
      --home DIR          data folder (default: the per-user app-data folder; env CHAPEL_HOME)
      --model PATH        .gguf model (default: the model chosen last in the app)
      --conversation ID   continue a saved conversation
      --instructions TEXT the conversation's own instructions (its system prompt, in place of
                          Settings'; "" removes them); kept with the conversation
      --max-tokens N      stop the reply after N tokens (0: no limit)
      --temperature T     sampling temperature (0 = greedy)
      --seed N            sampling seed, for repeatable replies
      --endpoint URL      chat through an OpenAI-compatible server (llama-server, Ollama's /v1, vLLM,
                          another chapel serve); --model then names its model
      --api-key KEY       the endpoint's API key (env CHAPEL_API_KEY)
  chapel conversations [--home DIR] [--json]   list saved conversations
  chapel conversations delete [--home DIR] ID...
                                          delete conversations (their text leaves the disk too)
  chapel search [--home DIR] [--json] QUERY    find messages and document passages with every word of QUERY
  chapel export [--home DIR] [--conversation ID] [--format md|json] [--out FILE]
                                          a conversation as Markdown or JSON; without --conversation
                                          everything as a zip archive (to stdout without --out)
  chapel import [--home DIR] FILE         add the conversations of a Chapel JSON or archive, ChatGPT's or
                                          Claude's conversations.json (or its export zip) or an Open WebUI export;
                                          conversations imported before are skipped (Ctrl+C: nothing imported)
  chapel summarize [flags] FILE...        add documents (files or folders) and print a summary of each
      --home DIR          data folder
      --model PATH        .gguf model (default: the model chosen last in the app)
      --style S           brief (a paragraph), detailed (per section) or keypoints (bullets); default brief
      --force             make the summary again from the start (steps saved before are not reused)
      --endpoint URL      an OpenAI-compatible server that takes map steps beside the local engine
                          (repeatable; its model: the one saved for it in Settings → Engines, else its only one)
      --json              one JSON object per document: document_id, blake3, pages, chunks,
                          chunks_summarized, coverage, summary, citations (and for a damaged PDF
                          pages_announced, pages_lost, warning)
                          Interrupted summaries resume where they stopped when run again.
  chapel documents [--home DIR] [--json]  list stored documents
  chapel documents delete [--home DIR] ID...
                                          delete documents with their passages, summaries and stored copy
  chapel extract [--json] FILE            print a document's text (PDF pages separated by form feeds)
  chapel version [--verbose | --json]     print the version; --verbose: the CPU, the engine build that runs on it and why
  chapel bench [--model PATH | --synthetic NAME] [--threads N] [--pp 512] [--tg 128] [--reps 3] [--parallel 4] [--history 3000] [--json]
                                          measure prompt and generation speed (NAME: 1b-q4_0, 0.5b-q8_0, tiny-f32, …)
  chapel bench --bandwidth [--threads N]  measure memory read bandwidth (the roofline)
  chapel bench --under-load [--model PATH | --synthetic NAME] [--summary FILE]
                                          generation (and a summary's prompt rate) idle and with one core
                                          kept busy by another process: tuned threads, 1 thread, all threads fixed
  chapel bench --summary FILE [--model PATH | --synthetic NAME] [--pieces 8] [--reps 3]
                                          prompt tokens per second inside the summary pipeline (the first
                                          N map steps of FILE) against the engine alone right after it,
                                          in --reps rounds (the median round shown)
  chapel bench --summary FILE --serve 1,2,3 [--model PATH | --synthetic NAME] [--threads N] [--pieces 8]
                                          the map steps on 1, 2, 3 chapel serve processes on loopback
                                          (N threads shared out), time per piece against one engine
      --fixed-threads     use --threads for every step (the engine otherwise tunes its thread count)
  chapel synth-model [--shape tiny|0.5b|1b] [--chat | --template FILE.jinja] [--f16] PATH
                                          write a random-weight model (for tests and benchmarks)
  chapel models [--home DIR] [--json]     list every model Chapel can use, with where it was found
                                          (its models folders, Ollama, LM Studio, Jan, GPT4All, the
                                          Hugging Face and llama.cpp caches)
  chapel models catalog [--home DIR] [--json]
                                          the model catalogue, with what fits this computer's memory and disk
  chapel models download [--home DIR] [--sha256 HEX] ID|URL
                                          download a catalogue model (or a .gguf address) into the models
                                          folder, SHA-256 verified; Ctrl+C pauses, the same command resumes
  chapel prompt --template FILE.jinja [--bos T] [--eos T] [--now TIME] CONVERSATION.json
  chapel prompt --model PATH CONVERSATION.json
                                          print the prompt Chapel renders with a chat template (the model's,
                                          with its BOS/EOS texts); CONVERSATION.json is {"messages": [...],
                                          "add_generation_prompt": true}, other keys (enable_thinking) go to
                                          the template; --now fixes strftime_now (RFC 3339)
  chapel serve [--home DIR] [--model PATH] [--port 8095] [--token T] [--threads N] [--context N]
                                          serve the model as an OpenAI-compatible API on 127.0.0.1
                                          (/v1/models, /v1/chat/completions, /v1/completions); the
                                          token (env CHAPEL_API_TOKEN) is generated and shown once if not given;
                                          --threads 0 and --context 0 (the defaults): automatic, the model's own
`

// Main runs Chapel with the command-line arguments (without the program
// name) and returns the exit code.
func Main(args []string, assets fs.FS, icon []byte, version string) int {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") && !isHelp(args[0]) {
		return openWindow(args, assets, icon, version)
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "chat":
		return cmdChat(rest)
	case "conversations":
		return cmdConversations(rest)
	case "search":
		return cmdSearch(rest)
	case "export":
		return cmdExport(rest)
	case "import":
		return cmdImport(rest)
	case "extract":
		return cmdExtract(rest)
	case "summarize", "summarise":
		return cmdSummarize(rest)
	case "documents":
		return cmdDocuments(rest)
	case "bench":
		return cmdBench(rest)
	case "synth-model":
		return cmdSynthModel(rest)
	case "models":
		return cmdModels(rest)
	case "serve":
		return cmdServe(rest)
	case "prompt":
		return cmdPrompt(rest)
	case busyArg: // hidden: keeps one core busy for `chapel bench --under-load`
		return cmdBusy()
	case "__engine-worker": // hidden: the engine's worker process, started by the app itself
		return cmdEngineWorker(rest)
	case "version", "--version":
		return cmdVersion(rest, version)
	case "help", "-h", "--help":
		fmt.Print(usage)
		return 0
	default:
		if isFileArg(cmd) { // `chapel report.pdf`: a file manager's "Open with"
			return openWindow(args, assets, icon, version)
		}
		return usageError(fmt.Errorf("unknown command %q", cmd))
	}
}

func isHelp(a string) bool { return a == "-h" || a == "--help" || a == "--version" }

// isFileArg reports whether an argument that is not a command names a file
// or folder.
func isFileArg(a string) bool {
	_, err := os.Stat(a)
	return err == nil
}

// openWindow opens the window with its flags and file arguments.
func openWindow(args []string, assets fs.FS, icon []byte, version string) int {
	files, err := windowFlags(args)
	if err != nil {
		return usageError(err)
	}
	return runWindow(assets, icon, version, files)
}

// windowFlags reads the window's flags and returns its file arguments, made
// absolute. Flags of the Wails development server (-assetdir, -devserver, …)
// are accepted and left to Wails.
func windowFlags(args []string) ([]string, error) {
	fl := flag.NewFlagSet("chapel", flag.ContinueOnError)
	fl.SetOutput(nopWriter{})
	home := fl.String("home", "", "")
	for _, devFlag := range []string{"assetdir", "devserver", "frontenddevserverurl", "loglevel"} {
		fl.String(devFlag, "", "")
	}
	if err := fl.Parse(args); err != nil {
		return nil, err
	}
	wd, _ := os.Getwd()
	return fileArgs(fl.Args(), wd), setHome(*home)
}

// setHome points the data folder at dir (the --home flag).
func setHome(dir string) error {
	if dir == "" {
		return nil
	}
	return os.Setenv(paths.EnvHome, dir)
}

// fail prints err as one sentence and returns the exit code 1.
func fail(err error) int {
	msg := err.Error()
	var ae *apperr.Error
	if errors.As(err, &ae) {
		msg = apperr.Message(err)
	}
	fmt.Fprintf(os.Stderr, "chapel: %s\n", termLine(msg))
	if store.IsDamaged(err) {
		// The window knows what to do with it; the command line says where to go.
		fmt.Fprintln(os.Stderr, "Open Chapel's window: it offers to recover every conversation and document that can still be read, keeping the damaged file.")
	}
	return 1
}

func usageError(err error) int {
	fmt.Fprintf(os.Stderr, "chapel: %s\nRun 'chapel help' for usage.\n", termLine(err.Error()))
	return 2
}

type nopWriter struct{}

func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }
