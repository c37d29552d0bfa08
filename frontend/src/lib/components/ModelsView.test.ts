import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import ModelsView from './ModelsView.svelte';
import FirstRun from './FirstRun.svelte';
import { library } from '../stores/library.svelte';
import { catalogModel, installFakeWails, settle } from '../../test/fakes';

function catalogue(w: ReturnType<typeof installFakeWails>) {
  w.app.ModelCatalog.mockResolvedValue({
    machine: { total_memory: 8e9, available_memory: 5e9, disk_free: 40e9 },
    models: [
      catalogModel({ id: 'small', name: 'Small 1B', recommended: true }),
      catalogModel({ id: 'huge', name: 'Huge 8B', fits_memory: false, needs_memory: 9e9, reasoning: true }),
      catalogModel({ id: 'here', name: 'Here 2B', downloaded: true }),
    ],
    downloads: [],
    dir: '/data/models',
  });
  w.app.StartDownload.mockImplementation(async (id: string) => ({ id, file: `${id}.gguf`, event: `download:progress:${id}` }));
}

describe('Models view', () => {
  it('lists the catalogue with what fits, downloads with progress, pauses and resumes', async () => {
    const w = installFakeWails();
    catalogue(w);
    render(ModelsView);
    library.show();
    await settle();
    expect(screen.getByTestId('machine-summary').textContent).toContain('memory');
    const rows = screen.getAllByTestId('catalog-model');
    expect(rows.map((r) => r.getAttribute('data-id'))).toEqual(['small', 'huge', 'here']);
    expect(rows[0].textContent).toContain('Recommended');
    expect(rows[1].textContent).toContain('Needs about');
    expect(rows[1].textContent).toContain('Thinks first');
    expect(rows[2].textContent).toContain('Downloaded');

    await fireEvent.click(rows[0].querySelector('[data-testid="download-start"]')!);
    await settle();
    expect(w.app.StartDownload).toHaveBeenCalledWith('small');
    w.emit('download:progress:small', {
      id: 'small',
      file: 'small.gguf',
      url: '',
      state: 'downloading',
      done: 250e6,
      total: 1e9,
      bytes_per_sec: 12.5e6,
      seconds_left: 60,
      path: '',
      error: '',
      verified: true,
    });
    await settle();
    const status = screen.getByTestId('download-status');
    expect(status.textContent).toContain('25 %');
    expect(status.textContent).toMatch(/MB\/s/);
    expect(status.textContent).toContain('about 1 min left');
    expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('25');

    await fireEvent.click(screen.getByTestId('download-pause'));
    expect(w.app.PauseDownload).toHaveBeenCalledWith('small');
    w.emit('download:progress:small', {
      id: 'small',
      file: 'small.gguf',
      url: '',
      state: 'paused',
      done: 300e6,
      total: 1e9,
      bytes_per_sec: 0,
      seconds_left: -1,
      path: '',
      error: '',
      verified: true,
    });
    await settle();
    expect(screen.getByTestId('download-status').textContent).toContain('Paused at');
    await fireEvent.click(screen.getByTestId('download-resume'));
    await settle();
    expect(w.app.ResumeDownload).toHaveBeenCalledWith('small');
    library.hide();
    library.dispose();
  });

  it('the first-run screen offers the recommended download', async () => {
    const w = installFakeWails();
    catalogue(w);
    library.progress = {}; // the shared store, as the first test left it
    render(FirstRun);
    await settle();
    const rec = screen.getByTestId('first-run-recommended');
    expect(rec.textContent).toContain('Small 1B');
    await fireEvent.click(rec.querySelector('[data-testid="download-start"]')!);
    await settle();
    expect(w.app.StartDownload).toHaveBeenCalledWith('small');
    await fireEvent.click(screen.getByTestId('first-run-all-models'));
    expect(library.open).toBe(true);
    library.hide();
    library.dispose();
  });
});
