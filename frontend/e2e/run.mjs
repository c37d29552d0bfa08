// Browser end-to-end test: the dev-tag Chapel binary serves the real UI and
// its real Go bindings; Debian's chromium, driven by playwright-core, uses it
// as a person would. It picks the test model, sends a message and watches the
// reply stream in, stops a second reply with the Stop button and leaves a
// message unsent. Then it drops a PDF, summarises it, reads its coverage
// line, opens a cited passage and asks the document a question; after a
// restart it finds both conversations with their text, the unsent message
// back in its own conversation's box, and the summary again.
//
// usage: node frontend/e2e/run.mjs --out DIR   (DISPLAY must be set; see scripts/e2e.sh)
// env:   CHAPEL_E2E_MODEL  path of the .gguf model to use
//        CHAPEL_E2E_BOOK   optional: a long PDF (e.g. ../shared/corpus/R-intro.pdf) to drop and
//                          summarise at the end, every page (minutes; not part of make test)
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve, dirname, basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const out = resolve(process.argv[process.argv.indexOf('--out') + 1] || join(root, 'build/e2e'));
const model = process.env.CHAPEL_E2E_MODEL;
if (!model) throw new Error('CHAPEL_E2E_MODEL is not set');
const home = join(out, 'browser-home');
mkdirSync(join(home, 'models'), { recursive: true });
symlinkSync(model, join(home, 'models', basename(model)));

// makePDF writes a small PDF, one page per entry of lines, with the
// standard Helvetica font (what Chapel's own reader must handle).
function makePDF(pages) {
  const objs = [];
  objs[1] = '<< /Type /Catalog /Pages 2 0 R >>';
  objs[2] = `<< /Type /Pages /Kids [${pages.map((_, i) => `${4 + 2 * i} 0 R`).join(' ')}] /Count ${pages.length} >>`;
  objs[3] = '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>';
  pages.forEach((lines, i) => {
    const stream = `BT /F1 12 Tf 16 TL 72 720 Td ${lines.map((l) => `(${l}) Tj T*`).join(' ')} ET`;
    objs[4 + 2 * i] = `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents ${5 + 2 * i} 0 R >>`;
    objs[5 + 2 * i] = `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`;
  });
  let pdf = '%PDF-1.4\n';
  const offsets = [];
  for (let i = 1; i < objs.length; i++) {
    offsets[i] = pdf.length;
    pdf += `${i} 0 obj\n${objs[i]}\nendobj\n`;
  }
  const xref = pdf.length;
  pdf += `xref\n0 ${objs.length}\n0000000000 65535 f \n${offsets.slice(1).map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  pdf += `trailer\n<< /Size ${objs.length} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return pdf;
}

const steps = [];
function step(name) { steps.push(name); console.log(`  - ${name}`); }

async function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
    s.on('error', rej);
  });
}

// startApp starts the dev binary and resolves when it serves the UI.
async function startApp(tag) {
  const port = await freePort();
  const log = [];
  const proc = spawn(join(root, 'build/bin/chapel-dev'), [], {
    cwd: root,
    env: { ...process.env, CHAPEL_HOME: home, assetdir: join(root, 'frontend/dist'), devserver: `127.0.0.1:${port}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout.on('data', (d) => log.push(String(d)));
  proc.stderr.on('data', (d) => log.push(String(d)));
  const exited = new Promise((r) => proc.on('exit', (code) => r(code)));
  const url = `http://127.0.0.1:${port}/`;
  for (let i = 0; i < 300; i++) {
    try { const r = await fetch(url); if (r.ok) return { proc, url, log, exited, tag }; } catch { /* not yet */ }
    if (proc.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill('SIGKILL');
  throw new Error(`the dev app did not serve ${url}:\n${log.join('')}`);
}

async function stopApp(app) {
  app.proc.kill('SIGTERM');
  const t = setTimeout(() => app.proc.kill('SIGKILL'), 5000);
  const code = await app.exited;
  clearTimeout(t);
  writeFileSync(join(out, `browser-app-${app.tag}.log`), app.log.join(''));
  return code;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
let app;
let page;
try {
  app = await startApp('first');
  page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(app.url);

  step('first run: no model, the guide is shown');
  await page.getByTestId('first-run').waitFor({ timeout: 20000 });

  step('drop a file Chapel cannot read: a clear message, nothing else changes');
  // WailsInvoke('DD:x:y:path') is what the Wails runtime sends when a file is dropped.
  writeFileSync(join(out, 'notes.xyz'), 'not a document');
  await page.evaluate((p) => window.WailsInvoke(`DD:400:300:${p}`), join(out, 'notes.xyz'));
  await page.getByTestId('toast').filter({ hasText: "can't read .xyz files" }).first().waitFor({ timeout: 15000 });
  await page.getByTestId('first-run').waitFor({ timeout: 5000 });

  step('pick the test model from the model picker');
  await page.getByTestId('model-picker').click();
  await page.locator(`[data-testid="model-option"][data-path$="${basename(model)}"]`).first().click();
  await page.waitForFunction(() => document.querySelector('[data-testid="status-bar"]')?.textContent?.match(/plain completion|tok\/s|context/i), null, { timeout: 30000 });

  step('send a message and watch the reply stream in');
  const input = page.getByTestId('composer-input');
  await input.fill('Once upon a time');
  await input.press('Enter');
  const reply = page.locator('[data-testid="message"][data-role="assistant"]').last();
  await reply.waitFor({ timeout: 20000 });
  const lengths = new Set();
  for (let i = 0; i < 200; i++) {
    const status = await reply.getAttribute('data-status');
    lengths.add((await reply.innerText()).length);
    if (status !== 'streaming') break;
    await page.waitForTimeout(15);
  }
  await page.waitForSelector('[data-testid="message"][data-role="assistant"][data-status="complete"]', { timeout: 60000 });
  const first = (await reply.innerText()).trim();
  if (first.length < 20) throw new Error(`the first reply is too short: ${JSON.stringify(first)}`);
  console.log(`    reply grew through ${lengths.size} lengths; ${first.length} characters`);
  await page.screenshot({ path: join(out, 'browser-first-reply.png') });

  step('a second conversation: a long reply, stopped with the Stop button');
  // Let the reply run until the context is full, so there is time to stop it.
  await page.evaluate(async () => {
    const app = window.go.app.App;
    const s = await app.GetSettings();
    await app.SaveSettings({ ...s, max_tokens: 0, ignore_eos: true });
  });
  await page.getByTestId('new-chat').click();
  await input.fill('The little dog');
  await input.press('Enter');
  const stop = page.getByTestId('stop-button');
  await stop.waitFor({ timeout: 20000 });
  const second = page.locator('[data-testid="message"][data-role="assistant"]').last();
  await page.waitForFunction(() => {
    const m = [...document.querySelectorAll('[data-testid="message"][data-role="assistant"]')].pop();
    return m && m.textContent.trim().length > 10;
  }, null, { timeout: 20000 });
  await stop.click();
  await page.waitForSelector('[data-testid="message"][data-role="assistant"][data-status="stopped"]', { timeout: 10000 });
  const stopped = (await second.innerText()).trim();
  await page.getByTestId('badge-stopped').waitFor({ timeout: 5000 });
  await page.screenshot({ path: join(out, 'browser-stopped.png') });

  step('drop a PDF: it is added and opened');
  await page.evaluate(async () => {
    const app = window.go.app.App;
    const s = await app.GetSettings();
    await app.SaveSettings({ ...s, max_tokens: 24, ignore_eos: false });
  });
  const pdfPath = join(out, 'farm report.pdf');
  writeFileSync(pdfPath, makePDF([
    ['Farm report, page one.', 'Wheat and barley grow in the northern fields.', 'The wheat harvest was large this year.'],
    ['Page two is about animals.', 'Cattle graze in the valleys in summer.', 'The herd grew to ninety cows.'],
    ['Page three is about the weather.', 'Rain fell early in May and the river rose.', 'Autumn was dry and warm.'],
  ]), 'latin1');
  await page.evaluate((p) => window.WailsInvoke(`DD:400:300:${p}`), pdfPath);
  const view = page.getByTestId('document-view');
  await view.waitFor({ timeout: 30000 });
  await page.getByTestId('document-item').filter({ hasText: 'farm report.pdf' }).first().waitFor({ timeout: 10000 });
  const meta = await page.getByTestId('document-meta').innerText();
  if (!/3 pages/.test(meta)) throw new Error(`document meta ${JSON.stringify(meta)}: want 3 pages`);

  step('summarise it: progress, then a summary with page citations that covers every page');
  await page.getByTestId('summarize').click();
  await page.locator('[data-testid="summary"][data-status="complete"]').waitFor({ timeout: 180000 });
  const coverage = (await page.getByTestId('coverage').innerText()).trim();
  if (!coverage.includes('Covers pages 1–3 of 3')) throw new Error(`coverage line ${JSON.stringify(coverage)}`);
  const cites = page.getByTestId('citation');
  if ((await cites.count()) === 0) throw new Error('the summary has no citations');
  await page.screenshot({ path: join(out, 'browser-summary.png') });

  step('click a citation: the passage of the original is shown');
  await cites.first().click();
  const passage = page.getByTestId('passage');
  await passage.waitFor({ timeout: 10000 });
  const passageText = await page.getByTestId('passage-text').innerText();
  if (!/wheat|cattle|rain/i.test(passageText)) throw new Error(`passage ${JSON.stringify(passageText.slice(0, 200))} is not from the document`);
  await page.screenshot({ path: join(out, 'browser-passage.png') });
  await page.getByTestId('passage-close').click();

  step('ask the document: the answer streams in, names the pages it used, and its citation opens the passage');
  const ask = page.getByTestId('ask').getByTestId('composer-input');
  await ask.fill('How large was the wheat harvest?');
  await ask.press('Enter');
  const answer = page.getByTestId('ask-messages').locator('[data-testid="message"][data-role="assistant"][data-status="complete"]').last();
  await answer.waitFor({ timeout: 60000 });
  const answerText = await answer.innerText();
  if (!/\[pp?\. \d/.test(answerText)) throw new Error(`the answer cites no page: ${JSON.stringify(answerText)}`);
  await answer.locator('[data-cite]').first().click();
  await page.getByTestId('passage').waitFor({ timeout: 10000 });
  const cited = await page.getByTestId('passage-text').innerText();
  if (!/wheat|cattle|rain/i.test(cited)) throw new Error(`the answer's citation opened ${JSON.stringify(cited.slice(0, 200))}`);
  await page.getByTestId('passage-close').click();

  step('restart the app: the model and the conversations are there with their text');
  const pickerText = () => document.querySelector('[data-testid="model-picker"]')?.textContent?.replace(/\s+/g, ' ').trim();
  const pickerBefore = await page.evaluate(pickerText);
  // A message typed and left unsent the moment before Chapel is told to
  // close (SIGTERM, as a desktop session ends): typing is written once it
  // pauses, so this one is only kept if the close waits for the page.
  await page.getByTestId('conversation-item').filter({ hasText: 'The little dog' }).first().click();
  await page.getByTestId('composer-input').waitFor({ timeout: 10000 });
  const unsent = 'A thought for later, not sent yet';
  await page.getByTestId('composer-input').fill(unsent);
  const closed = await stopApp(app);
  if (closed !== 0) throw new Error(`SIGTERM: the window did not close by itself (exit ${closed})`);
  const closeLog = readFileSync(join(home, 'logs', 'chapel.log'), 'utf8');
  if (closeLog.includes('did not say it was ready to close')) throw new Error('the page did not answer the close (the log says it closed without it)');
  app = await startApp('second');
  await page.goto(app.url);
  const items = page.getByTestId('conversation-item');
  // The model chosen before the restart is loaded again by itself.
  await page.waitForFunction((name) => document.querySelector('[data-testid="model-picker"]')?.textContent?.replace(/\s+/g, ' ').trim() === name, pickerBefore, { timeout: 30000 });
  // Two chats and the document's conversation, most recent first.
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="conversation-item"]').length === 3, null, { timeout: 20000 });
  const titles = await items.allInnerTexts();
  if (!titles[0].includes('farm report.pdf') || !titles[1].includes('The little dog') || !titles[2].includes('Once upon a time')) {
    throw new Error(`sidebar order/titles wrong: ${JSON.stringify(titles)}`);
  }
  for (const [i, want, status] of [[2, first, 'complete'], [1, stopped, 'stopped']]) {
    await items.nth(i).click();
    const msg = page.locator(`[data-testid="message"][data-role="assistant"][data-status="${status}"]`).last();
    await msg.waitFor({ timeout: 10000 });
    const got = (await msg.innerText()).trim();
    // The saved text must contain what the UI showed (a stopped reply may have
    // had a few more tokens saved after the screenshot was read).
    const probe = want.replace(/\s*Stopped\s*$/, '').slice(0, 40);
    if (!got.includes(probe)) throw new Error(`conversation ${i}: saved reply ${JSON.stringify(got.slice(0, 80))} does not contain ${JSON.stringify(probe)}`);
    const user = await page.locator('[data-testid="message"][data-role="user"]').first().innerText();
    if (!user.includes(i === 2 ? 'Once upon a time' : 'The little dog')) throw new Error(`conversation ${i}: user message ${JSON.stringify(user)}`);
    // The unsent message came back with its own conversation only.
    const box = await page.getByTestId('composer-input').inputValue();
    const wantBox = i === 1 ? unsent : '';
    if (box !== wantBox) throw new Error(`conversation ${i}: the message box holds ${JSON.stringify(box)} after the restart, want ${JSON.stringify(wantBox)}`);
  }
  await page.getByTestId('composer-input').fill(''); // the steps below expect empty boxes
  await page.screenshot({ path: join(out, 'browser-after-restart.png') });

  step('the document and its summary are still there after the restart');
  await page.getByTestId('document-item').filter({ hasText: 'farm report.pdf' }).first().click();
  await page.locator('[data-testid="summary"][data-status="complete"]').waitFor({ timeout: 20000 });
  const coverageAgain = (await page.getByTestId('coverage').innerText()).trim();
  if (coverageAgain !== coverage) throw new Error(`coverage after restart ${JSON.stringify(coverageAgain)}, before ${JSON.stringify(coverage)}`);
  if (process.env.CHAPEL_E2E_BOOK) {
    const book = resolve(process.env.CHAPEL_E2E_BOOK);
    step(`drop ${basename(book)} and summarise every page`);
    await page.evaluate((p) => window.WailsInvoke(`DD:400:300:${p}`), book);
    await page.locator('[data-testid="document-view"]').filter({ hasText: basename(book) }).waitFor({ timeout: 120000 });
    const pages = await page.getByTestId('document-meta').innerText();
    const started = Date.now();
    await page.getByTestId('summarize').click();
    await page.getByTestId('summary-progress').waitFor({ timeout: 60000 });
    await page.screenshot({ path: join(out, 'browser-book-progress.png') });
    console.log(`    ${pages}; ${await page.getByTestId('summary-progress-text').innerText()}`);
    await page.locator('[data-testid="summary"][data-status="complete"]').waitFor({ timeout: 60 * 60000 });
    const bookCoverage = (await page.getByTestId('coverage').innerText()).trim();
    console.log(`    ${bookCoverage} after ${Math.round((Date.now() - started) / 1000)} s; ${await page.getByTestId('citation').count()} citations`);
    await page.getByTestId('citation').first().click();
    await page.getByTestId('passage').waitFor({ timeout: 10000 });
    await page.waitForTimeout(500);
    await page.screenshot({ path: join(out, 'browser-book-summary.png') });
    if (!/^Covers pages 1–(\d+) of \1$/.test(bookCoverage)) throw new Error(`coverage ${JSON.stringify(bookCoverage)}`);
  }
  await (await import('./summary-live.mjs')).summaryLiveSteps({ page, step, out, root, model, makePDF });
  await (await import('./thinking.mjs')).thinkingSteps({ page, step, out, home, root });
  await (await import('./engines.mjs')).enginesSteps({ page, step, out, root, model });
  await (await import('./models.mjs')).modelsSteps({ page, step, out, root });
  await (await import('./tree.mjs')).treeSteps({ page, step, out, model });
  await (await import('./passage.mjs')).passageSteps({ page, step, out, root });
  await (await import('./model-settings.mjs')).modelSettingsSteps({ page, step, out });
  await (await import('./single-frontend.mjs')).singleFrontendSteps({ page, step, out, home });
  await (await import('./appearance.mjs')).appearanceSteps({ page, step, out });
  await (await import('./window.mjs')).aboutSteps({ page, step, out, home });
  await (await import('./damaged.mjs')).damagedSteps({ browser, step, out, root, model });
  if (pageErrors.length) throw new Error(`the page threw: ${pageErrors.join('\n')}`);
  console.log(`browser e2e: ${steps.length} steps passed`);
} catch (e) {
  if (page) await page.screenshot({ path: join(out, 'browser-failure.png') }).catch(() => {});
  // The app log first, the failure last: CI shows only the output's tail.
  if (app) console.error(`app log (its end):\n${app.log.join('').slice(-3000)}`);
  const failure = `browser e2e failed at step "${steps.at(-1)}": ${e.stack || e}`;
  console.error(failure);
  try { writeFileSync(join(out, 'browser-failure.txt'), `${failure}\n`); } catch { /* the message is printed above */ }
  process.exitCode = 1;
} finally {
  await browser.close();
  if (app && app.proc.exitCode === null) await stopApp(app);
}
