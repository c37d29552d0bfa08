package app

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/engine"
	"github.com/chapelapp/chapel/backend/models"
	"github.com/chapelapp/chapel/backend/remote"
	"github.com/chapelapp/chapel/backend/serve"
)

// cmdServe runs Chapel headless as an OpenAI-compatible API on 127.0.0.1
// until interrupted.
func cmdServe(args []string) int {
	fl := flag.NewFlagSet("serve", flag.ContinueOnError)
	home := fl.String("home", "", "")
	modelPath := fl.String("model", "", "")
	port := fl.Int("port", serve.DefaultPort, "")
	tok := fl.String("token", os.Getenv("CHAPEL_API_TOKEN"), "")
	threads := fl.Int("threads", 0, "")
	ctxSize := fl.Int("context", 0, "")
	pos, err := parseInterleaved(fl, args)
	if err != nil {
		return usageError(err)
	}
	if len(pos) > 0 {
		return usageError(fmt.Errorf("serve takes no arguments, only flags (got %q)", pos[0]))
	}
	if *port < 0 || *port > 65535 {
		return usageError(fmt.Errorf("--port must be between 0 and 65535"))
	}
	if *threads < 0 {
		return usageError(fmt.Errorf("--threads must be 0 (automatic) or more"))
	}
	if *ctxSize < 0 {
		return usageError(fmt.Errorf("--context must be 0 (the model's own) or more"))
	}
	if err := setHome(*home); err != nil {
		return fail(err)
	}
	token, shown := *tok, false
	if token == "" {
		if token, err = serve.NewToken(); err != nil {
			return fail(err)
		}
		shown = true
	}
	ctx, stop := stopContext()
	defer stop()
	return withServices(ctx, func(svc *services) int {
		path, err := modelForServe(ctx, svc, *modelPath)
		if err != nil {
			return fail(err)
		}
		info, err := svc.engine.Load(ctx, path, engine.LoadOptions{Threads: *threads, ContextSize: *ctxSize})
		if err != nil {
			return fail(err)
		}
		// API clients queue behind anything this process runs itself.
		srv, err := serve.New(svc.queue.Background(), serve.Config{Addr: fmt.Sprintf("127.0.0.1:%d", *port), Token: token, Log: svc.log,
			NoModel: svc.noModelReason})
		if err != nil {
			return fail(err)
		}
		addr, err := srv.Listen()
		if err != nil {
			return fail(err)
		}
		fmt.Printf("Chapel serves %s at http://%s/v1\n", termLine(info.Name), addr)
		if shown {
			fmt.Printf("API token (shown once; pass --token to choose one): %s\n", token)
		}
		os.Stdout.Sync()
		errc := make(chan error, 1)
		go func() { errc <- srv.Serve() }()
		select {
		case err := <-errc:
			return fail(err)
		case <-ctx.Done():
		}
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		fmt.Fprintln(os.Stderr, "chapel: stopped serving")
		return 0
	})
}

// modelForServe is --model, else the model chosen last in the app.
func modelForServe(ctx context.Context, svc *services, path string) (string, error) {
	if remote.IsRef(path) {
		return "", apperr.New(apperr.Invalid, "chapel serve serves a model on this computer; pass --model PATH to a .gguf file")
	}
	if path != "" {
		return path, nil
	}
	p, ok, err := models.Remembered(ctx, svc.store)
	if err != nil {
		return "", err
	}
	if !ok || remote.IsRef(p) {
		return "", apperr.New(apperr.Invalid, "no model chosen; pass --model PATH to a .gguf file")
	}
	return p, nil
}
