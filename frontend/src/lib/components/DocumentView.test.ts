import { beforeEach, describe, expect, it } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/svelte';
import DocumentView from './DocumentView.svelte';
import { documents } from '../stores/documents.svelte';
import { model } from '../stores/model.svelte';
import {
  citation,
  conversation,
  documentDetail,
  documentInfo,
  installFakeWails,
  message,
  modelInfo,
  passage,
  settle,
  summaryProgress,
  summaryView,
} from '../../test/fakes';

const SUMMARY = 'Revenue grew **fast** [pp. 12–14]. Costs fell [p. 20].\n\n```\nx = [pp. 12–14]\n```';
const CITES = [
  citation({ marker: '[pp. 12–14]', first_chunk: 5, last_chunk: 7, page_start: 12, page_end: 14 }),
  citation({ marker: '[p. 20]', first_chunk: 9, last_chunk: 9, page_start: 20, page_end: 20 }),
];

function setup(detail = documentDetail()) {
  const w = installFakeWails();
  documents.close();
  documents.list = [detail.document];
  documents.running = {};
  model.state = { state: 'ready', model: modelInfo(), path: '/m/tiny.gguf', error: '' };
  w.app.GetDocument.mockResolvedValue(detail);
  render(DocumentView);
  return w;
}

async function openDoc() {
  await documents.open(1);
  await settle();
}

describe('DocumentView', () => {
  beforeEach(() => documents.dispose());

  it('shows the document, its summary with citation buttons, and the coverage line', async () => {
    setup(
      documentDetail({
        document: documentInfo({ id: 1, name: 'q3.pdf', title: 'Quarterly report', pages: 40, size_bytes: 2 * 1024 * 1024 }),
        summaries: [summaryView({ text: SUMMARY, citations: CITES, coverage: 'Covers pages 1–40 of 40' })],
      }),
    );
    await openDoc();
    expect(screen.getByTestId('document-title').textContent).toBe('Quarterly report');
    expect(screen.getByTestId('document-meta').textContent).toBe('q3.pdf · PDF · 40 pages · 2.0 MB');
    const summary = screen.getByTestId('summary');
    expect(summary.querySelector('strong')?.textContent).toBe('fast');
    const buttons = screen.getAllByTestId('citation');
    expect(buttons.map((b) => [b.textContent, b.dataset.first, b.dataset.last])).toEqual([
      ['[pp. 12–14]', '5', '7'],
      ['[p. 20]', '9', '9'],
    ]);
    // The marker in the code block stays text.
    expect(summary.querySelector('pre')?.textContent).toContain('x = [pp. 12–14]');
    expect(screen.getByTestId('coverage').textContent).toBe('Covers pages 1–40 of 40');
    expect(screen.getByTestId('style-brief').getAttribute('aria-pressed')).toBe('true');
    // A complete summary needs no Summarize button.
    expect(screen.queryByTestId('summarize')).toBeNull();
  });

  it('a citation opens its passage in the side panel; Esc and the close button close it', async () => {
    const w = setup(documentDetail({ summaries: [summaryView({ text: SUMMARY, citations: CITES })] }));
    w.app.GetPassage.mockResolvedValue(
      passage({ first_chunk: 5, last_chunk: 7, page_start: 12, page_end: 14, section: 'Revenue', text: 'Line one\n\n    indented line' }),
    );
    await openDoc();
    const cite = screen.getAllByTestId('citation')[0];
    await fireEvent.click(cite);
    await settle();
    expect(w.app.GetPassage).toHaveBeenCalledWith(1, 5, 7);
    const panel = screen.getByTestId('passage');
    expect(screen.getByTestId('passage-title').textContent).toBe('Pages 12–14 · Revenue');
    expect(screen.getByTestId('passage-text').textContent).toBe('Line one\n\n    indented line');
    expect(panel.dataset.first).toBe('5');

    await fireEvent.keyDown(window, { key: 'Escape' });
    expect(screen.queryByTestId('passage')).toBeNull();
    expect(document.activeElement).toBe(cite);

    await fireEvent.click(screen.getAllByTestId('citation')[1]);
    await settle();
    expect(w.app.GetPassage).toHaveBeenLastCalledWith(1, 9, 9);
    await fireEvent.click(screen.getByTestId('passage-close'));
    expect(screen.queryByTestId('passage')).toBeNull();
  });

  it('a passage that cannot be loaded says why', async () => {
    const w = setup(documentDetail({ summaries: [summaryView({ text: SUMMARY, citations: CITES })] }));
    w.app.GetPassage.mockRejectedValue({ code: 'not_found', message: 'no such chunk' });
    await openDoc();
    await fireEvent.click(screen.getAllByTestId('citation')[0]);
    await settle();
    expect(screen.getByTestId('passage').textContent).toContain("Couldn't load this passage: no such chunk");
  });

  it('hostile summary text stays inert', async () => {
    setup(
      documentDetail({
        summaries: [summaryView({ text: '<img src=x onerror=alert(1)><script>alert(1)</script>Fine [pp. 12–14]', citations: CITES })],
      }),
    );
    await openDoc();
    const summary = screen.getByTestId('summary');
    expect(summary.querySelector('img, script')).toBeNull();
    expect(summary.innerHTML).not.toMatch(/onerror/);
    expect(screen.getAllByTestId('citation')).toHaveLength(1);
  });

  it('no summary yet: choose a style and Summarize; progress, then Stop', async () => {
    const w = setup();
    await openDoc();
    expect(screen.getByTestId('summary-empty').textContent).toContain('No brief summary yet');
    await fireEvent.click(screen.getByTestId('style-detailed'));
    expect(screen.getByTestId('style-detailed').getAttribute('aria-pressed')).toBe('true');
    expect(screen.getByTestId('summary-empty').textContent).toContain('No detailed summary yet');

    const running = summaryView({ id: 21, style: 'detailed', status: 'running', pieces_total: 40 });
    w.app.SummarizeDocument.mockResolvedValue(running);
    w.app.GetDocument.mockResolvedValue(documentDetail({ summaries: [running] }));
    await fireEvent.click(screen.getByTestId('summarize'));
    await settle();
    expect(w.app.SummarizeDocument).toHaveBeenCalledWith(1, 'detailed');
    expect(screen.getByTestId('summary-progress').textContent).toContain('0 of 40 steps · estimating…');
    expect(screen.queryByTestId('summarize')).toBeNull();

    w.emit(
      'summary:progress:21',
      summaryProgress({ summary_id: 21, pieces_done: 12, pieces_total: 40, tokens_per_second: 35, eta_seconds: 130 }),
    );
    await settle();
    expect(screen.getByTestId('summary-progress-text').textContent).toBe('12 of 40 steps · 35 tok/s · about 2 min left');
    expect(screen.getByRole('progressbar', { name: 'Summary progress' }).getAttribute('aria-valuenow')).toBe('30');

    await fireEvent.click(screen.getByTestId('summary-stop'));
    expect(w.app.StopSummary).toHaveBeenCalledWith(1);
    expect((screen.getByTestId('summary-stop') as HTMLButtonElement).disabled).toBe(true);

    const canceled = summaryView({ id: 21, style: 'detailed', status: 'canceled', pieces_done: 12, pieces_total: 40 });
    w.emit('summary:progress:21', summaryProgress({ summary_id: 21, status: 'canceled', view: canceled }));
    await settle();
    expect(screen.queryByTestId('summary-progress')).toBeNull();
    expect(screen.getByTestId('summary-status').textContent).toContain('Stopped after 12 of 40 steps');
    expect(screen.getByTestId('summarize').textContent).toContain('Resume');
  });

  it('a partial or failed summary is shown honestly with its error', async () => {
    setup(
      documentDetail({
        summaries: [
          summaryView({
            status: 'partial',
            text: 'Most of it.',
            error: 'pages 41–44 failed: the engine stopped',
            coverage: 'Covers pages 1–40 and 45–113 of 113',
          }),
        ],
      }),
    );
    await openDoc();
    expect(screen.getByTestId('summary-status').textContent).toContain('pages 41–44 failed: the engine stopped');
    expect(screen.getByTestId('summary').dataset.status).toBe('partial');
    expect(screen.getByTestId('coverage').textContent).toContain('45–113');
    expect(screen.getByTestId('summarize').textContent).toContain('Retry');
  });

  it('without a model, Summarize is disabled and says why', async () => {
    setup();
    model.state = { state: 'none', model: null, path: '', error: '' };
    await openDoc();
    expect((screen.getByTestId('summarize') as HTMLButtonElement).disabled).toBe(true);
    expect(screen.getByText(/Load a model/)).toBeTruthy();
  });

  it('asks about the document with AskDocument and shows the answer under the summary', async () => {
    const w = setup();
    await openDoc();
    w.app.AskDocument.mockResolvedValue({
      conversation: conversation({ id: 30, document_id: 1 }),
      user_message: message({ id: 301, conversation_id: 30, role: 'user', content: 'Who wrote it?' }),
      assistant_message: message({ id: 302, conversation_id: 30, role: 'assistant', content: '', status: 'streaming' }),
      stream: 'chat:stream:302',
    });
    const input = screen.getByTestId('ask').querySelector('[data-testid="composer-input"]') as HTMLTextAreaElement;
    expect(input.placeholder).toBe('Ask about this document…');
    await fireEvent.input(input, { target: { value: 'Who wrote it?' } });
    await fireEvent.keyDown(input, { key: 'Enter' });
    await settle();
    expect(w.app.AskDocument).toHaveBeenCalledWith(1, 'Who wrote it?');
    w.emit('chat:stream:302', {
      type: 'done',
      message: message({ id: 302, conversation_id: 30, role: 'assistant', content: 'Ann Smith [p. 1].', status: 'complete' }),
      result: null,
    });
    await settle();
    const answers = screen.getByTestId('ask-messages');
    expect(answers.textContent).toContain('Who wrote it?');
    expect(answers.textContent).toContain('Ann Smith');
    expect(answers.querySelector('.cite')?.textContent).toBe('[p. 1]');
  });

  it('an error opening the document is shown inline, with a retry', async () => {
    const w = setup();
    w.app.GetDocument.mockRejectedValue({ code: 'db', message: 'database is locked' });
    await openDoc();
    expect(screen.getByTestId('document-view').textContent).toContain("Couldn't open this document: database is locked");
    w.app.GetDocument.mockResolvedValue(documentDetail());
    await fireEvent.click(screen.getByText('Try again'));
    await settle();
    expect(screen.getByTestId('summary-empty')).toBeTruthy();
  });

  it('a finished summary can be copied and exported as Markdown; a running one cannot', async () => {
    const w = setup(
      documentDetail({ summaries: [summaryView({ id: 7, text: SUMMARY, citations: CITES, coverage: 'Covers pages 1–40 of 40' })] }),
    );
    w.app.ExportSummary.mockResolvedValue('/home/u/q3-summary.md');
    await openDoc();
    await fireEvent.click(screen.getByTestId('summary-copy'));
    await settle();
    expect(w.runtime.ClipboardSetText).toHaveBeenCalledWith(SUMMARY);
    expect(screen.getByTestId('summary-copy').textContent).toBe('Copied');
    await fireEvent.click(screen.getByTestId('summary-export'));
    await settle();
    expect(w.app.ExportSummary).toHaveBeenCalledWith(7);
  });

  it('a summary still running has no Copy or Export', async () => {
    setup(documentDetail({ summaries: [summaryView({ status: 'running', text: 'Half [p. 20].', citations: CITES })] }));
    await openDoc();
    expect(screen.getByTestId('summary')).toBeTruthy();
    expect(screen.queryByTestId('summary-export')).toBeNull();
    expect(screen.queryByTestId('summary-copy')).toBeNull();
  });

  it('a PDF cut short says how many of its pages could be read', async () => {
    setup(documentDetail({ document: documentInfo({ id: 1, name: 'cut.pdf', pages: 6, pages_announced: 113 }) }));
    await openDoc();
    expect(screen.getByTestId('document-pages-warning').textContent).toBe(
      'Only 6 of the 113 pages this PDF announces could be read; the file may be cut short.',
    );
  });

  it('a PDF whose page tree is lost says so; a whole one says nothing', async () => {
    setup(documentDetail({ document: documentInfo({ id: 1, name: 'cut.pdf', pages: 6, pages_announced: 0, pages_lost: true }) }));
    await openDoc();
    expect(screen.getByTestId('document-pages-warning').textContent).toContain('only the 6 pages found could be read');
    documents.close();
    setup(documentDetail({ document: documentInfo({ id: 1, name: 'whole.pdf', pages: 113, pages_announced: 113 }) }));
    await openDoc();
    expect(screen.queryByTestId('document-pages-warning')).toBeNull();
  });
});
