// Browser steps for settings per model: the loaded model's settings show its
// context with the memory it takes, and its threads with what the last reply
// used; a new context saved reloads the model with it (the status line says
// so), and "Reset to defaults" loads it with its default context again.
import { join } from 'node:path';

const statusContext = (page) => page.getByTestId('status-context').innerText();

async function waitContext(page, n) {
  await page.waitForFunction(
    async (want) => {
      const s = await window.go.app.App.ModelState();
      const text = document.querySelector('[data-testid="status-context"]')?.textContent?.trim() ?? '';
      return s.state === 'ready' && s.model?.context_size === want && text.endsWith(` ${want.toLocaleString()}`);
    },
    n,
    { timeout: 60000 },
  );
}

/** Send text in a new chat and wait for the reply to end. */
async function sendAndWait(page, text) {
  await page.getByTestId('new-chat').click();
  const input = page.getByTestId('composer-input');
  await input.fill(text);
  await input.press('Enter');
  await page.waitForFunction(() => {
    const ms = [...document.querySelectorAll('[data-testid="message"][data-role="assistant"]')];
    return ms.length > 0 && ms.every((m) => m.dataset.status !== 'streaming');
  }, null, { timeout: 60000 });
}

export async function modelSettingsSteps({ page, step, out }) {
  step('settings per model: a reply shows the threads it used; the settings show its context (with its memory) and threads');
  const before = await page.evaluate(async () => {
    const a = window.go.app.App;
    const s = await a.GetSettings();
    await a.SaveSettings({ ...s, max_tokens: 12, ignore_eos: true });
    return s;
  });
  await sendAndWait(page, 'Once upon a time');
  const used = (await page.getByTestId('status-threads').innerText()).trim();
  if (!/^\d+ threads?$/.test(used)) throw new Error(`status threads ${JSON.stringify(used)}`);
  const path = await page.evaluate(async () => (await window.go.app.App.ModelState()).path);
  const view = await page.evaluate((p) => window.go.app.App.GetModelSettings(p), path);
  const target = view.loaded_context === 256 ? 384 : 256;
  await page.getByTestId('open-settings').click();
  await page.getByTestId('model-settings').waitFor({ timeout: 10000 });
  const memory = await page.getByTestId('ms-memory').innerText();
  if (!/^About .* of memory \(.* of weights, .* of context cache\)/.test(memory)) throw new Error(`memory line ${JSON.stringify(memory)}`);
  const hint = await page.getByTestId('ms-threads-hint').innerText();
  // Earlier steps wrote replies: the engine's measured thread count reached the window.
  if (!/^Auto \(recommended\): up to \d+ threads?; the last reply used \d/.test(hint)) throw new Error(`threads hint ${JSON.stringify(hint)}`);

  step(`set the context to ${target} tokens: saving reloads the model with it`);
  await page.getByTestId('ms-context').fill(String(target));
  await page.getByTestId('ms-reload-note').waitFor({ timeout: 5000 });
  await page.screenshot({ path: join(out, 'browser-model-settings.png') });
  await page.getByTestId('settings-save').click();
  await page.getByTestId('settings-panel').waitFor({ state: 'detached', timeout: 60000 });
  await waitContext(page, target);
  const saved = await page.evaluate((p) => window.go.app.App.GetModelSettings(p), path);
  if (!saved.saved || saved.values.context_size !== target) throw new Error(`saved settings ${JSON.stringify(saved.values)}`);
  await sendAndWait(page, 'The little dog');
  await waitContext(page, target); // the reply ran in the new context: "context used / target"

  step('reset to defaults: the model loads with its default context again');
  await page.getByTestId('open-settings').click();
  const input = page.getByTestId('ms-context');
  await input.waitFor({ timeout: 10000 });
  if ((await input.inputValue()) !== String(target)) throw new Error(`context shown ${await input.inputValue()}, want ${target}`);
  await page.getByTestId('ms-reset').click();
  await waitContext(page, view.default_context);
  // The panel's field follows the reloaded model a moment after the status line.
  await page
    .waitForFunction(() => document.querySelector('[data-testid="ms-context"]')?.value === '0', null, { timeout: 10000 })
    .catch(async () => { throw new Error(`context after reset ${await input.inputValue()}`); });
  await page.keyboard.press('Escape');
  await page.getByTestId('settings-panel').waitFor({ state: 'detached', timeout: 5000 });
  await page.evaluate(async (s) => {
    const a = window.go.app.App;
    await a.SaveSettings({ ...s, thinking_off: (await a.GetSettings()).thinking_off });
  }, before);
  console.log(`    context ${target} then ${view.default_context}; status: ${await statusContext(page)}; ${hint}`);
}
