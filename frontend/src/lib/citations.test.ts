import { describe, expect, it, vi } from 'vitest';
import { renderMarkdown } from './markdown';
import { citationAt, citations, handleContentClick, CITATION_EVENT, type CitationClick } from './content-click';

function dom(html: string): HTMLElement {
  const div = document.createElement('div');
  div.innerHTML = html;
  return div;
}

const CITES = [
  { marker: '[pp. 12–14]', first_chunk: 5, last_chunk: 7 },
  { marker: '[§ Installation & setup]', first_chunk: 1, last_chunk: 1 },
  { marker: '[p. 5]', first_chunk: 2, last_chunk: 2 },
];

describe('citation markers in rendered markdown', () => {
  it('known markers become buttons with their chunk range', () => {
    const root = dom(renderMarkdown('Growth slowed [pp. 12–14], see [§ Installation & setup] and [p. 5].', CITES));
    const buttons = [...root.querySelectorAll('button[data-testid="citation"]')];
    expect(buttons.map((b) => [b.textContent, b.getAttribute('data-first'), b.getAttribute('data-last')])).toEqual([
      ['[pp. 12–14]', '5', '7'],
      ['[§ Installation & setup]', '1', '1'],
      ['[p. 5]', '2', '2'],
    ]);
    expect(buttons.every((b) => b.getAttribute('type') === 'button')).toBe(true);
    expect(root.textContent?.trim()).toBe('Growth slowed [pp. 12–14], see [§ Installation & setup] and [p. 5].');
  });

  it('markers that are not known citations become plain badges, not buttons', () => {
    const root = dom(renderMarkdown('As said [p. 9] and [pp. 3–4] and [§ Intro].', CITES));
    expect(root.querySelectorAll('[data-testid="citation"]')).toHaveLength(0);
    expect([...root.querySelectorAll('span.cite')].map((s) => s.textContent)).toEqual(['[p. 9]', '[pp. 3–4]', '[§ Intro]']);
  });

  it('chat output (no citation list) gets badges only', () => {
    const root = dom(renderMarkdown('The answer is on [p. 5].'));
    expect(root.querySelector('button')).toBeNull();
    expect(root.querySelector('span.cite[data-cite]')?.textContent).toBe('[p. 5]');
  });

  it('markers inside code blocks, inline code and links stay text', () => {
    const src = 'Real [p. 5].\n\n```\nlist[p. 5] = [pp. 12–14]\n```\n\nInline `[p. 5]` and [a link [p. 5]](https://example.org).';
    const root = dom(renderMarkdown(src, CITES));
    expect(root.querySelectorAll('[data-testid="citation"]')).toHaveLength(1);
    expect(root.querySelector('pre code')!.textContent).toBe('list[p. 5] = [pp. 12–14]');
    expect(root.querySelector('pre .cite, p > code .cite, a .cite')).toBeNull();
  });

  it('works inside lists, headings and emphasis', () => {
    const root = dom(renderMarkdown('## Costs [pp. 12–14]\n\n- **Bold** claim [p. 5]\n- *soft* [§ Installation & setup]', CITES));
    expect(root.querySelector('h2 [data-testid="citation"]')).not.toBeNull();
    expect(root.querySelectorAll('li [data-testid="citation"]')).toHaveLength(2);
  });

  it('hostile HTML in a summary stays sanitised and cannot forge a citation', () => {
    const src = [
      '<img src=x onerror=alert(1)> [p. 5]',
      '<button data-testid="citation" data-first="0" data-last="999" onclick="alert(1)">fake</button>',
      '<span class="cite" data-cite data-first="1" data-last="2">[p. 5]</span>',
      '<a href="javascript:alert(1)">[pp. 12–14]</a>',
      '<script>alert(1)</script>[§ Installation & setup]',
    ].join('\n\n');
    const html = renderMarkdown(src, CITES);
    const root = dom(html);
    expect(html).not.toMatch(/onerror|onclick|<script|javascript:/i);
    expect(root.querySelector('img, script')).toBeNull();
    const real = [...root.querySelectorAll('[data-testid="citation"]')];
    expect(real.map((b) => b.textContent)).toEqual(['[p. 5]', '[§ Installation & setup]']);
    expect(root.querySelectorAll('[data-first="0"], [data-last="999"]')).toHaveLength(0);
    // Only Chapel's own elements carry data-cite.
    expect([...root.querySelectorAll('[data-cite]')].every((el) => el.getAttribute('data-testid') === 'citation')).toBe(true);
  });

  it('a marker that is HTML in disguise is only text', () => {
    const cites = [{ marker: '[§ <img src=x onerror=alert(1)>]', first_chunk: 1, last_chunk: 1 }];
    const root = dom(renderMarkdown('See [§ &lt;img src=x onerror=alert(1)&gt;].', cites));
    expect(root.querySelector('img')).toBeNull();
    expect(root.querySelector('[data-testid="citation"]')?.textContent).toBe('[§ <img src=x onerror=alert(1)>]');
  });

  it('text without markers is returned untouched', () => {
    expect(renderMarkdown('plain *text*', CITES)).toBe('<p>plain <em>text</em></p>\n');
  });
});

describe('citation clicks', () => {
  function mount(html: string) {
    const root = document.createElement('div');
    root.innerHTML = html;
    document.body.appendChild(root);
    const got: CitationClick[] = [];
    const action = citations(root, (c) => got.push(c));
    root.addEventListener('click', (e) => void handleContentClick(e));
    return { root, got, action };
  }

  it('clicking a citation button dispatches its chunk range to the nearest `citations` handler', () => {
    const { root, got, action } = mount(renderMarkdown('See [pp. 12–14].', CITES));
    (root.querySelector('[data-testid="citation"]') as HTMLElement).click();
    expect(got).toEqual([{ marker: '[pp. 12–14]', first: 5, last: 7 }]);
    action.destroy();
    (root.querySelector('[data-testid="citation"]') as HTMLElement).click();
    expect(got).toHaveLength(1);
    root.remove();
  });

  it('a badge dispatches its marker without a range', () => {
    const { root, got } = mount(renderMarkdown('See [p. 77].'));
    (root.querySelector('.cite') as HTMLElement).click();
    expect(got).toEqual([{ marker: '[p. 77]', first: null, last: null }]);
    root.remove();
  });

  it('citationAt ignores elements Chapel did not make', () => {
    const el = dom('<span class="cite">[p. 1]</span>').firstElementChild;
    expect(citationAt(el)).toBeNull();
    const spy = vi.fn();
    document.addEventListener(CITATION_EVENT, spy);
    const { root } = mount('<p>no markers</p>');
    (root.querySelector('p') as HTMLElement).click();
    expect(spy).not.toHaveBeenCalled();
    document.removeEventListener(CITATION_EVENT, spy);
    root.remove();
  });
});
