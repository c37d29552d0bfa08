import { describe, expect, it } from 'vitest';
import { highlight, renderMarkdown, withCaret } from './markdown';

function dom(html: string): HTMLElement {
  const div = document.createElement('div');
  div.innerHTML = html;
  return div;
}

/** Every attribute of every element: nothing may start with "on" or hold a javascript: URL. */
function assertInert(root: HTMLElement) {
  expect(root.querySelector('script, iframe, object, embed, img, style, form, svg, math')).toBeNull();
  for (const el of root.querySelectorAll('*')) {
    for (const attr of el.attributes) {
      expect(attr.name.startsWith('on'), `${el.tagName} ${attr.name}`).toBe(false);
      expect(/^\s*(javascript|vbscript|data):/i.test(attr.value), `${el.tagName} ${attr.name}=${attr.value}`).toBe(false);
    }
  }
}

describe('renderMarkdown: untrusted model output is inert', () => {
  const hostile: [string, string][] = [
    ['img onerror', '<img src=x onerror=alert(1)>'],
    ['script element', 'hello <script>alert(1)</script> world'],
    ['javascript: markdown link', '[click me](javascript:alert(1))'],
    ['javascript: html link', '<a href="javascript:alert(1)">x</a>'],
    ['encoded javascript: link', '[x](&#106;avascript:alert(1))'],
    ['event handler on a div', '<div onclick="alert(1)" onmouseover="alert(2)">hi</div>'],
    ['svg onload', '<svg onload=alert(1)><circle r=1 /></svg>'],
    ['iframe srcdoc', '<iframe srcdoc="<script>alert(1)</script>"></iframe>'],
    ['data: url link', '[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)'],
    ['markdown image', '![tracker](http://example.com/pixel.png)'],
    ['style tag', '<style>body{display:none}</style>text'],
    ['form and input', '<form action="http://x"><input name=a></form>'],
    ['code fence breaking out', '```html\n</code></pre><img src=x onerror=alert(1)>\n```'],
  ];

  it.each(hostile)('%s', (_name, src) => {
    const root = dom(renderMarkdown(src));
    assertInert(root);
  });

  it('drops the onerror attribute and the script element specifically', () => {
    const html = renderMarkdown('<img src=x onerror=alert(1)> <script>alert(1)</script>');
    expect(html).not.toMatch(/onerror/i);
    expect(html).not.toMatch(/<script/i);
  });

  it('removes javascript: hrefs but keeps the link text', () => {
    const root = dom(renderMarkdown('[click me](javascript:alert(1))'));
    expect(root.textContent).toContain('click me');
    expect(root.innerHTML).not.toMatch(/javascript:/i);
  });

  it('keeps safe links, marked rel=noopener', () => {
    const a = dom(renderMarkdown('[docs](https://example.org/a)')).querySelector('a')!;
    expect(a.getAttribute('href')).toBe('https://example.org/a');
    expect(a.getAttribute('rel')).toContain('noopener');
  });

  it('shows images as their alt text, never loading them', () => {
    const root = dom(renderMarkdown('![a cat](http://example.com/cat.png)'));
    expect(root.querySelector('img')).toBeNull();
    expect(root.textContent).toContain('[a cat]');
  });
});

describe('renderMarkdown: formatting', () => {
  const cases: [string, string, string][] = [
    ['bold', '**strong** text', 'strong'],
    ['emphasis', '*soft*', 'em'],
    ['heading', '## Title', 'h2'],
    ['list', '- one\n- two', 'ul > li'],
    ['ordered list', '1. one\n2. two', 'ol > li'],
    ['inline code', 'use `ls -la`', 'p > code'],
    ['table', '| a | b |\n|---|---|\n| 1 | 2 |', 'table td'],
    ['blockquote', '> quoted', 'blockquote'],
    ['strikethrough', '~~gone~~', 'del'],
  ];
  it.each(cases)('%s', (_name, src, selector) => {
    expect(dom(renderMarkdown(src)).querySelector(selector)).not.toBeNull();
  });

  it('escapes HTML-looking text inside inline code', () => {
    const root = dom(renderMarkdown('`<b>x</b>`'));
    expect(root.querySelector('b')).toBeNull();
    expect(root.querySelector('code')!.textContent).toBe('<b>x</b>');
  });

  it('highlights fenced code and adds a Copy button', () => {
    const root = dom(renderMarkdown('```python\ndef f(x):\n    return x + 1\n```'));
    const code = root.querySelector('.code-block pre code')!;
    expect(code.classList.contains('hljs')).toBe(true);
    expect(code.classList.contains('language-python')).toBe(true);
    expect(code.querySelector('.hljs-keyword')?.textContent).toBe('def');
    expect(code.textContent).toBe('def f(x):\n    return x + 1');
    expect(root.querySelector('.code-lang')!.textContent).toBe('python');
    const copy = root.querySelector('button[data-copy-code]')!;
    expect(copy.textContent).toBe('Copy');
  });

  it('code with an unknown language stays escaped plain text', () => {
    const root = dom(renderMarkdown('```nosuchlang\n<script>alert(1)</script>\n```'));
    expect(root.querySelector('script')).toBeNull();
    expect(root.querySelector('pre code')!.textContent).toBe('<script>alert(1)</script>');
  });

  it('handles an unterminated fence while streaming', () => {
    const root = dom(renderMarkdown('Here:\n```js\nconst a = 1'));
    expect(root.querySelector('pre code')!.textContent).toContain('const a = 1');
  });

  it('highlight() detects common languages and escapes otherwise', () => {
    expect(highlight('const x = 1;', 'javascript').html).toContain('hljs-keyword');
    expect(highlight('<b>', '').html).not.toContain('<b>');
  });
});

describe('withCaret', () => {
  it.each([
    ['<p>You are</p>\n', '<p>You are<span class="caret" aria-hidden="true"></span></p>'],
    ['<ul>\n<li>one</li>\n</ul>\n', '<ul>\n<li>one<span class="caret" aria-hidden="true"></span></li>\n</ul>'],
    ['', '<span class="caret" aria-hidden="true"></span>'],
  ])('%j', (html, expected) => {
    expect(withCaret(html)).toBe(expected);
  });
});

describe('renderMarkdown: maths (KaTeX)', () => {
  it('typesets $…$ inline inside the paragraph', () => {
    const d = dom(renderMarkdown('Euler: $e^{i\\pi} + 1 = 0$ holds.'));
    const p = d.querySelector('p')!;
    const k = p.querySelector('.math-inline .katex');
    expect(k).toBeTruthy();
    expect(p.querySelector('.katex-display')).toBeNull();
    expect(k!.querySelector('annotation')?.textContent).toBe('e^{i\\pi} + 1 = 0');
    expect(p.textContent).toContain('holds.');
    expect(p.textContent).not.toContain('$');
  });

  it('typesets $$…$$ as a display formula, on its own lines or in a paragraph', () => {
    const d = dom(renderMarkdown('Sum:\n\n$$\n\\sum_{k=1}^n k = \\frac{n(n+1)}{2}\n$$\n\nDone.'));
    const block = d.querySelector('div.math-display .katex-display');
    expect(block).toBeTruthy();
    expect(block!.querySelector('annotation')?.textContent).toBe('\\sum_{k=1}^n k = \\frac{n(n+1)}{2}');
    expect(d.querySelectorAll('p').length).toBe(2);
    const inPara = dom(renderMarkdown('so $$x^2$$ here'));
    expect(inPara.querySelector('p .katex-display')).toBeTruthy();
  });

  it.each([
    { name: '\\(…\\) inline', src: 'Also \\(a^2+b^2=c^2\\) holds.', tex: 'a^2+b^2=c^2', display: false },
    { name: '\\[…\\] inside a paragraph', src: 'and \\[\\sum_{k=1}^n k\\] here', tex: '\\sum_{k=1}^n k', display: true },
    { name: '\\[…\\] on lines of its own', src: 'Sum:\n\n\\[\n\\frac{n(n+1)}{2}\n\\]\n\nDone.', tex: '\\frac{n(n+1)}{2}', display: true },
  ])('typesets the LaTeX delimiters: $name', ({ src, tex, display }) => {
    const d = dom(renderMarkdown(src));
    const k = d.querySelector(display ? '.math-display .katex-display' : '.math-inline .katex');
    expect(k, src).toBeTruthy();
    expect(k!.querySelector('annotation')?.textContent).toBe(tex);
    expect(d.textContent).not.toMatch(/\\[()[\]]/);
  });

  it('leaves LaTeX delimiters in code as typed', () => {
    const d = dom(renderMarkdown('Write `\\(x\\)` or\n\n```tex\n\\[y\\]\n```'));
    expect(d.querySelector('.katex')).toBeNull();
    expect(d.querySelector('p code')?.textContent).toBe('\\(x\\)');
    expect(d.querySelector('pre')?.textContent).toContain('\\[y\\]');
  });

  it('leaves dollars in inline code, fenced code and prices as text', () => {
    const d = dom(renderMarkdown('Run `echo $HOME $x$` then\n\n```sh\nprice=$a$ $$b$$\n```\n\nIt costs $5 and $10.'));
    expect(d.querySelector('.katex')).toBeNull();
    expect(d.querySelector('p code')?.textContent).toBe('echo $HOME $x$');
    expect(d.querySelector('pre')?.textContent).toContain('price=$a$ $$b$$');
    expect(d.textContent).toContain('It costs $5 and $10.');
    const escaped = dom(renderMarkdown('not \\$x\\$ maths'));
    expect(escaped.querySelector('.katex')).toBeNull();
    expect(escaped.textContent).toContain('$x$');
  });

  it('hostile TeX stays harmless: no javascript: links, no HTML from \\htmlData or raw tags', () => {
    const cases = [
      '$\\href{javascript:alert(1)}{click}$',
      '$\\url{javascript:alert(1)}$',
      '$$\\htmlData{onclick=alert(1)}{x}$$',
      '$\\includegraphics{http://example.com/x.png}$',
      '$<img src=x onerror=alert(1)>$',
      '<span class="math-inline">\\href{javascript:alert(2)}{y}</span>',
    ];
    for (const src of cases) {
      const d = dom(renderMarkdown(src));
      expect(d.querySelector('a[href], img, script, [onclick], [onerror]'), src).toBeNull();
      const attrs = [...d.querySelectorAll('*')].flatMap((el) => [...el.attributes].map((a) => `${a.name}=${a.value}`));
      expect(
        attrs.filter((a) => /^on|^(?:href|src|xlink:href)=|javascript:|^data-(?!cite)/i.test(a)),
        src,
      ).toEqual([]);
    }
  });

  it('citation markers inside a formula stay part of the formula', () => {
    const d = dom(renderMarkdown('Fact $[p. 5]$ and [p. 5].'));
    expect(d.querySelectorAll('[data-cite]').length).toBe(1);
  });
});
