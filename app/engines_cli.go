package app

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"

	"github.com/chapelapp/chapel/backend/apperr"
	"github.com/chapelapp/chapel/backend/remote"
)

// useEndpointForCLI points a command at an endpoint given by URL (--endpoint)
// and turns *model, the endpoint's model name, into the reference the
// engine loads. An endpoint saved in Settings → Engines with that URL lends
// its id and its key (unless --api-key gives one).
func useEndpointForCLI(ctx context.Context, svc *services, rawURL, apiKey string, model *string) error {
	sw, ok := svc.engine.(*remote.Switch)
	if !ok {
		return apperr.New(apperr.Internal, "this Chapel cannot use endpoints")
	}
	cfg, _, err := endpointForCLI(ctx, svc, rawURL, apiKey)
	if err != nil {
		return err
	}
	if *model == "" {
		ids, err := endpointModels(ctx, cfg)
		if err != nil {
			return err
		}
		return apperr.New(apperr.Invalid, "--endpoint needs --model NAME; %s serves: %s", cfg.Name, strings.Join(ids, ", "))
	}
	ref, err := sw.Register(cfg, *model)
	if err != nil {
		return err
	}
	*model = ref
	return nil
}

// endpointForCLI is the config for an --endpoint URL, and the model of the
// saved endpoint with that URL ("" when there is none).
func endpointForCLI(ctx context.Context, svc *services, rawURL, apiKey string) (remote.Config, string, error) {
	base, _, err := remote.ParseBaseURL(rawURL)
	if err != nil {
		return remote.Config{}, "", err
	}
	cfg := remote.Config{ID: "url-" + strings.ReplaceAll(base.Host, "/", "_"), Name: base.Host, BaseURL: base.String(), APIKey: apiKey}
	list, err := svc.endpoints.List(ctx)
	if err != nil {
		return cfg, "", nil
	}
	for _, ep := range list {
		if ep.BaseURL == base.String() {
			saved, err := svc.endpoints.Config(ctx, ep.ID)
			if err != nil {
				return remote.Config{}, "", err
			}
			if apiKey != "" {
				saved.APIKey = apiKey
			}
			return saved, ep.Model, nil
		}
	}
	return cfg, "", nil
}

// endpointModels lists an endpoint's model names.
func endpointModels(ctx context.Context, cfg remote.Config) ([]string, error) {
	e, err := remote.New(cfg)
	if err != nil {
		return nil, err
	}
	defer e.Close()
	ms, err := e.Models(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	return ids, nil
}

// shareSummaryWork makes the endpoints at urls (`summarize --endpoint`,
// repeatable) take map steps beside the local engine: each runs the model
// saved for it in Settings → Engines, else the one model it serves. It
// returns a function that prints, on stderr, which engine did how many.
func shareSummaryWork(ctx context.Context, svc *services, urls []string, apiKey string) (func(), error) {
	if len(urls) == 0 {
		return func() {}, nil
	}
	sw, ok := svc.engine.(*remote.Switch)
	if !ok {
		return nil, apperr.New(apperr.Internal, "this Chapel cannot use endpoints")
	}
	refs := make([]string, 0, len(urls))
	for _, u := range urls {
		cfg, model, err := endpointForCLI(ctx, svc, u, apiKey)
		if err != nil {
			return nil, err
		}
		if model == "" {
			ids, err := endpointModels(ctx, cfg)
			if err != nil {
				return nil, err
			}
			if len(ids) != 1 {
				return nil, apperr.New(apperr.Invalid, "%s serves %d models (%s); save it in Settings → Engines with the one to use",
					cfg.Name, len(ids), strings.Join(ids, ", "))
			}
			model = ids[0]
		}
		ref, err := sw.Register(cfg, model)
		if err != nil {
			return nil, err
		}
		refs = append(refs, ref)
	}
	var mu sync.Mutex
	counts := map[string]int{}
	var order []string
	err := sw.ShareBatches(ctx, refs, func(d remote.Done) {
		mu.Lock()
		defer mu.Unlock()
		if counts[d.Engine] == 0 {
			order = append(order, d.Engine)
		}
		counts[d.Engine]++
	})
	if err != nil {
		return nil, err
	}
	return func() {
		mu.Lock()
		defer mu.Unlock()
		for _, name := range order {
			fmt.Fprintf(os.Stderr, "summary steps by %s: %d\n", name, counts[name])
		}
	}, nil
}
