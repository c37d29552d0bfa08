import { describe, expect, it, vi } from 'vitest';
import { createFrameBatcher } from './frame';
import { basename, formatBytes, formatTps, isGguf, isPathSource, relativeTime, sourceLabel } from './format';
import { normalise, DEFAULT_SETTINGS, SettingsStore } from './stores/settings.svelte';
import { ToastStore } from './stores/toasts.svelte';
import { installFakeWails, manualFrames } from '../test/fakes';

describe('frame batcher', () => {
  it('runs the flush once per frame however often it is scheduled', () => {
    const frames = manualFrames();
    const flush = vi.fn();
    const b = createFrameBatcher(flush, frames.scheduler);
    b.schedule();
    b.schedule();
    b.schedule();
    expect(frames.pending).toBe(1);
    frames.run();
    expect(flush).toHaveBeenCalledTimes(1);
    b.schedule();
    b.flushNow();
    expect(flush).toHaveBeenCalledTimes(2);
    frames.run();
    expect(flush).toHaveBeenCalledTimes(2);
  });
});

describe('format', () => {
  const now = new Date(2025, 5, 15, 12, 0, 0).getTime();
  it.each([
    [now - 10_000, 'just now'],
    [now - 5 * 60_000, '5 min ago'],
    [now - 3 * 3600_000, '3 h ago'],
    [new Date(2025, 5, 14, 9).getTime(), 'Yesterday'],
  ])('relativeTime(%i)', (ms, expected) => {
    expect(relativeTime(ms, now)).toBe(expected);
  });

  it('formats sizes, speeds and paths', () => {
    expect(formatBytes(2.1e9)).toBe('2.0 GB');
    expect(formatBytes(1024)).toBe('1.0 KB');
    expect(formatTps(23.456)).toBe('23.5 tok/s');
    expect(formatTps(0)).toBe('');
    expect(basename('C:\\models\\a.gguf')).toBe('a.gguf');
    expect(isGguf('/x/Model.GGUF')).toBe(true);
    expect(isGguf('/x/doc.pdf')).toBe(false);
  });
});

describe('settings store', () => {
  it('normalises form values before saving, keeping a number out of range for Go to refuse', () => {
    const bad = { ...DEFAULT_SETTINGS, temperature: Number.NaN, top_p: 3, top_k: '12' as unknown as number, seed: 4.6 };
    expect(normalise(bad)).toMatchObject({ temperature: DEFAULT_SETTINGS.temperature, top_p: 3, top_k: 12, seed: 5 });
  });

  it('keeps the settings the form does not show', () => {
    expect(normalise({ ...DEFAULT_SETTINGS, ignore_eos: true }).ignore_eos).toBe(true);
    expect(normalise({ ...DEFAULT_SETTINGS, ignore_eos: 'yes' as unknown as boolean }).ignore_eos).toBeUndefined();
  });

  it('loads and saves through the bindings', async () => {
    const w = installFakeWails();
    w.app.GetSettings.mockResolvedValue({ ...DEFAULT_SETTINGS, temperature: 0.2 });
    const s = new SettingsStore(new ToastStore());
    await s.load();
    expect(s.values.temperature).toBe(0.2);
    expect(await s.save({ ...s.values, max_tokens: 64 })).toBe(true);
    expect(w.app.SaveSettings).toHaveBeenCalledWith(expect.objectContaining({ temperature: 0.2, max_tokens: 64 }));
  });
});

describe('model source headings', () => {
  it.each([
    { source: 'models_dir', label: 'Models dir', path: false },
    { source: '', label: 'Other', path: false },
    { source: '/tmp/ui-review/home/models', label: '/tmp/ui-review/home/models', path: true },
    { source: 'C:\\Users\\ana\\My-Models', label: 'C:\\Users\\ana\\My-Models', path: true },
  ])('$source', ({ source, label, path }) => {
    expect(sourceLabel(source)).toBe(label);
    expect(isPathSource(source)).toBe(path);
  });
});
