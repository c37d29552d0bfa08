import { describe, expect, it } from 'vitest';
import { SummaryPiecesStore } from './summary-pieces.svelte';
import { afterDispatch, installFakeWails, settle, summaryOutline, summaryPiece } from '../../test/fakes';
import type { SummaryOutline } from '../types';

const PIECES = [
  summaryPiece({ ord: 0, label: 'Pages 1–3', status: 'done', engine: 'local', text: 'Wheat grew [pp. 1–3].' }),
  summaryPiece({ ord: 1, label: 'Pages 4–6', status: 'running', engine: 'Second (http://127.0.0.1:8095/v1)' }),
  summaryPiece({ ord: 2, label: 'Pages 7–9', status: 'pending' }),
];

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('summary pieces store', () => {
  it('a running summary: subscribes before it reads, applies pieces that came meanwhile, then follows them live', async () => {
    const w = installFakeWails();
    const read = deferred<SummaryOutline>();
    w.app.GetSummaryOutline.mockReturnValue(read.promise);
    const s = new SummaryPiecesStore();
    s.show({ id: 7, status: 'running' }, true);
    expect(w.subscribed('summary:piece:7')).toBe(1);
    // Saved while the outline was being read.
    w.emit('summary:piece:7', summaryPiece({ ord: 1, label: 'Pages 4–6', status: 'done', engine: 'Second (x)', text: 'Cattle.' }));
    read.resolve(summaryOutline({ status: 'running', pieces: PIECES.map((p) => ({ ...p })) }));
    await settle();
    expect(w.app.GetSummaryOutline).toHaveBeenCalledWith(7);
    expect(s.pieces.map((p) => [p.label, p.status])).toEqual([
      ['Pages 1–3', 'done'],
      ['Pages 4–6', 'done'],
      ['Pages 7–9', 'pending'],
    ]);
    expect(s.counts).toEqual({ done: 2, failed: 0, running: 0, pending: 1 });

    w.emit('summary:piece:7', summaryPiece({ ord: 2, status: 'running', engine: 'local', label: 'Pages 7–9' }));
    expect(s.pieces[2]).toMatchObject({ status: 'running', engine: 'local' });
    // A late "running" never takes back a saved piece; another summary's pieces are not ours.
    w.emit('summary:piece:7', summaryPiece({ ord: 0, status: 'running', engine: 'local' }));
    w.emit('summary:piece:7', summaryPiece({ summary_id: 8, ord: 2, status: 'failed' }));
    expect(s.pieces.map((p) => p.status)).toEqual(['done', 'done', 'running']);
    w.emit('summary:piece:7', summaryPiece({ ord: 2, status: 'done', engine: 'local', text: 'Rain.', label: 'Pages 7–9' }));
    expect(s.pieces[2]).toMatchObject({ status: 'done', text: 'Rain.' });

    // It ended: the pieces are read again and nothing listens any more.
    w.app.GetSummaryOutline.mockResolvedValue(
      summaryOutline({ status: 'complete', pieces: PIECES.map((p) => ({ ...p, status: 'done' })) }),
    );
    s.show({ id: 7, status: 'complete' }, false);
    await settle();
    await afterDispatch();
    expect(w.subscribed('summary:piece:7')).toBe(0);
    expect(w.app.GetSummaryOutline).toHaveBeenCalledTimes(2);
    expect(s.outline?.status).toBe('complete');
  });

  it('the same summary in the same state is not read twice; another summary or none unsubscribes', async () => {
    const w = installFakeWails();
    w.app.GetSummaryOutline.mockResolvedValue(summaryOutline({ pieces: PIECES }));
    const s = new SummaryPiecesStore();
    s.show({ id: 7, status: 'running' }, true);
    s.show({ id: 7, status: 'running' }, true);
    await settle();
    expect(w.app.GetSummaryOutline).toHaveBeenCalledTimes(1);
    s.show({ id: 9, status: 'canceled' }, false);
    await settle();
    await afterDispatch();
    expect(w.subscribed('summary:piece:7')).toBe(0);
    expect(w.app.GetSummaryOutline).toHaveBeenLastCalledWith(9);
    s.show({ id: 9, status: 'running' }, true);
    expect(w.subscribed('summary:piece:9')).toBe(1);
    s.show(null, false);
    await afterDispatch();
    expect(w.subscribed('summary:piece:9')).toBe(0);
    expect(s.outline).toBeNull();
  });

  it('an outline that cannot be read says why; a null list from Go is no pieces', async () => {
    const w = installFakeWails();
    w.app.GetSummaryOutline.mockRejectedValue({ code: 'db', message: 'database is locked' });
    const s = new SummaryPiecesStore();
    s.show({ id: 7, status: 'canceled' }, false);
    await settle();
    expect(s.error).toBe('database is locked');
    w.app.GetSummaryOutline.mockResolvedValue({ ...summaryOutline(), pieces: null, engines: null });
    await s.refresh();
    expect(s.error).toBe('');
    expect(s.pieces).toEqual([]);
    expect(s.engines).toEqual([]);
  });
});
