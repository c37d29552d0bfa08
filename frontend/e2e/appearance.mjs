// Browser steps for Settings → Appearance: Dark chosen by hand applies at
// once, passes axe-core's contrast check, and is what the page paints after
// a reload before any of the app's code runs (the bundle blocked); Light
// passes the same check; the summary-notification setting is stored. The
// theme goes back to following the system at the end.
import { join } from 'node:path';
import { axeCheck } from './tree.mjs';

const dark = 'rgb(28, 28, 30)';
const light = 'rgb(251, 251, 250)';

async function painted(page) {
  return page.evaluate(() => ({ theme: document.documentElement.dataset.theme, bg: getComputedStyle(document.body).backgroundColor }));
}

async function openSettings(page) {
  await page.getByTestId('open-settings').click();
  await page.getByTestId('appearance-section').waitFor({ timeout: 10000 });
}

async function closeSettings(page) {
  await page.keyboard.press('Escape');
  await page.getByTestId('settings-panel').waitFor({ state: 'detached', timeout: 5000 });
}

async function choose(page, theme, scheme) {
  await page.getByTestId(`theme-${theme}`).check();
  await page.waitForFunction((s) => document.documentElement.dataset.theme === s, scheme, { timeout: 5000 });
  // Stored, not only shown.
  await page.waitForFunction(async (t) => (await window.go.app.App.GetAppearance()).theme === t, theme, { timeout: 5000 });
}

export async function appearanceSteps({ page, step, out }) {
  step('Settings → Appearance: Dark, chosen by hand, applies at once');
  await openSettings(page);
  await choose(page, 'dark', 'dark');
  let p = await painted(page);
  if (p.bg !== dark) throw new Error(`dark theme: the page's background is ${p.bg}, want ${dark}`);
  await page.screenshot({ path: join(out, 'browser-settings-dark.png') });
  await axeCheck(page, step, 'the settings, dark');
  await closeSettings(page);
  await axeCheck(page, step, 'the chat, dark');
  await page.screenshot({ path: join(out, 'browser-dark.png') });

  step('dark is remembered: the page paints it before the app\'s code runs (bundle blocked), and after a reload');
  // A page of its own (no storage shared with the app's page): only the Go side can tell it the theme.
  const bare = await page.context().browser().newPage();
  await bare.route(/\/assets\/.*\.js$/, (r) => r.abort());
  await bare.goto(page.url());
  p = await painted(bare);
  await bare.close();
  if (p.theme !== 'dark' || p.bg !== dark) throw new Error(`without the bundle the page shows ${JSON.stringify(p)}, want dark`);
  await page.reload();
  await page.getByTestId('open-settings').waitFor({ timeout: 20000 });
  p = await painted(page);
  if (p.theme !== 'dark' || p.bg !== dark) throw new Error(`after a reload the page shows ${JSON.stringify(p)}, want dark`);
  await openSettings(page);
  if (!(await page.getByTestId('theme-dark').isChecked())) throw new Error('after a reload Settings does not show Dark chosen');

  step('Light, chosen by hand: the same contrast check');
  await choose(page, 'light', 'light');
  p = await painted(page);
  if (p.bg !== light) throw new Error(`light theme: the page's background is ${p.bg}, want ${light}`);
  await axeCheck(page, step, 'the settings, light');
  await closeSettings(page);
  await axeCheck(page, step, 'the chat, light');

  step('the summary notification can be turned off, and stays off after a reload');
  await openSettings(page);
  const box = page.getByTestId('notify-summaries');
  if (!(await box.isChecked())) throw new Error('summary notifications are off by default');
  await box.uncheck();
  await page.waitForFunction(async () => (await window.go.app.App.GetAppearance()).notify_summaries === false, null, { timeout: 5000 });
  await page.reload();
  await openSettings(page);
  if (await page.getByTestId('notify-summaries').isChecked()) throw new Error('after a reload the summary notification is on again');
  await page.getByTestId('notify-summaries').check();
  await page.waitForFunction(async () => (await window.go.app.App.GetAppearance()).notify_summaries === true, null, { timeout: 5000 });
  await page.getByTestId('theme-system').check();
  await page.waitForFunction(async () => (await window.go.app.App.GetAppearance()).theme === 'system', null, { timeout: 5000 });
  await closeSettings(page);
}
