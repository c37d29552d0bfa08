import { api, subscribeIngest } from '../api';
import { basename } from '../format';
import type { DocumentInfo, IngestEvent, IngestFailure, IngestPhase } from '../types';
import { documents as defaultDocuments, type DocumentsStore } from './documents.svelte';
import { toasts, type ToastStore } from './toasts.svelte';

/** One file of a running ingest job, as its events describe it. */
export interface IngestFile {
  file: string;
  name: string;
  phase: IngestPhase;
  /** Pages or bytes done / total; total 0 while unknown. */
  done: number;
  total: number;
  error: string;
  duplicate: boolean;
}

export interface IngestJobState {
  job: number;
  stream: string;
  /** The paths handed to IngestFiles (folders are walked by Go). */
  paths: string[];
  files: IngestFile[];
  /** Files in the job, once Go has said (folders expanded). */
  count: number;
  canceling: boolean;
  failures: IngestFailure[];
}

export interface IngestDeps {
  documents?: DocumentsStore;
  notify?: ToastStore;
  /** How long to wait for "finished" after a cancel before giving up on the job. */
  cancelGraceMs?: number;
}

/** Past one more than this, failures beyond it are counted in a single toast (four toasts show at once). */
const MAX_FAILURE_TOASTS = 3;
const TERMINAL: IngestPhase[] = ['done', 'failed', 'canceled'];

/** Adding documents: ingest jobs started by drops or the file dialog, and their progress. */
export class IngestStore {
  jobs = $state<IngestJobState[]>([]);

  private offs = new Map<number, () => void>();
  private readonly documents: DocumentsStore;
  private readonly notify: ToastStore;
  private readonly cancelGraceMs: number;

  constructor(deps: IngestDeps = {}) {
    this.documents = deps.documents ?? defaultDocuments;
    this.notify = deps.notify ?? toasts;
    this.cancelGraceMs = deps.cancelGraceMs ?? 10_000;
  }

  /** The native multi-file dialog, then ingest what was chosen. */
  async pick(): Promise<boolean> {
    let paths: string[];
    try {
      paths = await api.pickDocuments();
    } catch (e) {
      this.notify.error(e, "Couldn't open the file dialog");
      return false;
    }
    return paths.length ? this.add(paths) : false;
  }

  /** Ingest files and folders; progress arrives on the job's stream. */
  async add(paths: string[]): Promise<boolean> {
    const list = paths.filter((p) => typeof p === 'string' && p.trim() !== '');
    if (!list.length) return false;
    try {
      const j = await api.ingestFiles(list);
      // Subscribe in the same task as the answer, so no event is missed.
      this.jobs.push({ job: j.job, stream: j.stream, paths: list, files: [], count: 0, canceling: false, failures: [] });
      this.offs.set(
        j.job,
        subscribeIngest(j.stream, (ev) => this.onEvent(j.job, ev)),
      );
      void this.catchUp(j.job);
      return true;
    } catch (e) {
      this.notify.error(e, "Couldn't add the documents");
      return false;
    }
  }

  async cancel(job: number): Promise<void> {
    const j = this.find(job);
    if (!j || j.canceling) return;
    j.canceling = true;
    try {
      await api.cancelIngest(job);
    } catch (e) {
      this.notify.error(e, "Couldn't cancel adding documents");
      if (this.find(job)) j.canceling = false;
      return;
    }
    // "finished" closes the job; if it never comes (the job already ended), let it go.
    setTimeout(() => {
      if (!this.find(job)) return;
      this.drop(job);
      void this.documents.refresh();
    }, this.cancelGraceMs);
  }

  /** Unsubscribe from every job (app teardown). */
  dispose(): void {
    for (const off of this.offs.values()) off();
    this.offs.clear();
    this.jobs = [];
  }

  private find(job: number): IngestJobState | undefined {
    return this.jobs.find((j) => j.job === job);
  }

  private drop(job: number): void {
    this.offs.get(job)?.();
    this.offs.delete(job);
    this.jobs = this.jobs.filter((j) => j.job !== job);
  }

  /** Events sent before the subscription existed are lost; the job's state fills the gap. */
  private async catchUp(job: number): Promise<void> {
    let evs: IngestEvent[];
    try {
      evs = await api.ingestState(job);
    } catch {
      return; // the stream goes on; the cancel grace period covers a lost "finished"
    }
    for (const ev of evs) this.onEvent(job, ev);
  }

  private onEvent(job: number, ev: IngestEvent): void {
    const j = this.find(job);
    if (!j) return;
    if (ev.phase === 'finished') {
      void this.finish(j, ev);
      return;
    }
    if (typeof ev.files === 'number' && ev.files > 0) j.count = ev.files;
    if (!ev.file) return;
    let f = j.files.find((x) => x.file === ev.file);
    if (!f) {
      j.files.push({ file: ev.file, name: basename(ev.file), phase: ev.phase, done: 0, total: 0, error: '', duplicate: false });
      f = j.files[j.files.length - 1];
    }
    f.phase = ev.phase;
    if (ev.pages_total) {
      f.done = ev.pages_done ?? 0;
      f.total = ev.pages_total;
    } else if (ev.bytes_total) {
      f.done = ev.bytes_done ?? 0;
      f.total = ev.bytes_total;
    }
    if (ev.phase === 'failed') {
      f.error = ev.error || 'could not be read';
      if (!j.failures.some((x) => x.file === ev.file)) j.failures.push({ file: ev.file, error: f.error });
    }
    if (ev.phase === 'done' && ev.duplicate && !f.duplicate) {
      f.duplicate = true;
      this.notify.info(`${f.name} is already in your documents`);
    }
  }

  private async finish(j: IngestJobState, ev: IngestEvent): Promise<void> {
    const canceled = j.canceling;
    const failures = mergeFailures(ev.failures ?? [], j.failures);
    this.drop(j.job);
    const shown = failures.length > MAX_FAILURE_TOASTS + 1 ? failures.slice(0, MAX_FAILURE_TOASTS) : failures;
    for (const f of shown) this.notify.push('error', failureText(f));
    if (shown.length < failures.length) {
      this.notify.push('error', `${failures.length - shown.length} more files couldn't be added`);
    }
    const added: DocumentInfo[] = (ev.documents ?? []).filter((d) => d && typeof d.id === 'number');
    // Files of a dropped folder left out: named once, in one toast, so none goes unnoticed.
    const skipped = (ev.skipped ?? []).filter((f) => f?.file);
    if (skipped.length && !canceled) this.notify.info(skippedText(skipped, added.length === 0 && !failures.length, ev.skipped_more ?? 0));
    await this.documents.refresh();
    if (canceled) {
      this.notify.info(added.length ? `Stopped adding documents; ${added.length} added` : 'Stopped adding documents');
      return;
    }
    if (added.length) {
      // Files already in the library said so each (a toast apiece): count only the new ones.
      const fresh = Math.max(0, added.length - j.files.filter((f) => f.duplicate).length);
      if (fresh > 1) this.notify.success(`Added ${fresh} documents`);
      void this.documents.open(added[0].id);
    } else if (!failures.length && !skipped.length) {
      this.notify.info('No documents were found to add');
    }
  }
}

function mergeFailures(a: IngestFailure[], b: IngestFailure[]): IngestFailure[] {
  const out: IngestFailure[] = [];
  for (const f of [...a, ...b]) if (f?.file && !out.some((x) => x.file === f.file)) out.push(f);
  return out;
}

/** "notes.xyz: Chapel can't read .xyz files yet" (without repeating a name Go already put first). */
export function failureText(f: IngestFailure): string {
  const name = basename(f.file);
  const msg = (f.error || "couldn't be read").trim();
  if (msg.startsWith(f.file)) return name + msg.slice(f.file.length);
  if (msg.startsWith(name)) return msg;
  return `${name}: ${msg}`;
}

/** How many files a skipped list names before "and N more". */
const SKIPPED_NAMED = 3;

/**
 * "Left out notes.xyz (Chapel can't read files of this kind yet)", or for
 * several "Left out 5 files Chapel doesn't read: a.xyz, b.bin, c.o and 2 more";
 * nothingElse: no document came of the drop, and the toast says so first.
 */
export function skippedText(skipped: IngestFailure[], nothingElse: boolean, more = 0): string {
  const head = nothingElse ? 'No documents were found to add. ' : '';
  const total = skipped.length + more;
  if (total === 1) {
    const f = skipped[0];
    return `${head}Left out ${basename(f.file)} (${(f.error || "Chapel can't read it").trim()})`;
  }
  const names = skipped.slice(0, SKIPPED_NAMED).map((f) => basename(f.file));
  const rest = total - names.length;
  const list =
    rest > 0 ? `${names.join(', ')} and ${rest.toLocaleString()} more` : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  return `${head}Left out ${total.toLocaleString()} files Chapel doesn't read: ${list}`;
}

export function phaseLabel(f: IngestFile): string {
  switch (f.phase) {
    case 'reading':
      return 'Reading';
    case 'extracting':
      return 'Extracting text';
    case 'indexing':
      return 'Indexing';
    case 'done':
      return f.duplicate ? 'Already added' : 'Added';
    case 'failed':
      return 'Failed';
    case 'canceled':
      return 'Canceled';
    default:
      return '';
  }
}

/** 0..1 for the file's bar; null while the size of the work is unknown. */
export function fileFraction(f: IngestFile): number | null {
  if (TERMINAL.includes(f.phase)) return 1;
  return f.total > 0 ? Math.min(1, Math.max(0, f.done / f.total)) : null;
}

/** "Adding 2 of 5 files" */
export function jobTitle(j: IngestJobState): string {
  const total = Math.max(j.count, j.files.length);
  if (j.canceling) return 'Canceling…';
  if (total <= 1) return 'Adding a document';
  const finished = j.files.filter((f) => TERMINAL.includes(f.phase)).length;
  return `Adding ${Math.min(finished + 1, total)} of ${total} files`;
}

export const ingest = new IngestStore();
