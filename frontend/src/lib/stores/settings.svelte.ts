import { api, toApiError } from '../api';
import type { Settings } from '../types';
import { toasts, type ToastStore } from './toasts.svelte';

export const DEFAULT_SETTINGS: Settings = {
  temperature: 0.7,
  top_k: 40,
  top_p: 0.95,
  min_p: 0.05,
  repeat_penalty: 1.1,
  seed: -1,
  max_tokens: 1024,
  system_prompt: '',
  thinking_off: [],
};

/** Generation settings, edited in the settings panel. */
export class SettingsStore {
  values = $state<Settings>({ ...DEFAULT_SETTINGS });
  open = $state(false);
  loaded = $state(false);
  saving = $state(false);
  /** What the last save refused, by field (shown under each field; {} when nothing was). */
  errors = $state<Record<string, string>>({});

  constructor(private readonly notify: ToastStore = toasts) {}

  async load(): Promise<void> {
    try {
      const s = await api.getSettings();
      this.values = { ...DEFAULT_SETTINGS, ...s };
      this.loaded = true;
    } catch (e) {
      this.notify.error(e, "Couldn't load settings");
    }
  }

  /** Save s, and say so in a toast. */
  async save(s: Settings): Promise<boolean> {
    const clean = normalise(s);
    this.saving = true;
    try {
      const saved = await api.saveSettings(clean);
      this.values = saved && typeof saved === 'object' ? { ...clean, ...saved } : clean;
      this.errors = {};
      this.saved();
      return true;
    } catch (e) {
      this.errors = toApiError(e).fields;
      this.notify.error(e, "Couldn't save settings");
      return false;
    } finally {
      this.saving = false;
    }
  }

  /** The toast that says the settings were saved. */
  saved(): void {
    this.notify.success('Settings saved');
  }

  /** The field was edited: its refusal no longer applies. */
  edited(key: string): void {
    if (key in this.errors) this.errors = Object.fromEntries(Object.entries(this.errors).filter(([k]) => k !== key));
  }

  show(): void {
    this.open = true;
    this.errors = {};
    void this.load();
  }

  hide(): void {
    this.open = false;
    this.errors = {}; // a form closed unsaved is opened afresh
  }
}

/** Whether the model at path thinks before answering under settings s (on unless turned off). */
export function thinks(s: Settings, path: string): boolean {
  return !(s.thinking_off ?? []).includes(path);
}

/** s with thinking turned on or off for the model at path. */
export function withThinking(s: Settings, path: string, on: boolean): Settings {
  const off = (s.thinking_off ?? []).filter((p) => p !== path);
  return { ...s, thinking_off: on ? off : [...off, path] };
}

function num(v: unknown, fallback: number): number {
  const n = typeof v === 'number' ? v : parseFloat(String(v));
  return Number.isFinite(n) ? n : fallback;
}

/**
 * Coerce form values (inputs may hand back strings or NaN) into numbers. A
 * number out of range is kept as typed: Go refuses it and says so under its
 * field, where clamping it here would save something the person never typed.
 */
export function normalise(s: Settings): Settings {
  const d = DEFAULT_SETTINGS;
  return {
    temperature: num(s.temperature, d.temperature),
    top_k: Math.round(num(s.top_k, d.top_k)),
    top_p: num(s.top_p, d.top_p),
    min_p: num(s.min_p, d.min_p),
    repeat_penalty: num(s.repeat_penalty, d.repeat_penalty),
    seed: Math.round(num(s.seed, d.seed)),
    max_tokens: Math.round(num(s.max_tokens, d.max_tokens)),
    system_prompt: typeof s.system_prompt === 'string' ? s.system_prompt : '',
    thinking_off: Array.isArray(s.thinking_off) ? s.thinking_off.filter((p) => typeof p === 'string') : [],
    // Not in the form, but a setting all the same (tests and benchmarks turn
    // it on): saving the panel must not turn it off.
    ...(s.ignore_eos === true ? { ignore_eos: true } : {}),
  };
}

export const settings = new SettingsStore();
