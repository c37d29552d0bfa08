import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import { EnginesStore, engines, inputOf, problem, emptyDraft } from './engines.svelte';
import { ToastStore } from './toasts.svelte';
import EnginesSection from '../components/EnginesSection.svelte';
import EndpointModels from '../components/EndpointModels.svelte';
import { installFakeWails, settle } from '../../test/fakes';

const box = { id: 'e1', name: 'Rack box', base_url: 'http://10.0.0.5:8080/v1', model: 'qwen', has_key: true, summaries: false };

function setup() {
  const w = installFakeWails();
  return { w, store: new EnginesStore(new ToastStore()) };
}

describe('engines store', () => {
  it('sends the key only when the user typed or cleared it', () => {
    const d = { ...emptyDraft(), id: 'e1', name: ' box ', base_url: ' http://h:1/v1 ', has_key: true };
    expect(inputOf(d)).toEqual({
      id: 'e1',
      name: 'box',
      base_url: 'http://h:1/v1',
      model: '',
      has_key: true,
      summaries: false,
      api_key: '',
      set_key: false,
    });
    expect(inputOf({ ...d, api_key: 'sk-1', keyTouched: true })).toMatchObject({ api_key: 'sk-1', set_key: true });
    expect(inputOf({ ...d, api_key: '', keyTouched: true })).toMatchObject({ api_key: '', set_key: true });
  });

  it('checks the URL before any call', async () => {
    const { w, store } = setup();
    expect(problem({ ...emptyDraft(), base_url: '' })).toMatch(/base URL/);
    expect(problem({ ...emptyDraft(), base_url: 'localhost:8080' })).toMatch(/http:\/\//);
    store.edit();
    store.draft!.base_url = 'ftp://x';
    expect(await store.test()).toBe(false);
    expect(store.testError).toMatch(/http:\/\//);
    expect(w.app.TestEndpoint).not.toHaveBeenCalled();
  });

  it('tests a draft: the summary, the models found, the first one chosen', async () => {
    const { w, store } = setup();
    w.app.TestEndpoint.mockResolvedValue({ summary: 'connected: 3 models, 41 ms', models: ['a', 'b', 'c'], latency_ms: 41 });
    store.edit();
    store.draft!.base_url = 'http://127.0.0.1:8080';
    expect(await store.test()).toBe(true);
    expect(store.testResult).toBe('connected: 3 models, 41 ms');
    expect(store.found).toEqual(['a', 'b', 'c']);
    expect(store.draft!.model).toBe('a');
    expect(w.app.TestEndpoint).toHaveBeenCalledWith(expect.objectContaining({ base_url: 'http://127.0.0.1:8080', set_key: false }));
  });

  it('shows the server error sentence when a test fails', async () => {
    const { w, store } = setup();
    w.app.TestEndpoint.mockRejectedValue({ code: 'unavailable', message: 'Chapel could not connect to box: connection refused' });
    store.edit(box);
    expect(await store.test()).toBe(false);
    expect(store.testError).toBe('Chapel could not connect to box: connection refused');
    expect(store.testResult).toBe('');
  });

  it('saves, reloads the list and closes the form; removes', async () => {
    const { w, store } = setup();
    w.app.SaveEndpoint.mockResolvedValue(box);
    w.app.ListEndpoints.mockResolvedValue([box]);
    w.app.ListEndpointModels.mockResolvedValue([{ ref: 'endpoint:e1/qwen', model: 'qwen', endpoint: 'Rack box', endpoint_id: 'e1' }]);
    store.edit();
    store.draft!.base_url = box.base_url;
    store.draft!.api_key = 'sk-secret';
    store.draft!.keyTouched = true;
    expect(await store.save()).toBe(true);
    expect(w.app.SaveEndpoint).toHaveBeenCalledWith(expect.objectContaining({ api_key: 'sk-secret', set_key: true }));
    expect(store.draft).toBeNull();
    expect(store.list).toEqual([box]);
    expect(store.models[0].ref).toBe('endpoint:e1/qwen');
    w.app.ListEndpoints.mockResolvedValue([]);
    w.app.ListEndpointModels.mockResolvedValue([]);
    expect(await store.remove(box)).toBe(true);
    expect(w.app.DeleteEndpoint).toHaveBeenCalledWith('e1');
    expect(store.list).toEqual([]);
  });

  it('keeps the form open with the reason when saving fails', async () => {
    const { w, store } = setup();
    w.app.SaveEndpoint.mockRejectedValue({ code: 'conflict', message: 'there is already an endpoint named "box"' });
    store.edit();
    store.draft!.base_url = 'http://h:1';
    expect(await store.save()).toBe(false);
    expect(store.draft).not.toBeNull();
    expect(store.testError).toContain('already an endpoint');
  });
});

describe('Engines section', () => {
  it('adds an endpoint: fields, Test shows "connected", Save sends the key once', async () => {
    const w = installFakeWails();
    w.app.TestEndpoint.mockResolvedValue({ summary: 'connected: 1 model, 7 ms', models: ['tiny'], latency_ms: 7 });
    w.app.SaveEndpoint.mockResolvedValue({ ...box, model: 'tiny' });
    engines.cancel();
    render(EnginesSection);
    await settle();
    await fireEvent.click(screen.getByTestId('endpoint-add'));
    await fireEvent.input(screen.getByTestId('endpoint-url'), { target: { value: 'http://127.0.0.1:8095/v1' } });
    await fireEvent.input(screen.getByTestId('endpoint-key'), { target: { value: 'chapel-tok' } });
    await fireEvent.click(screen.getByTestId('endpoint-summaries'));
    await fireEvent.click(screen.getByTestId('endpoint-test'));
    await settle();
    expect(screen.getByTestId('endpoint-test-result').textContent).toBe('connected: 1 model, 7 ms');
    expect((screen.getByTestId('endpoint-model') as HTMLInputElement).value).toBe('tiny');
    await fireEvent.click(screen.getByTestId('endpoint-save'));
    await settle();
    expect(w.app.SaveEndpoint).toHaveBeenCalledWith(
      expect.objectContaining({
        base_url: 'http://127.0.0.1:8095/v1',
        api_key: 'chapel-tok',
        set_key: true,
        model: 'tiny',
        summaries: true,
      }),
    );
    expect(screen.queryByTestId('endpoint-form')).toBeNull();
  });

  it('lists endpoint models in the picker without contacting them', async () => {
    const w = installFakeWails();
    w.app.ListEndpointModels.mockResolvedValue([{ ref: 'endpoint:e1/qwen', model: 'qwen', endpoint: 'Rack box', endpoint_id: 'e1' }]);
    const picked: string[] = [];
    render(EndpointModels, { props: { current: '', onpick: (r: string) => picked.push(r) } });
    await settle();
    const opt = screen.getByTestId('endpoint-model');
    expect(opt.textContent).toContain('qwen');
    expect(opt.textContent).toContain('on Rack box');
    await fireEvent.click(opt);
    expect(picked).toEqual(['endpoint:e1/qwen']);
    expect(w.app.TestEndpoint).not.toHaveBeenCalled();
  });
});

describe('serving from the window', () => {
  it('is off until started; the token shows once; stop forgets it', async () => {
    const w = installFakeWails();
    w.app.ServingState.mockResolvedValue({ running: false, url: '' });
    engines.token = '';
    engines.serving = { running: false, url: '' };
    render(EnginesSection);
    await settle();
    expect(screen.queryByTestId('serve-url')).toBeNull();
    await fireEvent.input(screen.getByTestId('serve-port'), { target: { value: '18095' } });
    w.app.StartServing.mockResolvedValue({ running: true, url: 'http://127.0.0.1:18095/v1', token: 'chapel-abc' });
    await fireEvent.click(screen.getByTestId('serve-start'));
    await settle();
    expect(w.app.StartServing).toHaveBeenCalledWith(18095);
    expect(screen.getByTestId('serve-url').textContent).toBe('http://127.0.0.1:18095/v1');
    expect(screen.getByTestId('serve-token').textContent).toBe('chapel-abc');
    w.app.ServingState.mockResolvedValue({ running: false, url: '' });
    await fireEvent.click(screen.getByTestId('serve-stop'));
    await settle();
    expect(w.app.StopServing).toHaveBeenCalled();
    expect(screen.queryByTestId('serve-token')).toBeNull();
    expect(engines.token).toBe('');
  });

  it('refuses a port out of range without calling Go, and shows Go’s sentence', async () => {
    const { w, store } = setup();
    store.port = 70000;
    expect(await store.startServing()).toBe(false);
    expect(store.serveError).toMatch(/between 1 and 65535/);
    expect(w.app.StartServing).not.toHaveBeenCalled();
    store.port = 8095;
    w.app.StartServing.mockRejectedValue({ code: 'conflict', message: 'port 8095 is already in use; choose another with --port' });
    expect(await store.startServing()).toBe(false);
    expect(store.serveError).toContain('already in use');
  });
});
