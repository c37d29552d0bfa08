// Browser steps for engines elsewhere: a second Chapel (`chapel serve`) on
// loopback is added in Settings → Engines, tested ("connected: 1 model, …"),
// picked in the model picker, and a chat runs on it; the conversation
// remembers the endpoint's model. The key is never shown back. Then this
// Chapel serves its own model from Settings, and a client streams a reply
// with the token shown once (and gets 401 without it).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { basename, join } from 'node:path';
import { createServer } from 'node:net';

/** Starts `chapel serve` on a free port and resolves with its base URL and process. */
async function startServe(root, out, model) {
  const proc = spawn(join(root, 'build/bin/chapel'),
    ['serve', '--home', join(out, 'serve-home'), '--model', model, '--port', '0', '--threads', '1', '--token', 'e2e-serve-token'],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = createInterface({ input: proc.stdout });
  const url = await new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error('chapel serve did not start within 60 s')), 60000);
    lines.on('line', (l) => {
      const m = l.match(/at (http:\/\/127\.0\.0\.1:\d+\/v1)$/);
      if (m) { clearTimeout(t); res(m[1]); }
    });
    proc.on('exit', (code) => rej(new Error(`chapel serve exited with ${code}`)));
  });
  return { url, proc };
}

async function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => res(port)); });
    srv.on('error', rej);
  });
}

export async function enginesSteps({ page, step, out, root, model }) {
  step('engines: add a second Chapel on loopback in Settings → Engines and test it');
  const serve = await startServe(root, out, model);
  try {
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

    step('engines: serve this Chapel from Settings; the token works once shown, nothing without it');
    await page.getByTestId('model-picker').click();
    await page.locator(`[data-testid="model-option"][data-path$="${basename(model)}"]`).first().click();
    await page.waitForFunction(() => !document.querySelector('[data-testid="model-picker"] .spinner'), null, { timeout: 30000 });
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
