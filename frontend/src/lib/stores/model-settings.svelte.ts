import { api, toApiError } from '../api';
import { formatBytes } from '../format';
import type { ModelSettings, ModelSettingsView, Settings } from '../types';
import { normalise, type SettingsStore } from './settings.svelte';
import { toasts, type ToastStore } from './toasts.svelte';

/** The sampling fields of a model's settings, as the panel lists them. */
export const SAMPLING_FIELDS: {
  key: 'temperature' | 'top_k' | 'top_p' | 'min_p' | 'repeat_penalty';
  label: string;
  step: string;
  min: string;
  max?: string;
  hint: string;
}[] = [
  { key: 'temperature', label: 'Temperature', step: '0.05', min: '0', max: '5', hint: 'Higher is more varied; 0 is deterministic.' },
  { key: 'top_k', label: 'Top-k', step: '1', min: '0', hint: 'Sample from the k most likely tokens (0 = off).' },
  { key: 'top_p', label: 'Top-p', step: '0.01', min: '0.01', max: '1', hint: 'Nucleus sampling threshold.' },
  { key: 'min_p', label: 'Min-p', step: '0.01', min: '0', max: '0.99', hint: 'Drop tokens less likely than this share of the best.' },
  { key: 'repeat_penalty', label: 'Repeat penalty', step: '0.05', min: '0.5', max: '3', hint: '1 = off; higher discourages repetition.' },
];

/** How a refusal of saveAllSettings names this model's own fields ("model.temperature"); Go's models.ModelFieldPrefix. */
const MODEL_PREFIX = 'model.';

/** The settings of the loaded model: context, threads, system prompt, sampling, thinking. */
export class ModelSettingsStore {
  view = $state<ModelSettingsView | null>(null);
  draft = $state<ModelSettings | null>(null);
  loading = $state(false);
  saving = $state(false);
  error = $state('');
  /** What the last save refused, by field (shown under each field; {} when nothing was). */
  errors = $state<Record<string, string>>({});

  constructor(private readonly notify: ToastStore = toasts) {}

  /** The field was edited: its refusal no longer applies. */
  edited(key: string): void {
    if (key in this.errors) this.errors = Object.fromEntries(Object.entries(this.errors).filter(([k]) => k !== key));
  }

  async load(path: string): Promise<void> {
    if (!path) return;
    this.loading = true;
    this.error = '';
    this.errors = {}; // read afresh: what the last save refused no longer stands
    try {
      this.apply(await api.getModelSettings(path));
    } catch (e) {
      this.view = null;
      this.draft = null;
      this.notify.error(e, "Couldn't load this model's settings");
    } finally {
      this.loading = false;
    }
  }

  /** The draft differs from what the model runs with. */
  get dirty(): boolean {
    if (!this.view || !this.draft) return false;
    return !same(normaliseModel(this.draft, this.view.values), this.view.values);
  }

  /** Saving the draft reloads the model (its context or threads change). */
  get reloads(): boolean {
    if (!this.view || !this.draft) return false;
    const d = normaliseModel(this.draft, this.view.values);
    return d.context_size !== this.view.values.context_size || d.threads !== this.view.values.threads;
  }

  /** Save the draft when it changed; true when nothing is left to save. */
  async save(): Promise<boolean> {
    if (!this.view || !this.draft) return true;
    if (!this.dirty) return true;
    return this.run(() => api.saveModelSettings(this.view!.path, normaliseModel(this.draft!, this.view!.values)), 'save');
  }

  /**
   * The settings panel's Save with a model loaded: every model's settings
   * and this model's (when its draft changed) in one call, saved both or
   * neither. A refusal marks every wrong field of both forms at once
   * ("model."-prefixed fields are this section's) and says how many in one toast.
   */
  async saveWith(global: Settings, settings: SettingsStore): Promise<boolean> {
    const clean = normalise(global);
    const path = this.view && this.draft && this.dirty ? this.view.path : '';
    const mine = path ? normaliseModel(this.draft!, this.view!.values) : (this.view?.values ?? ({} as ModelSettings));
    this.saving = settings.saving = true;
    this.error = '';
    try {
      const r = await api.saveAllSettings(clean, path, mine);
      settings.values = { ...clean, ...(r?.settings ?? {}) };
      settings.errors = {};
      this.errors = {};
      if (path && r?.model) {
        this.apply(r.model);
        if (r.model.reloaded)
          this.notify.success(`Model reloaded with a context of ${(r.model.loaded_context || 0).toLocaleString()} tokens`);
      }
      settings.saved();
      return true;
    } catch (e) {
      const fields = toApiError(e).fields;
      const own = Object.entries(fields).filter(([k]) => k.startsWith(MODEL_PREFIX));
      settings.errors = Object.fromEntries(Object.entries(fields).filter(([k]) => !k.startsWith(MODEL_PREFIX)));
      this.errors = Object.fromEntries(own.map(([k, v]) => [k.slice(MODEL_PREFIX.length), v]));
      const n = Object.keys(fields).length;
      if (n > 0)
        this.notify.push(
          'error',
          `Couldn't save settings: ${n === 1 ? 'one setting needs' : `${n} settings need`} a change (marked in red)`,
        );
      else {
        this.error = toApiError(e).message; // no field named: the model section's line says it too
        this.notify.error(e, "Couldn't save settings");
      }
      return false;
    } finally {
      this.saving = settings.saving = false;
    }
  }

  /** Forget this model's saved settings: its defaults apply again. */
  reset(): Promise<boolean> {
    if (!this.view) return Promise.resolve(false);
    const path = this.view.path;
    return this.run(() => api.resetModelSettings(path), 'reset');
  }

  private async run(call: () => Promise<ModelSettingsView>, what: 'save' | 'reset'): Promise<boolean> {
    this.saving = true;
    this.error = '';
    try {
      const v = await call();
      this.apply(v);
      this.errors = {};
      if (v.reloaded) this.notify.success(`Model reloaded with a context of ${(v.loaded_context || 0).toLocaleString()} tokens`);
      else if (what === 'reset') this.notify.success("This model's settings are back to its defaults");
      return true;
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e);
      this.errors = toApiError(e).fields;
      this.notify.error(e, what === 'save' ? "Couldn't save this model's settings" : "Couldn't reset this model's settings");
      return false;
    } finally {
      this.saving = false;
    }
  }

  private apply(v: ModelSettingsView): void {
    if (this.view?.path !== v.path) this.errors = {};
    this.view = { ...v, recommended: v.recommended ?? [] };
    this.draft = { ...v.values };
  }
}

function same(a: ModelSettings, b: ModelSettings): boolean {
  return (Object.keys(b) as (keyof ModelSettings)[]).every((k) => a[k] === b[k]);
}

function num(v: unknown, fallback: number): number {
  const n = typeof v === 'number' ? v : parseFloat(String(v));
  return Number.isFinite(n) ? n : fallback;
}

/** Coerce form values (inputs may hand back strings, NaN or empty) into numbers; Go checks the ranges. */
export function normaliseModel(s: ModelSettings, fallback: ModelSettings): ModelSettings {
  return {
    context_size: Math.max(0, Math.round(num(s.context_size, 0))),
    threads: Math.max(0, Math.round(num(s.threads, 0))),
    system_prompt: typeof s.system_prompt === 'string' ? s.system_prompt.trim() : '',
    temperature: num(s.temperature, fallback.temperature),
    top_k: Math.round(num(s.top_k, fallback.top_k)),
    top_p: num(s.top_p, fallback.top_p),
    min_p: num(s.min_p, fallback.min_p),
    repeat_penalty: num(s.repeat_penalty, fallback.repeat_penalty),
    thinking: !!s.thinking,
  };
}

/** The context a draft loads with: its own, or the model's default. */
export function effectiveContext(v: ModelSettingsView, d: ModelSettings): number {
  const n = Math.round(num(d.context_size, 0));
  return n > 0 ? n : v.default_context;
}

/** Bytes the model needs with a context of n tokens. */
export function memoryNeed(v: ModelSettingsView, n: number): number {
  return v.memory.weights + v.memory.compute + n * v.memory.kv_per_token;
}

/** "About 1.6 GB of memory (1.0 GB of weights, 512 MB of context cache); 4.0 GB free now", and whether it fits. */
export function memoryLine(v: ModelSettingsView, n: number): { text: string; tight: boolean } {
  const need = memoryNeed(v, n);
  let text = `About ${formatBytes(need)} of memory (${formatBytes(v.memory.weights)} of weights, ${formatBytes(n * v.memory.kv_per_token)} of context cache)`;
  if (v.memory.available >= 0) text += `; ${formatBytes(v.memory.available)} free now`;
  // The loaded copy's own memory is in use already: it is freed when the model reloads.
  const loaded = v.loaded_context > 0 ? memoryNeed(v, v.loaded_context) : 0;
  return { text, tight: v.memory.available >= 0 && need > v.memory.available + loaded };
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/**
 * What the engine measured, beside the threads setting: Auto's ceiling, what
 * the last reply used (the engine's run-time tuning) or, before any reply,
 * what it settled on the last time it ran this model (its next start), and
 * the cores.
 */
export function threadsLine(v: ModelSettingsView, threads: number, lastUsed: number): string {
  const cores = `This computer has ${plural(v.cores, 'core')}.`;
  if (threads > 0) return `Fixed: ${plural(threads, 'thread')} for every step, however busy the computer is. ${cores}`;
  let s = `Auto (recommended): up to ${plural(v.auto_threads, 'thread')}`;
  if (lastUsed > 0 && lastUsed < v.auto_threads) {
    s += `; the last reply used ${lastUsed} because that measured faster: another program was keeping a core busy.`;
  } else if (lastUsed > 0) {
    s += `; the last reply used ${plural(lastUsed, 'thread')}.`;
  } else if (v.settled_threads > 0) {
    const busy = v.settled_threads < v.auto_threads ? ' (another program was keeping a core busy)' : '';
    s += `; it settled on ${plural(v.settled_threads, 'thread')} the last time it ran this model${busy} and starts there, then checks again.`;
  } else {
    s += ', fewer while another program keeps a core busy.';
  }
  return `${s} ${cores}`;
}

export const modelSettings = new ModelSettingsStore();
