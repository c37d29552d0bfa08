// Browser steps for engines elsewhere: a second Chapel (`chapel serve`) on
// loopback answers `curl` with its token (a streamed reply) and without it
// (401); it is added in Settings → Engines, tested ("connected: 1 model, …"),
// picked in the model picker, and a chat runs on it; the conversation
// remembers the endpoint's model. The key is never shown back. Ticked for
// summaries, it takes map steps of a document's summary beside this Chapel's
// engine until it is killed mid-summary; the summary completes here with
// every section covered. Then this Chapel serves its own model from
// Settings, and a client streams a reply with the token shown once (and
// gets 401 without it).
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { startServe as startSecondChapel } from './serve.mjs';

const run = promisify(execFile);

/** Starts this suite's second Chapel (see serve.mjs). */
function startServe(root, out, model) {
  return startSecondChapel({ root, home: join(out, 'serve-home'), model, token: 'e2e-serve-token' });
}

/** CPU seconds a process and its children (`chapel serve` runs the model in a worker) have used, from /proc. */
function cpuSeconds(pid) {
  let total = 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    total = (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ is 100 on Linux)
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      for (const child of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(' ').filter(Boolean)) total += cpuSeconds(child);
    }
  } catch {
    // it ended meanwhile
  }
  return total;
}

/** A Markdown document of n chapters: many map steps for a small model. */
function chapters(n) {
  let text = '';
  for (let i = 1; i <= n; i++) {
    text += `# Chapter ${i}\n\n`;
    for (let j = 0; j < 6; j++) text += `In chapter ${i} the farmers of valley ${j} counted ${i * j + 3} sheep and planted barley near the river. `;
    text += '\n\n';
  }
  return text;
}

/** `curl` against `chapel serve`: with the token a reply streams, without it 401. */
async function curlSteps(url, token) {
  const body = JSON.stringify({ messages: [{ role: 'user', content: 'Once upon a time' }], max_tokens: 8, stream: true });
  const { stdout: sse } = await run('curl', ['-sS', '-N', '--max-time', '60', '-H', `Authorization: Bearer ${token}`,
    '-H', 'Content-Type: application/json', '-d', body, `${url}/chat/completions`]);
  const chunks = sse.split('\n').filter((l) => l.startsWith('data: {')).map((l) => JSON.parse(l.slice(6)));
  const text = chunks.map((c) => c.choices?.[0]?.delta?.content ?? '').join('');
  if (!sse.trimEnd().endsWith('data: [DONE]') || !text) throw new Error(`curl with the token: ${sse.slice(0, 300)}`);
  const { stdout: code } = await run('curl', ['-sS', '-o', '/dev/null', '-w', '%{http_code}', '-d', body, `${url}/chat/completions`]);
  if (code !== '401') throw new Error(`curl without the token: HTTP ${code}`);
  console.log(`    curl: ${chunks.length} events streamed with the token (${JSON.stringify(text.slice(0, 40))}), 401 without it`);
}

async function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => res(port)); });
    srv.on('error', rej);
  });
}

export async function enginesSteps({ page, step, out, root, model }) {
  step('engines: a second Chapel on loopback (`chapel serve`); curl streams a reply with its token, 401 without');
  const serve = await startServe(root, out, model);
  try {
    await curlSteps(serve.url, 'e2e-serve-token');

    step('engines: add it in Settings → Engines and test it');
    await page.getByTestId('open-settings').click();
    await page.getByTestId('settings-panel').waitFor({ timeout: 10000 });
    await page.getByTestId('endpoint-add').click();
    await page.getByTestId('endpoint-name').fill('Second Chapel');
    await page.getByTestId('endpoint-url').fill(serve.url);
    await page.getByTestId('endpoint-test').click();
    // Without the key the server says so, in a sentence.
    const refused = await page.getByTestId('endpoint-test-error').innerText({ timeout: 15000 });
    if (!/needs an API key/.test(refused)) throw new Error(`test without a key: ${JSON.stringify(refused)}`);
    await page.getByTestId('endpoint-key').fill('e2e-serve-token');
    await page.getByTestId('endpoint-test').click();
    const result = await page.getByTestId('endpoint-test-result').innerText({ timeout: 15000 });
    if (!/^connected: 1 model, \d+ ms$/.test(result)) throw new Error(`test result ${JSON.stringify(result)}`);
    console.log(`    ${result}`);
    await page.screenshot({ path: join(out, 'browser-engines-test.png') });
    await page.getByTestId('endpoint-save').click();
    await page.getByTestId('endpoint-row').filter({ hasText: 'Second Chapel' }).waitFor({ timeout: 10000 });
    const listed = await page.evaluate(() => window.go.app.App.ListEndpoints());
    if (listed.length !== 1 || !listed[0].has_key || JSON.stringify(listed).includes('e2e-serve-token')) {
      throw new Error(`endpoints as the window sees them: ${JSON.stringify(listed)}`);
    }
    await page.keyboard.press('Escape');

    step('engines: pick its model and chat with it');
    await page.getByTestId('model-picker').click();
    await page.getByTestId('endpoint-model').first().click();
    await page.waitForFunction(() => document.querySelector('[data-testid="model-picker"]')?.textContent?.length > 0 &&
      !document.querySelector('[data-testid="model-picker"] .spinner'), null, { timeout: 20000 });
    await page.getByTestId('new-chat').click();
    const input = page.getByTestId('composer-input');
    await input.fill('Hello, second Chapel');
    await input.press('Enter');
    await page.waitForFunction(() => {
      const ms = [...document.querySelectorAll('[data-testid="message"][data-role="assistant"]')];
      return ms.length > 0 && ms.every((m) => m.dataset.status !== 'streaming');
    }, null, { timeout: 60000 });
    const saved = await page.evaluate(async () => {
      const a = window.go.app.App;
      const list = await a.ListConversations();
      const d = await a.GetConversation(list[0].id);
      return { model: d.model ?? d.conversation?.model, reply: d.messages.filter((m) => m.role === 'assistant').pop() };
    });
    if (saved.reply.status !== 'complete' || !saved.reply.content.trim()) throw new Error(`reply ${JSON.stringify(saved.reply)}`);
    if (!String(saved.reply.model || saved.model).startsWith('endpoint:')) throw new Error(`the reply ran on ${JSON.stringify(saved)}`);
    await page.screenshot({ path: join(out, 'browser-engines-chat.png') });

    step('engines: a summary on this Chapel and the endpoint; the endpoint is killed mid-summary and the summary completes here, nothing lost');
    await page.getByTestId('model-picker').click();
    await page.locator(`[data-testid="model-option"][data-path$="${basename(model)}"]`).first().click();
    await page.waitForFunction(() => !document.querySelector('[data-testid="model-picker"] .spinner'), null, { timeout: 30000 });
    await tickForSummaries(page, true);
    const doc = join(out, 'valleys.md');
    writeFileSync(doc, chapters(100));
    await page.evaluate((p) => window.WailsInvoke(`DD:400:300:${p}`), doc);
    const item = page.getByTestId('document-item').filter({ hasText: 'valleys.md' }).first();
    await item.waitFor({ timeout: 60000 });
    await item.click();
    await page.getByTestId('summarize').waitFor({ timeout: 20000 });
    const idle = cpuSeconds(serve.proc.pid);
    await page.getByTestId('summarize').click();
    await page.getByTestId('summary-progress').waitFor({ timeout: 60000 });
    // Killed once the view's line for the endpoint shows pieces it made and one in flight (that one is lost
    // with it and made here), and it has spent CPU time on them (it is idle otherwise).
    await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="summary-engine"]')].some((e) =>
      e.dataset.engine !== 'local' && Number(e.dataset.inFlight) > 0 && Number(e.textContent.match(/(\d+) done/)?.[1]) >= 2), null, { timeout: 180000 });
    const used = cpuSeconds(serve.proc.pid) - idle;
    const at = await page.getByTestId('summary-progress-text').innerText();
    const byEngine = (await page.getByTestId('summary-engine').allInnerTexts()).map((t) => t.replace(/\s+/g, ' '));
    serve.proc.kill('SIGKILL');
    // An idle `chapel serve` spends a few milliseconds in this time; two pieces cost 0.4 s on the
    // generated test model (when ../shared is absent) and more on stories260K.
    if (used < 0.1) throw new Error(`the endpoint spent ${used.toFixed(2)} CPU s on the summary`);
    const mid = at.match(/^(\d+) of (\d+) steps/);
    if (!mid || Number(mid[1]) >= Number(mid[2])) throw new Error(`the summary was not mid-way when the endpoint was killed: ${at}`);
    console.log(`    the endpoint killed at ${JSON.stringify(at)} ${JSON.stringify(byEngine)} (${used.toFixed(1)} CPU s)`);
    await page.screenshot({ path: join(out, 'browser-engines-summary-split.png') });
    await page.locator('[data-testid="summary"][data-status="complete"]').waitFor({ timeout: 10 * 60000 });
    const coverage = (await page.getByTestId('coverage').innerText()).trim();
    if (coverage !== 'Covers all 100 sections') throw new Error(`after the endpoint died: ${JSON.stringify(coverage)}`);
    const sum = await page.evaluate(async (name) => {
      const a = window.go.app.App;
      const d = (await a.ListDocuments()).find((x) => x.name === name);
      const detail = await a.GetDocument(d.id);
      return detail.summaries.map((s) => ({ status: s.status, done: s.pieces_done, total: s.pieces_total, error: s.error }));
    }, 'valleys.md');
    if (sum.length !== 1 || sum[0].status !== 'complete' || sum[0].error || sum[0].done !== sum[0].total) {
      throw new Error(`the summary after the endpoint died: ${JSON.stringify(sum)}`);
    }
    // Which engine made each map piece, as the document view lists them.
    const made = await page.$$eval('[data-testid="summary-piece"]', (ps) => ps.map((p) => ({ engine: p.dataset.engine, status: p.dataset.status })));
    const remote = made.filter((p) => p.engine && p.engine !== 'local').length;
    const local = made.filter((p) => p.engine === 'local').length;
    if (made.some((p) => p.status !== 'done') || remote < 2 || local < 1) {
      throw new Error(`the pieces after the endpoint died: ${remote} by it, ${local} here, of ${made.length}: ${JSON.stringify(made.slice(0, 5))}`);
    }
    console.log(`    ${coverage}; ${sum[0].done} of ${sum[0].total} pieces, none lost; map pieces: ${remote} by the endpoint, ${local} here`);
    await page.screenshot({ path: join(out, 'browser-engines-summary-done.png') });
    await tickForSummaries(page, false); // the endpoint is gone

    step('engines: serve this Chapel from Settings; the token works once shown, nothing without it');
    await page.getByTestId('open-settings').click();
    const port = await freePort();
    await page.getByTestId('serve-port').fill(String(port));
    await page.getByTestId('serve-start').click();
    const url = await page.getByTestId('serve-url').innerText({ timeout: 10000 });
    const token = await page.getByTestId('serve-token').innerText();
    if (url !== `http://127.0.0.1:${port}/v1`) throw new Error(`serving at ${url}`);
    await page.screenshot({ path: join(out, 'browser-engines-serve.png') });
    const without = await fetch(`${url}/models`);
    if (without.status !== 401) throw new Error(`without the token: ${without.status}`);
    const reply = await fetch(`${url}/chat/completions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'Once upon a time' }], max_tokens: 8, stream: true }),
    });
    const sse = await reply.text();
    if (reply.status !== 200 || !sse.includes('data: [DONE]')) throw new Error(`streamed reply ${reply.status}: ${sse.slice(0, 300)}`);
    console.log(`    served a streamed reply of ${sse.split('\n\n').length - 2} events at ${url}`);
    await page.getByTestId('serve-stop').click();
    await page.getByTestId('serve-start').waitFor({ timeout: 5000 });
    await page.keyboard.press('Escape');
  } finally {
    serve.proc.kill('SIGTERM');
  }
}

/** Ticks (or unticks) "Also take summary steps" for the saved endpoint. */
async function tickForSummaries(page, on) {
  await page.getByTestId('open-settings').click();
  await page.getByTestId('settings-panel').waitFor({ timeout: 10000 });
  await page.getByTestId('endpoint-row').filter({ hasText: 'Second Chapel' }).getByRole('button', { name: 'Edit' }).click();
  await page.getByTestId('endpoint-summaries').setChecked(on);
  await page.getByTestId('endpoint-save').click();
  const row = page.getByTestId('endpoint-row').filter({ hasText: 'Second Chapel' });
  await (on ? row.filter({ hasText: 'summaries' }) : row.filter({ hasNotText: 'summaries' })).waitFor({ timeout: 10000 });
  await page.keyboard.press('Escape');
}
