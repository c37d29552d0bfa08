// pdf.js, for the passage panel's page view. Loaded only when a PDF's page is
// first shown (PdfPage imports this module dynamically): pdf.js is large and
// the window's first paint must not wait for it. Everything it needs is
// bundled: its worker, and the CMaps, standard fonts, image decoders and ICC
// profile that vite.config.ts copies into dist/pdfjs/. Nothing is fetched
// from the network.
import {
  GlobalWorkerOptions,
  PDFDataRangeTransport,
  TextLayer,
  getDocument,
  type PDFDocumentLoadingTask,
  type PDFDocumentProxy,
  type PDFPageProxy,
  type RenderTask,
} from 'pdfjs-dist';
import workerUrl from 'pdfjs-dist/build/pdf.worker.min.mjs?url';
import { ApiError, toApiError } from './api';
import type { DocumentFile } from './types';

GlobalWorkerOptions.workerSrc = workerUrl;

/** A file smaller than this is read in one request; larger ones in the parts pdf.js asks for. */
const WHOLE_BELOW = 512 * 1024;
/** The largest part asked for at once (Go refuses more than 8 MiB). */
const PIECE = 4 * 1024 * 1024;
/** The parts pdf.js asks for, at least. */
const CHUNK = 128 * 1024;

function assetsUrl(dir: string): string {
  return new URL(`pdfjs/${dir}/`, document.baseURI).href;
}

/** Bytes [start, end) of a stored file, from Go's handler (app/document_file.go), in pieces. */
async function readRange(url: string, start: number, end: number, signal: AbortSignal): Promise<Uint8Array> {
  const out = new Uint8Array(end - start);
  for (let at = start; at < end;) {
    const to = Math.min(end, at + PIECE);
    let r: Response;
    try {
      r = await fetch(`${url}?start=${at}&end=${to}`, { signal, cache: 'no-store' });
    } catch (e) {
      throw signal.aborted ? e : new ApiError('unavailable', "Chapel's copy of this PDF could not be read.");
    }
    if (!r.ok) {
      let err: ApiError;
      try {
        err = toApiError(await r.json());
      } catch {
        err = new ApiError('unavailable', "Chapel's copy of this PDF could not be read.");
      }
      throw err;
    }
    const piece = new Uint8Array(await r.arrayBuffer());
    if (piece.length === 0) throw new ApiError('unavailable', "Chapel's copy of this PDF ended early.");
    out.set(piece.subarray(0, to - at), at - start);
    at += piece.length;
  }
  return out;
}

/** pdf.js reads a large file through this: the parts it needs, when it needs them. */
class StoredFileTransport extends PDFDataRangeTransport {
  constructor(
    private readonly url: string,
    length: number,
    private readonly abortController: AbortController,
    private readonly fail: (e: unknown) => void,
  ) {
    super(length, null);
  }

  override requestDataRange(begin: number, end: number): void {
    const signal = this.abortController.signal;
    readRange(this.url, begin, end, signal).then(
      (data) => {
        // A part that arrives after pdf.js gave up on it (the document closed) has no reader left.
        if (!signal.aborted) this.onDataRange(begin, data);
      },
      (e) => {
        if (!signal.aborted) this.fail(e);
      },
    );
  }

  override abort(): void {
    this.abortController.abort();
  }
}

/** An open PDF: pdf.js's document, and how to let it go. */
export interface OpenPdf {
  doc: PDFDocumentProxy;
  /** Why reading the file failed after it opened (pdf.js then stops), or null. */
  error: () => ApiError | null;
  close: () => void;
}

/**
 * Open a document's stored PDF. The promise rejects with an ApiError whose
 * message can be shown as it is (a file gone, a damaged file, …).
 */
export async function openPdf(file: DocumentFile): Promise<OpenPdf> {
  const abort = new AbortController();
  let task: PDFDocumentLoadingTask | undefined;
  let readError: ApiError | null = null;
  let failed: (e: unknown) => void = () => {};
  const failure = new Promise<never>((_, reject) => (failed = reject));
  const close = () => {
    abort.abort();
    void task?.destroy();
  };
  const common = {
    cMapUrl: assetsUrl('cmaps'),
    cMapPacked: true,
    standardFontDataUrl: assetsUrl('standard_fonts'),
    wasmUrl: assetsUrl('wasm'),
    iccUrl: assetsUrl('iccs'),
    isEvalSupported: false,
    enableXfa: false,
  };
  try {
    if (file.size < WHOLE_BELOW) {
      const data = await readRange(file.url, 0, file.size, abort.signal);
      task = getDocument({ ...common, data });
    } else {
      const range = new StoredFileTransport(file.url, file.size, abort, (e) => {
        // A part could not be read: pdf.js would wait for it for ever.
        readError = toApiError(e);
        failed(readError);
        void task?.destroy();
      });
      task = getDocument({ ...common, range, rangeChunkSize: CHUNK, disableAutoFetch: true, disableStream: true });
    }
  } catch (e) {
    throw toApiError(e);
  }
  const loading = task;
  try {
    const doc = await Promise.race([loading.promise, failure]);
    return { doc, close, error: () => readError };
  } catch (e) {
    close();
    throw pdfError(e);
  }
}

/** A pdf.js failure as a sentence. */
export function pdfError(e: unknown): ApiError {
  if (e instanceof ApiError) return e;
  const name = e instanceof Error ? e.name : '';
  if (name === 'PasswordException') return new ApiError('invalid', 'This PDF is protected by a password, so its pages are not shown here.');
  if (name === 'InvalidPDFException') return new ApiError('invalid', "Chapel's copy of this PDF could not be read as a PDF.");
  console.warn('pdf.js:', e); // the details, for the developer tools; the window says a sentence
  return new ApiError('internal', 'The page could not be drawn; the text Chapel read is below.');
}

/** A page drawn on a canvas, with its text laid over it. */
export interface DrawnPage {
  /** The text of each item of the page, in order. */
  items: string[];
  /** The element of each item in the text layer (parallel to items). */
  divs: HTMLElement[];
  width: number;
  height: number;
}

/** The largest canvas drawn, in pixels (a very large page at a high zoom is drawn less sharp). */
const MAX_PIXELS = 16_000_000;

/**
 * Draw page number (1-based) of doc at cssWidth CSS pixels wide onto canvas,
 * and its text layer into textLayer. The render and text layer under way are
 * put in running, for a newer draw to cancel them.
 */
export async function drawPage(
  doc: PDFDocumentProxy,
  number: number,
  cssWidth: number,
  canvas: HTMLCanvasElement,
  textLayer: HTMLElement,
  running: { render?: RenderTask; text?: TextLayer },
): Promise<DrawnPage> {
  const page: PDFPageProxy = await doc.getPage(number);
  const base = page.getViewport({ scale: 1 });
  const scale = cssWidth / base.width;
  const viewport = page.getViewport({ scale });
  const ratio = Math.min(window.devicePixelRatio || 1, Math.sqrt(MAX_PIXELS / (viewport.width * viewport.height)));
  canvas.width = Math.floor(viewport.width * ratio);
  canvas.height = Math.floor(viewport.height * ratio);
  canvas.style.width = `${Math.floor(viewport.width)}px`;
  canvas.style.height = `${Math.floor(viewport.height)}px`;
  const render = page.render({
    canvas,
    viewport,
    transform: ratio !== 1 ? [ratio, 0, 0, ratio, 0, 0] : undefined,
  });
  running.render = render;
  await render.promise;
  textLayer.replaceChildren();
  textLayer.style.setProperty('--total-scale-factor', String(scale));
  const text = new TextLayer({ textContentSource: page.streamTextContent(), container: textLayer, viewport });
  running.text = text;
  await text.render();
  return { items: [...text.textContentItemsStr], divs: [...text.textDivs], width: viewport.width, height: viewport.height };
}

/** Wrap characters [start, end) of a text layer item in a highlight; returns the highlight. */
export function markItem(div: HTMLElement, start: number, end: number): HTMLElement | null {
  const node = div.firstChild;
  if (!node || node.nodeType !== Node.TEXT_NODE) return null;
  const text = node.textContent ?? '';
  const mark = document.createElement('span');
  mark.className = 'pdf-highlight';
  mark.dataset.testid = 'pdf-highlight';
  mark.textContent = text.slice(start, end);
  div.replaceChildren(text.slice(0, start), mark, text.slice(end));
  return mark;
}
