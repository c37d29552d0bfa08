import { api, ApiError, onEvent, subscribeSummary, toApiError, EVENT_DOCUMENTS_CHANGED } from '../api';
import type { CitationClick } from '../content-click';
import { formatBytes } from '../format';
import type { DocumentDetail, DocumentInfo, Passage, SummaryProgress, SummaryStatus, SummaryStyle, SummaryView } from '../types';
import { ChatStore } from './chat.svelte';
import { ConversationsStore, conversations as defaultConversations } from './conversations.svelte';
import { toasts, type ToastStore } from './toasts.svelte';

export const STYLES: readonly { id: SummaryStyle; label: string; hint: string }[] = [
  { id: 'brief', label: 'Brief', hint: 'One paragraph' },
  { id: 'detailed', label: 'Detailed', hint: 'Section by section' },
  { id: 'keypoints', label: 'Key points', hint: 'A list of the main points' },
];

/** The passage side panel: what was asked for, and what came back. */
export interface PassageState {
  marker: string;
  first: number;
  last: number;
  loading: boolean;
  passage: Passage | null;
  error: string;
}

export interface DocumentsDeps {
  /** The sidebar's conversations: where a document's conversation is found. */
  conversations?: ConversationsStore;
  notify?: ToastStore;
}

interface Watch {
  documentId: number;
  off: () => void;
}

/** A summary still being written (or queued). */
export function isActive(status: SummaryStatus): boolean {
  return status === 'running' || status === 'pending';
}

function byRecent(a: DocumentInfo, b: DocumentInfo): number {
  return b.created_at - a.created_at || b.id - a.id;
}

/**
 * The documents: the sidebar list, the document open in the main area with
 * its summaries, running summaries, the passage panel and questions about the
 * open document.
 */
export class DocumentsStore {
  list = $state<DocumentInfo[]>([]);
  loaded = $state(false);
  /** The document shown in the main area, or null (the chat is shown). */
  openId = $state<number | null>(null);
  detail = $state<DocumentDetail | null>(null);
  loading = $state(false);
  loadError = $state('');
  style = $state<SummaryStyle>('brief');
  /** Latest progress of each running summary, by document id. */
  running = $state<Record<number, SummaryProgress>>({});
  /** SummarizeDocument is on its way. */
  starting = $state(false);
  /** Document ids whose summary was asked to stop. */
  stopping = $state<number[]>([]);
  passage = $state<PassageState | null>(null);
  /** Questions about the open document: the chat store, sending with AskDocument. */
  readonly qa: ChatStore;

  private readonly conversations: ConversationsStore;
  private readonly notify: ToastStore;
  private watches = new Map<number, Watch>();
  private openSeq = 0;
  private passageSeq = 0;
  private refreshing: Promise<void> | null = null;
  private again = false;

  constructor(deps: DocumentsDeps = {}) {
    this.conversations = deps.conversations ?? defaultConversations;
    this.notify = deps.notify ?? toasts;
    // A private conversations store: the answers' conversation must not change the sidebar's selection.
    this.qa = new ChatStore({
      conversations: new ConversationsStore(this.notify),
      notify: this.notify,
      sendMessage: (_conversationId, text) => this.askOpen(text),
    });
  }

  /** The open document (from the detail once loaded, else from the list). */
  get current(): DocumentInfo | undefined {
    if (this.openId === null) return undefined;
    if (this.detail?.document.id === this.openId) return this.detail.document;
    return this.list.find((d) => d.id === this.openId);
  }

  /** The summary of the open document in the chosen style (the newest, if several). */
  get summary(): SummaryView | undefined {
    if (!this.detail || this.detail.document.id !== this.openId) return undefined;
    return newest(this.detail.summaries.filter((s) => s.style === this.style));
  }

  /** Progress of the open document's running summary, if one is running. */
  get progress(): SummaryProgress | null {
    return this.openId === null ? null : (this.running[this.openId] ?? null);
  }

  summarizing(documentId: number): boolean {
    return documentId in this.running;
  }

  /** Subscribe to documents:changed (call refresh() for the first load). Returns a disposer. */
  init(): () => void {
    return onEvent(EVENT_DOCUMENTS_CHANGED, () => void this.refresh());
  }

  /** Reload the list; concurrent calls coalesce into at most one extra reload. */
  refresh(): Promise<void> {
    if (this.refreshing) {
      this.again = true;
      return this.refreshing;
    }
    this.refreshing = (async () => {
      try {
        do {
          this.again = false;
          const list = await api.listDocuments();
          this.list = [...list].sort(byRecent);
          this.loaded = true;
        } while (this.again);
        // The open document was deleted (here or elsewhere): go back to the chat.
        if (this.openId !== null && !this.loading && !this.list.some((d) => d.id === this.openId)) this.close();
      } catch (e) {
        this.notify.error(e, "Couldn't load documents");
      } finally {
        this.refreshing = null;
      }
    })();
    return this.refreshing;
  }

  /** Show a document in the main area with its summaries and questions. */
  async open(id: number): Promise<void> {
    const seq = ++this.openSeq;
    const same = this.openId === id;
    if (!same) {
      this.detail = null;
      this.closePassage();
    }
    this.openId = id;
    this.loading = true;
    this.loadError = '';
    void this.openQuestions(id);
    try {
      const d = await api.getDocument(id);
      if (seq !== this.openSeq) return;
      this.detail = d;
      if (!same) this.style = defaultStyle(d.summaries);
      this.reconcile(d.summaries);
    } catch (e) {
      if (seq === this.openSeq) this.loadError = toApiError(e).message;
    } finally {
      if (seq === this.openSeq) this.loading = false;
    }
  }

  /** Back to the chat (running summaries keep running). */
  close(): void {
    this.openSeq++;
    this.openId = null;
    this.detail = null;
    this.loading = false;
    this.loadError = '';
    this.closePassage();
  }

  selectStyle(style: SummaryStyle): void {
    this.style = style;
  }

  /** Summarize the open document in the chosen style; resumes an unfinished summary. */
  async summarize(): Promise<void> {
    const id = this.openId;
    if (id === null || this.starting || this.summarizing(id)) return;
    this.starting = true;
    try {
      const v = await api.summarizeDocument(id, this.style);
      if (!v || typeof v !== 'object') return;
      this.applyView(v);
      // Subscribe in the same task as the answer, then check nothing ended meanwhile.
      if (isActive(v.status)) this.watch(v, true);
    } catch (e) {
      this.notify.error(e, "Couldn't start the summary");
    } finally {
      this.starting = false;
    }
  }

  /** Stop the open document's summary; the pieces done so far are kept. */
  async stop(): Promise<void> {
    const id = this.openId;
    if (id === null || !this.summarizing(id) || this.stopping.includes(id)) return;
    this.stopping = [...this.stopping, id];
    try {
      await api.stopSummary(id);
    } catch (e) {
      this.stopping = this.stopping.filter((x) => x !== id);
      this.notify.error(e, "Couldn't stop the summary");
      void this.reload(id);
    }
  }

  async remove(id: number): Promise<boolean> {
    try {
      await api.deleteDocument(id);
    } catch (e) {
      this.notify.error(e, "Couldn't delete the document");
      return false;
    }
    this.list = this.list.filter((d) => d.id !== id);
    for (const [summaryId, w] of [...this.watches]) if (w.documentId === id) this.unwatch(summaryId, id);
    if (this.openId === id) this.close();
    return true;
  }

  /** Show the passage of chunks first..last of the open document in the side panel. */
  showPassage(first: number, last: number, marker = ''): Promise<void> {
    return this.loadPassage(first, last, marker, (id) => api.getPassage(id, first, last));
  }

  /** Show the passage a marker written in an answer stands for (Go looks it up). */
  showMarker(marker: string): Promise<void> {
    return this.loadPassage(-1, -1, marker, (id) => api.getCitedPassage(id, marker));
  }

  private async loadPassage(first: number, last: number, marker: string, load: (id: number) => Promise<Passage>): Promise<void> {
    const id = this.openId;
    if (id === null) return;
    const seq = ++this.passageSeq;
    this.passage = { marker, first, last, loading: true, passage: null, error: '' };
    try {
      const p = await load(id);
      if (seq !== this.passageSeq || !this.passage) return;
      this.passage.passage = p;
      this.passage.first = p.first_chunk;
      this.passage.last = p.last_chunk;
    } catch (e) {
      if (seq !== this.passageSeq || !this.passage) return;
      this.passage.error = toApiError(e).message;
    } finally {
      if (seq === this.passageSeq && this.passage) this.passage.loading = false;
    }
  }

  closePassage(): void {
    this.passageSeq++;
    this.passage = null;
  }

  /** A citation clicked in the document view: a summary citation, or a marker in an answer. */
  async openCitation(c: CitationClick): Promise<void> {
    if (c.first !== null && c.last !== null) return this.showPassage(c.first, c.last, c.marker);
    return this.showMarker(c.marker);
  }

  /** A citation clicked in the chat: open the conversation's document, and the passage cited. */
  openFromConversation(conversationId: number, marker = ''): boolean {
    const docId = this.conversations.list.find((c) => c.id === conversationId)?.document_id;
    if (docId === null || docId === undefined) return false;
    void this.open(docId).then(() => {
      if (marker && this.openId === docId) void this.showMarker(marker);
    });
    return true;
  }

  /** Unsubscribe from every stream (app teardown). */
  dispose(): void {
    for (const [summaryId, w] of [...this.watches]) this.unwatch(summaryId, w.documentId);
    this.qa.dispose();
  }

  private askOpen(text: string) {
    const id = this.openId;
    if (id === null) return Promise.reject(new ApiError('no_document', 'Open a document first.'));
    return api.askDocument(id, text);
  }

  /** Show the document's latest conversation (its questions and answers), or none. */
  private async openQuestions(id: number): Promise<void> {
    const c = this.conversations.list.filter((x) => x.document_id === id).sort((a, b) => b.updated_at - a.updated_at || b.id - a.id)[0];
    if (c) await this.qa.open(c.id);
    else this.qa.clear();
  }

  /** Follow every running summary; stop following those that ended. */
  private reconcile(summaries: SummaryView[]): void {
    for (const v of summaries) {
      if (isActive(v.status)) this.watch(v, false);
      else if (this.watches.has(v.id)) this.finishWatch(v.id, v.document_id, { ...progressOf(v), view: v });
    }
  }

  private watch(v: SummaryView, recheck: boolean): void {
    if (!this.running[v.document_id] || this.running[v.document_id].summary_id !== v.id) {
      this.running[v.document_id] = progressOf(v);
    }
    if (this.watches.has(v.id)) return;
    const off = subscribeSummary(v.id, (ev) => this.onProgress(v.id, v.document_id, ev));
    this.watches.set(v.id, { documentId: v.document_id, off });
    // The summary may have ended before we subscribed: its final event would be lost.
    if (recheck) void this.reload(v.document_id);
  }

  private onProgress(summaryId: number, documentId: number, ev: SummaryProgress): void {
    if (isActive(ev.status)) {
      this.running[documentId] = { ...ev, summary_id: summaryId, document_id: documentId };
      return;
    }
    this.finishWatch(summaryId, documentId, ev);
  }

  private finishWatch(summaryId: number, documentId: number, ev: SummaryProgress): void {
    if (!this.watches.has(summaryId)) return;
    this.unwatch(summaryId, documentId);
    if (ev.view) this.applyView(ev.view);
    else void this.reload(documentId);
    this.announce(documentId, ev.view?.status ?? ev.status, ev.view?.error ?? '');
  }

  private unwatch(summaryId: number, documentId: number): void {
    this.watches.get(summaryId)?.off();
    this.watches.delete(summaryId);
    if (this.running[documentId]?.summary_id === summaryId) delete this.running[documentId];
    this.stopping = this.stopping.filter((x) => x !== documentId);
  }

  /** A summary ended while its document is not on screen: say so. */
  private announce(documentId: number, status: SummaryStatus, error: string): void {
    if (documentId === this.openId) return;
    const d = this.list.find((x) => x.id === documentId);
    const name = d ? `“${d.title || d.name}”` : 'the document';
    if (status === 'complete') this.notify.success(`The summary of ${name} is ready.`);
    else if (status === 'partial') this.notify.info(`The summary of ${name} is ready, with gaps: ${error || 'some parts failed'}`);
    else if (status === 'failed') this.notify.push('error', `The summary of ${name} failed: ${error || 'unknown error'}`);
  }

  /** Re-read the open document (after a missed or ambiguous event). */
  private async reload(documentId: number): Promise<void> {
    if (documentId !== this.openId) return;
    const seq = this.openSeq;
    let d: DocumentDetail;
    try {
      d = await api.getDocument(documentId);
    } catch {
      return;
    }
    if (seq !== this.openSeq || documentId !== this.openId) return;
    this.detail = d;
    this.reconcile(d.summaries);
  }

  /** Put a summary (from SummarizeDocument or a final event) into the open detail. */
  private applyView(v: SummaryView): void {
    if (!this.detail || this.detail.document.id !== v.document_id) return;
    const i = this.detail.summaries.findIndex((s) => s.id === v.id);
    if (i >= 0) this.detail.summaries[i] = v;
    else this.detail.summaries.push(v);
  }
}

function newest(views: SummaryView[]): SummaryView | undefined {
  return [...views].sort((a, b) => b.updated_at - a.updated_at || b.id - a.id)[0];
}

/** The style to show first: the running summary's, else the newest summary's, else brief. */
export function defaultStyle(summaries: SummaryView[]): SummaryStyle {
  const active = summaries.find((s) => isActive(s.status));
  return active?.style ?? newest(summaries)?.style ?? 'brief';
}

function progressOf(v: SummaryView): SummaryProgress {
  return {
    summary_id: v.id,
    document_id: v.document_id,
    status: v.status,
    pieces_done: v.pieces_done,
    pieces_total: v.pieces_total,
    level: 0,
    tokens_per_second: 0,
    eta_seconds: -1,
  };
}

// ---- Text for the views ----

const FORMAT_LABELS: Record<string, string> = {
  pdf: 'PDF',
  docx: 'Word',
  odt: 'OpenDocument',
  epub: 'EPUB',
  html: 'HTML',
  markdown: 'Markdown',
  text: 'Text',
  rtf: 'RTF',
};

export function formatLabel(format: string): string {
  return FORMAT_LABELS[format] ?? (format ? format.toUpperCase() : 'Document');
}

export function pagesText(n: number): string {
  return n > 0 ? `${n} ${n === 1 ? 'page' : 'pages'}` : '';
}

/** "PDF · 113 pages · 2.1 MB" */
export function documentMeta(d: DocumentInfo): string {
  return [formatLabel(d.format), pagesText(d.pages), formatBytes(d.size_bytes)].filter(Boolean).join(' · ');
}

/** What a PDF cut short is missing: pages it announces but could not be read, or its lost page tree. */
export function pagesWarning(d: DocumentInfo): string {
  if (d.pages_announced > d.pages) {
    return `Only ${d.pages} of the ${d.pages_announced} pages this PDF announces could be read; the file may be cut short.`;
  }
  if (d.pages_lost) {
    return `This PDF's list of pages is missing, so only the ${pagesText(d.pages)} found could be read; the file may be cut short.`;
  }
  return '';
}

/** "Page 5", "Pages 12–14" (nothing for documents without pages). */
export function pageRange(start: number, end: number): string {
  if (!start) return '';
  return !end || end === start ? `Page ${start}` : `Pages ${start}–${end}`;
}

/** The passage panel's heading: its pages and section. */
export function passageHeading(p: PassageState): string {
  if (!p.passage) return p.marker || 'Passage';
  const parts = [pageRange(p.passage.page_start, p.passage.page_end), p.passage.section].filter(Boolean);
  return parts.join(' · ') || p.marker || 'Passage';
}

function tpsText(tps: number): string {
  if (!tps || !isFinite(tps) || tps < 0) return '';
  return `${tps >= 10 ? Math.round(tps) : tps.toFixed(1)} tok/s`;
}

/** "about 2 min left"; a negative ETA (not known yet) reads "estimating…". */
export function etaText(seconds: number): string {
  if (typeof seconds !== 'number' || !isFinite(seconds) || seconds < 0) return 'estimating…';
  if (seconds < 60) return 'less than a minute left';
  const min = Math.round(seconds / 60);
  if (min < 60) return `about ${min} min left`;
  const h = Math.floor(min / 60);
  const m = min % 60;
  return m ? `about ${h} h ${m} min left` : `about ${h} h left`;
}

/** "12 of 40 pieces · 35 tok/s · about 2 min left" */
export function progressText(p: SummaryProgress): string {
  if (p.status === 'pending') return 'Waiting for the model…';
  const parts: string[] = [];
  if (p.pieces_total > 0) {
    const pieces = `${p.pieces_done} of ${p.pieces_total} pieces`;
    parts.push(p.level > 0 ? `combining: ${pieces}` : pieces);
  } else {
    parts.push('starting');
  }
  const tps = tpsText(p.tokens_per_second);
  if (tps) parts.push(tps);
  parts.push(etaText(p.eta_seconds));
  return parts.join(' · ');
}

/** Share of the work done, 0..1, or null while unknown. */
export function progressFraction(p: SummaryProgress): number | null {
  return p.pieces_total > 0 ? Math.min(1, Math.max(0, p.pieces_done / p.pieces_total)) : null;
}

/** What the Summarize button says for the summary shown (null: no button, it is complete or running). */
export function summarizeLabel(v: SummaryView | undefined): string | null {
  if (!v) return 'Summarize';
  switch (v.status) {
    case 'complete':
    case 'running':
    case 'pending':
      return null;
    case 'canceled':
      return 'Resume';
    case 'partial':
      return 'Retry the missing parts';
    case 'failed':
      return 'Try again';
    default:
      return 'Summarize';
  }
}

/** An honest line about a summary that did not complete (null when there is nothing to say). */
export function statusNotice(v: SummaryView): { kind: 'warn' | 'error' | 'info'; text: string } | null {
  switch (v.status) {
    case 'partial':
      return { kind: 'warn', text: `Some parts could not be summarized: ${v.error || 'unknown error'}` };
    case 'failed':
      return { kind: 'error', text: `The summary failed: ${v.error || 'unknown error'}` };
    case 'canceled':
      return {
        kind: 'info',
        text:
          v.pieces_total > 0
            ? `Stopped after ${v.pieces_done} of ${v.pieces_total} pieces. Resume to finish it.`
            : 'Stopped. Resume to finish it.',
      };
    default:
      return null;
  }
}

export const documents = new DocumentsStore();
