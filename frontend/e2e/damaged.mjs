// Browser steps for a damaged database: a data folder whose chapel.db has
// pages overwritten opens on the "database damaged" screen; Recover saves
// what can be read into a new database, says how many conversations it
// kept and where the damaged file is, and Continue opens the app with the
// recovered conversations in the sidebar.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, statSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

async function freePort() {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => res(port)); });
    srv.on('error', rej);
  });
}

/**
 * A data folder with a few conversations, then two pages three quarters into its database
 * overwritten (past the list of tables, which a salvage needs to find anything).
 */
function damagedHome(root, out, model) {
  const home = join(out, 'damaged-browser-home');
  mkdirSync(home, { recursive: true });
  for (let i = 0; i < 12; i++) {
    execFileSync(join(root, 'build/bin/chapel'), ['chat', '--home', home, '--model', model, '--max-tokens', '24', `Lighthouse story ${i}`],
      { stdio: 'ignore', env: { ...process.env, CHAPEL_THREADS: '1' } });
  }
  const db = join(home, 'chapel.db');
  const pages = Math.floor(statSync(db).size / 4096);
  const fd = openSync(db, 'r+');
  const junk = Buffer.alloc(4096 * 2);
  for (let i = 0; i < junk.length; i++) junk[i] = (i * 7919 + 13) & 0xff;
  writeSync(fd, junk, 0, junk.length, Math.floor((pages * 3) / 4) * 4096);
  closeSync(fd);
  return home;
}

export async function damagedSteps({ browser, step, out, root, model }) {
  step('damaged database: the window opens on the damaged screen');
  const home = damagedHome(root, out, model);
  const port = await freePort();
  const log = [];
  const proc = spawn(join(root, 'build/bin/chapel-dev'), [], {
    cwd: root,
    env: { ...process.env, CHAPEL_HOME: home, assetdir: join(root, 'frontend/dist'), devserver: `127.0.0.1:${port}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout.on('data', (d) => log.push(String(d)));
  proc.stderr.on('data', (d) => log.push(String(d)));
  const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
  try {
    const url = `http://127.0.0.1:${port}/`;
    for (let i = 0; i < 300; i++) {
      try { if ((await fetch(url)).ok) break; } catch { /* not yet */ }
      if (proc.exitCode !== null) throw new Error(`the dev app exited:\n${log.join('')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await page.goto(url);
    await page.getByTestId('database-damaged').waitFor({ timeout: 20000 });
    const message = await page.getByTestId('damaged-message').innerText();
    if (!message.includes('chapel.db') || !message.includes('damaged')) throw new Error(`damaged screen says ${JSON.stringify(message)}`);
    await page.screenshot({ path: join(out, 'browser-damaged.png') });

    step('damaged database: Recover keeps a copy and saves what can be read');
    await page.getByTestId('repair-recover').click();
    const result = await page.getByTestId('repair-result').innerText({ timeout: 30000 });
    const m = result.match(/Recovered (\d+) conversations?/);
    if (!m || !/chapel-damaged-\d{8}-\d{6}\.db/.test(result)) throw new Error(`repair result ${JSON.stringify(result)}`);
    const copies = readdirSync(home).filter((f) => /^chapel-damaged-\d{8}-\d{6}\.db$/.test(f));
    if (copies.length !== 1) throw new Error(`copies kept in the data folder: ${JSON.stringify(copies)}`);
    console.log(`    ${result.split('\n')[0]}`);
    await page.screenshot({ path: join(out, 'browser-damaged-recovered.png') });

    step('damaged database: Continue opens the app with the recovered conversations');
    await page.getByTestId('repair-continue').click();
    await page.getByTestId('model-picker').waitFor({ timeout: 20000 });
    const want = Number(m[1]);
    await page.waitForFunction((n) => document.querySelectorAll('[data-testid="conversation-item"]').length === n, want, { timeout: 20000 });
  } finally {
    await page.close();
    proc.kill('SIGTERM');
    await new Promise((r) => (proc.exitCode !== null ? r() : proc.on('exit', r)));
  }
}
