// Checks a screenshot of the Chapel window opened on a damaged database: it
// must show the "database damaged" screen (a card on the page background,
// with text in it), not the app (no sidebar), not a blank window.
// usage: node scripts/check-damaged-window.mjs shot.png
import { execFileSync } from 'node:child_process';

const file = process.argv[2];
const [w, h] = execFileSync('identify', ['-format', '%w %h', file], { encoding: 'utf8' }).trim().split(' ').map(Number);
const rgb = execFileSync('convert', [file, '-depth', '8', 'rgb:-'], { maxBuffer: 64 << 20 });
const px = (x, y) => { const i = (y * w + x) * 3; return [rgb[i], rgb[i + 1], rgb[i + 2]]; };
const hex = (c) => '#' + c.map((v) => v.toString(16).padStart(2, '0')).join('');
const near = (a, b, tol = 6) => a.every((v, i) => Math.abs(v - b[i]) <= tol);
const parse = (s) => [1, 3, 5].map((i) => parseInt(s.slice(i, i + 2), 16));

function dominant(x0, y0, x1, y1) {
  const counts = new Map();
  for (let y = y0; y < y1; y += 2) for (let x = x0; x < x1; x += 2) {
    const k = hex(px(x, y)); counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0];
}

// frontend/src/app.css: page, sidebar and card (--bg-elev) colours.
const themes = {
  light: { page: '#fbfbfa', sidebar: '#f3f2ef', card: '#ffffff' },
  dark: { page: '#1c1c1e', sidebar: '#161618', card: '#252528' },
};
const problems = [];
const left = dominant(4, Math.floor(h * 0.3), 120, Math.floor(h * 0.9));
const centre = dominant(Math.floor(w * 0.4), Math.floor(h * 0.4), Math.floor(w * 0.6), Math.floor(h * 0.6));
const theme = Object.entries(themes).find(([, t]) => near(parse(t.page), parse(left)) && near(parse(t.card), parse(centre)));
if (!theme) problems.push(`left ${left} and centre ${centre}: not the damaged screen's page and card`);
if (Object.values(themes).some((t) => near(parse(t.sidebar), parse(left)))) problems.push('a sidebar is shown: this is the app, not the damaged screen');

// Text in the card: pixels far from the card's colour.
let ink = 0;
const bg = parse(centre);
for (let y = Math.floor(h * 0.2); y < Math.floor(h * 0.8); y += 2) for (let x = Math.floor(w * 0.25); x < Math.floor(w * 0.75); x += 2) {
  const c = px(x, y); if (Math.abs(c[0] - bg[0]) + Math.abs(c[1] - bg[1]) + Math.abs(c[2] - bg[2]) > 200) ink++;
}
if (ink < 150) problems.push(`almost no text on the card (${ink} dark samples)`);

console.log(`window ${w}x${h}, left ${left}, centre ${centre}, text samples ${ink}, theme ${theme ? theme[0] : 'none'}`);
if (problems.length) { console.log('problems: ' + problems.join('; ')); process.exit(1); }
