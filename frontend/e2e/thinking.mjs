// Browser steps for reasoning models: a model whose chat template opens
// <think> in the generation prompt (as DeepSeek-R1's does) and reads
// enable_thinking (as Qwen3's does). Its thinking must show in a collapsible
// block above the answer, be saved apart from it, and stop when "Think
// before answering" is turned off; the status line names the template in use.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const template =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}" +
  "{% if enable_thinking is defined and enable_thinking is false %}{{ '<think>\\n\\n</think>\\n\\n' }}{% else %}{{ '<think>\\n' }}{% endif %}{% endif %}";

/** The last reply of the open conversation as saved. */
async function lastReply(page) {
  return page.evaluate(async () => {
    const a = window.go.app.App;
    const list = await a.ListConversations();
    const d = await a.GetConversation(list[0].id);
    return d.messages.filter((m) => m.role === 'assistant').pop();
  });
}

async function sendAndWait(page, text) {
  await page.getByTestId('new-chat').click();
  const input = page.getByTestId('composer-input');
  await input.fill(text);
  await input.press('Enter');
  await page.waitForFunction(() => {
    const ms = [...document.querySelectorAll('[data-testid="message"][data-role="assistant"]')];
    return ms.length > 0 && ms.every((m) => m.dataset.status !== 'streaming');
  }, null, { timeout: 60000 });
  return page.locator('[data-testid="message"][data-role="assistant"]').last();
}

export async function thinkingSteps({ page, step, out, home, root }) {
  step('a reasoning model: its thinking streams into a block above the answer, saved apart');
  const tmplPath = join(out, 'thinking.jinja');
  writeFileSync(tmplPath, template);
  execFileSync(join(root, 'build/bin/chapel'), ['synth-model', '--shape', 'tiny', '--template', tmplPath, join(home, 'models', 'thinker.gguf')]);
  await page.evaluate(async () => {
    const a = window.go.app.App;
    const s = await a.GetSettings();
    await a.SaveSettings({ ...s, max_tokens: 24, ignore_eos: true, thinking_off: [] });
  });
  await page.getByTestId('model-picker').click();
  await page.locator('[data-testid="model-option"][data-path$="thinker.gguf"]').first().click();
  await page.waitForFunction(() => document.querySelector('[data-testid="status-template"]')?.textContent?.includes("model's template"), null, { timeout: 30000 });

  const reply = await sendAndWait(page, 'What is 17 times 23?');
  await reply.getByTestId('thinking').waitFor({ timeout: 5000 });
  const label = await reply.getByTestId('thinking-label').innerText();
  if (!/^Thought for /.test(label)) throw new Error(`thinking label ${JSON.stringify(label)}`);
  await reply.getByTestId('thinking-toggle').click();
  await reply.getByTestId('thinking-text').waitFor({ timeout: 5000 });
  const saved = await lastReply(page);
  // The template opened <think> and the random model never closes it: all of the reply is thinking.
  if (!saved.thinking || saved.content.includes('<think>') || saved.thinking.includes('<think>')) {
    throw new Error(`saved reply: content ${JSON.stringify(saved.content)}, thinking ${JSON.stringify(saved.thinking)}`);
  }
  await page.screenshot({ path: join(out, 'browser-thinking.png') });

  step('"Think before answering" off: the same model answers without thinking');
  await page.getByTestId('open-settings').click();
  const box = page.getByTestId('setting-thinking');
  await box.waitFor({ timeout: 5000 });
  await box.uncheck();
  await page.getByTestId('settings-save').click();
  await page.getByTestId('settings-panel').waitFor({ state: 'detached', timeout: 5000 });
  const plain = await sendAndWait(page, 'Answer at once');
  if ((await plain.getByTestId('thinking').count()) !== 0) throw new Error('a reply with thinking turned off shows a thinking block');
  const answer = await lastReply(page);
  // The model answered (it generated tokens) and none of it is thinking. Its
  // text is not required to be visible: a random-weight model may spend all
  // 24 tokens on whitespace or special tokens, which made this step flaky.
  if (answer.thinking || answer.status !== 'complete' || !(answer.completion_tokens > 0)) {
    throw new Error(`reply without thinking: ${JSON.stringify(answer)}`);
  }
  await page.screenshot({ path: join(out, 'browser-thinking-off.png') });
}
