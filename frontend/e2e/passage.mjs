// Browser steps: the passage panel shows a PDF's page itself, drawn by pdf.js
// from Chapel's copy of the file (the original is deleted first), with the
// cited text highlighted on it; pages turn by button and by key; a large PDF
// (../shared/corpus/R-intro.pdf, when there) is read in parts; a text
// document's passage is shown marked inside the text around it.
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { axeCheck } from './tree.mjs';

// onePDF writes a PDF of one page per entry of pages (each a list of lines) in
// Helvetica; pad adds that many bytes of an unused stream after each page's
// contents. The page objects come first, as in most large PDFs, so a reader
// finds a page without reading the pages before it.
function onePDF(pages, pad = 0) {
  const n = pages.length;
  const objs = [null, '<< /Type /Catalog /Pages 2 0 R >>', '', '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>'];
  const kids = [];
  const body = [];
  pages.forEach((lines, i) => {
    const stream = `BT /F1 11 Tf 14 TL 60 750 Td ${lines.map((l) => `(${l}) Tj T*`).join(' ')} ET`;
    const contents = 4 + n + body.length;
    kids.push(`${4 + i} 0 R`);
    objs.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${contents} 0 R >>`);
    body.push(`<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`);
    if (pad) body.push(`<< /Length ${pad} >>\nstream\n${'%'.repeat(pad)}\nendstream`);
  });
  objs.push(...body);
  objs[2] = `<< /Type /Pages /Kids [${kids.join(' ')}] /Count ${n} >>`;
  let pdf = '%PDF-1.4\n';
  const offsets = [];
  for (let i = 1; i < objs.length; i++) {
    offsets[i] = pdf.length;
    pdf += `${i} 0 obj\n${objs[i]}\nendobj\n`;
  }
  const xref = pdf.length;
  pdf += `xref\n0 ${objs.length}\n0000000000 65535 f \n${offsets.slice(1).map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  return pdf + `trailer\n<< /Size ${objs.length} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
}

// A page of plain sentences about a topic; the line at `at` names the `word` searched for.
function pageLines(topic, word, at) {
  const lines = [];
  for (let i = 0; i < 44; i++) {
    lines.push(i === at ? `The ${word} of the ${topic} was counted on this line.` : `Line ${i + 1} tells of the ${topic} and its long history here.`);
  }
  return lines;
}

// drop hands a file to the app as a drop on the window, and waits for its document to open.
async function drop(page, path, name) {
  await page.evaluate((p) => window.WailsInvoke(`DD:400:300:${p}`), path);
  await page.locator('[data-testid="document-view"]').filter({ hasText: name }).waitFor({ timeout: 60000 });
}

// openHit searches (Ctrl+K) for query and opens the first passage hit of the document named name.
async function openHit(page, query, name) {
  await page.keyboard.press('Control+k');
  await page.getByTestId('search-dialog').waitFor({ timeout: 5000 });
  await page.getByTestId('search-input').fill(query);
  const hit = page.locator('[data-testid="search-hit"][data-kind="passage"]').filter({ hasText: name }).first();
  await hit.waitFor({ timeout: 10000 });
  await hit.click();
  await page.getByTestId('passage').waitFor({ timeout: 10000 });
}

// drawnPage waits for the page view to draw page n, and returns how many of its pixels are dark.
async function drawnPage(page, n) {
  await page.locator(`[data-testid="pdf-canvas"][data-drawn="true"][data-page="${n}"]`).waitFor({ timeout: 30000 });
  return page.evaluate(() => {
    const c = document.querySelector('[data-testid="pdf-canvas"]');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let dark = 0;
    for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] < 300) dark++;
    return { dark, width: c.width, height: c.height };
  });
}

export async function passageSteps({ page, step, out, root }) {
  const dir = join(out, 'passage-files');
  mkdirSync(dir, { recursive: true });

  step('passage of a PDF whose original is gone: its page is drawn from Chapel\'s copy, the cited text highlighted');
  const pdfPath = join(dir, 'wildlife survey.pdf');
  writeFileSync(pdfPath, onePDF([pageLines('valley', 'heron', 5), pageLines('forest', 'quokka', 20), pageLines('river', 'otter', 30)]), 'latin1');
  await drop(page, pdfPath, 'wildlife survey.pdf');
  rmSync(pdfPath); // what the user dropped is moved or deleted: the page view does not need it
  await openHit(page, 'quokka', 'wildlife survey.pdf');
  await page.getByTestId('pdf-view').waitFor({ timeout: 20000 });
  const cited = Number(await page.locator('[data-testid="pdf-canvas"]').getAttribute('data-page'));
  const first = await drawnPage(page, cited);
  if (first.dark < 500) throw new Error(`page ${cited} looks blank: ${JSON.stringify(first)}`);
  const marks = page.getByTestId('pdf-highlight');
  await marks.first().waitFor({ timeout: 10000 });
  const marked = (await marks.allInnerTexts()).join(' ');
  if (!/\w{3,}/.test(marked)) throw new Error(`the highlight holds no text: ${JSON.stringify(marked)}`);
  const passageText = await page.getByTestId('passage-text').innerText();
  const words = marked.split(/\s+/).filter((w) => w.length > 3);
  if (!words.some((w) => passageText.includes(w))) throw new Error(`highlighted ${JSON.stringify(marked.slice(0, 120))} is not from the passage`);
  console.log(`    page ${cited} drawn (${first.width}×${first.height} px, ${first.dark} dark), ${await marks.count()} highlighted runs`);
  await page.screenshot({ path: join(out, 'browser-passage-pdf.png') });
  await axeCheck(page, step, 'the passage panel with a PDF page');

  step('turn the page with the buttons and the keyboard, zoom in and fit the width again');
  const other = cited < 3 ? cited + 1 : cited - 1;
  await page.getByTestId(cited < 3 ? 'pdf-next' : 'pdf-prev').click();
  await drawnPage(page, other);
  await page.getByTestId('pdf-sheet').focus();
  await page.keyboard.press(cited < 3 ? 'PageUp' : 'PageDown');
  await drawnPage(page, cited);
  await marks.first().waitFor({ timeout: 10000 });
  const fit = (await page.locator('[data-testid="pdf-canvas"]').boundingBox()).width;
  await page.keyboard.press('+');
  const wider = (w) => document.querySelector('[data-testid="pdf-canvas"][data-drawn="true"]')?.getBoundingClientRect().width > w + 20;
  await page.waitForFunction(wider, fit, { timeout: 20000 });
  await page.getByTestId('pdf-fit').click();
  const fits = (w) => Math.abs(document.querySelector('[data-testid="pdf-canvas"][data-drawn="true"]')?.getBoundingClientRect().width - w) < 2;
  await page.waitForFunction(fits, fit, { timeout: 20000 });
  await page.getByTestId('passage-close').click();

  step('a large PDF is read in the parts its page needs, not whole');
  const bigPath = join(dir, 'atlas of animals.pdf');
  const animals = Array.from({ length: 40 }, (_, i) => pageLines(`region ${i + 1}`, i === 29 ? 'pangolin' : 'sparrow', 10));
  writeFileSync(bigPath, onePDF(animals, 60000), 'latin1');
  await drop(page, bigPath, 'atlas of animals.pdf');
  const bigParts = [];
  const onBig = (r) => {
    const m = r.url().match(/\/chapel-document\/\d+\?start=(\d+)&end=(\d+)/);
    if (m) bigParts.push(Number(m[2]) - Number(m[1]));
  };
  page.on('request', onBig);
  await openHit(page, 'pangolin', 'atlas of animals.pdf');
  const bigDrawn = await drawnPage(page, 30);
  page.off('request', onBig);
  const bigSize = statSync(bigPath).size;
  const bigRead = bigParts.reduce((a, b) => a + b, 0);
  console.log(`    page 30 drawn (${bigDrawn.dark} dark px) from ${bigParts.length} parts: ${bigRead} of ${bigSize} bytes read`);
  if (!bigParts.length || bigRead > bigSize / 2) throw new Error(`${bigRead} of ${bigSize} bytes were read for one page`);
  await page.getByTestId('pdf-highlight').first().waitFor({ timeout: 10000 });
  await page.getByTestId('passage-close').click();

  const corpus = join(root, '..', 'shared', 'corpus');
  const book = join(corpus, 'R-intro.pdf');
  if (existsSync(book)) {
    step('a real PDF (R-intro.pdf, 113 pages): the cited page is drawn, read in parts, and the passage highlighted on it');
    const copy = join(dir, 'R-intro.pdf');
    copyFileSync(book, copy);
    await drop(page, copy, 'R-intro.pdf');
    const parts = [];
    const onRequest = (r) => {
      const m = r.url().match(/\/chapel-document\/\d+\?start=(\d+)&end=(\d+)/);
      if (m) parts.push([Number(m[1]), Number(m[2])]);
    };
    page.on('request', onRequest);
    await openHit(page, 'recursive numerical integration', 'R-intro.pdf');
    const n = Number(await page.locator('[data-testid="pdf-canvas"]').getAttribute('data-page'));
    const drawn = await drawnPage(page, n);
    page.off('request', onRequest);
    const size = statSync(book).size;
    const read = parts.reduce((s, [a, b]) => s + (b - a), 0);
    console.log(`    page ${n} drawn (${drawn.dark} dark px) from ${parts.length} parts, ${read} of ${size} bytes: ${parts.map(([a, b]) => `${a}–${b}`).join(', ')}`);
    if (drawn.dark < 500) throw new Error(`page ${n} looks blank`);
    if (!parts.length || parts.some(([a, b]) => b - a >= size)) throw new Error(`the file was not read in parts: ${JSON.stringify(parts)}`);
    const found = await page.getByTestId('pdf-highlight').count();
    const missed = await page.getByTestId('pdf-not-found').count();
    console.log(`    ${found} highlighted runs${missed ? ' (the text was not matched on the page)' : ''}`);
    if (!found) throw new Error('the passage is not highlighted on the page of R-intro.pdf');
    await page.screenshot({ path: join(out, 'browser-passage-book.png') });
    await page.getByTestId('passage-close').click();
  } else {
    console.log(`    (skipped the large PDF: ${book} is absent)`);
  }

  step('passage of a text document: the text around it, the passage marked and scrolled into view');
  const md = join(dir, 'garden notes.md');
  const paras = [];
  for (let s = 1; s <= 6; s++) {
    paras.push(`# Bed ${s}\n`);
    for (let i = 0; i < 8; i++) {
      paras.push(
        s === 5 && i === 4
          ? 'The wombat dug under the fence of bed five and ate the young carrots, so a stone edge was laid along it.\n'
          : `Bed ${s} paragraph ${i + 1}: the soil was turned and watered, and the seedlings were thinned by hand again.\n`,
      );
    }
  }
  writeFileSync(md, paras.join('\n'));
  await drop(page, md, 'garden notes.md');
  await openHit(page, 'wombat', 'garden notes.md');
  const mark = page.locator('mark[data-testid="passage-text"]');
  await mark.waitFor({ timeout: 10000 });
  if (!/wombat/.test(await mark.innerText())) throw new Error('the marked passage is not the hit');
  const context = await page.getByTestId('passage-context').innerText();
  if (context.length <= (await mark.innerText()).length) throw new Error('no text around the passage');
  const [m, body] = await Promise.all([mark.boundingBox(), page.locator('[data-testid="passage"] .body').boundingBox()]);
  if (m.y + Math.min(m.height, 40) > body.y + body.height || m.y < body.y - 1) throw new Error(`the passage is not scrolled into view: ${JSON.stringify({ m, body })}`);
  await page.waitForTimeout(300); // the panel's slide-in, for the screenshot only
  await page.screenshot({ path: join(out, 'browser-passage-text.png') });
  await axeCheck(page, step, 'the passage panel with a text document');
  await narrowSteps(page, step, out);
  await page.getByTestId('passage-close').click();
}

// narrowSteps checks the narrow window's layout with a passage open: the
// passage over the document stops above the Ask box, the sidebar drawer
// gives the conversations their share, the shortcut list's columns line up.
async function narrowSteps(page, step, out) {
  const size = page.viewportSize();
  const box = (id) => page.getByTestId(id).boundingBox();
  step('a narrow window: the passage lies over the document but stops above the Ask box');
  await page.setViewportSize({ width: 980, height: 700 });
  await page.waitForTimeout(300);
  const [p, ask] = [await box('passage'), await box('ask')];
  if (p.x >= ask.x + ask.width) throw new Error(`at 980 px the passage is not over the document: ${JSON.stringify({ p, ask })}`);
  if (p.y + p.height > ask.y + 1) throw new Error(`at 980 px the passage covers the Ask box: ${JSON.stringify({ p, ask })}`);
  await page.screenshot({ path: join(out, 'browser-narrow-passage.png') });

  step('720x480: the sidebar drawer shares its height between conversations and documents; the shortcut list lines up');
  await page.setViewportSize({ width: 720, height: 480 });
  await page.getByTestId('toggle-sidebar').click();
  await page.getByTestId('sidebar').waitFor({ timeout: 5000 });
  await page.waitForTimeout(300);
  const split = await page.evaluate(() => {
    const nav = document.querySelector('[data-testid="sidebar"] nav');
    const docs = document.querySelector('[data-testid="documents-section"]');
    return { nav: nav.clientHeight, wants: nav.scrollHeight, docs: docs.getBoundingClientRect().height, top: nav.getBoundingClientRect().top };
  });
  if (split.nav < Math.min(split.wants, split.docs - 20)) throw new Error(`the conversations get ${split.nav} px of the drawer, the documents ${split.docs}: ${JSON.stringify(split)}`);
  // A short window: New chat and Search share one row above the list (the brand makes way).
  if (split.top > 80) throw new Error(`the conversation list starts ${split.top} px down a 480 px drawer: its top should take one row`);
  await page.screenshot({ path: join(out, 'browser-narrow-drawer.png') });
  await page.keyboard.press('Escape');
  await page.getByTestId('sidebar').waitFor({ state: 'detached', timeout: 5000 });
  await page.keyboard.press('Control+/');
  await page.getByTestId('shortcut-list').waitFor({ timeout: 5000 });
  const lefts = await page.locator('[data-testid="shortcut-list"] dd').evaluateAll((dds) => [...new Set(dds.map((d) => Math.round(d.getBoundingClientRect().left)))]);
  if (lefts.length !== 1) throw new Error(`the shortcut list's descriptions start at ${lefts.join(', ')} px`);
  await page.keyboard.press('Escape');
  await page.getByTestId('shortcut-list').waitFor({ state: 'detached', timeout: 5000 });
  await page.setViewportSize(size);
  await page.waitForTimeout(300);
}
