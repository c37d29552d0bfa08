import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/svelte';
import App from '../../App.svelte';
import { documents } from '../stores/documents.svelte';
import { conversation, documentDetail, documentInfo, ingestEvent, installFakeWails, message, modelInfo, settle } from '../../test/fakes';

function setup() {
  const w = installFakeWails();
  w.app.ModelState.mockResolvedValue({ state: 'ready', model: modelInfo(), path: '/m/tiny.gguf', error: '' });
  w.app.ListConversations.mockResolvedValue([
    conversation({ id: 1, title: 'Plain chat', updated_at: 200 }),
    conversation({ id: 2, title: 'About the report', document_id: 5, updated_at: 100 }),
  ]);
  w.app.GetConversation.mockImplementation(async (id: number) => ({
    conversation: conversation({ id }),
    messages: [message({ id: id * 10, conversation_id: id, role: 'assistant', content: 'It says so [p. 3].' })],
  }));
  w.app.ListDocuments.mockResolvedValue([
    documentInfo({ id: 5, name: 'report.pdf', pages: 12, created_at: 300 }),
    documentInfo({ id: 6, name: 'notes.md', format: 'markdown', pages: 0, created_at: 200 }),
  ]);
  w.app.GetDocument.mockImplementation(async (id: number) =>
    documentDetail({ document: documentInfo({ id, name: id === 5 ? 'report.pdf' : 'notes.md' }) }),
  );
  render(App);
  return w;
}

describe('documents in the app', () => {
  it('the sidebar lists documents with their page counts', async () => {
    setup();
    await settle();
    const rows = await screen.findAllByTestId('document-item');
    expect(
      rows.map((r) => [
        r.dataset.id,
        within(r).getByTestId('document-name').textContent,
        within(r).getByTestId('document-pages').textContent,
      ]),
    ).toEqual([
      ['5', 'report.pdf', 'PDF · 12 pages'],
      ['6', 'notes.md', 'Markdown'],
    ]);
  });

  it('selecting a document shows its view instead of the chat; selecting a conversation goes back', async () => {
    const w = setup();
    await settle();
    expect(screen.getByTestId('message-list')).toBeTruthy();
    const row = (await screen.findAllByTestId('document-item'))[0];
    await fireEvent.click(within(row).getByTestId('document-name'));
    await settle();
    expect(w.app.GetDocument).toHaveBeenCalledWith(5);
    expect(screen.getByTestId('document-view').dataset.id).toBe('5');
    expect(screen.queryByTestId('message-list')).toBeNull();
    expect(row.querySelector('[aria-current="true"]')).not.toBeNull();

    const conv = screen.getAllByTestId('conversation-item').find((c) => c.dataset.id === '1')!;
    await fireEvent.click(within(conv).getByText('Plain chat'));
    await settle();
    expect(screen.queryByTestId('document-view')).toBeNull();
    expect(screen.getByTestId('message-list')).toBeTruthy();
    expect(documents.openId).toBeNull();
  });

  it('Add documents opens the dialog, then ingests; the progress panel cancels', async () => {
    const w = setup();
    await settle();
    w.app.PickDocuments.mockResolvedValue(['/home/me/a.pdf']);
    w.app.IngestFiles.mockResolvedValue({ job: 9, stream: 'documents:ingest:9' });
    await fireEvent.click(screen.getByTestId('add-documents'));
    await settle();
    expect(w.app.IngestFiles).toHaveBeenCalledWith(['/home/me/a.pdf']);
    const panel = screen.getByTestId('ingest-progress');
    expect(panel.textContent).toContain('Starting…');
    w.emit(
      'documents:ingest:9',
      ingestEvent({ job: 9, file: '/home/me/a.pdf', files: 1, phase: 'extracting', pages_done: 2, pages_total: 8 }),
    );
    await settle();
    const file = screen.getByTestId('ingest-file');
    expect(file.dataset.phase).toBe('extracting');
    expect(file.textContent).toContain('a.pdf');
    expect(within(file).getByRole('progressbar').getAttribute('aria-valuenow')).toBe('25');
    await fireEvent.click(screen.getByTestId('ingest-cancel'));
    expect(w.app.CancelIngest).toHaveBeenCalledWith(9);
    w.emit('documents:ingest:9', { job: 9, phase: 'finished', documents: [], failures: [] });
    await settle();
    expect(screen.queryByTestId('ingest-progress')).toBeNull();
  });

  it('finishing an ingest opens the new document and toasts failures', async () => {
    const w = setup();
    await settle();
    w.app.IngestFiles.mockResolvedValue({ job: 3, stream: 'documents:ingest:3' });
    w.drop(['/docs/report.pdf', '/docs/notes.xyz']);
    await settle();
    w.emit('documents:ingest:3', {
      job: 3,
      phase: 'finished',
      documents: [documentInfo({ id: 6 })],
      failures: [{ file: '/docs/notes.xyz', error: "Chapel can't read .xyz files yet" }],
    });
    await settle();
    expect(screen.getByTestId('document-view').dataset.id).toBe('6');
    const toasts = screen.getAllByTestId('toast').map((t) => t.textContent?.trim());
    expect(toasts).toContain("notes.xyz: Chapel can't read .xyz files yet");
  });

  it('deleting a document asks first', async () => {
    const w = setup();
    await settle();
    const row = (await screen.findAllByTestId('document-item'))[1];
    await fireEvent.click(within(row).getByTestId('delete-document'));
    expect(screen.getByRole('alertdialog').textContent).toContain('notes.md');
    await fireEvent.click(screen.getByTestId('confirm-delete'));
    await settle();
    expect(w.app.DeleteDocument).toHaveBeenCalledWith(6);
    expect(screen.getAllByTestId('document-item').map((r) => r.dataset.id)).toEqual(['5']);
  });

  it('a conversation about a document names it; its citations open the document', async () => {
    const w = setup();
    await settle();
    const plain = screen.getAllByTestId('conversation-item').find((c) => c.dataset.id === '1')!;
    await fireEvent.click(within(plain).getByText('Plain chat'));
    await settle();
    expect(screen.queryByTestId('document-chat-bar')).toBeNull();
    // In a plain chat a marker is a badge that does nothing.
    await fireEvent.click(screen.getByTestId('message-list').querySelector('.cite')!);
    await settle();
    expect(documents.openId).toBeNull();

    const about = screen.getAllByTestId('conversation-item').find((c) => c.dataset.id === '2')!;
    await fireEvent.click(within(about).getByText('About the report'));
    await settle();
    expect(screen.getByTestId('document-chat-bar').textContent).toContain('report.pdf');
    await fireEvent.click(screen.getByTestId('message-list').querySelector('.cite')!);
    await settle();
    expect(w.app.GetDocument).toHaveBeenCalledWith(5);
    expect(screen.getByTestId('document-view').dataset.id).toBe('5');
  });
});
