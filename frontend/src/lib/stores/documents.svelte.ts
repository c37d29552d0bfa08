import { api, ApiError, onEvent, subscribeSummary, toApiError, EVENT_DOCUMENTS_CHANGED } from '../api';
import type { CitationClick } from '../content-click';
import type { DocumentDetail, DocumentInfo, Passage, SummaryProgress, SummaryStatus, SummaryStyle, SummaryView } from '../types';
import { ChatStore } from './chat.svelte';
import { ConversationsStore, conversations as defaultConversations } from './conversations.svelte';
import { model as defaultModel, type ModelStore } from './model.svelte';
import { SummaryPiecesStore } from './summary-pieces.svelte';
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
  /** The loaded model: Run again… may load another one first. */
  model?: ModelStore;
}

/** What Run again… asks for: a style, a model (its path or endpoint ref) and whether every piece is made anew. */
export interface RunAgain {
  style: SummaryStyle;
  modelPath: string;
  force: boolean;
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
  /** The map pieces of the summary shown (latest), live while it runs. */
  readonly pieces = new SummaryPiecesStore();

  private readonly conversations: ConversationsStore;
  private readonly notify: ToastStore;
  private readonly model: ModelStore;
  private watches = new Map<number, Watch>();
  private openSeq = 0;
  private passageSeq = 0;
  private refreshing: Promise<void> | null = null;
  private again = false;
  /** How often the open document is read again while another Chapel makes one of its summaries. */
  elsewhereRecheckMs = 4000;
  private elsewhereTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(deps: DocumentsDeps = {}) {
    this.conversations = deps.conversations ?? defaultConversations;
    this.notify = deps.notify ?? toasts;
    this.model = deps.model ?? defaultModel;
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

  /** The newest summary of the open document in the chosen style: the one running, stopped or last made. */
  get latest(): SummaryView | undefined {
    if (!this.detail || this.detail.document.id !== this.openId) return undefined;
    return newest(this.detail.summaries.filter((s) => s.style === this.style));
  }

  /**
   * The summary whose text is shown: the latest when it has text, else the
   * newest of the style that has (a run with another model keeps the one made
   * before on screen until it completes).
   */
  get summary(): SummaryView | undefined {
    const latest = this.latest;
    if (!latest || latest.text) return latest;
    const made = this.detail!.summaries.filter((s) => s.style === this.style && s.text && s.status !== 'running');
    return newest(made) ?? latest;
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
      this.syncPieces();
      this.followElsewhere();
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
    this.pieces.dispose();
    this.followElsewhere();
  }

  selectStyle(style: SummaryStyle): void {
    this.style = style;
    this.syncPieces();
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
      if (isActive(v.status) && !v.elsewhere) this.watch(v, true);
    } catch (e) {
      this.notify.error(e, "Couldn't start the summary");
    } finally {
      this.starting = false;
    }
  }

  /**
   * Run the open document's summary again: in a style, with a model (loaded
   * first when it is not the one loaded; chats then use it too), every piece
   * made anew when forced. The summary made before stays until the new one
   * completes. False when it did not start.
   */
  async runAgain(o: RunAgain): Promise<boolean> {
    const id = this.openId;
    if (id === null || this.starting || this.summarizing(id)) return false;
    this.starting = true;
    try {
      if (o.modelPath && o.modelPath !== this.model.state.path && !(await this.model.load(o.modelPath))) {
        this.notify.push('error', `Couldn't load the model: ${this.model.error || 'unknown error'}`);
        return false;
      }
      if (this.openId !== id) return false;
      this.style = o.style;
      const v = await api.summarizeAgain(id, o.style, o.force);
      if (!v || typeof v !== 'object') return false;
      this.applyView(v);
      if (v.elsewhere) return true;
      if (isActive(v.status)) this.watch(v, true);
      else if (v.status === 'complete' && !o.force) {
        this.notify.info('This summary was already made with this style and model. Tick “Make every piece again” to make it anew.');
      }
      return true;
    } catch (e) {
      this.notify.error(e, "Couldn't run the summary again");
      return false;
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

  /** Read the open document again (a summary another Chapel makes may have finished). */
  recheck(): Promise<void> {
    return this.openId === null ? Promise.resolve() : this.reload(this.openId);
  }

  /** Unsubscribe from every stream (app teardown). */
  dispose(): void {
    this.stopElsewhereTimer();
    for (const [summaryId, w] of [...this.watches]) this.unwatch(summaryId, w.documentId);
    this.qa.dispose();
    this.pieces.dispose();
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
      // Another Chapel makes it: no events come from there (followElsewhere reads it again).
      if (v.elsewhere) continue;
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

  /** Follow the pieces of the latest summary of the open document's style. */
  private syncPieces(): void {
    const v = this.latest;
    const running = !!v && !v.elsewhere && (isActive(v.status) || this.running[v.document_id]?.summary_id === v.id);
    this.pieces.show(v ? { id: v.id, status: running ? 'running' : v.status } : null, running);
  }

  private finishWatch(summaryId: number, documentId: number, ev: SummaryProgress): void {
    if (!this.watches.has(summaryId)) return;
    this.unwatch(summaryId, documentId);
    if (ev.view) this.applyView(ev.view);
    else void this.reload(documentId);
    if (documentId === this.openId) this.syncPieces();
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
      if (seq === this.openSeq) this.followElsewhere(); // try again later
      return;
    }
    if (seq !== this.openSeq || documentId !== this.openId) return;
    this.detail = d;
    this.reconcile(d.summaries);
    this.syncPieces();
    this.followElsewhere();
  }

  /**
   * While another Chapel makes a summary of the open document, read the
   * document again every few seconds: what that one saves shows here, and
   * when it finishes (or is stopped, or killed) its result, or Resume, does.
   */
  private followElsewhere(): void {
    this.stopElsewhereTimer();
    const id = this.openId;
    if (id === null || !this.detail || this.detail.document.id !== id || !this.detail.summaries.some((s) => s.elsewhere)) return;
    this.elsewhereTimer = setTimeout(() => {
      this.elsewhereTimer = null;
      void this.reload(id);
    }, this.elsewhereRecheckMs);
  }

  private stopElsewhereTimer(): void {
    if (this.elsewhereTimer !== null) clearTimeout(this.elsewhereTimer);
    this.elsewhereTimer = null;
  }

  /** Put a summary (from SummarizeDocument or a final event) into the open detail. */
  private applyView(v: SummaryView): void {
    if (!this.detail || this.detail.document.id !== v.document_id) return;
    const i = this.detail.summaries.findIndex((s) => s.id === v.id);
    if (i >= 0) this.detail.summaries[i] = v;
    else this.detail.summaries.push(v);
    if (v.document_id === this.openId) this.syncPieces();
    this.followElsewhere();
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
    engines: [],
    plan: v.plan,
    token_counts: v.token_counts,
  };
}

// The text helpers live in ../document-text; the views import them from here.
export {
  documentMeta,
  elsewhereNotice,
  etaText,
  formatLabel,
  pageRange,
  pagesText,
  pagesWarning,
  passageHeading,
  progressFraction,
  progressText,
  statusNotice,
  summarizeLabel,
} from '../document-text';

export const documents = new DocumentsStore();
