package app

import (
	"github.com/chapelapp/chapel/backend/remote"
)

// EndpointInput is an endpoint as the Engines settings send it: the key
// travels only when SetKey is true ("" then removes the stored one).
type EndpointInput struct {
	remote.Endpoint
	APIKey string `json:"api_key"`
	SetKey bool   `json:"set_key"`
}

func (in EndpointInput) key() *string {
	if !in.SetKey {
		return nil
	}
	return &in.APIKey
}

// EndpointTest is what testing an endpoint found.
type EndpointTest struct {
	Summary   string   `json:"summary"` // "connected: 3 models, 41 ms"
	Models    []string `json:"models"`
	LatencyMS int64    `json:"latency_ms"`
}

// EndpointModel is an endpoint's model as the model picker lists it.
type EndpointModel struct {
	Ref      string `json:"ref"` // what LoadModel takes
	Model    string `json:"model"`
	Endpoint string `json:"endpoint"` // the endpoint's name
	ID       string `json:"endpoint_id"`
}

// ListEndpoints lists the endpoints the user added (never their keys).
func (a *App) ListEndpoints() ([]remote.Endpoint, error) {
	return a.svc.endpoints.List(a.ctx())
}

// SaveEndpoint adds an endpoint (no id) or changes one.
func (a *App) SaveEndpoint(in EndpointInput) (remote.Endpoint, error) {
	return a.svc.endpoints.Save(a.ctx(), in.Endpoint, in.key())
}

// DeleteEndpoint removes an endpoint and its stored key.
func (a *App) DeleteEndpoint(id string) error {
	return a.svc.endpoints.Delete(a.ctx(), id)
}

// TestEndpoint connects to an endpoint (saved or being added) and lists
// its models.
func (a *App) TestEndpoint(in EndpointInput) (EndpointTest, error) {
	res, err := a.svc.endpoints.Test(a.ctx(), in.Endpoint, in.key())
	if err != nil {
		return EndpointTest{}, err
	}
	ids := make([]string, len(res.Models))
	for i, m := range res.Models {
		ids[i] = m.ID
	}
	return EndpointTest{Summary: res.Summary(), Models: ids, LatencyMS: res.Latency.Milliseconds()}, nil
}

// ListEndpointModels lists the model chosen for each endpoint, for the
// model picker. It opens no connection.
func (a *App) ListEndpointModels() ([]EndpointModel, error) {
	list, err := a.svc.endpoints.List(a.ctx())
	if err != nil {
		return nil, err
	}
	out := []EndpointModel{}
	for _, ep := range list {
		if ep.Model != "" {
			out = append(out, EndpointModel{Ref: ep.Ref(), Model: ep.Model, Endpoint: ep.Name, ID: ep.ID})
		}
	}
	return out, nil
}
