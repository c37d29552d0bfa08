import { describe, expect, it, vi } from 'vitest';
import { boot, keepDrafts, routeDrop } from './boot';
import { installFakeWails, settle, afterDispatch } from '../test/fakes';

describe('drop routing', () => {
  function targets() {
    return {
      model: { openDropped: vi.fn(async () => true) },
      ingest: { add: vi.fn(async () => true) },
      transfer: { importPaths: vi.fn(async () => true) },
    };
  }

  it('.gguf paths go to the model store, everything else to documents, both from one drop', () => {
    const to = targets();
    routeDrop(['/m/Qwen.Q4_K_M.GGUF', '/docs/report.pdf', '/docs/folder', '/docs/notes.xyz'], to);
    expect(to.model.openDropped).toHaveBeenCalledWith(['/m/Qwen.Q4_K_M.GGUF']);
    expect(to.ingest.add).toHaveBeenCalledWith(['/docs/report.pdf', '/docs/folder', '/docs/notes.xyz']);
  });

  it.each([
    { name: "ChatGPT's conversations.json", paths: ['/dl/conversations.json'], imports: ['/dl/conversations.json'], docs: [] },
    {
      name: 'an export zip beside a document',
      paths: ['/dl/chapel-export.ZIP', '/docs/a.pdf'],
      imports: ['/dl/chapel-export.ZIP'],
      docs: ['/docs/a.pdf'],
    },
    { name: 'a document named like json but not one', paths: ['/docs/json.md'], imports: [], docs: ['/docs/json.md'] },
  ])('exports go to import, not to documents: $name', ({ paths, imports, docs }) => {
    const to = targets();
    routeDrop(paths, to);
    if (imports.length) expect(to.transfer.importPaths).toHaveBeenCalledWith(imports);
    else expect(to.transfer.importPaths).not.toHaveBeenCalled();
    if (docs.length) expect(to.ingest.add).toHaveBeenCalledWith(docs);
    else expect(to.ingest.add).not.toHaveBeenCalled();
  });

  it('only models: documents are not involved; only documents: the model is not touched', () => {
    let to = targets();
    routeDrop(['/m/a.gguf'], to);
    expect(to.ingest.add).not.toHaveBeenCalled();
    to = targets();
    routeDrop(['/docs/a.pdf'], to);
    expect(to.model.openDropped).not.toHaveBeenCalled();
    expect(to.ingest.add).toHaveBeenCalledWith(['/docs/a.pdf']);
  });

  it('a real drop on the window reaches LoadModel and IngestFiles', async () => {
    const w = installFakeWails();
    const stop = boot();
    await settle();
    w.drop(['/m/tiny.gguf', '/docs/a.pdf']);
    await settle();
    expect(w.app.LoadModel).toHaveBeenCalledWith('/m/tiny.gguf');
    expect(w.app.IngestFiles).toHaveBeenCalledWith(['/docs/a.pdf']);
    expect(w.app.ListDocuments).toHaveBeenCalled();
    expect(w.runtime.EventsOn).toHaveBeenCalledWith('documents:changed', expect.any(Function));
    stop();
    expect(w.runtime.OnFileDropOff).toHaveBeenCalled();
    await afterDispatch();
    expect(w.subscribed('documents:changed')).toBe(0);
    expect(w.subscribed('documents:ingest:1')).toBe(0);
  });
});

describe('files passed to Chapel', () => {
  it("arguments at start and a second launch's files are routed like drops", async () => {
    const w = installFakeWails();
    w.app.TakeOpenedFiles.mockResolvedValueOnce(['/docs/start.pdf']).mockResolvedValueOnce(['/m/again.gguf']);
    const stop = boot();
    await settle();
    expect(w.app.IngestFiles).toHaveBeenCalledWith(['/docs/start.pdf']);
    expect(w.app.LoadModel).not.toHaveBeenCalled();
    w.emit('app:open-files', 1);
    await settle();
    expect(w.app.LoadModel).toHaveBeenCalledWith('/m/again.gguf');
    stop();
    await afterDispatch();
    expect(w.subscribed('app:open-files')).toBe(0);
  });
});

describe('unsent drafts', () => {
  it('are written when the window closes, before the page says it is ready', async () => {
    const w = installFakeWails();
    const order: string[] = [];
    let written = () => {};
    const store = {
      load: vi.fn(async () => {}),
      flush: vi.fn(() => new Promise<void>((r) => (written = () => (order.push('written'), r())))),
    };
    const ready = vi.fn(async () => void order.push('ready'));
    const off = keepDrafts(store, ready);
    w.emit('app:closing', null);
    await settle();
    expect(ready).not.toHaveBeenCalled(); // not before the drafts are in
    written();
    await settle();
    expect(order).toEqual(['written', 'ready']);
    off();
    await afterDispatch();
    expect(w.subscribed('app:closing')).toBe(0);
  });

  it('are read at start and written when the window is hidden or goes away, until unsubscribed', () => {
    const store = { load: vi.fn(async () => {}), flush: vi.fn(async () => {}) };
    const off = keepDrafts(store, async () => {});
    expect(store.load).toHaveBeenCalledTimes(1);
    window.dispatchEvent(new Event('pagehide'));
    window.dispatchEvent(new Event('beforeunload'));
    expect(store.flush).toHaveBeenCalledTimes(2);
    const hidden = vi.spyOn(document, 'visibilityState', 'get').mockReturnValue('hidden');
    document.dispatchEvent(new Event('visibilitychange'));
    expect(store.flush).toHaveBeenCalledTimes(3);
    hidden.mockReturnValue('visible');
    document.dispatchEvent(new Event('visibilitychange'));
    expect(store.flush).toHaveBeenCalledTimes(3);
    off();
    window.dispatchEvent(new Event('pagehide'));
    expect(store.flush).toHaveBeenCalledTimes(3);
    hidden.mockRestore();
  });
});
