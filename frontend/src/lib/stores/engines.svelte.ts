import { api, toApiError } from '../api';
import type { Endpoint, EndpointInput, EndpointModel, ServeState } from '../types';
import { toasts, type ToastStore } from './toasts.svelte';

/** The Engines form: a new endpoint (id "") or one being changed. */
export interface EndpointDraft {
  id: string;
  name: string;
  base_url: string;
  model: string;
  /** Typed into the key field; sent only when keyTouched. */
  api_key: string;
  keyTouched: boolean;
  has_key: boolean;
  summaries: boolean;
}

export function emptyDraft(): EndpointDraft {
  return { id: '', name: '', base_url: '', model: '', api_key: '', keyTouched: false, has_key: false, summaries: false };
}

export function draftOf(e: Endpoint): EndpointDraft {
  return {
    ...emptyDraft(),
    id: e.id,
    name: e.name,
    base_url: e.base_url,
    model: e.model,
    has_key: e.has_key,
    summaries: !!e.summaries,
  };
}

/** What the bound methods take: the key travels only when the user typed or cleared it. */
export function inputOf(d: EndpointDraft): EndpointInput {
  return {
    id: d.id,
    name: d.name.trim(),
    base_url: d.base_url.trim(),
    model: d.model.trim(),
    has_key: d.has_key,
    summaries: d.summaries,
    api_key: d.keyTouched ? d.api_key : '',
    set_key: d.keyTouched,
  };
}

/** A message for the draft's fields, or '' when it can be tested and saved. */
export function problem(d: EndpointDraft): string {
  const url = d.base_url.trim();
  if (!url) return 'Enter the server’s base URL, such as http://127.0.0.1:8080/v1';
  if (!/^https?:\/\/[^/\s]+/i.test(url)) return 'The base URL must start with http:// or https://';
  return '';
}

/** Endpoints (OpenAI-compatible servers the user added), testing them, and their models for the picker. */
export class EnginesStore {
  list = $state<Endpoint[]>([]);
  models = $state<EndpointModel[]>([]);
  draft = $state<EndpointDraft | null>(null);
  /** The models the last test found, to pick from in the form. */
  found = $state<string[]>([]);
  testing = $state(false);
  testResult = $state('');
  testError = $state('');
  saving = $state(false);
  /** Chapel as a server: off until started. */
  serving = $state<ServeState>({ running: false, url: '' });
  port = $state(8095);
  /** The token of the server just started: shown this once. */
  token = $state('');
  serveError = $state('');

  constructor(private readonly notify: ToastStore = toasts) {}

  async load(): Promise<void> {
    try {
      const [list, models] = await Promise.all([api.listEndpoints(), api.listEndpointModels()]);
      this.list = list;
      this.models = models;
    } catch (e) {
      this.notify.error(e, "Couldn't list the engines");
    }
  }

  /** Open the form for a new endpoint, or for an existing one. */
  edit(e?: Endpoint): void {
    this.draft = e ? draftOf(e) : emptyDraft();
    this.found = e?.model ? [e.model] : [];
    this.testResult = '';
    this.testError = '';
  }

  cancel(): void {
    this.draft = null;
  }

  /** Connect to the draft's server: "connected: 3 models, 41 ms", or why not. */
  async test(): Promise<boolean> {
    const d = this.draft;
    if (!d) return false;
    const bad = problem(d);
    this.testResult = '';
    this.testError = bad;
    if (bad) return false;
    this.testing = true;
    try {
      const res = await api.testEndpoint(inputOf(d));
      this.testResult = res.summary;
      this.found = res.models ?? [];
      // One model, or none chosen yet: take the first.
      if (this.draft && !this.draft.model && this.found.length > 0) this.draft.model = this.found[0];
      return true;
    } catch (e) {
      this.testError = toApiError(e).message;
      return false;
    } finally {
      this.testing = false;
    }
  }

  async save(): Promise<boolean> {
    const d = this.draft;
    if (!d) return false;
    const bad = problem(d);
    if (bad) {
      this.testError = bad;
      return false;
    }
    this.saving = true;
    try {
      const saved = await api.saveEndpoint(inputOf(d));
      this.notify.success(`Saved ${saved?.name || d.name || 'the endpoint'}`);
      this.draft = null;
      await this.load();
      return true;
    } catch (e) {
      this.testError = toApiError(e).message;
      return false;
    } finally {
      this.saving = false;
    }
  }

  async loadServing(): Promise<void> {
    try {
      this.serving = await api.servingState();
    } catch (e) {
      this.serveError = toApiError(e).message;
    }
  }

  async startServing(): Promise<boolean> {
    const port = Math.round(Number(this.port));
    if (!Number.isFinite(port) || port < 1 || port > 65535) {
      this.serveError = 'The port must be between 1 and 65535';
      return false;
    }
    this.serveError = '';
    try {
      const st = await api.startServing(port);
      this.token = st.token ?? '';
      this.serving = { running: st.running, url: st.url };
      return true;
    } catch (e) {
      this.serveError = toApiError(e).message;
      return false;
    }
  }

  async stopServing(): Promise<void> {
    try {
      await api.stopServing();
    } catch (e) {
      this.notify.error(e, "Couldn't stop serving");
    }
    this.token = '';
    await this.loadServing();
  }

  async remove(e: Endpoint): Promise<boolean> {
    try {
      await api.deleteEndpoint(e.id);
      if (this.draft?.id === e.id) this.draft = null;
      await this.load();
      return true;
    } catch (err) {
      this.notify.error(err, `Couldn't remove ${e.name}`);
      return false;
    }
  }
}

export const engines = new EnginesStore();
