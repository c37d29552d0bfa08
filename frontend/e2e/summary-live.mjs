// Browser steps for a document summary while it runs and after: a second
// Chapel (`chapel serve` on loopback) is ticked to take map steps; a
// multi-page PDF is dropped and summarised, and the parts already summarised
// appear in document order (labelled by pages) while the others wait, with a
// line per engine (pieces done, in flight, tok/s) and the plan saying how its
// tokens were counted. Stopped half-way and read again from Go (a reload),
// the saved parts are still there; finished, its parts say which engine made
// them. Then it is run again, forced, with an endpoint ticked too whose
// model the server no longer has: it sits the steps out and its line says
// why; the summary made before stays on screen until the new one completes.
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { startServe as startSecondChapel } from './serve.mjs';

const TOKEN = 'e2e-summary-live-token';

/** Starts this suite's second Chapel (see serve.mjs). */
function startServe(root, out, model) {
  return startSecondChapel({ root, home: join(out, 'summary-serve-home'), model, token: TOKEN });
}

/** Adds an endpoint that takes summary steps; returns its id. */
function addEndpoint(page, name, url, modelId) {
  return page.evaluate(async ({ name, url, modelId, token }) => (await window.go.app.App.SaveEndpoint({
    id: '', name, base_url: url, model: modelId, has_key: false, summaries: true, api_key: token, set_key: true,
  })).id, { name, url, modelId, token: TOKEN });
}

/** Pages of farm notes: each page names itself, so the parts can be told apart. */
function farmPages(n) {
  const pages = [];
  for (let p = 1; p <= n; p++) {
    pages.push([
      `Farm diary, page ${p}.`,
      `On day ${p} the farmers counted ${p * 7 + 3} sheep in the north field.`,
      `The barley on plot ${p} grew ${p % 5 + 2} inches after the rain.`,
      `Cattle number ${p + 40} were moved to the river meadow.`,
      `The orchard gave ${p * 3} baskets of apples that week.`,
    ]);
  }
  return pages;
}

/** The pieces list as shown: each piece's status, label and engine. */
function shownPieces(page) {
  return page.evaluate(() => [...document.querySelectorAll('[data-testid="summary-piece"]')].map((el) => ({
    status: el.dataset.status,
    engine: el.dataset.engine,
    label: el.querySelector('[data-testid="summary-piece-label"]')?.textContent ?? '',
  })));
}

/** First page of a label ("Page 3", "Pages 3–5"). */
const firstPage = (label) => Number((label.match(/\d+/) ?? ['0'])[0]);

/** How many lines the view shows under "engines" (one per engine at work). */
const engineLineCount = (page) => page.evaluate(() => document.querySelectorAll('[data-testid="summary-engine"]').length);

/**
 * Polls the view until it shows a running summary with at least one part
 * done and one still to come; returns what it saw. With `toStop`, it also
 * waits for both engines' lines. The parts are shown as they are planned,
 * and the planned ones are taken at once (none shows pending), so the only
 * sign of work left is a part not done yet.
 */
async function waitForPartial(page, what, toStop = false) {
  let ps = [];
  const seen = []; // each new state: running?, done/shown, engine lines
  for (let i = 0; i < 2400; i++) {
    const running = await page.getByTestId('summary-progress').count();
    ps = await shownPieces(page);
    const done = ps.filter((p) => p.status === 'done').length;
    const engines = await engineLineCount(page);
    const ready = done < ps.length && (!toStop || engines >= 2);
    const state = `${running ? 'running' : 'idle'} ${done}/${ps.length} e${engines}`;
    if (seen.at(-1) !== state) seen.push(state);
    if (running && done > 0 && ready) return ps;
    if (!running && i > 20 && ps.length && done === ps.length) break;
    await page.waitForTimeout(50);
  }
  throw new Error(`${what}: never saw some parts done while others ran${toStop ? ', with both engines at work' : ''}; seen ${seen.join(', ')}; last ${JSON.stringify(ps)}`);
}

export async function summaryLiveSteps({ page, step, out, root, model, makePDF }) {
  step('summary live: a second Chapel on loopback is ticked to take summaries\' map steps');
  const serve = await startServe(root, out, model);
  let endpointId = '';
  let goneId = '';
  try {
    const models = await (await fetch(`${serve.url}/models`, { headers: { Authorization: `Bearer ${TOKEN}` } })).json();
    const modelId = models.data[0].id;
    endpointId = await addEndpoint(page, 'Rack box', serve.url, modelId);

    step('summary live: drop a 120-page PDF and summarise it; parts appear in page order while the rest run, with a line per engine');
    const pdfPath = join(out, 'farm diary.pdf');
    writeFileSync(pdfPath, makePDF(farmPages(120)), 'latin1');
    await page.evaluate((p) => window.WailsInvoke(`DD:400:300:${p}`), pdfPath);
    await page.getByTestId('document-view').filter({ hasText: 'farm diary.pdf' }).waitFor({ timeout: 60000 });
    await page.getByTestId('summarize').click();
    await page.getByTestId('summary-progress').waitFor({ timeout: 30000 });
    // What the view shows is read, and the screenshot taken, at once; the
    // stop follows right after, and the checks of what was read after it.
    const partial = await waitForPartial(page, 'the first run', true);
    const engineLines = await page.getByTestId('summary-engine').allInnerTexts();
    const plan = await page.getByTestId('summary-plan').innerText();
    await page.screenshot({ path: join(out, 'browser-summary-live.png') });

    step('summary live: stop it half-way; read again from Go, the saved parts are there and the rest wait');
    await page.getByTestId('summary-stop').click();
    const labels = partial.map((p) => p.label);
    if (!labels.every((l) => /^Pages? \d+/.test(l))) throw new Error(`part labels ${JSON.stringify(labels)}`);
    for (let i = 1; i < labels.length; i++) {
      if (firstPage(labels[i]) < firstPage(labels[i - 1])) throw new Error(`parts out of page order: ${JSON.stringify(labels)}`);
    }
    if (firstPage(labels[0]) !== 1) throw new Error(`the first part starts at ${labels[0]}`);
    if (!engineLines.some((l) => /^This computer/.test(l)) || !engineLines.some((l) => /^Rack box/.test(l))) {
      throw new Error(`engine lines ${JSON.stringify(engineLines)}`);
    }
    if (!/\d+ steps?: \d+ parts? of the document, then .*token counts from the model's tokenizer/.test(plan)) throw new Error(`plan ${JSON.stringify(plan)}`);
    console.log(`    ${partial.filter((p) => p.status === 'done').length} of ${partial.length} parts shown done while running; ${engineLines.join(' | ')}`);
    await page.locator('[data-testid="summary-status"][data-status="canceled"]').waitFor({ timeout: 60000 });
    await page.reload();
    await page.getByTestId('document-item').filter({ hasText: 'farm diary.pdf' }).first().click();
    await page.locator('[data-testid="summary-status"][data-status="canceled"]').waitFor({ timeout: 20000 });
    await page.getByTestId('summary-piece').first().waitFor({ timeout: 20000 });
    const kept = await shownPieces(page);
    const keptDone = kept.filter((p) => p.status === 'done');
    if (!keptDone.length || keptDone.length === kept.length || kept.some((p) => p.status === 'running')) {
      throw new Error(`after a stop and a reload: ${JSON.stringify(kept)}`);
    }
    if (!keptDone.every((p) => p.engine === 'local' || p.engine.startsWith('Rack box ('))) throw new Error(`engines of saved parts ${JSON.stringify(keptDone)}`);
    console.log(`    stopped: ${keptDone.length} of ${kept.length} parts kept, the rest wait`);

    step('summary live: resume to the end; its parts fold away and say which engine made them');
    await page.getByTestId('summarize').click();
    await page.locator('[data-testid="summary"][data-status="complete"]').waitFor({ timeout: 300000 });
    const made = await page.locator('[data-testid="summary-pieces-box"] summary').innerText();
    if (!/^The \d+ parts it was made from · \d+ steps: /.test(made) || !/\d+ on this computer/.test(made) || !/\d+ on Rack box/.test(made)) {
      throw new Error(`made by ${JSON.stringify(made)}`);
    }
    const firstText = await page.getByTestId('summary').innerText();
    console.log(`    ${made}`);

    step('summary live: run it again, forced, with an endpoint ticked whose model is gone; it sits out and says why; the summary made before stays until the new one completes');
    goneId = await addEndpoint(page, 'Old box', serve.url, 'a-model-it-no-longer-has');
    await page.getByTestId('summary-run-again').click();
    const dialog = page.getByTestId('run-again-dialog');
    await dialog.waitFor({ timeout: 5000 });
    const force = page.getByTestId('run-again-force');
    if (!(await force.isChecked())) await force.check();
    await page.getByTestId('run-again-run').click();
    await page.getByTestId('summary-progress').waitFor({ timeout: 30000 });
    const previous = await page.getByTestId('summary-previous').innerText();
    if (!/made before/.test(previous)) throw new Error(`while run again: ${JSON.stringify(previous)}`);
    if ((await page.getByTestId('summary').innerText()) !== firstText) throw new Error('the summary made before left the screen');
    // Its line comes with the first batch, which it sits out.
    const sitting = page.locator('[data-testid="summary-engine"][data-sits-out="true"]').filter({ hasText: 'Old box' });
    await sitting.waitFor({ timeout: 60000 });
    const note = (await sitting.innerText()).replace(/\s+/g, ' ');
    if (!/^Old box 0 done · sits out: Old box has no model "a-model-it-no-longer-has"; it serves /.test(note)) {
      throw new Error(`the line of the endpoint whose model is gone: ${JSON.stringify(note)}`);
    }
    console.log(`    ${note}`);
    await waitForPartial(page, 'the forced run');
    await page.screenshot({ path: join(out, 'browser-summary-again.png') });
    await page.locator('[data-testid="summary"][data-status="complete"]').waitFor({ timeout: 300000 });
    const madeAgain = await page.locator('[data-testid="summary-pieces-box"] summary').innerText();
    if (/Old box/.test(madeAgain)) throw new Error(`made by ${JSON.stringify(madeAgain)}: the endpoint that sat out is counted`);
    if (await page.getByTestId('summary-progress').count()) throw new Error('progress left after the forced run');
    if (await page.getByTestId('summary-previous').count()) throw new Error('the "made before" note outlived the forced run');
    const sums = await page.evaluate(async () => {
      const a = window.go.app.App;
      const docs = await a.ListDocuments();
      const d = await a.GetDocument(docs.find((x) => x.name === 'farm diary.pdf').id);
      return d.summaries.map((s) => ({ id: s.id, status: s.status, style: s.style }));
    });
    if (sums.length !== 1 || sums[0].status !== 'complete') throw new Error(`summaries after the forced run: ${JSON.stringify(sums)}`);
    await page.screenshot({ path: join(out, 'browser-summary-done.png') });
  } finally {
    for (const id of [endpointId, goneId].filter(Boolean)) {
      await page.evaluate((id) => window.go.app.App.DeleteEndpoint(id), id).catch(() => {});
    }
    serve.proc.kill('SIGTERM');
  }
}
