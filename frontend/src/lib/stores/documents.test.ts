import { describe, expect, it } from 'vitest';
import { DocumentsStore, defaultStyle, etaText, progressText } from './documents.svelte';
import { ConversationsStore } from './conversations.svelte';
import { ToastStore } from './toasts.svelte';
import {
  afterDispatch,
  citation,
  conversation,
  documentDetail,
  documentInfo,
  installFakeWails,
  message,
  passage,
  settle,
  summaryProgress,
  summaryView,
} from '../../test/fakes';
import type { SendResult } from '../types';

function setup() {
  const w = installFakeWails();
  const notify = new ToastStore();
  const conversations = new ConversationsStore(notify);
  const store = new DocumentsStore({ conversations, notify });
  return { w, notify, conversations, store };
}

const subscribed = (w: ReturnType<typeof installFakeWails>, name: string) => (w.listeners.get(name) ?? []).length;

describe('documents store: list', () => {
  it('refresh loads the list newest first and reloads on documents:changed', async () => {
    const { w, store } = setup();
    w.app.ListDocuments.mockResolvedValue([documentInfo({ id: 1, created_at: 100 }), documentInfo({ id: 2, created_at: 300 })]);
    const off = store.init();
    await store.refresh();
    expect(store.list.map((d) => d.id)).toEqual([2, 1]);
    expect(store.loaded).toBe(true);
    w.app.ListDocuments.mockResolvedValue([documentInfo({ id: 3 })]);
    w.emit('documents:changed', null);
    await settle();
    expect(store.list.map((d) => d.id)).toEqual([3]);
    off();
    await afterDispatch();
    expect(w.subscribed('documents:changed')).toBe(0);
  });

  it('a null list from Go is an empty list; a failure is a toast', async () => {
    const { w, store, notify } = setup();
    w.app.ListDocuments.mockResolvedValue(null);
    await store.refresh();
    expect(store.list).toEqual([]);
    w.app.ListDocuments.mockRejectedValue({ code: 'db', message: 'database is locked' });
    await store.refresh();
    expect(notify.items[0].text).toBe("Couldn't load documents: database is locked");
  });

  it('remove deletes, and closes the view of the deleted document', async () => {
    const { w, store } = setup();
    w.app.ListDocuments.mockResolvedValue([documentInfo({ id: 1 }), documentInfo({ id: 2 })]);
    await store.refresh();
    await store.open(1);
    expect(await store.remove(1)).toBe(true);
    expect(w.app.DeleteDocument).toHaveBeenCalledWith(1);
    expect(store.list.map((d) => d.id)).toEqual([2]);
    expect(store.openId).toBeNull();
  });
});

describe('documents store: open', () => {
  it('shows the newest existing summary at once', async () => {
    const { w, store } = setup();
    w.app.GetDocument.mockResolvedValue(
      documentDetail({
        summaries: [
          summaryView({ id: 1, style: 'brief', text: 'old', updated_at: 100 }),
          summaryView({ id: 2, style: 'keypoints', text: '- new', updated_at: 500 }),
        ],
      }),
    );
    await store.open(1);
    expect(w.app.GetDocument).toHaveBeenCalledWith(1);
    expect(store.openId).toBe(1);
    expect(store.style).toBe('keypoints');
    expect(store.summary?.text).toBe('- new');
    store.selectStyle('brief');
    expect(store.summary?.text).toBe('old');
    store.selectStyle('detailed');
    expect(store.summary).toBeUndefined();
    expect(store.progress).toBeNull();
  });

  it('a failure to open is kept as an inline error', async () => {
    const { w, store } = setup();
    w.app.GetDocument.mockRejectedValue({ code: 'not_found', message: 'no such document' });
    await store.open(4);
    expect(store.loadError).toBe('no such document');
    expect(store.loading).toBe(false);
  });

  it('resumes following a summary that is running when the view opens', async () => {
    const { w, store } = setup();
    w.app.GetDocument.mockResolvedValue(
      documentDetail({ summaries: [summaryView({ id: 9, style: 'detailed', status: 'running', pieces_done: 3, pieces_total: 40 })] }),
    );
    await store.open(1);
    expect(store.style).toBe('detailed');
    expect(subscribed(w, 'summary:progress:9')).toBe(1);
    expect(store.progress).toMatchObject({ pieces_done: 3, pieces_total: 40, eta_seconds: -1 });
    expect(store.summarizing(1)).toBe(true);

    w.emit(
      'summary:progress:9',
      summaryProgress({ summary_id: 9, pieces_done: 12, pieces_total: 40, tokens_per_second: 35, eta_seconds: 120 }),
    );
    expect(progressText(store.progress!)).toBe('12 of 40 steps · 35 tok/s · about 2 min left');

    const final = summaryView({
      id: 9,
      style: 'detailed',
      status: 'complete',
      text: 'All done [p. 3]',
      coverage: 'Covers pages 1–40 of 40',
    });
    w.emit('summary:progress:9', summaryProgress({ summary_id: 9, status: 'complete', pieces_done: 40, pieces_total: 40, view: final }));
    expect(store.progress).toBeNull();
    expect(store.summary).toEqual(final);
    await afterDispatch();
    expect(w.subscribed('summary:progress:9')).toBe(0);
  });

  it('opening the same document again does not subscribe twice', async () => {
    const { w, store } = setup();
    w.app.GetDocument.mockResolvedValue(documentDetail({ summaries: [summaryView({ id: 9, status: 'running' })] }));
    await store.open(1);
    await store.open(1);
    expect(subscribed(w, 'summary:progress:9')).toBe(1);
  });

  it('loads the questions asked about the document', async () => {
    const { w, store, conversations } = setup();
    w.app.ListConversations.mockResolvedValue([
      conversation({ id: 3, document_id: null }),
      conversation({ id: 4, document_id: 1, updated_at: 50 }),
      conversation({ id: 5, document_id: 1, updated_at: 90 }),
    ]);
    await conversations.refresh();
    conversations.select(3);
    w.app.GetConversation.mockResolvedValue({
      conversation: conversation({ id: 5, document_id: 1 }),
      messages: [message({ id: 50, conversation_id: 5, content: 'What is it about?' })],
    });
    await store.open(1);
    await settle();
    expect(w.app.GetConversation).toHaveBeenCalledWith(5);
    expect(store.qa.messages.map((m) => m.id)).toEqual([50]);
    // The sidebar's selection is left alone.
    expect(conversations.selectedId).toBe(3);
  });
});

describe('documents store: summarize', () => {
  it('summarize → progress events → the complete view', async () => {
    const { w, store } = setup();
    await store.open(1);
    store.selectStyle('keypoints');
    const running = summaryView({ id: 11, style: 'keypoints', status: 'running', pieces_total: 8 });
    w.app.SummarizeDocument.mockResolvedValue(running);
    w.app.GetDocument.mockResolvedValue(documentDetail({ summaries: [running] }));
    await store.summarize();
    await settle();
    expect(w.app.SummarizeDocument).toHaveBeenCalledWith(1, 'keypoints');
    expect(subscribed(w, 'summary:progress:11')).toBe(1);
    expect(store.progress).toMatchObject({ summary_id: 11, pieces_done: 0, pieces_total: 8 });
    expect(progressText(store.progress!)).toBe('0 of 8 steps · estimating…');

    w.emit(
      'summary:progress:11',
      summaryProgress({ summary_id: 11, pieces_done: 4, pieces_total: 8, tokens_per_second: 7.25, eta_seconds: 30 }),
    );
    expect(progressText(store.progress!)).toBe('4 of 8 steps · 7.3 tok/s · less than a minute left');

    // Pressing Summarize again while it runs does nothing.
    await store.summarize();
    expect(w.app.SummarizeDocument).toHaveBeenCalledTimes(1);

    const done = summaryView({
      id: 11,
      style: 'keypoints',
      status: 'complete',
      text: '- one [p. 2]',
      citations: [citation({ marker: '[p. 2]' })],
    });
    w.emit('summary:progress:11', summaryProgress({ summary_id: 11, status: 'complete', view: done }));
    expect(store.progress).toBeNull();
    expect(store.summary?.text).toBe('- one [p. 2]');
  });

  it('a cached complete summary is shown at once without subscribing', async () => {
    const { w, store } = setup();
    await store.open(1);
    w.app.SummarizeDocument.mockResolvedValue(summaryView({ id: 12, status: 'complete', text: 'Cached.' }));
    await store.summarize();
    expect(store.summary?.text).toBe('Cached.');
    expect(subscribed(w, 'summary:progress:12')).toBe(0);
  });

  it('a summary that ended before the subscription is picked up by the check after it', async () => {
    const { w, store } = setup();
    await store.open(1);
    w.app.SummarizeDocument.mockResolvedValue(summaryView({ id: 13, status: 'running' }));
    w.app.GetDocument.mockResolvedValue(documentDetail({ summaries: [summaryView({ id: 13, status: 'complete', text: 'Quick.' })] }));
    await store.summarize();
    await settle();
    expect(store.progress).toBeNull();
    expect(store.summary?.text).toBe('Quick.');
    expect(subscribed(w, 'summary:progress:13')).toBe(0);
  });

  it('stop calls StopSummary; the final event keeps the pieces done, and Summarize resumes', async () => {
    const { w, store } = setup();
    const running = summaryView({ id: 14, status: 'running', pieces_done: 2, pieces_total: 10 });
    w.app.GetDocument.mockResolvedValue(documentDetail({ summaries: [running] }));
    await store.open(1);
    await store.stop();
    expect(w.app.StopSummary).toHaveBeenCalledWith(1);
    expect(store.stopping).toEqual([1]);
    const canceled = summaryView({ id: 14, status: 'canceled', pieces_done: 5, pieces_total: 10, text: '' });
    w.emit(
      'summary:progress:14',
      summaryProgress({ summary_id: 14, status: 'canceled', pieces_done: 5, pieces_total: 10, view: canceled }),
    );
    expect(store.progress).toBeNull();
    expect(store.stopping).toEqual([]);
    expect(store.summary?.status).toBe('canceled');

    w.app.SummarizeDocument.mockResolvedValue(summaryView({ id: 14, status: 'running', pieces_done: 5, pieces_total: 10 }));
    w.app.GetDocument.mockResolvedValue(
      documentDetail({ summaries: [summaryView({ id: 14, status: 'running', pieces_done: 5, pieces_total: 10 })] }),
    );
    await store.summarize();
    expect(w.app.SummarizeDocument).toHaveBeenLastCalledWith(1, 'brief');
    expect(store.progress).toMatchObject({ pieces_done: 5, pieces_total: 10 });
  });

  it('partial and failed summaries keep their error', async () => {
    const { w, store } = setup();
    w.app.GetDocument.mockResolvedValue(documentDetail({ summaries: [summaryView({ id: 15, status: 'running' })] }));
    await store.open(1);
    w.emit(
      'summary:progress:15',
      summaryProgress({
        summary_id: 15,
        status: 'partial',
        view: summaryView({ id: 15, status: 'partial', text: 'Most of it.', error: 'the engine stopped' }),
      }),
    );
    expect(store.summary).toMatchObject({ status: 'partial', error: 'the engine stopped', text: 'Most of it.' });
  });

  it('a final event without a view reloads the document', async () => {
    const { w, store } = setup();
    w.app.GetDocument.mockResolvedValue(documentDetail({ summaries: [summaryView({ id: 16, status: 'running' })] }));
    await store.open(1);
    w.app.GetDocument.mockResolvedValue(documentDetail({ summaries: [summaryView({ id: 16, status: 'failed', error: 'out of memory' })] }));
    w.emit('summary:progress:16', summaryProgress({ summary_id: 16, status: 'failed' }));
    await settle();
    expect(store.summary).toMatchObject({ status: 'failed', error: 'out of memory' });
  });

  it('a summary that ends while another view is shown is announced', async () => {
    const { w, store, notify } = setup();
    w.app.ListDocuments.mockResolvedValue([documentInfo({ id: 1, name: 'report.pdf' })]);
    await store.refresh();
    w.app.GetDocument.mockResolvedValue(documentDetail({ summaries: [summaryView({ id: 17, status: 'running' })] }));
    await store.open(1);
    store.close();
    expect(store.summarizing(1)).toBe(true);
    w.emit(
      'summary:progress:17',
      summaryProgress({ summary_id: 17, status: 'complete', view: summaryView({ id: 17, status: 'complete' }) }),
    );
    expect(store.summarizing(1)).toBe(false);
    expect(notify.items[0]).toMatchObject({ kind: 'success', text: 'The summary of “report.pdf” is ready.' });
  });

  it('a failed start is a toast', async () => {
    const { w, store, notify } = setup();
    await store.open(1);
    w.app.SummarizeDocument.mockRejectedValue({ code: 'no_model', message: 'Load a model first' });
    await store.summarize();
    expect(notify.items[0].text).toBe("Couldn't start the summary: Load a model first");
    expect(store.starting).toBe(false);
  });

  it('dispose unsubscribes from running summaries', async () => {
    const { w, store } = setup();
    w.app.GetDocument.mockResolvedValue(documentDetail({ summaries: [summaryView({ id: 18, status: 'running' })] }));
    await store.open(1);
    store.dispose();
    await afterDispatch();
    expect(w.subscribed('summary:progress:18')).toBe(0);
  });
});

describe('documents store: passages and citations', () => {
  it('showPassage loads the passage; a newer request wins', async () => {
    const { w, store } = setup();
    await store.open(1);
    let resolveFirst!: (v: unknown) => void;
    w.app.GetPassage.mockReturnValueOnce(new Promise((r) => (resolveFirst = r)));
    const first = store.showPassage(1, 2, '[p. 1]');
    expect(store.passage).toMatchObject({ loading: true, marker: '[p. 1]' });
    w.app.GetPassage.mockResolvedValueOnce(passage({ text: 'second', first_chunk: 5, last_chunk: 6 }));
    await store.showPassage(5, 6, '[pp. 12–14]');
    resolveFirst(passage({ text: 'first' }));
    await first;
    expect(w.app.GetPassage).toHaveBeenLastCalledWith(1, 5, 6);
    expect(store.passage).toMatchObject({ loading: false, first: 5, last: 6, error: '' });
    expect(store.passage?.passage?.text).toBe('second');
    store.closePassage();
    expect(store.passage).toBeNull();
  });

  it('a passage that fails to load shows the error', async () => {
    const { w, store } = setup();
    await store.open(1);
    w.app.GetPassage.mockRejectedValue({ code: 'not_found', message: 'no such chunk' });
    await store.showPassage(99, 99);
    expect(store.passage).toMatchObject({ loading: false, error: 'no such chunk' });
  });

  it('a marker in an answer is looked up by Go, without needing a summary', async () => {
    const { w, store } = setup();
    await store.open(1);
    w.app.GetCitedPassage.mockResolvedValue(passage({ first_chunk: 5, last_chunk: 6, text: 'wheat' }));
    await store.openCitation({ marker: '[p. 12]', first: null, last: null });
    expect(w.app.GetCitedPassage).toHaveBeenLastCalledWith(1, '[p. 12]');
    expect(store.passage).toMatchObject({ marker: '[p. 12]', first: 5, last: 6, loading: false });
    w.app.GetCitedPassage.mockRejectedValue({ code: 'not_found', message: 'the document has no passage for [p. 99]' });
    await store.openCitation({ marker: '[p. 99]', first: null, last: null });
    expect(store.passage).toMatchObject({ loading: false, error: 'the document has no passage for [p. 99]' });
  });

  it('a citation clicked in a document conversation opens the document', async () => {
    const { w, store, conversations } = setup();
    w.app.ListConversations.mockResolvedValue([conversation({ id: 3, document_id: 8 }), conversation({ id: 4 })]);
    await conversations.refresh();
    expect(store.openFromConversation(4)).toBe(false);
    expect(store.openId).toBeNull();
    expect(store.openFromConversation(3, '[pp. 2–3]')).toBe(true);
    expect(store.openId).toBe(8);
    await settle();
    expect(w.app.GetDocument).toHaveBeenCalledWith(8);
    expect(w.app.GetCitedPassage).toHaveBeenCalledWith(8, '[pp. 2–3]');
  });
});

describe('documents store: questions', () => {
  it('asking sends AskDocument for the open document and streams the answer', async () => {
    const { w, store } = setup();
    await store.open(1);
    const sent: SendResult = {
      conversation: conversation({ id: 30, document_id: 1 }),
      user_message: message({ id: 301, conversation_id: 30, role: 'user', content: 'Who wrote it?' }),
      assistant_message: message({ id: 302, conversation_id: 30, role: 'assistant', content: '', status: 'streaming' }),
      stream: 'chat:stream:302',
    };
    w.app.AskDocument.mockResolvedValue(sent);
    expect(await store.qa.send('Who wrote it?')).toBe(true);
    expect(w.app.AskDocument).toHaveBeenCalledWith(1, 'Who wrote it?');
    expect(w.app.SendMessage).not.toHaveBeenCalled();
    expect(store.qa.generating).toBe(true);
    w.emit('chat:stream:302', {
      type: 'done',
      message: { ...sent.assistant_message, content: 'Ann [p. 1]', status: 'complete' },
      result: null,
    });
    expect(store.qa.messages.map((m) => [m.role, m.content])).toEqual([
      ['user', 'Who wrote it?'],
      ['assistant', 'Ann [p. 1]'],
    ]);
    expect(store.qa.generating).toBe(false);
  });
});

describe('documents text', () => {
  it.each([
    [-1, 'estimating…'],
    [20, 'less than a minute left'],
    [125, 'about 2 min left'],
    [3600 + 25 * 60, 'about 1 h 25 min left'],
    [7200, 'about 2 h left'],
  ])('etaText(%d)', (s, text) => {
    expect(etaText(s)).toBe(text);
  });

  it('progressText describes waiting and combining', () => {
    expect(progressText(summaryProgress({ status: 'pending' }))).toBe('Waiting for the model…');
    expect(progressText(summaryProgress({ level: 1, pieces_done: 1, pieces_total: 3, tokens_per_second: 120 }))).toBe(
      'combining: 1 of 3 steps · 120 tok/s · estimating…',
    );
    expect(progressText(summaryProgress())).toBe('starting · estimating…');
  });

  it('defaultStyle prefers a running summary, then the newest, then brief', () => {
    expect(defaultStyle([])).toBe('brief');
    expect(defaultStyle([summaryView({ style: 'detailed', updated_at: 5 }), summaryView({ style: 'keypoints', updated_at: 9 })])).toBe(
      'keypoints',
    );
    expect(
      defaultStyle([
        summaryView({ style: 'detailed', status: 'running', updated_at: 5 }),
        summaryView({ style: 'keypoints', updated_at: 9 }),
      ]),
    ).toBe('detailed');
  });
});
