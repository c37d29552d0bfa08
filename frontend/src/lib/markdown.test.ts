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
