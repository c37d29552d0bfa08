// Browser step for the harness itself: the dev binary serves the UI to the
// browser and must not run it in its own window too (app/window_dev.go),
// or every event reaches two frontends and a dropped file is added twice.
// The log says the window got the empty page; and ingest jobs are numbered
// one after another, so the jobs started between two probes count the
// frontends that handled the drop (a slow second frontend may come after
// the second probe: the log line is the check that cannot miss).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export async function singleFrontendSteps({ page, step, out, home }) {
  step('one drop is handled once (the browser only, not also the dev binary\'s own window): one ingest job, one document');
  // The window's own webview was given the empty page, never the app.
  const log = readFileSync(join(home, 'logs', 'chapel.log'), 'utf8');
  if (!log.includes("the window's own webview gets an empty page")) throw new Error("the dev binary's own window was not kept out of the app (no log line says so)");
  const probe = () => page.evaluate((p) => window.go.app.App.IngestFiles([p]).then((j) => j.job), join(out, 'no-such-file.txt'));
  const name = 'single drop check.txt';
  const file = join(out, name);
  writeFileSync(file, 'A note about the single frontend.\nThe lighthouse keeper counts every drop once.\n');
  const before = await probe();
  await page.evaluate((p) => window.WailsInvoke(`DD:400:300:${p}`), file);
  await page.getByTestId('document-item').filter({ hasText: name }).first().waitFor({ timeout: 30000 });
  const after = await probe();
  const jobs = after - before - 1;
  if (jobs !== 1) throw new Error(`one drop started ${jobs} ingest jobs, want 1 (two frontends handle it)`);
  const docs = await page.evaluate((n) => window.go.app.App.ListDocuments().then((ds) => ds.filter((d) => d.name === n).length), name);
  if (docs !== 1) throw new Error(`${docs} documents named ${JSON.stringify(name)}, want 1`);
}
