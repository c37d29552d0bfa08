// Browser steps for the window's About box: it names the version, the engine
// variant running on this CPU (and why), the data folder this Chapel uses and
// the licences of the bundled software.
import { join, resolve } from 'node:path';

export async function aboutSteps({ page, step, out, home }) {
  step('the About box: version, engine variant and why, data folder, bundled licences');
  await page.getByTestId('open-about').click();
  await page.getByTestId('about-dialog').waitFor({ timeout: 10000 });
  await page.getByTestId('about-engine').waitFor({ timeout: 10000 });
  const version = (await page.getByTestId('about-version').innerText()).trim();
  const engine = (await page.getByTestId('about-engine').innerText()).trim();
  const dataDir = (await page.getByTestId('about-data-dir').innerText()).trim();
  const licences = await page.getByTestId('about-licences').innerText();
  await page.screenshot({ path: join(out, 'browser-about.png') });
  console.log(`    ${version.replace(/\s+/g, ' ')}; engine: ${engine.split('\n').join(' · ')}`);
  if (!version) throw new Error('the About box shows no version');
  const [name, reason] = engine.split('\n').map((l) => l.trim());
  if (!name || !reason || reason.length < 20) throw new Error(`the engine line gives no variant and reason: ${JSON.stringify(engine)}`);
  if (home && dataDir !== resolve(home)) throw new Error(`data folder ${JSON.stringify(dataDir)}, want ${JSON.stringify(home)}`);
  // With a local model loaded on x86-64, its engine says who multiplies the
  // Q4_0 (and, with AVX512-VNNI, Q4_K) weights, as measured when it started.
  const kernels = page.getByTestId('about-kernel');
  if (await kernels.count()) {
    const text = (await kernels.allInnerTexts()).map((t) => t.trim()).join('; ');
    if (!/^Q4_0 generation \(one row\): (Chapel|ggml)'s.*; Q4_0 prompts \(four rows\): (Chapel|ggml)'s.*; (measured at start in \d+ ms|chosen by CHAPEL_REPACK_DRIVER=\w+|the build's default)$/.test(text))
      throw new Error(`the kernels line reads ${JSON.stringify(text)}`);
  }
  for (const name of ['llama.cpp', 'Wails', 'SQLite', 'DOMPurify', 'pdf.js', 'KaTeX']) {
    if (!licences.includes(name)) throw new Error(`the licences do not name ${name}`);
  }
  // Every licence is inside the dialog, none cut off at its right edge.
  const clipped = await page.getByTestId('about-licences').evaluate((table) => {
    const box = table.parentElement, right = box.getBoundingClientRect().left + box.clientWidth;
    return [...table.querySelectorAll('td')].filter((td) => td.getBoundingClientRect().right > right + 1).map((td) => td.innerText);
  });
  if (clipped.length) throw new Error(`the About box cuts off ${JSON.stringify(clipped)} at its right edge`);
  await page.keyboard.press('Escape');
  await page.getByTestId('about-dialog').waitFor({ state: 'detached', timeout: 5000 });
}
