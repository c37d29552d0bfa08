import { api, subscribeSummaryPieces, toApiError } from '../api';
import type { EngineProgress, SummaryOutline, SummaryPiece, SummaryStatus } from '../types';

/** What the pieces list follows: a summary, and whether it is being made now. */
export interface PiecesTarget {
  id: number;
  status: SummaryStatus;
}

/**
 * The map pieces of the summary the document view shows, in document order:
 * read from Go (SQLite, so a summary stopped by a restart shows what it saved
 * and what it still has to do), then kept live from summary:piece:<id> while
 * the summary runs. A piece that is done is never taken back by a late event.
 */
export class SummaryPiecesStore {
  outline = $state<SummaryOutline | null>(null);
  loading = $state(false);
  error = $state('');

  private target: PiecesTarget | null = null;
  private off: (() => void) | null = null;
  /** Piece events that came while the outline was loading, applied after it. */
  private early: SummaryPiece[] = [];
  private seq = 0;

  /** The pieces in document order ([] when none). */
  get pieces(): SummaryPiece[] {
    return this.outline?.pieces ?? [];
  }

  /** Counts of the pieces by status. */
  get counts(): Record<SummaryPiece['status'], number> {
    const c = { done: 0, failed: 0, running: 0, pending: 0 };
    for (const p of this.pieces) c[p.status]++;
    return c;
  }

  /** The engines' tally as the outline last read it (the progress events carry the live one). */
  get engines(): EngineProgress[] {
    return this.outline?.engines ?? [];
  }

  /**
   * Follow summary t (null: nothing): load its pieces when it or its status
   * changed, and listen to its piece events while it runs.
   */
  show(t: PiecesTarget | null, running: boolean): void {
    const same = t && this.target && t.id === this.target.id;
    if (same && t.status === this.target!.status && running === (this.off !== null)) return;
    if (!same || !running) this.stopFollowing();
    this.target = t ? { ...t } : null;
    if (!t) {
      this.seq++;
      this.outline = null;
      this.error = '';
      this.loading = false;
      return;
    }
    if (!same) this.outline = null;
    if (running && !this.off) {
      // Subscribe before reading, so no piece saved in between is missed.
      this.off = subscribeSummaryPieces(t.id, (p) => this.onPiece(t.id, p));
    }
    void this.load(t.id);
  }

  /** Read the pieces again (after a summary ended). */
  refresh(): Promise<void> {
    return this.target ? this.load(this.target.id) : Promise.resolve();
  }

  /** Stop listening (the view closed, or app teardown). */
  dispose(): void {
    this.stopFollowing();
    this.target = null;
    this.seq++;
    this.outline = null;
  }

  private stopFollowing(): void {
    this.off?.();
    this.off = null;
    this.early = [];
  }

  private async load(id: number): Promise<void> {
    const seq = ++this.seq;
    this.loading = true;
    try {
      const o = await api.getSummaryOutline(id);
      if (seq !== this.seq) return;
      this.outline = o;
      this.error = '';
      const early = this.early;
      this.early = [];
      for (const p of early) this.merge(p);
    } catch (e) {
      if (seq === this.seq) this.error = toApiError(e).message;
    } finally {
      if (seq === this.seq) this.loading = false;
    }
  }

  private onPiece(id: number, p: SummaryPiece): void {
    if (this.target?.id !== id || p.summary_id !== id) return;
    if (this.loading || !this.outline) {
      this.early.push(p);
      return;
    }
    this.merge(p);
  }

  /** Put a piece event into the outline by its place in the plan. */
  private merge(p: SummaryPiece): void {
    const o = this.outline;
    if (!o) return;
    const pieces = o.pieces ?? (o.pieces = []);
    const i = pieces.findIndex((x) => x.ord === p.ord);
    if (i < 0) {
      pieces.push(p);
      pieces.sort((a, b) => a.ord - b.ord);
      return;
    }
    const had = pieces[i];
    // Saved stays saved: a "running" event that arrives after the read is old.
    if ((had.status === 'done' || had.status === 'failed') && p.status === 'running') return;
    pieces[i] = p;
  }
}
