// Checks a screenshot of the Chapel window: it must show the Chapel UI (a
// sidebar and a main pane in the theme's colours, with text in them), not a
// blank window or WebKit's error page. Uses ImageMagick to decode the PNG.
// usage: node scripts/check-window.mjs shot.png
import { execFileSync } from 'node:child_process';

const file = process.argv[2];
const [w, h] = execFileSync('identify', ['-format', '%w %h', file], { encoding: 'utf8' }).trim().split(' ').map(Number);
const rgb = execFileSync('convert', [file, '-depth', '8', 'rgb:-'], { maxBuffer: 64 << 20 });
const px = (x, y) => { const i = (y * w + x) * 3; return [rgb[i], rgb[i + 1], rgb[i + 2]]; };
const hex = (c) => '#' + c.map((v) => v.toString(16).padStart(2, '0')).join('');
const near = (a, b, tol = 6) => a.every((v, i) => Math.abs(v - b[i]) <= tol);
const parse = (s) => [1, 3, 5].map((i) => parseInt(s.slice(i, i + 2), 16));

// The dominant colour of a rectangle.
function dominant(x0, y0, x1, y1) {
  const counts = new Map();
  for (let y = y0; y < y1; y += 2) for (let x = x0; x < x1; x += 2) {
    const k = hex(px(x, y)); counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
}

const problems = [];
const colours = new Set();
for (let y = 0; y < h; y += 3) for (let x = 0; x < w; x += 3) colours.add(hex(px(x, y)));
if (colours.size < 20) problems.push(`only ${colours.size} colours: the window looks blank`);

// Light and dark themes (frontend/src/app.css).
const themes = { light: { sidebar: '#f3f2ef', main: '#fbfbfa' }, dark: { sidebar: '#161618', main: '#1c1c1e' } };
const side = dominant(4, Math.floor(h * 0.3), 180, Math.floor(h * 0.9));
const main = dominant(Math.floor(w * 0.35), Math.floor(h * 0.3), w - 10, Math.floor(h * 0.9));
const theme = Object.entries(themes).find(([, t]) => near(parse(t.sidebar), parse(side)) && near(parse(t.main), parse(main)));
if (!theme) problems.push(`sidebar ${side} and main pane ${main} are not Chapel's theme colours`);
// CHECK_THEME=dark|light: the window must show that theme (the one stored in Settings → Appearance).
const want = process.env.CHECK_THEME;
if (want && theme && theme[0] !== want) problems.push(`the window shows the ${theme[0]} theme, want ${want}`);

// Text: pixels far from the main background in the main pane.
let ink = 0;
const bg = parse(main);
for (let y = Math.floor(h * 0.2); y < h - 10; y += 2) for (let x = Math.floor(w * 0.3); x < w - 10; x += 2) {
  const c = px(x, y); if (Math.abs(c[0] - bg[0]) + Math.abs(c[1] - bg[1]) + Math.abs(c[2] - bg[2]) > 200) ink++;
}
if (ink < 150) problems.push(`almost no text in the main pane (${ink} dark samples)`);

console.log(`window ${w}x${h}, ${colours.size} colours, sidebar ${side}, main ${main}, text samples ${ink}, theme ${theme ? theme[0] : 'none'}`);
if (problems.length) { console.log('problems: ' + problems.join('; ')); process.exit(1); }
