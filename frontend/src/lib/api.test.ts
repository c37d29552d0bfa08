import { describe, expect, it, vi } from 'vitest';
import { api, ApiError, backendReady, onEvent, onFileDrop, subscribeIngest, subscribeStream, subscribeSummary, toApiError } from './api';
import { afterDispatch, installFakeWails, message } from '../test/fakes';

describe('api bindings', () => {
  it('calls each bound method with its arguments', async () => {
    const w = installFakeWails();
    const calls: [() => Promise<unknown>, keyof typeof w.app, unknown[]][] = [
      [() => api.appInfo(), 'AppInfo', []],
      [() => api.modelState(), 'ModelState', []],
      [() => api.listModels(), 'ListModels', []],
      [() => api.chooseModelFile(), 'ChooseModelFile', []],
      [() => api.loadModel('/m/a.gguf'), 'LoadModel', ['/m/a.gguf']],
      [() => api.listConversations(), 'ListConversations', []],
      [() => api.createConversation(), 'CreateConversation', []],
      [() => api.getConversation(7), 'GetConversation', [7]],
      [() => api.renameConversation(7, 'Hi'), 'RenameConversation', [7, 'Hi']],
      [() => api.deleteConversation(7), 'DeleteConversation', [7]],
      [() => api.sendMessage(0, 'hello'), 'SendMessage', [0, 'hello']],
      [() => api.stopGeneration(7), 'StopGeneration', [7]],
      [() => api.activeReply(7), 'ActiveReply', [7]],
      [() => api.getSettings(), 'GetSettings', []],
    ];
    for (const [fn, method, args] of calls) {
      await fn();
      expect(w.app[method], method).toHaveBeenCalledWith(...args);
    }
    const s = { temperature: 0.5, top_k: 1, top_p: 1, min_p: 0, repeat_penalty: 1, seed: 3, max_tokens: 9, system_prompt: 'x' };
    await api.saveSettings(s);
    expect(w.app.SaveSettings).toHaveBeenCalledWith(s);
  });

  it('returns what Go returns, and [] / "" for null lists and strings', async () => {
    const w = installFakeWails();
    w.app.ListConversations.mockResolvedValue(null);
    w.app.ListModels.mockResolvedValue(null);
    w.app.ChooseModelFile.mockResolvedValue(null);
    w.app.AppInfo.mockResolvedValue({ version: '1.2', data_dir: '/d', models_dir: '/m' });
    expect(await api.listConversations()).toEqual([]);
    expect(await api.listModels()).toEqual([]);
    expect(await api.chooseModelFile()).toBe('');
    expect(await api.appInfo()).toEqual({ version: '1.2', data_dir: '/d', models_dir: '/m' });
  });

  it.each([
    ['an ErrorFormatter object', { code: 'model_invalid', message: 'not a GGUF file' }, 'model_invalid', 'not a GGUF file'],
    ['a plain string', 'database is locked', 'error', 'database is locked'],
    ['a JSON string', '{"code":"busy","message":"a reply is already running"}', 'busy', 'a reply is already running'],
    ['an Error', new Error('boom'), 'error', 'boom'],
    ['an Error with a code', Object.assign(new Error('nope'), { code: 'not_found' }), 'not_found', 'nope'],
    ['an object without code', { message: 'odd' }, 'error', 'odd'],
    ['undefined', undefined, 'unknown', 'Unknown error'],
  ])('normalises a rejection with %s into ApiError', async (_name, rejection, code, msg) => {
    const w = installFakeWails();
    w.app.GetConversation.mockRejectedValue(rejection);
    const err = await api.getConversation(1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ code, message: msg });
  });

  it.each([
    ['a refused form', { code: 'invalid', message: 'a; b', fields: { temperature: 'a', top_p: 'b' } }, { temperature: 'a', top_p: 'b' }],
    ['fields in the JSON text', '{"code":"invalid","message":"a","fields":{"seed":"a"}}', { seed: 'a' }],
    ['no fields', { code: 'invalid', message: 'x' }, {}],
    ['fields that are not text', { code: 'invalid', message: 'x', fields: { seed: 3, top_k: 'ok' } }, { top_k: 'ok' }],
  ])('keeps the fields of %s', async (_name, rejection, fields) => {
    const w = installFakeWails();
    w.app.GetConversation.mockRejectedValue(rejection);
    const got = await api.getConversation(1).catch((e: unknown) => e);
    expect((got as ApiError).fields).toEqual(fields);
  });

  it('reports a missing backend as ApiError "unavailable"', async () => {
    await expect(api.listConversations()).rejects.toMatchObject({ code: 'unavailable' });
    expect(toApiError(new ApiError('x', 'y'))).toMatchObject({ code: 'x', message: 'y' });
  });
});

describe('events', () => {
  it('onEvent subscribes with EventsOn and unsubscribes its own listener once', async () => {
    const w = installFakeWails();
    const cb = vi.fn();
    const other = vi.fn();
    onEvent('conversations:changed', other);
    const off = onEvent('conversations:changed', cb);
    w.emit('conversations:changed');
    expect(cb).toHaveBeenCalledTimes(1);
    off();
    off();
    await afterDispatch();
    w.emit('conversations:changed');
    expect(cb).toHaveBeenCalledTimes(1);
    // The other subscriber keeps listening (EventsOff(name) would drop it too).
    expect(other).toHaveBeenCalledTimes(2);
    expect(w.subscribed('conversations:changed')).toBe(1);
    expect(w.runtime.EventsOff).not.toHaveBeenCalled();
  });

  function handlers() {
    return { onToken: vi.fn(), onDone: vi.fn(), onError: vi.fn() };
  }

  it('subscribeStream routes tokens and unsubscribes on done', async () => {
    const w = installFakeWails();
    const h = handlers();
    subscribeStream('chat:stream:42', h);
    expect(w.runtime.EventsOn).toHaveBeenCalledWith('chat:stream:42', expect.any(Function));
    w.emit('chat:stream:42', { type: 'token', text: 'Hi', completion_tokens: 1, tps: 5 });
    expect(h.onToken).toHaveBeenCalledWith({ type: 'token', text: 'Hi', completion_tokens: 1, tps: 5 });
    expect(w.subscribed('chat:stream:42')).toBe(1);
    const done = { type: 'done', message: message({ role: 'assistant', content: 'Hi' }), result: {} };
    w.emit('chat:stream:42', done);
    expect(h.onDone).toHaveBeenCalledWith(done);
    await afterDispatch();
    expect(w.subscribed('chat:stream:42')).toBe(0);
  });

  it('subscribeStream unsubscribes on error, and early unsubscribe is idempotent', async () => {
    const w = installFakeWails();
    const h = handlers();
    const off = subscribeStream('chat:stream:7', h);
    w.emit('chat:stream:7', { type: 'error', message: message(), error: { code: 'engine', message: 'crashed' } });
    expect(h.onError).toHaveBeenCalledTimes(1);
    await afterDispatch();
    expect(w.subscribed('chat:stream:7')).toBe(0);
    off();

    const h2 = handlers();
    const off2 = subscribeStream('chat:stream:8', h2);
    off2();
    expect(w.subscribed('chat:stream:8')).toBe(0);
    w.emit('chat:stream:8', { type: 'token', text: 'late' });
    expect(h2.onToken).not.toHaveBeenCalled();
  });

  // The leak: with Wails' dispatch, a listener removed inside its own final
  // event came back; after N replies, ingests and summaries N listeners
  // (each holding its reply's text) were left.
  it('no listener is left after many replies, ingests and summaries', async () => {
    const w = installFakeWails();
    const h = handlers();
    for (let i = 1; i <= 25; i++) {
      subscribeStream(`chat:stream:${i}`, h);
      w.emit(`chat:stream:${i}`, { type: 'token', text: 'x'.repeat(1000), seq: 1 });
      w.emit(`chat:stream:${i}`, { type: i % 2 ? 'done' : 'error', message: message(), result: {}, error: { code: 'x', message: 'y' } });
      subscribeIngest(`documents:ingest:${i}`, () => {});
      w.emit(`documents:ingest:${i}`, { job: i, phase: 'finished' });
      subscribeSummary(i, () => {});
      w.emit(`summary:progress:${i}`, { summary_id: i, status: 'complete' });
    }
    await afterDispatch();
    expect(h.onDone).toHaveBeenCalledTimes(13);
    expect(w.totalListeners()).toBe(0);
  });

  it('onFileDrop registers with useDropTarget=true and passes paths', () => {
    const w = installFakeWails();
    const cb = vi.fn();
    const off = onFileDrop(cb);
    expect(w.runtime.OnFileDrop).toHaveBeenCalledWith(expect.any(Function), true);
    w.drop(['/a/b.gguf'], 3, 4);
    expect(cb).toHaveBeenCalledWith(['/a/b.gguf'], 3, 4);
    off();
    expect(w.runtime.OnFileDropOff).toHaveBeenCalled();
  });
});

describe('document bindings', () => {
  it('calls each bound method with its arguments', async () => {
    const w = installFakeWails();
    const calls: [() => Promise<unknown>, keyof typeof w.app, unknown[]][] = [
      [() => api.pickDocuments(), 'PickDocuments', []],
      [() => api.ingestFiles(['/a.pdf', '/dir']), 'IngestFiles', [['/a.pdf', '/dir']]],
      [() => api.cancelIngest(3), 'CancelIngest', [3]],
      [() => api.listDocuments(), 'ListDocuments', []],
      [() => api.getDocument(4), 'GetDocument', [4]],
      [() => api.deleteDocument(4), 'DeleteDocument', [4]],
      [() => api.summarizeDocument(4, 'keypoints'), 'SummarizeDocument', [4, 'keypoints']],
      [() => api.stopSummary(4), 'StopSummary', [4]],
      [() => api.getPassage(4, 2, 5), 'GetPassage', [4, 2, 5]],
      [() => api.askDocument(4, 'why?'), 'AskDocument', [4, 'why?']],
    ];
    for (const [fn, method, args] of calls) {
      await fn();
      expect(w.app[method], method).toHaveBeenCalledWith(...args);
    }
  });

  it('null lists from Go become []', async () => {
    const w = installFakeWails();
    w.app.PickDocuments.mockResolvedValue(null);
    w.app.ListDocuments.mockResolvedValue(null);
    w.app.GetDocument.mockResolvedValue({ document: { id: 1 }, sections: null, summaries: null });
    expect(await api.pickDocuments()).toEqual([]);
    expect(await api.listDocuments()).toEqual([]);
    expect(await api.getDocument(1)).toMatchObject({ sections: [], summaries: [] });
  });

  it('subscribeIngest ends after "finished"', async () => {
    const w = installFakeWails();
    const cb = vi.fn();
    subscribeIngest('documents:ingest:2', cb);
    w.emit('documents:ingest:2', { job: 2, phase: 'reading', file: 'a' });
    expect(w.subscribed('documents:ingest:2')).toBe(1);
    w.emit('documents:ingest:2', { job: 2, phase: 'finished' });
    expect(cb).toHaveBeenCalledTimes(2);
    await afterDispatch();
    expect(w.subscribed('documents:ingest:2')).toBe(0);
  });

  it('subscribeSummary ends after the first event that is not running or pending', async () => {
    const w = installFakeWails();
    const cb = vi.fn();
    const off = subscribeSummary(6, cb);
    w.emit('summary:progress:6', { summary_id: 6, status: 'pending' });
    w.emit('summary:progress:6', { summary_id: 6, status: 'running' });
    w.emit('summary:progress:6', 'garbage');
    expect(w.subscribed('summary:progress:6')).toBe(1);
    w.emit('summary:progress:6', { summary_id: 6, status: 'canceled' });
    expect(cb).toHaveBeenCalledTimes(3);
    await afterDispatch();
    expect(w.subscribed('summary:progress:6')).toBe(0);
    off();
    w.emit('summary:progress:6', { summary_id: 6, status: 'canceled' });
    expect(cb).toHaveBeenCalledTimes(3);
  });
});

describe('backendReady', () => {
  it('resolves true at once when bindings exist, and waits for late bindings', async () => {
    installFakeWails();
    expect(await backendReady()).toBe(true);
    const app = window.go;
    delete window.go;
    const p = backendReady(1000, 5);
    setTimeout(() => (window.go = app), 20);
    expect(await p).toBe(true);
    delete window.go;
    expect(await backendReady(30, 5)).toBe(false);
  });
});
