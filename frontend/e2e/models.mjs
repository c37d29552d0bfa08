// Browser steps for the model library: a fresh Chapel (its own data folder)
// whose catalogue (CHAPEL_CATALOG_FILE, a test-only override) names one
// synthetic chat model served from 127.0.0.1 the way Hugging Face serves
// files (the hub path redirects to a CDN path; X-Linked-Etag and
// X-Linked-Size carry the SHA-256 and size; the CDN path serves Range). The
// first-run screen offers it as the recommended download; clicking Download
// shows progress with speed and time left, the verified model loads, and a
// chat runs on it.
import { spawn, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as netServer } from 'node:net';
import { join } from 'node:path';

const REPO = 'test/tiny-chat-GGUF';
const REV = 'c0ffee'.padEnd(40, '0');
const FILE = 'tiny-chat.gguf';

/** Serves data as Hugging Face does, slowly enough (32 KiB per 120 ms) for the progress to show. */
async function startModelServer(data, sha) {
  const ranges = [];
  const server = createServer((req, res) => {
    if (req.url === `/${REPO}/resolve/${REV}/${FILE}`) {
      res.writeHead(302, {
        Location: `/cdn/${sha}`,
        'X-Linked-Etag': `"${sha}"`,
        'X-Linked-Size': String(data.length),
        'X-Repo-Commit': REV,
      });
      res.end();
      return;
    }
    if (req.url !== `/cdn/${sha}`) {
      res.writeHead(404).end();
      return;
    }
    const m = /^bytes=(\d+)-$/.exec(req.headers.range || '');
    const start = m ? Number(m[1]) : 0;
    ranges.push(req.headers.range || '');
    const body = data.subarray(start);
    res.writeHead(m ? 206 : 200, {
      'Content-Length': String(body.length),
      'Accept-Ranges': 'bytes',
      ...(m ? { 'Content-Range': `bytes ${start}-${data.length - 1}/${data.length}` } : {}),
    });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    let off = 0;
    const tick = () => {
      if (res.destroyed) return;
      if (off >= body.length) {
        res.end();
        return;
      }
      res.write(body.subarray(off, off + 32768));
      off += 32768;
      setTimeout(tick, 120);
    };
    tick();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${server.address().port}`, ranges };
}

async function freePort() {
  return new Promise((res, rej) => {
    const s = netServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
    s.on('error', rej);
  });
}

async function startDevApp(root, home, env) {
  const port = await freePort();
  const log = [];
  const proc = spawn(join(root, 'build/bin/chapel-dev'), [], {
    cwd: home, // not the checkout: its models/ folder must not be listed here
    env: { ...process.env, ...env, CHAPEL_HOME: home, assetdir: join(root, 'frontend/dist'), devserver: `127.0.0.1:${port}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout.on('data', (d) => log.push(String(d)));
  proc.stderr.on('data', (d) => log.push(String(d)));
  const exited = new Promise((r) => proc.on('exit', r));
  const url = `http://127.0.0.1:${port}/`;
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(url)).ok) return { proc, url, log, exited };
    } catch {
      /* not yet */
    }
    if (proc.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  proc.kill('SIGKILL');
  throw new Error(`the dev app did not serve ${url}:\n${log.join('')}`);
}

export async function modelsSteps({ page: mainPage, step, out, root }) {
  step('models: a fresh Chapel offers the recommended download from its catalogue');
  const dir = join(out, 'models-e2e');
  const home = join(dir, 'home');
  mkdirSync(home, { recursive: true });
  const src = join(dir, FILE);
  execFileSync(join(root, 'build/bin/chapel'), ['synth-model', '--shape', 'tiny', '--chat', src]);
  const data = readFileSync(src);
  const sha = createHash('sha256').update(data).digest('hex');
  const srv = await startModelServer(data, sha);
  const catalog = join(dir, 'catalog.json');
  writeFileSync(catalog, JSON.stringify({
    version: 1,
    host: srv.url,
    models: [{
      id: 'tiny-chat-test', name: 'Tiny Chat (test)', kind: 'chat', repo: REPO, file: FILE, revision: REV,
      size_bytes: data.length, sha256: sha, parameters: '0.3M', quantization: 'F32', context_length: 1024,
      license: 'MIT', template_family: 'chatml', reasoning: false, good_at: 'proving the download path',
    }],
  }));
  const app = await startDevApp(root, home, { CHAPEL_CATALOG_FILE: catalog, CHAPEL_THREADS: '1' });
  const page = await mainPage.context().browser().newPage({ viewport: { width: 1280, height: 860 } });
  try {
    await page.goto(app.url);
    await page.getByTestId('first-run').waitFor({ timeout: 20000 });
    const rec = page.getByTestId('first-run-recommended');
    await rec.getByText('Tiny Chat (test)').waitFor({ timeout: 15000 });

    step('models: download it, with progress (speed, time left), SHA-256 checked');
    await rec.getByTestId('download-start').click();
    const status = page.getByTestId('download-status');
    await status.waitFor({ timeout: 15000 });
    let seen = '';
    for (let i = 0; i < 200 && !/MB\/s|KB\/s/.test(seen); i++) {
      seen = (await status.innerText().catch(() => '')) || seen;
      if (!/MB\/s|KB\/s/.test(seen)) await page.waitForTimeout(50);
    }
    if (!/\d+ %/.test(seen) || !/\/s/.test(seen)) throw new Error(`download progress never showed a percentage and speed: ${JSON.stringify(seen)}`);
    console.log(`    ${seen}`);
    await page.screenshot({ path: join(out, 'browser-models-download.png') });

    step('models: the downloaded model loads by itself, and chats');
    await page.waitForFunction(() => document.querySelector('[data-testid="model-picker"]')?.textContent?.includes('chapel-synthetic'), null, { timeout: 60000 });
    const list = await page.evaluate(() => window.go.app.App.ListModels());
    const got = list.find((e) => e.path.endsWith(`/models/${'tiny-chat.gguf'}`));
    if (!got || got.app !== 'chapel' || got.template_family !== 'chatml') throw new Error(`the downloaded model as listed: ${JSON.stringify(got)}`);
    const input = page.getByTestId('composer-input');
    await input.fill('Hello from the catalogue');
    await input.press('Enter');
    await page.waitForSelector('[data-testid="message"][data-role="assistant"][data-status="complete"]', { timeout: 60000 });
    const reply = (await page.locator('[data-testid="message"][data-role="assistant"]').last().innerText()).trim();
    if (!reply) throw new Error('the downloaded model gave an empty reply');
    console.log(`    reply of ${reply.length} characters; GETs ${JSON.stringify(srv.ranges)}`);

    step('models: the Models view lists it as downloaded');
    await page.getByTestId('model-picker').click();
    await page.getByTestId('open-models-view').click();
    await page.getByTestId('models-view').getByTestId('catalog-downloaded').waitFor({ timeout: 10000 });
    await page.screenshot({ path: join(out, 'browser-models-view.png') });
    await page.keyboard.press('Escape');
  } finally {
    await page.close();
    app.proc.kill('SIGTERM');
    const t = setTimeout(() => app.proc.kill('SIGKILL'), 5000);
    await app.exited;
    clearTimeout(t);
    writeFileSync(join(out, 'browser-app-models.log'), app.log.join(''));
    srv.server.close();
  }
}
