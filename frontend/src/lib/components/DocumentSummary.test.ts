import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import DocumentView from './DocumentView.svelte';
import { documents } from '../stores/documents.svelte';
import { model } from '../stores/model.svelte';
import {
  citation,
  documentDetail,
  installFakeWails,
  modelEntry,
  modelInfo,
  settle,
  summaryOutline,
  summaryPiece,
  summaryProgress,
  summaryView,
} from '../../test/fakes';
import type { EngineProgress, SummaryPiece, SummaryProgress } from '../types';
import { madeBy } from '../summary-text';

const SECOND = 'Second Chapel (http://127.0.0.1:8095/v1)';

function pieces(): SummaryPiece[] {
  return [
    summaryPiece({
      ord: 0,
      label: 'Pages 1–3',
      status: 'done',
      engine: 'local',
      text: 'Wheat grew [pp. 1–3].',
      citations: [citation({ marker: '[pp. 1–3]', first_chunk: 0, last_chunk: 2, page_start: 1, page_end: 3 })],
    }),
    summaryPiece({ ord: 1, label: 'Pages 4–6', status: 'running', engine: SECOND }),
    summaryPiece({ ord: 2, label: 'Pages 7–9', status: 'pending' }),
  ];
}

function setup(summaries = [summaryView()]) {
  const w = installFakeWails();
  documents.close();
  documents.running = {};
  const detail = documentDetail({ summaries });
  documents.list = [detail.document];
  model.state = { state: 'ready', model: modelInfo({ name: 'tiny' }), path: '/models/tiny.gguf', error: '' };
  model.entries = [modelEntry({ path: '/models/tiny.gguf', name: 'tiny' }), modelEntry({ path: '/models/big.gguf', name: 'big' })];
  w.app.GetDocument.mockResolvedValue(detail);
  render(DocumentView);
  return w;
}

async function openDoc() {
  await documents.open(1);
  await settle();
}

/** Opens summary 7 while it runs, with pieces() as its outline. */
async function openRunning() {
  const w = setup([summaryView({ id: 7, status: 'running', pieces_total: 4 })]);
  w.app.GetSummaryOutline.mockResolvedValue(summaryOutline({ status: 'running', pieces: pieces() }));
  await openDoc();
  return w;
}

/** Emits summary 7's progress: piecesDone of 4, with these engine lines. */
function emitEngines(
  w: ReturnType<typeof installFakeWails>,
  piecesDone: number,
  engines: EngineProgress[],
  more: Partial<SummaryProgress> = {},
) {
  w.emit('summary:progress:7', summaryProgress({ summary_id: 7, pieces_done: piecesDone, pieces_total: 4, engines, ...more }));
}

const texts = (id: string) => screen.queryAllByTestId(id).map((e) => e.textContent?.replace(/\s+/g, ' ').trim());

describe('a summary while it runs and after', () => {
  beforeEach(() => documents.dispose());

  it('the parts summarised so far are readable in order while the rest run, with each engine and its speed', async () => {
    const w = await openRunning();
    expect(w.app.GetSummaryOutline).toHaveBeenCalledWith(7);
    expect(w.subscribed('summary:piece:7')).toBe(1);
    expect(texts('summary-piece-label')).toEqual(['Pages 1–3', 'Pages 4–6', 'Pages 7–9']);
    expect(screen.getAllByTestId('summary-piece').map((e) => e.dataset.status)).toEqual(['done', 'running', 'pending']);
    expect(texts('summary-piece-badge')).toEqual(['Done · This computer', 'Being summarised · Second Chapel', 'Waiting']);
    // A done piece's citation opens its passage like the summary's.
    const cite = within(screen.getAllByTestId('summary-piece')[0]).getByTestId('citation');
    expect([cite.dataset.first, cite.dataset.last]).toEqual(['0', '2']);

    emitEngines(
      w,
      1,
      [
        { engine: 'local', done: 1, in_flight: 1, tokens_per_second: 41.2 },
        { engine: SECOND, done: 0, in_flight: 1, tokens_per_second: 0 },
      ],
      {
        plan: '4 steps: 3 parts of the document, then 1 combining them · token counts are estimates (the server has no tokenizer to ask), kept on the high side so every step fits',
        token_counts: 'estimate',
      },
    );
    await settle();
    expect(texts('summary-engine')).toEqual(['This computer 1 done · 1 in flight · 41 tok/s', 'Second Chapel 0 done · 1 in flight']);
    const plan = screen.getByTestId('summary-plan');
    expect(plan.dataset.estimated).toBe('true');
    expect(plan.textContent).toContain('token counts are estimates');

    // The next piece is saved: it shows at once, in its place.
    w.emit('summary:piece:7', summaryPiece({ ord: 1, label: 'Pages 4–6', status: 'done', engine: SECOND, text: 'Cattle graze.' }));
    await settle();
    const second = screen.getAllByTestId('summary-piece')[1];
    expect(second.dataset.status).toBe('done');
    expect(second.textContent).toContain('Cattle graze.');
    expect(screen.getByTestId('summary-pieces-box').textContent).toContain('2 of 3 parts summarised so far');
  });

  it('an endpoint that sits the steps out says why on its line, and is not counted among who made the summary', async () => {
    const w = await openRunning();
    const why = 'its context (2,048 tokens) is shorter than a step needs (4,096)';
    emitEngines(w, 1, [
      { engine: 'local', done: 1, in_flight: 2, tokens_per_second: 41.2 },
      { engine: SECOND, done: 0, in_flight: 0, tokens_per_second: 0, sits_out: why },
    ]);
    await settle();
    expect(texts('summary-engine')).toEqual(['This computer 1 done · 2 in flight · 41 tok/s', `Second Chapel 0 done · sits out: ${why}`]);
    const lines = screen.getAllByTestId('summary-engine');
    expect(lines.map((e) => e.dataset.sitsOut)).toEqual([undefined, 'true']);
    expect(lines[1].classList.contains('out')).toBe(true);
    // It takes a step again: the note goes.
    emitEngines(w, 2, [
      { engine: 'local', done: 2, in_flight: 1, tokens_per_second: 41.2 },
      { engine: SECOND, done: 0, in_flight: 1, tokens_per_second: 0 },
    ]);
    await settle();
    expect(texts('summary-engine')[1]).toBe('Second Chapel 0 done · 1 in flight');
    expect(
      madeBy([
        { engine: 'local', done: 4, in_flight: 0, tokens_per_second: 0 },
        { engine: SECOND, done: 0, in_flight: 0, tokens_per_second: 0, sits_out: why },
      ]),
    ).toBe('4 steps, made on this computer');
  });

  it('a finished summary folds its parts away, says who made them, and can be run again forced', async () => {
    const done = summaryView({
      id: 7,
      status: 'complete',
      text: 'The farm did well.',
      coverage: 'Covers pages 1–9 of 9',
      plan: "4 steps: 3 parts of the document, then 1 combining them · token counts from the model's tokenizer",
    });
    const w = setup([done]);
    w.app.GetSummaryOutline.mockResolvedValue(
      summaryOutline({
        status: 'complete',
        pieces: pieces().map((p) => ({ ...p, status: 'done', engine: p.ord === 1 ? SECOND : 'local', text: `Part ${p.ord}.` })),
        engines: [
          { engine: 'local', done: 3, in_flight: 0, tokens_per_second: 0 },
          { engine: SECOND, done: 1, in_flight: 0, tokens_per_second: 0 },
        ],
      }),
    );
    await openDoc();
    const box = screen.getByTestId('summary-pieces-box');
    expect(box.tagName).toBe('DETAILS');
    expect(box.querySelector('summary')?.textContent).toBe(
      'The 3 parts it was made from · 4 steps: 3 on this computer, 1 on Second Chapel',
    );
    expect(screen.getByTestId('summary-plan').dataset.estimated).toBe('false');

    await fireEvent.click(screen.getByTestId('summary-run-again'));
    await settle();
    const dialog = screen.getByTestId('run-again-dialog');
    expect((screen.getByTestId('run-again-model') as HTMLSelectElement).value).toBe('/models/tiny.gguf');
    // Same style and model as the summary on screen: every piece is made again.
    expect((screen.getByTestId('run-again-force') as HTMLInputElement).disabled).toBe(true);
    await fireEvent.click(screen.getByTestId('run-again-style-keypoints'));
    expect((screen.getByTestId('run-again-force') as HTMLInputElement).disabled).toBe(false);
    await fireEvent.click(screen.getByTestId('run-again-force'));
    const again = summaryView({ id: 8, style: 'keypoints', status: 'running', pieces_total: 4 });
    w.app.SummarizeAgain.mockResolvedValue(again);
    w.app.GetDocument.mockResolvedValue(documentDetail({ summaries: [done, again] }));
    w.app.GetSummaryOutline.mockResolvedValue(
      summaryOutline({ summary_id: 8, status: 'running', pieces: [summaryPiece({ summary_id: 8 })] }),
    );
    await fireEvent.click(within(dialog).getByTestId('run-again-run'));
    await settle();
    expect(w.app.LoadModel).not.toHaveBeenCalled();
    expect(w.app.SummarizeAgain).toHaveBeenCalledWith(1, 'keypoints', true);
    expect(screen.queryByTestId('run-again-dialog')).toBeNull();
    expect(documents.style).toBe('keypoints');
    expect(screen.getByTestId('summary-progress')).toBeTruthy();
    expect(w.subscribed('summary:piece:8')).toBe(1);
  });

  it('run again with another model: it is loaded first, and the summary made before stays until the new one is done', async () => {
    const done = summaryView({ id: 7, status: 'complete', text: 'The farm did well.', model: 'tiny' });
    const w = setup([done]);
    await openDoc();
    await fireEvent.click(screen.getByTestId('summary-run-again'));
    await settle();
    const select = screen.getByTestId('run-again-model') as HTMLSelectElement;
    select.value = '/models/big.gguf';
    await fireEvent.change(select);
    expect(screen.getByTestId('run-again-model-note').textContent).toContain('loads this model first');
    w.app.LoadModel.mockResolvedValue(modelInfo({ name: 'big', path: '/models/big.gguf' }));
    const newer = summaryView({ id: 9, status: 'running', model: 'big', text: '', updated_at: 2000 });
    w.app.SummarizeAgain.mockResolvedValue(newer);
    w.app.GetDocument.mockResolvedValue(documentDetail({ summaries: [done, newer] }));
    await fireEvent.click(screen.getByTestId('run-again-run'));
    await settle();
    expect(w.app.LoadModel).toHaveBeenCalledWith('/models/big.gguf');
    expect(w.app.SummarizeAgain).toHaveBeenCalledWith(1, 'brief', false);
    expect(w.app.LoadModel.mock.invocationCallOrder[0]).toBeLessThan(w.app.SummarizeAgain.mock.invocationCallOrder[0]);
    // The old text is still on screen, said to be the one made before.
    expect(screen.getByTestId('summary').textContent).toContain('The farm did well.');
    expect(screen.getByTestId('summary-previous').textContent).toContain('made with tiny');

    w.emit(
      'summary:progress:9',
      summaryProgress({ summary_id: 9, status: 'complete', view: { ...newer, status: 'complete', text: 'Big model words.' } }),
    );
    await settle();
    expect(screen.getByTestId('summary').textContent).toContain('Big model words.');
    expect(screen.queryByTestId('summary-previous')).toBeNull();
  });

  it('a model that cannot be loaded runs nothing', async () => {
    const w = setup([summaryView({ id: 7, status: 'complete', text: 'Done.' })]);
    await openDoc();
    w.app.LoadModel.mockRejectedValue({ code: 'invalid', message: 'not a model' });
    const ok = await documents.runAgain({ style: 'brief', modelPath: '/models/big.gguf', force: true });
    expect(ok).toBe(false);
    expect(w.app.SummarizeAgain).not.toHaveBeenCalled();
  });
});

describe('a summary another Chapel is making', () => {
  beforeEach(() => documents.dispose());
  afterEach(() => vi.useRealTimers());

  const elsewhere = summaryView({ id: 7, status: 'running', elsewhere: true, pieces_done: 2, pieces_total: 5 });

  it.each([
    { how: 'found so when the document opens', opened: [elsewhere], answer: null },
    // The database said stopped, but `chapel summarize` took it up the moment before.
    {
      how: 'refused when Resume is pressed',
      opened: [summaryView({ id: 7, status: 'canceled', pieces_done: 2, pieces_total: 5 })],
      answer: elsewhere,
    },
  ])('is $how: said in the summary area, with nothing to stop, nothing followed and no error', async ({ opened, answer }) => {
    const w = setup(opened);
    await openDoc();
    if (answer) {
      w.app.SummarizeDocument.mockResolvedValue(answer);
      w.app.GetDocument.mockResolvedValue(documentDetail({ summaries: [answer] }));
      await fireEvent.click(screen.getByTestId('summarize'));
      await settle();
    }
    expect(screen.getByTestId('summary-elsewhere').textContent).toContain(
      'This summary is being made in another Chapel window or command (2 of 5 steps saved so far).',
    );
    for (const id of ['summary-progress', 'summary-stop', 'summarize', 'summary-run-again', 'summary-status', 'summary-empty'])
      expect(screen.queryByTestId(id), id).toBeNull();
    expect(documents.summarizing(1)).toBe(false);
    expect(w.subscribed('summary:progress:7')).toBe(0);
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it.each([
    {
      ends: 'finishes',
      then: summaryView({ id: 7, status: 'complete', text: 'Made over there.', pieces_done: 6, pieces_total: 6 }),
      shows: 'summary',
    },
    // Its Chapel was killed: Go records it stopped, and it can be resumed here.
    { ends: 'is killed', then: summaryView({ id: 7, status: 'canceled', pieces_done: 3, pieces_total: 5 }), shows: 'summarize' },
  ])('shows what it left when it $ends: read again every few seconds, or at once with Check now', async ({ then, shows }) => {
    vi.useFakeTimers();
    const w = setup([elsewhere]);
    await documents.open(1);
    await vi.advanceTimersByTimeAsync(0);
    const reads = w.app.GetDocument.mock.calls.length;
    // Still being made at the next look: still said so.
    await vi.advanceTimersByTimeAsync(documents.elsewhereRecheckMs);
    expect(w.app.GetDocument.mock.calls.length).toBe(reads + 1);
    expect(screen.getByTestId('summary-elsewhere')).toBeTruthy();
    w.app.GetDocument.mockResolvedValue(documentDetail({ summaries: [then] }));
    await fireEvent.click(screen.getByTestId('summary-check'));
    await vi.advanceTimersByTimeAsync(0);
    expect(screen.queryByTestId('summary-elsewhere')).toBeNull();
    expect(screen.getByTestId(shows)).toBeTruthy();
    // Nothing is made elsewhere any more: no more reading.
    const after = w.app.GetDocument.mock.calls.length;
    await vi.advanceTimersByTimeAsync(documents.elsewhereRecheckMs * 3);
    expect(w.app.GetDocument.mock.calls.length).toBe(after);
  });
});

describe('who made a summary, against its plan', () => {
  const local = (done: number) => ({ engine: 'local', done, in_flight: 0, tokens_per_second: 0 });
  it.each([
    { engines: [local(4)], total: 0, want: '4 steps, made on this computer' },
    { engines: [local(4)], total: 4, want: '4 steps, made on this computer' },
    { engines: [local(33)], total: 37, want: '37 steps: 33 on this computer, 4 passed on as they were' },
    { engines: [local(3)], total: 4, want: '4 steps: 3 on this computer, 1 passed on as it was' },
    { engines: [local(0)], total: 4, want: '' },
  ])('$want', ({ engines, total, want }) => {
    expect(madeBy(engines, total)).toBe(want);
  });
});
