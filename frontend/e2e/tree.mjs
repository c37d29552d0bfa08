// Browser steps for the conversation tree and what surrounds it: a reply
// stopped at its token limit says so and is continued, regenerated (‹ 2/2 ›,
// switch back), a question edited and resent; message actions show on
// keyboard focus; Ctrl+K search opens a hit on its branch; a conversation
// exported as JSON and imported again has the same tree; a ChatGPT export is
// imported with its branches; keyboard-only send and Esc to stop; and axe-core
// finds no serious or critical accessibility violation on the main views.
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, basename } from 'node:path';

const require = createRequire(import.meta.url);

const assistant = '[data-testid="message"][data-role="assistant"]';

async function settle(page) {
  await page.waitForFunction(
    (sel) => {
      const ms = [...document.querySelectorAll(sel)];
      return ms.length > 0 && ms.every((m) => m.dataset.status !== 'streaming') && !document.querySelector('[data-testid="stop-button"]');
    },
    assistant,
    { timeout: 60000 },
  );
}

async function saveSettings(page, patch) {
  await page.evaluate(async (p) => {
    const a = window.go.app.App;
    const s = await a.GetSettings();
    await a.SaveSettings({ ...s, ...p });
  }, patch);
}

/** The open conversation's tree: the path's contents and each message's version count. */
async function shownTree(page, id) {
  return page.evaluate(async (cid) => {
    const d = await window.go.app.App.GetConversation(cid);
    return { path: d.messages.map((m) => `${m.role}:${m.content}`), versions: d.versions.map((v) => v.length) };
  }, id);
}

const chatGPT = JSON.stringify([
  {
    title: 'Sourdough from ChatGPT',
    create_time: 1700000000.5,
    update_time: 1700000900.25,
    current_node: 'a2',
    mapping: {
      root: { id: 'root', message: null, parent: null, children: ['u1'] },
      u1: { id: 'u1', parent: 'root', children: ['a1', 'a2'], message: { author: { role: 'user' }, create_time: 1700000001, content: { content_type: 'text', parts: ['How do I feed a starter?'] } } },
      a1: { id: 'a1', parent: 'u1', children: [], message: { author: { role: 'assistant' }, create_time: 1700000002, content: { content_type: 'text', parts: ['Flour and water.'] } } },
      a2: { id: 'a2', parent: 'u1', children: [], message: { author: { role: 'assistant' }, create_time: 1700000003, content: { content_type: 'text', parts: ['Equal weights of flour and water, daily.'] } } },
    },
  },
]);

// Claude's conversations.json (its data export), from its observed
// structure: parents by uuid (the root sentinel first), a retried reply
// shown last, a thinking block beside the text.
const claude = JSON.stringify([
  {
    uuid: 'c-1',
    name: 'Rye from Claude',
    created_at: '2024-05-01T10:00:00.000000Z',
    updated_at: '2024-05-01T10:05:00Z',
    current_leaf_message_uuid: 'm3',
    chat_messages: [
      { uuid: 'm1', parent_message_uuid: '00000000-0000-4000-8000-000000000000', sender: 'human', created_at: '2024-05-01T10:00:01Z', text: 'Is rye harder?', content: [{ type: 'text', text: 'Is rye harder?' }] },
      { uuid: 'm2', parent_message_uuid: 'm1', sender: 'assistant', created_at: '2024-05-01T10:00:02Z', content: [{ type: 'text', text: 'A little.' }] },
      { uuid: 'm3', parent_message_uuid: 'm1', sender: 'assistant', created_at: '2024-05-01T10:00:03Z', content: [{ type: 'thinking', thinking: 'PRIVATE' }, { type: 'text', text: 'Yes: rye holds less gas.' }] },
    ],
  },
]);

export async function axeCheck(page, step, view) {
  step(`accessibility (axe-core): no serious or critical violation in ${view}`);
  await page.addScriptTag({ content: readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8') });
  const found = await page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')})`);
  });
  if (found.length) throw new Error(`axe-core in ${view}:\n${found.join('\n')}`);
}

export async function treeSteps({ page, step, out, model }) {
  step('tree: the test model, 8-token replies');
  await saveSettings(page, { max_tokens: 8, ignore_eos: true, temperature: 0.8, seed: -1, thinking_off: [] });
  await page.getByTestId('model-picker').click();
  await page.locator(`[data-testid="model-option"][data-path$="${basename(model)}"]`).first().click();
  await page.waitForFunction(() => document.querySelector('[data-testid="status-bar"]')?.textContent?.match(/plain completion|tok\/s|context/i), null, { timeout: 30000 });
  await page.getByTestId('new-chat').click();
  const input = page.getByTestId('composer-input');
  await input.fill('Tell me about the zebrafinch');
  await input.press('Enter');
  await settle(page);
  const convId = await page.evaluate(async () => (await window.go.app.App.ListConversations())[0].id);

  step('a reply cut at its token limit says so; Continue appends to it');
  const reply = page.locator(assistant).last();
  const note = await reply.getByTestId('stop-note').innerText();
  if (!note.includes('Stopped at 8 tokens')) throw new Error(`stop note ${JSON.stringify(note)}`);
  // The reply as saved, not as rendered: the random test model writes runs
  // of spaces and markdown marks, which the rendered text collapses.
  const before = (await shownTree(page, convId)).path[1];
  await reply.getByTestId('continue-reply').click();
  await page.locator(assistant).last().getByTestId('stop-note').filter({ hasText: 'Stopped at 16 tokens' }).waitFor({ timeout: 30000 });
  await settle(page);
  const continued = (await page.locator(assistant).last().locator('.content').innerText()).trim();
  const tree0 = await shownTree(page, convId);
  if (!tree0.path[1].startsWith(before) || tree0.path[1].length <= before.length) {
    throw new Error(`continued reply ${JSON.stringify(tree0.path[1])} does not extend ${JSON.stringify(before)}`);
  }
  await page.screenshot({ path: join(out, 'browser-continued.png') });

  step('regenerate: a second version, ‹ 2/2 ›; switch back to the first');
  await page.locator(assistant).last().getByTestId('regenerate-reply').click();
  const label = page.locator(assistant).last().getByTestId('version-label');
  await label.waitFor({ timeout: 10000 });
  await settle(page);
  if ((await label.innerText()) !== '2/2') throw new Error(`version label ${await label.innerText()}`);
  await page.screenshot({ path: join(out, 'browser-versions.png') });
  await page.locator(assistant).last().getByTestId('version-prev').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="version-label"]')?.textContent === '1/2', null, { timeout: 10000 });
  const back = (await page.locator(assistant).last().locator('.content').innerText()).trim();
  if (back !== continued) throw new Error(`switching back shows ${JSON.stringify(back)}, want ${JSON.stringify(continued)}`);

  step('message actions show on keyboard focus');
  await page.locator(assistant).last().getByTestId('regenerate-reply').focus();
  await page.waitForTimeout(300);
  const opacity = await page.evaluate(() => getComputedStyle(document.activeElement.closest('.meta')).opacity);
  if (opacity !== '1') throw new Error(`actions of the focused message have opacity ${opacity}`);

  step('edit the question and resend: a new branch, the old one kept');
  const question = page.locator('[data-testid="message"][data-role="user"]').last();
  await question.getByTestId('edit-message').click();
  await page.getByTestId('edit-input').fill('The dog ran');
  await page.getByTestId('edit-send').click();
  await page.locator('[data-testid="message"][data-role="user"]').filter({ hasText: 'The dog ran' }).waitFor({ timeout: 10000 });
  await settle(page);
  const tree1 = await shownTree(page, convId);
  if (tree1.path[0] !== 'user:The dog ran' || tree1.versions[0] !== 2) throw new Error(`after editing ${JSON.stringify(tree1)}`);

  step('Ctrl+K: search finds the first question on its branch and opens it');
  await page.keyboard.press('Control+k');
  await page.getByTestId('search-dialog').waitFor({ timeout: 5000 });
  await page.getByTestId('search-input').fill('zebrafinch');
  const hit = page.locator('[data-testid="search-hit"][data-kind="message"]').first();
  await hit.waitFor({ timeout: 10000 });
  if (!(await hit.locator('mark').count())) throw new Error('the hit has no highlighted words');
  await page.screenshot({ path: join(out, 'browser-search.png') });
  await axeCheck(page, step, 'the search dialog');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid="message"][data-role="user"]')].some((m) => m.textContent.includes('zebrafinch')), null, { timeout: 10000 });

  if (await page.evaluate(async () => (await window.go.app.App.ListDocuments()).some((d) => d.name === 'farm report.pdf'))) {
    step('Ctrl+K: a passage hit opens the passage in its document');
    await page.keyboard.press('Control+k');
    await page.getByTestId('search-input').fill('barley');
    const passageHit = page.locator('[data-testid="search-hit"][data-kind="passage"]').first();
    await passageHit.waitFor({ timeout: 10000 });
    await passageHit.click();
    await page.getByTestId('passage').waitFor({ timeout: 10000 });
    if (!/barley/i.test(await page.getByTestId('passage-text').innerText())) throw new Error('the passage opened is not the hit');
    await page.getByTestId('passage-close').click();
    await page.getByTestId('conversation-item').first().click();
  }

  step('export the conversation as JSON: imported back it is skipped; once deleted, it comes back with the same tree');
  const file = join(out, 'tree-export.json');
  const original = await shownTree(page, convId);
  const again = await page.evaluate(
    async ({ id, path }) => {
      const a = window.go.app.App;
      await a.ExportConversationTo(id, 'json', path);
      return a.ImportPath(path);
    },
    { id: convId, path: file },
  );
  if (again.conversations !== 0 || again.skipped !== 1) throw new Error(`import back ${JSON.stringify(again)}: want it skipped`);
  const imported = await page.evaluate(
    async ({ id, path }) => {
      const a = window.go.app.App;
      await a.DeleteConversation(id);
      return a.ImportPath(path);
    },
    { id: convId, path: file },
  );
  if (imported.conversations !== 1 || imported.messages !== 5) throw new Error(`import ${JSON.stringify(imported)}`);
  const copy = await shownTree(page, imported.conversation_ids[0]);
  if (JSON.stringify(copy) !== JSON.stringify(original)) throw new Error(`imported ${JSON.stringify(copy)}, exported ${JSON.stringify(original)}`);

  step('a ChatGPT export is imported with its branches');
  const gpt = join(out, 'conversations.json');
  writeFileSync(gpt, chatGPT);
  const r = await page.evaluate((p) => window.go.app.App.ImportPath(p), gpt);
  if (r.format !== 'ChatGPT' || r.messages !== 3) throw new Error(`ChatGPT import ${JSON.stringify(r)}`);
  await page.getByTestId('conversation-item').filter({ hasText: 'Sourdough from ChatGPT' }).first().click();
  await page.locator(assistant).filter({ hasText: 'Equal weights' }).waitFor({ timeout: 10000 });
  if ((await page.locator(assistant).last().getByTestId('version-label').innerText()) !== '2/2') throw new Error('the ChatGPT branches were not kept');
  await page.screenshot({ path: join(out, 'browser-imported.png') });
  await axeCheck(page, step, 'the chat');

  step('a Claude export is imported with its branches, the one it showed last open, its thinking left out');
  const claudeFile = join(out, 'claude-conversations.json');
  writeFileSync(claudeFile, claude);
  const rc = await page.evaluate((p) => window.go.app.App.ImportPath(p), claudeFile);
  if (rc.format !== 'Claude' || rc.conversations !== 1 || rc.messages !== 3) throw new Error(`Claude import ${JSON.stringify(rc)}`);
  const claudeTree = await shownTree(page, rc.conversation_ids[0]);
  const wantTree = { path: ['user:Is rye harder?', 'assistant:Yes: rye holds less gas.'], versions: [1, 2] };
  if (JSON.stringify(claudeTree) !== JSON.stringify(wantTree)) throw new Error(`Claude tree ${JSON.stringify(claudeTree)}`);
  await page.getByTestId('conversation-item').filter({ hasText: 'Rye from Claude' }).first().click();
  await page.locator(assistant).filter({ hasText: 'rye holds less gas' }).waitFor({ timeout: 10000 });
  if ((await page.locator(assistant).last().getByTestId('version-label').innerText()) !== '2/2') throw new Error('the Claude branches were not kept');
  if ((await page.locator(assistant).last().innerText()).includes('PRIVATE')) throw new Error("Claude's thinking was imported as text");
  // The steps below start from the ChatGPT conversation.
  await page.getByTestId('conversation-item').filter({ hasText: 'Sourdough from ChatGPT' }).first().click();
  await page.locator(assistant).filter({ hasText: 'Equal weights' }).waitFor({ timeout: 10000 });

  step('deleting a conversation asks first, with Cancel focused');
  await page.getByTestId('conversation-item').first().hover();
  await page.getByTestId('conversation-item').first().getByTestId('delete-conversation').click();
  await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'confirm-cancel', null, { timeout: 5000 });
  await page.keyboard.press('Escape');

  step('a draft stays with its conversation');
  await page.getByTestId('composer-input').fill('an unsent thought');
  await page.getByTestId('conversation-item').filter({ hasNotText: 'Sourdough from ChatGPT' }).first().click();
  await page.waitForFunction(() => document.querySelector('[data-testid="composer-input"]')?.value === '', null, { timeout: 5000 });
  await page.getByTestId('conversation-item').filter({ hasText: 'Sourdough from ChatGPT' }).first().click();
  await page.waitForFunction(() => document.querySelector('[data-testid="composer-input"]')?.value === 'an unsent thought', null, { timeout: 5000 });
  await page.getByTestId('composer-input').fill('');

  step("a chat's own instructions: given from the conversation bar, shown above it, exported, kept after a reload, removed");
  await page.getByTestId('conversation-item').filter({ hasText: 'Sourdough from ChatGPT' }).first().locator('button.open').click();
  await page.getByTestId('instructions-add').click();
  await page.getByTestId('instructions-input').fill('Answer like a baker.');
  await page.getByTestId('instructions-save').click();
  await page.getByTestId('instructions-text').filter({ hasText: 'Answer like a baker.' }).waitFor({ timeout: 5000 });
  const sourdough = await page.evaluate(async () => (await window.go.app.App.ListConversations()).find((c) => c.title.includes('Sourdough')));
  if (sourdough?.instructions !== 'Answer like a baker.') throw new Error(`stored instructions ${JSON.stringify(sourdough?.instructions)}`);
  const mdPath = join(out, 'sourdough.md');
  await page.evaluate(([id, p]) => window.go.app.App.ExportConversationTo(id, 'md', p), [sourdough.id, mdPath]);
  if (!readFileSync(mdPath, 'utf8').includes('## Instructions\n\nAnswer like a baker.')) throw new Error('the Markdown export lacks the instructions');
  await page.reload();
  await page.getByTestId('conversation-item').filter({ hasText: 'Sourdough from ChatGPT' }).first().locator('button.open').click();
  await page.getByTestId('instructions-text').filter({ hasText: 'Answer like a baker.' }).waitFor({ timeout: 10000 });
  await page.screenshot({ path: join(out, 'browser-instructions.png') });
  await axeCheck(page, step, 'a chat with instructions');
  await page.getByTestId('instructions-edit').click();
  await page.getByTestId('instructions-remove').click();
  await page.getByTestId('instructions').waitFor({ state: 'detached', timeout: 5000 });

  step('keyboard only: Ctrl+N, type, Enter sends; Esc stops the reply');
  await saveSettings(page, { max_tokens: 6000, ignore_eos: true }); // several contexts' worth: seconds to stop it in
  await page.keyboard.press('Control+n');
  await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'composer-input', null, { timeout: 5000 });
  await page.keyboard.type('A long story');
  await page.keyboard.press('Enter');
  await page.getByTestId('stop-button').waitFor({ timeout: 20000 });
  await page.keyboard.press('Escape');
  await page.waitForSelector(`${assistant}[data-status="stopped"]`, { timeout: 20000 });
  await saveSettings(page, { max_tokens: 24, ignore_eos: false });

  step('the search dialog keeps Tab inside and gives focus back when it closes');
  await page.getByTestId('composer-input').focus();
  await page.keyboard.press('Control+k');
  await page.getByTestId('search-input').fill('zebrafinch');
  await page.locator('[data-testid="search-hit"]').first().waitFor({ timeout: 10000 });
  for (let i = 0; i < 6; i++) await page.keyboard.press('Tab');
  if (!(await page.evaluate(() => !!document.activeElement?.closest('[data-testid="search-dialog"]')))) throw new Error('Tab left the search dialog');
  await page.keyboard.press('Escape');
  await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'composer-input', null, { timeout: 5000 });

  step('the sidebar hides and comes back (Ctrl+B, and its button)');
  await page.keyboard.press('Control+b');
  await page.getByTestId('new-chat').waitFor({ state: 'detached', timeout: 5000 });
  await page.getByTestId('toggle-sidebar').click();
  await page.getByTestId('new-chat').waitFor({ timeout: 5000 });

  step('the shortcut list (Ctrl+/)');
  await page.keyboard.press('Control+/');
  await page.getByTestId('shortcut-list').waitFor({ timeout: 5000 });
  await axeCheck(page, step, 'the shortcut list');
  await page.keyboard.press('Escape');
  await page.getByTestId('open-settings').click();
  await page.waitForTimeout(300);
  await axeCheck(page, step, 'the settings');
  await page.keyboard.press('Escape');
}
