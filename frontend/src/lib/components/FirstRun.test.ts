import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import App from '../../App.svelte';
import FirstRun from './FirstRun.svelte';
import { model } from '../stores/model.svelte';
import { installFakeWails, modelEntry, modelInfo, settle } from '../../test/fakes';

describe('FirstRun', () => {
  it('the app shows the first-run screen when no model is loaded', async () => {
    const w = installFakeWails();
    w.app.ListModels.mockResolvedValue([modelEntry({ path: '/models/tiny.gguf', name: 'tiny' })]);
    render(App);
    await settle();
    const first = await screen.findByTestId('first-run');
    expect(first.textContent).toContain('offline');
    expect(first.textContent).toContain('or drop a .gguf file onto this window');
    expect(screen.getByTestId('model-picker').textContent).toContain('Choose a model');
    expect(screen.getByTestId('status-bar').textContent).toContain('No model loaded');
    // A found model is offered and loads on click.
    const option = screen.getByTestId('model-option');
    expect(option.getAttribute('data-path')).toBe('/models/tiny.gguf');
    await fireEvent.click(option);
    expect(w.app.LoadModel).toHaveBeenCalledWith('/models/tiny.gguf');
  });

  it('"Open a .gguf file…" opens the file dialog and loads the choice', async () => {
    const w = installFakeWails();
    w.app.ChooseModelFile.mockResolvedValue('/home/me/qwen.gguf');
    render(FirstRun);
    await fireEvent.click(screen.getByTestId('open-model-file'));
    await settle();
    expect(w.app.ChooseModelFile).toHaveBeenCalled();
    expect(w.app.LoadModel).toHaveBeenCalledWith('/home/me/qwen.gguf');
  });

  it('a failed load shows the error banner with retry', async () => {
    const w = installFakeWails();
    w.app.LoadModel.mockRejectedValue({ code: 'model_invalid', message: 'unknown model architecture' });
    render(App);
    await settle();
    await model.load('/models/bad.gguf');
    await settle();
    const banner = await screen.findByTestId('error-banner');
    expect(banner.textContent).toContain('unknown model architecture');
    expect(screen.getByTestId('first-run')).toBeTruthy();
    w.app.LoadModel.mockResolvedValue(modelInfo({ name: 'good' }));
    await fireEvent.click(screen.getByText('Try again'));
    await settle();
    expect(screen.queryByTestId('error-banner')).toBeNull();
    expect(screen.getByTestId('status-bar').textContent).toContain('plain completion (no chat template)');
  });

  it('a model that fails while another is loaded is the one the banner names; the loaded one is said to stay', async () => {
    const w = installFakeWails();
    w.app.LoadModel.mockResolvedValue(modelInfo({ name: 'story', path: '/models/story.gguf' }));
    render(App);
    await settle();
    await model.load('/models/story.gguf');
    w.app.LoadModel.mockRejectedValue({
      code: 'model_invalid',
      message: 'model file "random.gguf" is not a usable GGUF model: it is not a GGUF file',
    });
    await model.load('/downloads/random.gguf');
    await settle();
    const banner = await screen.findByTestId('error-banner');
    expect(banner.textContent).toContain("Couldn't load random.gguf");
    expect(banner.textContent).not.toContain('story.gguf');
    expect(screen.getByTestId('error-banner-kept').textContent).toBe('story is still loaded.');
    await fireEvent.click(screen.getByText('Try again'));
    expect(w.app.LoadModel).toHaveBeenLastCalledWith('/downloads/random.gguf');
  });
});
