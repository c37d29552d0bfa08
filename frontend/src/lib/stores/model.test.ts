import { describe, expect, it } from 'vitest';
import { ModelStore, NOT_GGUF_NOTICE } from './model.svelte';
import { ToastStore } from './toasts.svelte';
import { installFakeWails, modelEntry, modelInfo } from '../../test/fakes';

function setup() {
  const w = installFakeWails();
  const notify = new ToastStore();
  return { w, notify, store: new ModelStore(notify) };
}

describe('model store', () => {
  it('starts from ModelState and lists models grouped by source', async () => {
    const { w, store } = setup();
    w.app.ListModels.mockResolvedValue([
      modelEntry({ path: '/a.gguf', source: 'models' }),
      modelEntry({ path: '/b.gguf', source: 'recent' }),
      modelEntry({ path: '/c.gguf', source: 'models', valid: false, problem: 'truncated file' }),
    ]);
    store.init();
    await store.refreshState();
    await store.refreshList();
    expect(store.ready).toBe(true);
    expect(store.status).toBe('none');
    expect(store.groups.map((g) => [g.source, g.entries.map((e) => e.path)])).toEqual([
      ['models', ['/a.gguf', '/c.gguf']],
      ['recent', ['/b.gguf']],
    ]);
  });

  it('load goes loading → ready', async () => {
    const { w, store } = setup();
    let resolve!: (v: unknown) => void;
    w.app.LoadModel.mockReturnValue(new Promise((r) => (resolve = r)));
    const p = store.load('/models/tiny.gguf');
    expect(store.status).toBe('loading');
    expect(store.loading).toBe(true);
    expect(store.name).toBe('tiny.gguf');
    resolve(modelInfo({ name: 'Tiny Stories' }));
    expect(await p).toBe(true);
    expect(store.status).toBe('ready');
    expect(store.state.model?.name).toBe('Tiny Stories');
    expect(w.app.LoadModel).toHaveBeenCalledWith('/models/tiny.gguf');
  });

  it('load goes loading → error with the message, and retry loads the same path', async () => {
    const { w, store } = setup();
    w.app.LoadModel.mockRejectedValueOnce({ code: 'model_invalid', message: 'not a GGUF file' });
    expect(await store.load('/x.gguf')).toBe(false);
    expect(store.status).toBe('error');
    expect(store.error).toBe('not a GGUF file');
    store.dismissError();
    expect(store.error).toBe('');
    expect(await store.retry()).toBe(true);
    expect(w.app.LoadModel).toHaveBeenLastCalledWith('/x.gguf');
    expect(store.status).toBe('ready');
  });

  it('a failed load keeps the model loaded before it, says why, and retry tries the failed one', async () => {
    const { w, store } = setup();
    w.app.LoadModel.mockResolvedValueOnce(modelInfo({ path: '/good.gguf', name: 'good' }));
    expect(await store.load('/good.gguf')).toBe(true);
    w.app.LoadModel.mockRejectedValueOnce({ code: 'invalid', message: 'model "bad.gguf" could not be loaded' });
    expect(await store.load('/bad.gguf')).toBe(false);
    expect(store.status).toBe('ready');
    expect(store.state.model?.path).toBe('/good.gguf');
    expect(store.error).toContain('could not be loaded');
    await store.retry();
    expect(w.app.LoadModel).toHaveBeenLastCalledWith('/bad.gguf');
  });

  it('follows model:state events', () => {
    const { w, store } = setup();
    store.init();
    w.emit('model:state', { state: 'loading', model: null, path: '/m.gguf', error: '' });
    expect(store.loading).toBe(true);
    w.emit('model:state', { state: 'error', model: null, path: '/m.gguf', error: 'out of memory' });
    expect(store.error).toBe('out of memory');
  });

  it('model:state events arriving out of order: the latest (highest seq) wins', async () => {
    const { w, store } = setup();
    store.init();
    const m = modelInfo({ path: '/m.gguf' });
    w.emit('model:state', { state: 'ready', model: m, path: '/m.gguf', error: '', seq: 2 });
    // The "loading" that came before it, delivered late, does not bring back Loading….
    w.emit('model:state', { state: 'loading', model: null, path: '/m.gguf', error: '', seq: 1 });
    expect(store.status).toBe('ready');
    expect(store.loading).toBe(false);
    // Nor does an answer to ModelState that crossed the event.
    w.app.ModelState.mockResolvedValue({ state: 'loading', model: null, path: '/m.gguf', error: '', seq: 1 });
    await store.refreshState();
    expect(store.status).toBe('ready');
    // A newer change applies.
    w.emit('model:state', { state: 'loading', model: m, path: '/n.gguf', error: '', seq: 3 });
    expect(store.loading).toBe(true);
    w.emit('model:state', { state: 'error', model: null, path: '/n.gguf', error: 'out of memory', seq: 4 });
    expect(store.error).toBe('out of memory');
  });

  it('choose loads the picked file and does nothing when cancelled', async () => {
    const { w, store } = setup();
    w.app.ChooseModelFile.mockResolvedValueOnce('');
    expect(await store.choose()).toBe(false);
    expect(w.app.LoadModel).not.toHaveBeenCalled();
    w.app.ChooseModelFile.mockResolvedValueOnce('/picked.gguf');
    expect(await store.choose()).toBe(true);
    expect(w.app.LoadModel).toHaveBeenCalledWith('/picked.gguf');
  });

  it('dropped .gguf files load; other files get a friendly notice', async () => {
    const { w, store, notify } = setup();
    expect(await store.openDropped(['/docs/report.pdf'])).toBe(false);
    expect(notify.items[0].text).toBe(NOT_GGUF_NOTICE);
    expect(w.app.LoadModel).not.toHaveBeenCalled();
    expect(await store.openDropped(['/m/Qwen.Q4_K_M.GGUF'])).toBe(true);
    expect(w.app.LoadModel).toHaveBeenCalledWith('/m/Qwen.Q4_K_M.GGUF');
  });
});

describe('the loaded model outside the models folders', () => {
  it.each([
    { name: 'listed nowhere: shown as open now', listed: [], remote: [], want: '/elsewhere/tiny.gguf' },
    { name: 'in a models folder: listed there, not twice', listed: ['/elsewhere/tiny.gguf'], remote: [], want: null },
    { name: "an endpoint's model: the picker lists it with the endpoints", listed: [], remote: ['/elsewhere/tiny.gguf'], want: null },
  ])('$name', async ({ listed, remote, want }) => {
    const { w, store } = setup();
    w.app.ListModels.mockResolvedValue(listed.map((path) => modelEntry({ path, source: 'models' })));
    w.app.ModelState.mockResolvedValue({
      state: 'ready',
      model: modelInfo({ path: '/elsewhere/tiny.gguf', name: 'tiny' }),
      path: '/elsewhere/tiny.gguf',
      error: '',
    });
    await store.refreshState();
    await store.refreshList();
    const e = store.loadedElsewhere(remote);
    expect(e?.path ?? null).toBe(want);
    if (e) expect([e.name, e.dir, e.valid]).toEqual(['tiny', '/elsewhere', true]);
  });

  it('nothing loaded: nothing to show', () => {
    expect(setup().store.loadedElsewhere()).toBeNull();
  });
});
