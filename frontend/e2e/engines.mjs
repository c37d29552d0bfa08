// Browser steps for engines elsewhere: a second Chapel (`chapel serve`) on
// loopback is added in Settings → Engines, tested ("connected: 1 model, …"),
// picked in the model picker, and a chat runs on it; the conversation
// remembers the endpoint's model. The key is never shown back.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';

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
  } finally {
    serve.proc.kill('SIGTERM');
  }
}
