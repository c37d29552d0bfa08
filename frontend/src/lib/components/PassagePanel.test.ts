import { beforeEach, describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/svelte';
import PassagePanel from './PassagePanel.svelte';
import { documents } from '../stores/documents.svelte';
import { passageSource as sourceStore } from '../stores/passage-source.svelte';
import { documentDetail, documentInfo, installFakeWails, passage, passageSource, settle } from '../../test/fakes';

async function open(format: string, source: ReturnType<typeof passageSource>) {
  const w = installFakeWails();
  documents.close();
  sourceStore.clear();
  const detail = documentDetail({ document: documentInfo({ id: 1, format }) });
  documents.list = [detail.document];
  w.app.GetDocument.mockResolvedValue(detail);
  w.app.GetPassage.mockResolvedValue(passage({ first_chunk: 5, last_chunk: 5, text: 'The cited passage.' }));
  w.app.GetPassageSource.mockResolvedValue(source);
  render(PassagePanel, { onclose: () => {} });
  await documents.open(1);
  await documents.showPassage(5, 5);
  await settle();
  return w;
}

describe('PassagePanel', () => {
  beforeEach(() => documents.dispose());

  it('shows the text around a passage of a text document, the passage marked', async () => {
    const w = await open(
      'markdown',
      passageSource({
        first_chunk: 5,
        last_chunk: 5,
        before: 'What came before. ',
        text: 'The cited passage.',
        after: ' What comes after.',
      }),
    );
    expect(w.app.GetPassageSource).toHaveBeenCalledWith(1, 5, 5);
    const mark = screen.getByTestId('passage-text');
    expect(mark.tagName).toBe('MARK');
    expect(mark.textContent).toBe('The cited passage.');
    expect(screen.getByTestId('passage-context').textContent).toContain('What came before. The cited passage. What comes after.');
    expect(screen.queryByTestId('pdf-view')).toBeNull();
  });

  it("says why a PDF's page cannot be shown, and shows its text", async () => {
    const reason = "Chapel's copy of this PDF is no longer in its documents folder, so the page can't be shown.";
    await open(
      'pdf',
      passageSource({
        format: 'pdf',
        first_chunk: 5,
        last_chunk: 5,
        file: { available: false, reason, size: 0, url: '' },
        pages: [{ page: 12, text: 'The cited passage.' }],
      }),
    );
    expect(screen.getByTestId('pdf-unavailable').textContent).toBe(reason);
    expect(screen.getByTestId('passage-text').textContent).toBe('The cited passage.');
    expect(screen.queryByTestId('pdf-view')).toBeNull();
  });

  it('shows the passage alone when its surroundings cannot be read', async () => {
    const w = installFakeWails();
    w.app.GetPassageSource.mockRejectedValue({ code: 'internal', message: 'no' });
    documents.close();
    sourceStore.clear();
    const detail = documentDetail({ document: documentInfo({ id: 1, format: 'markdown' }) });
    documents.list = [detail.document];
    w.app.GetDocument.mockResolvedValue(detail);
    w.app.GetPassage.mockResolvedValue(passage({ first_chunk: 2, last_chunk: 2, text: 'Only the passage.' }));
    render(PassagePanel, { onclose: () => {} });
    await documents.open(1);
    await documents.showPassage(2, 2);
    await settle();
    expect(screen.getByTestId('passage-text').textContent).toBe('Only the passage.');
    expect(screen.getByTestId('passage-text').tagName).toBe('DIV');
  });
});
