// Maths in untrusted model output: `$…$` or `\(…\)` inline and `$$…$$` or
// `\[…\]` display (many models write the LaTeX delimiters), typeset
// by KaTeX after DOMPurify. The marked extension only wraps the TeX source,
// escaped, in a placeholder; the sanitised HTML's placeholders are then filled
// with KaTeX's own output (trust off: no \href, \url, \includegraphics, \html…).
import katex from 'katex';
import 'katex/dist/katex.min.css';
import type { MarkedExtension, Tokens } from 'marked';

/** The placeholders' classes; KaTeX renders into these after sanitising. */
export const MATH_INLINE = 'math-inline';
export const MATH_DISPLAY = 'math-display';

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

// `$$…$$` or `\[…\]` on lines of their own.
const BLOCK = /^ {0,3}\$\$([\s\S]+?)\$\$[ \t]*(?:\n+|$)/;
const BLOCK_BRACKET = /^ {0,3}\\\[([\s\S]+?)\\\][ \t]*(?:\n+|$)/;
// `\[…\]` inside a paragraph, and `\(…\)` on one line.
const INLINE_BRACKET = /^\\\[([\s\S]+?)\\\]/;
const INLINE_PAREN = /^\\\(([^\n]+?)\\\)/;
// Where a formula may start: a dollar, or a backslash before ( or [.
const INLINE_START = /\$|\\[([]/;
// `$$…$$` inside a paragraph.
const INLINE_DISPLAY = /^\$\$((?:\\[\s\S]|[^\\$])+?)\$\$/;
// `$…$`: no space just inside the dollars and no digit right after the closing
// one, so "costs $5 and $10" stays prose.
const INLINE = /^\$(?![\s$])((?:\\[^\n]|[^\\$\n])+?)(?<![\s\\])\$(?!\d)/;

interface MathToken extends Tokens.Generic {
  text: string;
  display: boolean;
}

function placeholder(tex: string, display: boolean): string {
  return display ? `<div class="${MATH_DISPLAY}">${escapeHtml(tex)}</div>\n` : `<span class="${MATH_INLINE}">${escapeHtml(tex)}</span>`;
}

/** The marked extension: math tokens, rendered as placeholders holding the source. */
export const mathExtension: MarkedExtension = {
  extensions: [
    {
      name: 'mathBlock',
      level: 'block',
      start: (src: string) => src.match(/^ {0,3}(?:\$\$|\\\[)/m)?.index,
      tokenizer(src: string): MathToken | undefined {
        const m = BLOCK.exec(src) ?? BLOCK_BRACKET.exec(src);
        if (!m || !m[1].trim()) return undefined;
        return { type: 'mathBlock', raw: m[0], text: m[1].trim(), display: true };
      },
      renderer: (t) => placeholder((t as MathToken).text, true),
    },
    {
      name: 'mathInline',
      level: 'inline',
      start: (src: string) => src.match(INLINE_START)?.index,
      tokenizer(src: string): MathToken | undefined {
        const d = INLINE_DISPLAY.exec(src) ?? INLINE_BRACKET.exec(src);
        if (d && d[1].trim()) return { type: 'mathInline', raw: d[0], text: d[1].trim(), display: true };
        const m = INLINE.exec(src) ?? INLINE_PAREN.exec(src);
        if (m) return { type: 'mathInline', raw: m[0], text: m[1], display: false };
        return undefined;
      },
      renderer: (t) => {
        const tok = t as MathToken;
        return tok.display ? `<span class="${MATH_DISPLAY}">${escapeHtml(tok.text)}</span>` : placeholder(tok.text, false);
      },
    },
  ],
};

const OPTIONS = {
  throwOnError: false,
  trust: false,
  strict: 'ignore' as const,
  output: 'htmlAndMathml' as const,
  maxSize: 50,
  maxExpand: 500,
};

/** Typeset one formula; on a KaTeX error the source is shown as text. */
export function typeset(tex: string, display: boolean): string {
  try {
    return katex.renderToString(tex, { ...OPTIONS, displayMode: display });
  } catch {
    return escapeHtml(tex);
  }
}

/**
 * Fill the math placeholders of sanitised HTML with KaTeX output. Placeholders
 * inside code never render (code shows its dollars as typed).
 */
/** Whether text may hold a formula (the cheap test before renderMath). */
export function mayHoldMath(text: string): boolean {
  return INLINE_START.test(text);
}

export function renderMath(html: string): string {
  if (!html.includes(MATH_INLINE) && !html.includes(MATH_DISPLAY)) return html;
  const tpl = document.createElement('template');
  tpl.innerHTML = html;
  let changed = false;
  for (const el of tpl.content.querySelectorAll<HTMLElement>(`.${MATH_INLINE}, .${MATH_DISPLAY}`)) {
    if (el.closest('pre, code') || el.querySelector('*')) continue;
    el.innerHTML = typeset(el.textContent ?? '', el.classList.contains(MATH_DISPLAY));
    changed = true;
  }
  return changed ? tpl.innerHTML : html;
}
