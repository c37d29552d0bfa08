import { afterEach, describe, expect, it } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import { flushSync } from 'svelte';
import { ModelSettingsStore, effectiveContext, memoryLine, modelSettings, normaliseModel, threadsLine } from './model-settings.svelte';
import { ToastStore, toasts } from './toasts.svelte';
import { model } from './model.svelte';
import { settings } from './settings.svelte';
import { chat } from './chat.svelte';
import SettingsPanel from '../components/SettingsPanel.svelte';
import StatusBar from '../components/StatusBar.svelte';
import { installFakeWails, modelInfo, modelSettingsView, settle } from '../../test/fakes';

function setup() {
  const w = installFakeWails();
  const notes = new ToastStore();
  return { w, notes, store: new ModelSettingsStore(notes) };
}

afterEach(() => {
  model.state = { state: 'none', model: null, path: '', error: '' };
  settings.open = false;
  chat.stats = null;
  chat.lastThreads = 0;
  modelSettings.view = null;
  modelSettings.draft = null;
});

describe('model settings: what the panel says', () => {
  const v = modelSettingsView();
  it.each([
    {
      name: 'Auto, no reply yet',
      threads: 0,
      last: 0,
      want: /^Auto \(recommended\): up to 2 threads, fewer while another program keeps a core busy\. This computer has 2 cores\.$/,
    },
    {
      name: 'Auto, the last reply used fewer',
      threads: 0,
      last: 1,
      want: /up to 2 threads; the last reply used 1 because that measured faster: another program was keeping a core busy/,
    },
    { name: 'Auto, the last reply used all', threads: 0, last: 2, want: /up to 2 threads; the last reply used 2 threads\./ },
    { name: 'fixed', threads: 1, last: 2, want: /^Fixed: 1 thread for every step/ },
    {
      name: 'Auto, no reply yet, settled on fewer last time',
      threads: 0,
      last: 0,
      settled: 1,
      want: /up to 2 threads; it settled on 1 thread the last time it ran this model \(another program was keeping a core busy\) and starts there, then checks again\./,
    },
    {
      name: 'Auto, no reply yet, settled on all',
      threads: 0,
      last: 0,
      settled: 2,
      want: /; it settled on 2 threads the last time it ran this model and starts there/,
    },
    { name: 'Auto, a reply since: it says what the reply used', threads: 0, last: 2, settled: 1, want: /the last reply used 2 threads\./ },
    { name: 'fixed, settled ignored', threads: 1, last: 0, settled: 1, want: /^Fixed: 1 thread for every step/ },
  ])('threads: $name', ({ threads, last, settled, want }) => {
    expect(threadsLine({ ...v, settled_threads: settled ?? 0 }, threads, last)).toMatch(want);
  });

  it.each([
    { ctx: 0, want: 4096 },
    { ctx: 2048, want: 2048 },
    { ctx: Number.NaN, want: 4096 },
  ])('context $ctx loads as $want', ({ ctx, want }) => {
    expect(effectiveContext(v, { ...v.values, context_size: ctx })).toBe(want);
  });

  it('memory: the need for the chosen context against what is free', () => {
    const small = memoryLine(v, 4096);
    expect(small.text).toMatch(/^About .* of memory \(.* of weights, 512 MB of context cache\); 3\.7 GB free now$/);
    expect(small.tight).toBe(false);
    // 8192 × 128 KB = 1 GB of cache, still fits 4 GB free; a bigger model does not.
    const big = memoryLine({ ...v, memory: { ...v.memory, weights: 5e9 }, loaded_context: 0 }, 8192);
    expect(big.tight).toBe(true);
    expect(memoryLine({ ...v, memory: { ...v.memory, available: -1 } }, 4096).text).not.toMatch(/free now/);
  });

  it('normalises form values', () => {
    const d = normaliseModel(
      {
        ...v.values,
        context_size: '2048' as unknown as number,
        threads: '1' as unknown as number,
        temperature: Number.NaN,
        system_prompt: '  hi ',
      },
      v.values,
    );
    expect(d).toMatchObject({ context_size: 2048, threads: 1, temperature: 0.6, system_prompt: 'hi' });
  });
});

describe('model settings store', () => {
  it('saves only what changed, and says when the model reloaded', async () => {
    const { w, notes, store } = setup();
    await store.load('/models/m.gguf');
    expect(w.app.GetModelSettings).toHaveBeenCalledWith('/models/m.gguf');
    expect(store.dirty).toBe(false);
    expect(await store.save()).toBe(true);
    expect(w.app.SaveModelSettings).not.toHaveBeenCalled();

    store.draft!.temperature = 0.3;
    expect(store.dirty).toBe(true);
    expect(store.reloads).toBe(false);
    store.draft!.context_size = 2048;
    expect(store.reloads).toBe(true);
    w.app.SaveModelSettings.mockResolvedValue(
      modelSettingsView({
        saved: true,
        values: { ...store.view!.values, temperature: 0.3, context_size: 2048 },
        loaded_context: 2048,
        reloaded: true,
      }),
    );
    expect(await store.save()).toBe(true);
    expect(w.app.SaveModelSettings).toHaveBeenCalledWith(
      '/models/m.gguf',
      expect.objectContaining({ temperature: 0.3, context_size: 2048 }),
    );
    expect(store.view!.saved).toBe(true);
    expect(store.dirty).toBe(false);
    expect(notes.items.at(-1)?.text).toMatch(/reloaded with a context of 2,048 tokens/);
  });

  it('keeps the draft and shows the reason when Go refuses', async () => {
    const { w, store } = setup();
    await store.load('/models/m.gguf');
    store.draft!.context_size = 99999;
    w.app.SaveModelSettings.mockRejectedValue({
      code: 'invalid',
      message: 'the context can be at most 8192 tokens, the length this model was trained with',
    });
    expect(await store.save()).toBe(false);
    expect(store.error).toMatch(/at most 8192/);
    expect(store.draft!.context_size).toBe(99999);
  });

  it('resets to the defaults', async () => {
    const { w, store } = setup();
    w.app.GetModelSettings.mockResolvedValue(
      modelSettingsView({ saved: true, values: { ...modelSettingsView().values, temperature: 1.5 } }),
    );
    await store.load('/models/m.gguf');
    expect(await store.reset()).toBe(true);
    expect(w.app.ResetModelSettings).toHaveBeenCalledWith('/models/m.gguf');
    expect(store.view!.saved).toBe(false);
    expect(store.draft!.temperature).toBe(0.6);
  });
});

describe('settings refused: each field says what is wrong with it', () => {
  afterEach(() => {
    settings.errors = {};
    modelSettings.errors = {};
  });

  it.each([
    {
      name: "no model: every model's settings",
      loaded: false,
      refuse: { temperature: 'temperature must be between 0 and 5', top_p: 'top-p must be above 0 and at most 1' },
      prefix: 'setting',
    },
    {
      name: "a model loaded: the model's own",
      loaded: true,
      refuse: {
        context_size: 'the context must be at least 256 tokens (or the default)',
        repeat_penalty: 'repeat penalty must be between 0.5 and 3',
      },
      prefix: 'ms',
    },
  ])('$name', async ({ loaded, refuse, prefix }) => {
    const w = installFakeWails();
    const refusal = { code: 'invalid', message: Object.values(refuse).join('; '), fields: refuse };
    if (loaded) {
      // Go names the model's own fields "model.<field>".
      const prefixed = Object.fromEntries(Object.entries(refuse).map(([k, v]) => [`model.${k}`, v]));
      w.app.SaveAllSettings.mockRejectedValue({ ...refusal, fields: prefixed });
      model.state = { state: 'ready', model: modelInfo({ path: '/models/m.gguf', name: 'Qwen' }), path: '/models/m.gguf', error: '' };
    } else {
      w.app.SaveSettings.mockRejectedValue(refusal);
    }
    settings.open = true;
    render(SettingsPanel);
    await settle();
    const input = (key: string) => screen.getByTestId(`${prefix}-${key === 'context_size' ? 'context' : key}`);
    for (const key of Object.keys(refuse)) await fireEvent.input(input(key), { target: { value: '0' } });
    await fireEvent.submit(screen.getByTestId('settings-save').closest('form')!);
    await settle();
    await settle();
    expect(settings.open).toBe(true);
    const shown = screen.getAllByTestId('field-error').map((e) => e.textContent);
    expect(shown.sort()).toEqual(Object.values(refuse).sort());
    for (const [key, msg] of Object.entries(refuse)) {
      const el = input(key);
      expect(el.getAttribute('aria-invalid')).toBe('true');
      expect(document.getElementById(el.getAttribute('aria-describedby')!)?.textContent).toBe(msg);
    }
    // Editing a field takes its message away; the other's stays.
    const [first, second] = Object.keys(refuse);
    await fireEvent.input(input(first), { target: { value: '1' } });
    expect(input(first).getAttribute('aria-invalid')).toBeNull();
    expect(screen.getAllByTestId('field-error').map((e) => e.textContent)).toEqual([refuse[second as keyof typeof refuse]]);
  });
});

describe('settings refused in both forms at once', () => {
  afterEach(() => {
    settings.errors = {};
    modelSettings.errors = {};
  });

  it("marks every model's and the model's own fields together, focusing the first", async () => {
    const w = installFakeWails();
    w.app.SaveAllSettings.mockRejectedValue({
      code: 'invalid',
      message: 'a; b',
      fields: { seed: 'seed must be -1 (random) or between 0 and 4294967295', 'model.top_p': 'top-p must be above 0 and at most 1' },
    });
    model.state = { state: 'ready', model: modelInfo({ path: '/models/m.gguf', name: 'Qwen' }), path: '/models/m.gguf', error: '' };
    settings.open = true;
    toasts.items = [];
    render(SettingsPanel);
    await settle();
    await fireEvent.input(screen.getByTestId('ms-top_p'), { target: { value: '0' } });
    await fireEvent.submit(screen.getByTestId('settings-save').closest('form')!);
    await settle();
    expect(screen.getByTestId('ms-top_p').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByTestId('setting-seed').getAttribute('aria-invalid')).toBe('true');
    expect(toasts.items.map((t) => t.text)).toEqual(["Couldn't save settings: 2 settings need a change (marked in red)"]);
    expect(document.activeElement?.getAttribute('aria-invalid')).toBe('true');
    // Closed unsaved and opened again: a clean form.
    settings.hide();
    await settle();
    settings.open = true;
    await settle();
    expect(screen.queryAllByTestId('field-error')).toEqual([]);
    toasts.items = [];
  });
});

describe('settings panel with a model loaded', () => {
  it("shows the model's own settings and saves them with every model's in one call", async () => {
    const w = installFakeWails();
    model.state = { state: 'ready', model: modelInfo({ path: '/models/m.gguf', name: 'Qwen' }), path: '/models/m.gguf', error: '' };
    settings.open = true;
    render(SettingsPanel);
    await settle();
    expect(screen.getByTestId('model-settings').textContent).toContain('This model: Qwen');
    expect(screen.queryByTestId('setting-temperature')).toBeNull(); // the model's own sampling instead
    expect((screen.getByTestId('ms-temperature') as HTMLInputElement).value).toBe('0.6');
    expect(screen.getByTestId('ms-memory').textContent).toMatch(/free now/);
    expect(screen.getByTestId('ms-threads-hint').textContent).toMatch(/^Auto \(recommended\): up to 2 threads/);
    expect(screen.queryByTestId('ms-reload-note')).toBeNull();
    await fireEvent.input(screen.getByTestId('ms-context'), { target: { value: '2048' } });
    expect(screen.getByTestId('ms-reload-note').textContent).toMatch(/reloads the model/);
    await fireEvent.submit(screen.getByTestId('settings-save').closest('form')!);
    await settle();
    expect(w.app.SaveAllSettings).toHaveBeenCalledTimes(1);
    expect(w.app.SaveAllSettings).toHaveBeenCalledWith(
      expect.any(Object),
      '/models/m.gguf',
      expect.objectContaining({ context_size: 2048 }),
    );
    expect(w.app.SaveSettings).not.toHaveBeenCalled();
    expect(w.app.SaveModelSettings).not.toHaveBeenCalled();
    expect(settings.open).toBe(false);
  });

  it("the model's settings unchanged: only every model's are saved (path '')", async () => {
    const w = installFakeWails();
    model.state = { state: 'ready', model: modelInfo({ path: '/models/m.gguf', name: 'Qwen' }), path: '/models/m.gguf', error: '' };
    settings.open = true;
    render(SettingsPanel);
    await settle();
    await fireEvent.input(screen.getByTestId('setting-seed'), { target: { value: '7' } });
    await fireEvent.submit(screen.getByTestId('settings-save').closest('form')!);
    await settle();
    expect(w.app.SaveAllSettings).toHaveBeenCalledWith(expect.objectContaining({ seed: 7 }), '', expect.any(Object));
  });

  it.each([
    { name: 'both saved: one success', modelFails: false, success: 1, errors: 0, open: false },
    { name: "the model's refused: no success, the panel stays", modelFails: true, success: 0, errors: 1, open: true },
  ])('$name', async ({ modelFails, success, errors, open }) => {
    const w = installFakeWails();
    if (modelFails)
      w.app.SaveAllSettings.mockRejectedValue({
        code: 'invalid',
        message: 'temperature must be between 0 and 5',
        fields: { 'model.temperature': 'temperature must be between 0 and 5' },
      });
    model.state = { state: 'ready', model: modelInfo({ path: '/models/m.gguf', name: 'Qwen' }), path: '/models/m.gguf', error: '' };
    settings.open = true;
    toasts.items = [];
    render(SettingsPanel);
    await settle();
    await fireEvent.input(screen.getByTestId('ms-temperature'), { target: { value: '-3' } });
    await fireEvent.submit(screen.getByTestId('settings-save').closest('form')!);
    await settle();
    await settle();
    expect(toasts.items.filter((t) => t.kind === 'success').map((t) => t.text)).toEqual(success ? ['Settings saved'] : []);
    expect(toasts.items.filter((t) => t.kind === 'error')).toHaveLength(errors);
    expect(settings.open).toBe(open);
    toasts.items = [];
  });

  it.each([
    { name: 'a model file on this computer, a reasoning model', local: true, reasoning: true },
    { name: "an endpoint's model: no context or threads", local: false, reasoning: false },
  ])('$name', async ({ local, reasoning }) => {
    const w = installFakeWails();
    w.app.GetModelSettings.mockResolvedValue(modelSettingsView({ local }));
    const info = modelInfo({ path: '/models/m.gguf', reasoning, think_switch: reasoning ? 'flag' : '' });
    model.state = { state: 'ready', model: info, path: info.path, error: '' };
    settings.open = true;
    render(SettingsPanel);
    await settle();
    expect(!!screen.queryByTestId('ms-context')).toBe(local);
    expect(!!screen.queryByTestId('ms-threads-hint')).toBe(local);
    expect(!!screen.queryByTestId('setting-thinking')).toBe(reasoning);
    if (reasoning) {
      await fireEvent.click(screen.getByTestId('setting-thinking'));
      expect(modelSettings.draft?.thinking).toBe(false);
      expect(modelSettings.dirty).toBe(true);
    }
  });

  it("the status bar shows the threads the last reply used, and the loaded model's context", async () => {
    installFakeWails();
    model.state = { state: 'ready', model: modelInfo({ context_size: 2048 }), path: '/m.gguf', error: '' };
    chat.stats = { tps: 10, completion_tokens: 5, context_used: 0, context_size: 4096, dropped: 0, shifted: 0, threads: 1 };
    render(StatusBar);
    flushSync();
    expect(screen.getByTestId('status-threads').textContent?.trim()).toBe('1 thread');
    expect(screen.getByTestId('status-context').textContent).toContain('2,048');
  });
});
