import { describe, expect, it, vi } from 'vitest';
import { IngestStore, failureText, fileFraction, jobTitle, phaseLabel, skippedText } from './ingest.svelte';
import { DocumentsStore } from './documents.svelte';
import { ConversationsStore } from './conversations.svelte';
import { ToastStore } from './toasts.svelte';
import { documentInfo, ingestEvent, installFakeWails, settle, afterDispatch } from '../../test/fakes';

function setup(cancelGraceMs = 10_000) {
  const w = installFakeWails();
  const notify = new ToastStore();
  const documents = new DocumentsStore({ conversations: new ConversationsStore(notify), notify });
  const store = new IngestStore({ documents, notify, cancelGraceMs });
  w.app.IngestFiles.mockResolvedValue({ job: 4, stream: 'documents:ingest:4' });
  return { w, notify, documents, store };
}

const STREAM = 'documents:ingest:4';

describe('ingest store', () => {
  it('add starts a job and subscribes to its stream', async () => {
    const { w, store } = setup();
    expect(await store.add(['/docs/a.pdf', '', '/docs/folder'])).toBe(true);
    expect(w.app.IngestFiles).toHaveBeenCalledWith(['/docs/a.pdf', '/docs/folder']);
    expect(w.runtime.EventsOn).toHaveBeenCalledWith(STREAM, expect.any(Function));
    expect(store.jobs).toHaveLength(1);
    expect(store.jobs[0]).toMatchObject({ job: 4, files: [], canceling: false });
    expect(jobTitle(store.jobs[0])).toBe('Adding a document');
  });

  it('a job that finished before the subscription is caught up from IngestState', async () => {
    const { w, store, documents } = setup();
    w.app.IngestState.mockResolvedValue([
      ingestEvent({ job: 4, file: '/docs/a.md', files: 1, phase: 'done', document: documentInfo({ id: 7 }) }),
      { job: 4, phase: 'finished', documents: [documentInfo({ id: 7 })], failures: [] },
    ]);
    w.app.ListDocuments.mockResolvedValue([documentInfo({ id: 7 })]);
    w.app.GetDocument.mockResolvedValue({ document: documentInfo({ id: 7 }), sections: [], summaries: [] });
    await store.add(['/docs/a.md']);
    await settle();
    expect(w.app.IngestState).toHaveBeenCalledWith(4);
    expect(store.jobs).toEqual([]);
    expect(documents.openId).toBe(7);
  });

  it('nothing to add does not call Go', async () => {
    const { w, store } = setup();
    expect(await store.add([])).toBe(false);
    expect(w.app.IngestFiles).not.toHaveBeenCalled();
  });

  it('events become per-file phase and progress', async () => {
    const { w, store } = setup();
    await store.add(['/docs']);
    w.emit(STREAM, ingestEvent({ job: 4, file: '/docs/a.pdf', index: 0, files: 3, phase: 'reading', bytes_done: 50, bytes_total: 200 }));
    let f = store.jobs[0].files[0];
    expect(f).toMatchObject({ name: 'a.pdf', phase: 'reading', done: 50, total: 200 });
    expect(fileFraction(f)).toBe(0.25);
    expect(phaseLabel(f)).toBe('Reading');
    expect(jobTitle(store.jobs[0])).toBe('Adding 1 of 3 files');

    w.emit(
      STREAM,
      ingestEvent({ job: 4, file: '/docs/a.pdf', files: 3, phase: 'extracting', pages_done: 3, pages_total: 4, bytes_total: 200 }),
    );
    f = store.jobs[0].files[0];
    expect(f).toMatchObject({ phase: 'extracting', done: 3, total: 4 });
    expect(phaseLabel(f)).toBe('Extracting text');

    w.emit(STREAM, ingestEvent({ job: 4, file: '/docs/a.pdf', files: 3, phase: 'done', document: documentInfo({ id: 1 }) }));
    w.emit(STREAM, ingestEvent({ job: 4, file: '/docs/notes.xyz', files: 3, phase: 'failed', error: "Chapel can't read .xyz files yet" }));
    w.emit(STREAM, ingestEvent({ job: 4, file: '/docs/b.md', files: 3, phase: 'indexing' }));
    expect(store.jobs[0].files.map((x) => [x.name, x.phase])).toEqual([
      ['a.pdf', 'done'],
      ['notes.xyz', 'failed'],
      ['b.md', 'indexing'],
    ]);
    expect(fileFraction(store.jobs[0].files[0])).toBe(1);
    expect(fileFraction(store.jobs[0].files[2])).toBeNull();
    expect(jobTitle(store.jobs[0])).toBe('Adding 3 of 3 files');
  });

  it('finished: refresh the list, a toast per failure, and open the first new document', async () => {
    const { w, store, documents, notify } = setup();
    await store.add(['/docs']);
    w.emit(STREAM, ingestEvent({ job: 4, file: '/docs/notes.xyz', files: 2, phase: 'failed', error: "Chapel can't read .xyz files yet" }));
    w.app.ListDocuments.mockResolvedValue([documentInfo({ id: 12, name: 'a.pdf' })]);
    w.app.GetDocument.mockResolvedValue({ document: documentInfo({ id: 12 }), sections: [], summaries: [] });
    w.emit(STREAM, {
      job: 4,
      phase: 'finished',
      documents: [documentInfo({ id: 12, name: 'a.pdf' })],
      failures: [
        { file: '/docs/notes.xyz', error: "Chapel can't read .xyz files yet" },
        { file: '/docs/broken.pdf', error: 'broken.pdf: the file is damaged' },
      ],
    });
    await settle();
    expect(store.jobs).toEqual([]);
    await afterDispatch();
    expect(w.subscribed(STREAM)).toBe(0);
    expect(w.app.ListDocuments).toHaveBeenCalled();
    expect(documents.list.map((d) => d.id)).toEqual([12]);
    expect(documents.openId).toBe(12);
    expect(w.app.GetDocument).toHaveBeenCalledWith(12);
    expect(notify.items.filter((t) => t.kind === 'error').map((t) => t.text)).toEqual([
      "notes.xyz: Chapel can't read .xyz files yet",
      'broken.pdf: the file is damaged',
    ]);
  });

  it('many failures: three toasts and a count of the rest', async () => {
    const { w, store, notify } = setup();
    await store.add(['/docs']);
    const failures = ['a', 'b', 'c', 'd', 'e'].map((n) => ({ file: `/docs/${n}.xyz`, error: 'unsupported' }));
    w.emit(STREAM, { job: 4, phase: 'finished', documents: [], failures });
    await settle();
    expect(notify.items.map((t) => t.text)).toEqual([
      'a.xyz: unsupported',
      'b.xyz: unsupported',
      'c.xyz: unsupported',
      "2 more files couldn't be added",
    ]);
  });

  it.each([
    {
      name: 'one file left out beside a document',
      added: 1,
      skipped: [{ file: '/docs/ls', error: "Chapel can't read files of this kind yet" }],
      want: ["Left out ls (Chapel can't read files of this kind yet)"],
    },
    {
      name: 'a folder of nothing Chapel reads',
      added: 0,
      skipped: [
        { file: '/d/a.o', error: 'x' },
        { file: '/d/b.bin', error: 'x' },
      ],
      want: ["No documents were found to add. Left out 2 files Chapel doesn't read: a.o and b.bin"],
    },
    {
      name: 'many left out',
      added: 2,
      skipped: ['a', 'b', 'c', 'd', 'e'].map((n) => ({ file: `/d/${n}.o`, error: 'x' })),
      want: ['Added 2 documents', "Left out 5 files Chapel doesn't read: a.o, b.o, c.o and 2 more"],
    },
  ])('finished with files left out of a folder: $name', async ({ added, skipped, want }) => {
    const { w, store, notify } = setup();
    await store.add(['/docs']);
    const docs = Array.from({ length: added }, (_, i) => documentInfo({ id: 20 + i }));
    w.app.ListDocuments.mockResolvedValue(docs);
    w.app.GetDocument.mockResolvedValue({ document: documentInfo({ id: 20 }), sections: [], summaries: [] });
    w.emit(STREAM, { job: 4, phase: 'finished', documents: docs, failures: [], skipped });
    await settle();
    expect(notify.items.map((t) => t.text).sort()).toEqual([...want].sort());
  });

  it.each([
    { name: 'both new', dupes: [] as string[], want: ['Added 2 documents'] },
    {
      name: 'both already there',
      dupes: ['/d/a.md', '/d/b.md'],
      want: ['a.md is already in your documents', 'b.md is already in your documents'],
    },
    { name: 'one of three already there', dupes: ['/d/a.md'], want: ['Added 2 documents', 'a.md is already in your documents'] },
  ])('a folder dropped again: $name', async ({ dupes, want }) => {
    const { w, store, notify } = setup();
    await store.add(['/d']);
    const files = dupes.length === 1 ? ['/d/a.md', '/d/b.md', '/d/c.md'] : ['/d/a.md', '/d/b.md'];
    const docs = files.map((f, i) => documentInfo({ id: 30 + i, name: f.slice(3) }));
    for (const [i, f] of files.entries()) {
      w.emit(STREAM, ingestEvent({ job: 4, file: f, files: files.length, phase: 'done', document: docs[i], duplicate: dupes.includes(f) }));
    }
    w.app.ListDocuments.mockResolvedValue(docs);
    w.app.GetDocument.mockResolvedValue({ document: docs[0], sections: [], summaries: [] });
    w.emit(STREAM, { job: 4, phase: 'finished', documents: docs, failures: [] });
    await settle();
    expect(notify.items.map((t) => t.text).sort()).toEqual([...want].sort());
  });

  it('skippedText counts the files past those named', () => {
    expect(
      skippedText(
        [
          { file: '/t/a.o', error: 'x' },
          { file: '/t/b.o', error: 'x' },
        ],
        false,
        5000,
      ),
    ).toBe("Left out 5,002 files Chapel doesn't read: a.o, b.o and 5,000 more");
  });

  it('skippedText names each file once', () => {
    expect(skippedText([{ file: 'C:\\d\\x.o', error: '' }], false)).toBe("Left out x.o (Chapel can't read it)");
  });

  it('a duplicate gets an info toast once', async () => {
    const { w, store, notify } = setup();
    await store.add(['/docs/a.pdf']);
    const ev = ingestEvent({ job: 4, file: '/docs/a.pdf', files: 1, phase: 'done', duplicate: true, document: documentInfo({ id: 2 }) });
    w.emit(STREAM, ev);
    w.emit(STREAM, ev);
    expect(notify.items).toEqual([expect.objectContaining({ kind: 'info', text: 'a.pdf is already in your documents' })]);
    expect(phaseLabel(store.jobs[0].files[0])).toBe('Already added');
  });

  it('an empty result says so', async () => {
    const { w, store, notify, documents } = setup();
    await store.add(['/empty']);
    w.emit(STREAM, { job: 4, phase: 'finished', documents: [], failures: [] });
    await settle();
    expect(notify.items[0].text).toBe('No documents were found to add');
    expect(documents.openId).toBeNull();
  });

  it('cancel calls CancelIngest; "finished" then closes the job without opening anything', async () => {
    const { w, store, notify, documents } = setup();
    await store.add(['/docs']);
    await store.cancel(4);
    expect(w.app.CancelIngest).toHaveBeenCalledWith(4);
    expect(store.jobs[0].canceling).toBe(true);
    expect(jobTitle(store.jobs[0])).toBe('Canceling…');
    await store.cancel(4);
    expect(w.app.CancelIngest).toHaveBeenCalledTimes(1);
    w.emit(STREAM, { job: 4, phase: 'finished', documents: [documentInfo({ id: 3 })], failures: [] });
    await settle();
    expect(store.jobs).toEqual([]);
    expect(documents.openId).toBeNull();
    expect(notify.items[0].text).toBe('Stopped adding documents; 1 added');
  });

  it('a canceled job whose "finished" never comes is let go after a grace period', async () => {
    vi.useFakeTimers();
    try {
      const { w, store } = setup(1000);
      await store.add(['/docs']);
      await store.cancel(4);
      vi.advanceTimersByTime(1000);
      expect(store.jobs).toEqual([]);
      await afterDispatch();
      expect(w.subscribed(STREAM)).toBe(0);
      expect(w.app.ListDocuments).toHaveBeenCalled();
    } finally {
      vi.useRealTimers();
    }
  });

  it('pick opens the dialog, then ingests the choice; cancelling the dialog does nothing', async () => {
    const { w, store } = setup();
    w.app.PickDocuments.mockResolvedValueOnce(['/home/me/a.pdf', '/home/me/b.docx']);
    expect(await store.pick()).toBe(true);
    expect(w.app.IngestFiles).toHaveBeenCalledWith(['/home/me/a.pdf', '/home/me/b.docx']);
    w.app.PickDocuments.mockResolvedValueOnce(null);
    expect(await store.pick()).toBe(false);
    expect(w.app.IngestFiles).toHaveBeenCalledTimes(1);
  });

  it('a failed start is a toast', async () => {
    const { w, store, notify } = setup();
    w.app.IngestFiles.mockRejectedValue({ code: 'io', message: 'permission denied' });
    expect(await store.add(['/root/x.pdf'])).toBe(false);
    expect(notify.items[0].text).toBe("Couldn't add the documents: permission denied");
    expect(store.jobs).toEqual([]);
  });

  it('failureText shows the file name once', () => {
    expect(failureText({ file: '/a/notes.xyz', error: "Chapel can't read .xyz files yet" })).toBe(
      "notes.xyz: Chapel can't read .xyz files yet",
    );
    expect(failureText({ file: '/a/notes.xyz', error: "notes.xyz: Chapel can't read .xyz files yet" })).toBe(
      "notes.xyz: Chapel can't read .xyz files yet",
    );
    expect(failureText({ file: '/a/notes.xyz', error: '/a/notes.xyz: unreadable' })).toBe('notes.xyz: unreadable');
  });
});
