package app

import (
	"context"
	"strings"

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
	base, _, err := remote.ParseBaseURL(rawURL)
	if err != nil {
		return err
	}
	cfg := remote.Config{ID: "url-" + strings.ReplaceAll(base.Host, "/", "_"), BaseURL: base.String(), APIKey: apiKey}
	if list, err := svc.endpoints.List(ctx); err == nil {
		for _, ep := range list {
			if ep.BaseURL == base.String() {
				saved, err := svc.endpoints.Config(ctx, ep.ID)
				if err != nil {
					return err
				}
				if apiKey != "" {
					saved.APIKey = apiKey
				}
				cfg = saved
				break
			}
		}
	}
	if *model == "" {
		e, err := remote.New(cfg)
		if err != nil {
			return err
		}
		defer e.Close()
		res, err := e.Test(ctx)
		if err != nil {
			return err
		}
		ids := make([]string, len(res.Models))
		for i, m := range res.Models {
			ids[i] = m.ID
		}
		return apperr.New(apperr.Invalid, "--endpoint needs --model NAME; %s serves: %s", base.Host, strings.Join(ids, ", "))
	}
	ref, err := sw.Register(cfg, *model)
	if err != nil {
		return err
	}
	*model = ref
	return nil
}
