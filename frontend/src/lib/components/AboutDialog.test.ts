import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import AboutDialog from './AboutDialog.svelte';
import { about } from '../stores/about.svelte';
import { model } from '../stores/model.svelte';
import { BUNDLED } from '../bundled';
import { installFakeWails, modelInfo, settle } from '../../test/fakes';

const ABOUT = {
  version: '1.4.0',
  platform: 'linux/amd64',
  engine: 'avx512',
  reason: 'the CPU reports x86-64-v4 and AVX512-VNNI, so Chapel runs its avx512 engine',
  shipped: ['amx', 'avx512', 'x86-64-v3'],
  cpu: 'AMD EPYC 9R14',
  data_dir: '/home/u/.config/Chapel',
  models_dir: '/home/u/.config/Chapel/models',
};

describe('About box', () => {
  it('shows the version, the engine variant and why, the data folder and every bundled licence', async () => {
    const w = installFakeWails();
    w.app.About.mockResolvedValue(ABOUT);
    render(AboutDialog);
    await about.show();
    await settle();
    expect(w.app.About).toHaveBeenCalled();
    expect(screen.getByTestId('about-version').textContent).toContain('1.4.0');
    const engine = screen.getByTestId('about-engine').textContent ?? '';
    expect(engine).toContain('avx512');
    expect(engine).toContain('so Chapel runs its avx512 engine');
    expect(engine).toContain('amx, avx512, x86-64-v3');
    expect(screen.getByTestId('about-data-dir').textContent).toBe('/home/u/.config/Chapel');
    const rows = screen.getByTestId('about-licences').querySelectorAll('tr');
    expect(rows.length).toBe(BUNDLED.length);
    for (const name of ['llama.cpp', 'Wails', 'SQLite', 'DOMPurify', 'highlight.js']) {
      expect(screen.getByTestId('about-licences').textContent).toContain(name);
    }
    expect(screen.queryByTestId('about-kernels')).toBeNull();
    about.hide();
    await settle();
    expect(screen.queryByTestId('about-dialog')).toBeNull();
  });

  it("says who multiplies the loaded model's weights, as its engine measured at start", async () => {
    const w = installFakeWails();
    w.app.About.mockResolvedValue(ABOUT);
    const kernels =
      "Q4_0 generation (one row): Chapel's (AVX512-VNNI), 2.23× ggml's speed; Q4_0 prompts (four rows): Chapel's (AVX512-VNNI), 2.19× ggml's speed; Q4_K prompts: Chapel's (AVX512-VNNI), 1.77× ggml's speed; measured at start in 18 ms";
    model.state = {
      state: 'ready',
      path: '/m/a.gguf',
      error: '',
      model: modelInfo({ path: '/m/a.gguf', kernels }),
    };
    render(AboutDialog);
    await about.show();
    await settle();
    // A line per kind of weights, in the engine's order.
    expect(screen.getAllByTestId('about-kernel').map((e) => e.textContent)).toEqual(kernels.split('; '));
    expect(screen.getByTestId('about-kernels').textContent).toContain('Kernels:');
    about.hide();
    model.state = { state: 'none', model: null, path: '', error: '' };
    await settle();
  });
});
