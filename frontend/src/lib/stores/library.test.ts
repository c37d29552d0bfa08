import { describe, expect, it } from 'vitest';
import { LibraryStore } from './library.svelte';
import { ModelStore } from './model.svelte';
import { ToastStore } from './toasts.svelte';
import { catalogModel, installFakeWails, modelInfo } from '../../test/fakes';
import type { DownloadProgress } from '../types';

function setup() {
  const w = installFakeWails();
  const notify = new ToastStore();
  const model = new ModelStore(notify);
  const lib = new LibraryStore({ model, notify });
  w.app.ModelCatalog.mockResolvedValue({
    machine: { total_memory: 8e9, available_memory: 4e9, disk_free: 50e9 },
    models: [catalogModel({ id: 'a', recommended: true }), catalogModel({ id: 'b', kind: 'embedding' })],
    downloads: null,
    dir: '/data/models',
  });
  w.app.StartDownload.mockImplementation(async (id: string) => ({ id, file: `${id}.gguf`, event: `download:progress:${id}` }));
  w.app.ResumeDownload.mockImplementation(async (id: string) => ({ id, file: `${id}.gguf`, event: `download:progress:${id}` }));
  return { w, notify, model, lib };
}

function progress(p: Partial<DownloadProgress>): DownloadProgress {
  return {
    id: 'a',
    file: 'a.gguf',
    url: 'u',
    state: 'downloading',
    done: 0,
    total: 100,
    bytes_per_sec: 0,
    seconds_left: -1,
    path: '',
    error: '',
    verified: true,
    ...p,
  };
}

describe('library store', () => {
  it('reads the catalogue: recommended pick, chat models, a null downloads list', async () => {
    const { lib } = setup();
    await lib.refresh();
    expect(lib.recommended?.id).toBe('a');
    expect(lib.chatModels.map((m) => m.id)).toEqual(['a']);
    expect(lib.progress).toEqual({});
  });

  it('a download streams progress on its own event, and a finished model is loaded when none is', async () => {
    const { w, lib, model } = setup();
    await lib.refresh();
    await model.refreshList();
    expect(await lib.download('a')).toBe(true);
    expect(w.app.StartDownload).toHaveBeenCalledWith('a');
    expect(w.subscribed('download:progress:a')).toBe(1);
    w.emit('download:progress:a', progress({ done: 40, bytes_per_sec: 10, seconds_left: 6 }));
    expect(lib.running('a')).toBe(true);
    expect(lib.progress.a.done).toBe(40);
    w.app.LoadModel.mockResolvedValue(modelInfo({ path: '/data/models/a.gguf' }));
    w.emit('download:progress:a', progress({ state: 'done', done: 100, path: '/data/models/a.gguf' }));
    await new Promise((r) => setTimeout(r, 0));
    await new Promise((r) => setTimeout(r, 0));
    // The stream ended: its listener is gone (no leak).
    expect(w.subscribed('download:progress:a')).toBe(0);
    expect(w.app.LoadModel).toHaveBeenCalledWith('/data/models/a.gguf');
    expect(model.state.model?.path).toBe('/data/models/a.gguf');
  });

  it('pause ends the subscription; resume subscribes again; cancel forgets the download', async () => {
    const { w, lib } = setup();
    await lib.download('a');
    w.emit('download:progress:a', progress({ done: 10 }));
    await lib.pause('a');
    expect(w.app.PauseDownload).toHaveBeenCalledWith('a');
    w.emit('download:progress:a', progress({ state: 'paused', done: 10 }));
    await Promise.resolve(); // the listener is removed again after the dispatch
    expect(lib.paused('a')).toBe(true);
    expect(w.subscribed('download:progress:a')).toBe(0);
    await lib.resume('a');
    expect(w.app.ResumeDownload).toHaveBeenCalledWith('a');
    expect(w.subscribed('download:progress:a')).toBe(1);
    await lib.cancel('a');
    expect(w.app.CancelDownload).toHaveBeenCalledWith('a');
    expect(w.subscribed('download:progress:a')).toBe(0);
    expect(lib.progress.a).toBeUndefined();
  });

  it('a failed start puts the row back and says why', async () => {
    const { w, lib, notify } = setup();
    w.app.StartDownload.mockRejectedValue({ code: 'unavailable', message: 'not enough free disk space for a.gguf' });
    expect(await lib.download('a')).toBe(false);
    expect(lib.progress.a).toBeUndefined();
    expect(notify.items.map((t) => t.text).join(' ')).toContain('not enough free disk space');
  });

  it('a failed download is shown with its sentence', async () => {
    const { w, lib, notify } = setup();
    await lib.download('a');
    w.emit('download:progress:a', progress({ state: 'failed', error: 'the downloaded a.gguf is damaged' }));
    await Promise.resolve();
    expect(lib.progress.a.state).toBe('failed');
    expect(notify.items.map((t) => t.text).join(' ')).toContain('is damaged');
    expect(w.subscribed('download:progress:a')).toBe(0);
  });

  it('unfinished downloads from an earlier run show as paused', async () => {
    const { w, lib } = setup();
    w.app.ModelCatalog.mockResolvedValue({
      machine: { total_memory: 8e9, available_memory: 4e9, disk_free: 50e9 },
      models: [catalogModel({ id: 'a' })],
      downloads: [progress({ state: 'paused', done: 30 })],
      dir: '/d',
    });
    await lib.refresh();
    expect(lib.paused('a')).toBe(true);
  });
});
