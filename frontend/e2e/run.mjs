// Browser end-to-end test: the dev-tag Chapel binary serves the real UI and
// its real Go bindings; Debian's chromium, driven by playwright-core, uses it
// as a person would. It picks the test model, sends a message and watches the
// reply stream in, stops a second reply with the Stop button, restarts the
// app and finds both conversations with their text.
//
// usage: node frontend/e2e/run.mjs --out DIR   (DISPLAY must be set; see scripts/e2e.sh)
// env:   CHAPEL_E2E_MODEL  path of the .gguf model to use
import { spawn } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
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
  await app.exited;
  clearTimeout(t);
  writeFileSync(join(out, `browser-app-${app.tag}.log`), app.log.join(''));
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

  step('drop a file that is not a model: a notice, nothing else changes');
  // WailsInvoke('DD:x:y:path') is what the Wails runtime sends when a file is dropped.
  writeFileSync(join(out, 'notes.txt'), 'not a model');
  await page.evaluate((p) => window.WailsInvoke(`DD:400:300:${p}`), join(out, 'notes.txt'));
  await page.getByTestId('toast').filter({ hasText: '.gguf' }).first().waitFor({ timeout: 10000 });
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

  step('restart the app: the model and both conversations are there with their text');
  const pickerText = () => document.querySelector('[data-testid="model-picker"]')?.textContent?.replace(/\s+/g, ' ').trim();
  const pickerBefore = await page.evaluate(pickerText);
  await stopApp(app);
  app = await startApp('second');
  await page.goto(app.url);
  const items = page.getByTestId('conversation-item');
  // The model chosen before the restart is loaded again by itself.
  await page.waitForFunction((name) => document.querySelector('[data-testid="model-picker"]')?.textContent?.replace(/\s+/g, ' ').trim() === name, pickerBefore, { timeout: 30000 });
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="conversation-item"]').length === 2, null, { timeout: 20000 });
  const titles = await items.allInnerTexts();
  if (!titles[0].includes('The little dog') || !titles[1].includes('Once upon a time')) {
    throw new Error(`sidebar order/titles wrong: ${JSON.stringify(titles)}`);
  }
  for (const [i, want, status] of [[1, first, 'complete'], [0, stopped, 'stopped']]) {
    await items.nth(i).click();
    const msg = page.locator(`[data-testid="message"][data-role="assistant"][data-status="${status}"]`).last();
    await msg.waitFor({ timeout: 10000 });
    const got = (await msg.innerText()).trim();
    // The saved text must contain what the UI showed (a stopped reply may have
    // had a few more tokens saved after the screenshot was read).
    const probe = want.replace(/\s*Stopped\s*$/, '').slice(0, 40);
    if (!got.includes(probe)) throw new Error(`conversation ${i}: saved reply ${JSON.stringify(got.slice(0, 80))} does not contain ${JSON.stringify(probe)}`);
    const user = await page.locator('[data-testid="message"][data-role="user"]').first().innerText();
    if (!user.includes(i === 1 ? 'Once upon a time' : 'The little dog')) throw new Error(`conversation ${i}: user message ${JSON.stringify(user)}`);
  }
  await page.screenshot({ path: join(out, 'browser-after-restart.png') });
  if (pageErrors.length) throw new Error(`the page threw: ${pageErrors.join('\n')}`);
  console.log(`browser e2e: ${steps.length} steps passed`);
} catch (e) {
  if (page) await page.screenshot({ path: join(out, 'browser-failure.png') }).catch(() => {});
  console.error(`browser e2e failed at step "${steps.at(-1)}": ${e.stack || e}`);
  if (app) console.error(`app log:\n${app.log.join('').slice(-3000)}`);
  process.exitCode = 1;
} finally {
  await browser.close();
  if (app && app.proc.exitCode === null) await stopApp(app);
}
