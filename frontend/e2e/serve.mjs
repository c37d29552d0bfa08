// A second Chapel for the browser suite: `chapel serve` in a process of its
// own, the endpoint the engines and summary steps add to the window.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';

/**
 * Starts `chapel serve` on a free port with its own data folder (home) and
 * bearer token; resolves with its base URL and process once it says where
 * it listens.
 */
export async function startServe({ root, home, model, token }) {
  const proc = spawn(join(root, 'build/bin/chapel'),
    ['serve', '--home', home, '--model', model, '--port', '0', '--threads', '1', '--token', token],
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
