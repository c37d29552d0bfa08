// Markdown for untrusted model output: marked → DOMPurify, code highlighted
// with a small set of highlight.js languages.
import { Marked, type Tokens } from 'marked';
import DOMPurify from 'dompurify';
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import csharp from 'highlight.js/lib/languages/csharp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import ini from 'highlight.js/lib/languages/ini';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import kotlin from 'highlight.js/lib/languages/kotlin';
import markdown from 'highlight.js/lib/languages/markdown';
import php from 'highlight.js/lib/languages/php';
import plaintext from 'highlight.js/lib/languages/plaintext';
import python from 'highlight.js/lib/languages/python';
import ruby from 'highlight.js/lib/languages/ruby';
import rust from 'highlight.js/lib/languages/rust';
import shell from 'highlight.js/lib/languages/shell';
import sql from 'highlight.js/lib/languages/sql';
import swift from 'highlight.js/lib/languages/swift';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import { mathExtension, mayHoldMath, renderMath } from './math';

const languages = {
  bash,
  c,
  cpp,
  csharp,
  css,
  diff,
  go,
  ini,
  java,
  javascript,
  json,
  kotlin,
  markdown,
  php,
  plaintext,
  python,
  ruby,
  rust,
  shell,
  sql,
  swift,
  typescript,
  xml,
  yaml,
};
for (const [name, lang] of Object.entries(languages)) hljs.registerLanguage(name, lang);

const AUTO_DETECT = ['python', 'javascript', 'typescript', 'bash', 'json', 'go', 'rust', 'c', 'cpp', 'java', 'sql', 'xml', 'css', 'yaml'];

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** Highlight code; returns HTML with hljs spans, and the language used. */
export function highlight(code: string, lang?: string): { html: string; language: string } {
  const wanted = (lang || '').trim().split(/\s+/)[0].toLowerCase();
  try {
    if (wanted && hljs.getLanguage(wanted)) {
      const r = hljs.highlight(code, { language: wanted, ignoreIllegals: true });
      return { html: r.value, language: r.language || wanted };
    }
    if (!wanted && code.length < 20000) {
      const r = hljs.highlightAuto(code, AUTO_DETECT);
      if (r.language && r.relevance >= 5) return { html: r.value, language: r.language };
    }
  } catch {
    /* fall back to plain text */
  }
  return { html: escapeHtml(code), language: wanted };
}

const md = new Marked({ gfm: true, breaks: false, async: false });
md.use({
  renderer: {
    code({ text, lang }: Tokens.Code): string {
      const { html, language } = highlight(text, lang);
      const label = language ? `<span class="code-lang">${escapeHtml(language)}</span>` : '<span class="code-lang"></span>';
      const cls = language ? ` language-${escapeHtml(language)}` : '';
      return (
        `<div class="code-block">` +
        `<div class="code-head">${label}<button type="button" class="code-copy" data-copy-code="">Copy</button></div>` +
        `<pre><code class="hljs${cls}">${html}</code></pre></div>\n`
      );
    },
    // No remote images: nothing may load from the network. Show the alt text instead.
    image({ text, href }: Tokens.Image): string {
      const alt = text || 'image';
      return `<span class="md-image" title="${escapeHtml(href || '')}">[${escapeHtml(alt)}]</span>`;
    },
  },
});

md.use(mathExtension);

const FORBID_TAGS = [
  'img',
  'picture',
  'source',
  'video',
  'audio',
  'track',
  'iframe',
  'frame',
  'object',
  'embed',
  'form',
  'input',
  'textarea',
  'select',
  'option',
  'style',
  'link',
  'meta',
  'base',
  'svg',
  'math',
  'script',
  'noscript',
  'template',
  'dialog',
];
const FORBID_ATTR = ['style', 'srcset', 'action', 'formaction', 'background', 'poster', 'ping'];
const SAFE_URL = /^(?:https?:|mailto:|#)/i;

let hooksInstalled = false;
function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  DOMPurify.addHook('afterSanitizeAttributes', (node) => {
    if (node.tagName === 'A') {
      const href = node.getAttribute('href') ?? '';
      if (href && !SAFE_URL.test(href.trim())) node.removeAttribute('href');
      node.setAttribute('rel', 'noopener noreferrer');
    }
  });
}

/** A citation marker that can be resolved to a passage (summarize.Citation). */
export interface CitationLink {
  marker: string;
  first_chunk: number;
  last_chunk: number;
}

/** Citation markers as the models write them: "[p. 5]", "[pp. 12–14]", "[§ Installation]". */
export const CITATION_PATTERN = /\[(?:pp?\. \d+(?:[–-]\d+)?|§ [^\]\n]+)\]/;
const MAYBE_CITATION = /\[(?:pp?\.|§) /;

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Text inside these is never decorated (code shows markers as typed; links and buttons stay whole). */
const NO_CITATIONS = 'pre, code, a, button, .cite, .katex';

/**
 * Turn citation markers in sanitised HTML into elements. Runs after DOMPurify,
 * on text nodes only, creating the elements itself: nothing in the untrusted
 * text can forge one. Markers listed in `links` become buttons carrying their
 * chunk range (data-first/data-last); other markers become plain badges.
 */
function decorateCitations(html: string, links: readonly CitationLink[]): string {
  const known = new Map<string, CitationLink>();
  for (const l of links) {
    if (l?.marker && Number.isFinite(l.first_chunk) && Number.isFinite(l.last_chunk)) known.set(l.marker, l);
  }
  const alternatives = [...known.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
  alternatives.push(CITATION_PATTERN.source);
  const matcher = new RegExp(alternatives.join('|'), 'g');

  const tpl = document.createElement('template');
  tpl.innerHTML = html;
  const doc = tpl.content.ownerDocument;
  const walker = doc.createTreeWalker(tpl.content, NodeFilter.SHOW_TEXT);
  const texts: Text[] = [];
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const t = n as Text;
    if (!t.parentElement?.closest(NO_CITATIONS) && t.data.includes('[')) texts.push(t);
  }
  let changed = false;
  for (const t of texts) {
    const data = t.data;
    matcher.lastIndex = 0;
    let last = 0;
    const frag = doc.createDocumentFragment();
    for (let m = matcher.exec(data); m; m = matcher.exec(data)) {
      if (m.index > last) frag.append(data.slice(last, m.index));
      frag.append(citationElement(doc, m[0], known.get(m[0])));
      last = m.index + m[0].length;
    }
    if (last === 0) continue;
    if (last < data.length) frag.append(data.slice(last));
    t.replaceWith(frag);
    changed = true;
  }
  return changed ? tpl.innerHTML : html;
}

function citationElement(doc: Document, marker: string, link: CitationLink | undefined): HTMLElement {
  if (!link) {
    const span = doc.createElement('span');
    span.className = 'cite';
    span.setAttribute('data-cite', '');
    span.textContent = marker;
    return span;
  }
  const b = doc.createElement('button');
  b.type = 'button';
  b.className = 'cite';
  b.setAttribute('data-cite', '');
  b.setAttribute('data-testid', 'citation');
  b.setAttribute('data-first', String(Math.trunc(link.first_chunk)));
  b.setAttribute('data-last', String(Math.trunc(link.last_chunk)));
  b.title = 'Show this passage';
  b.textContent = marker;
  return b;
}

/**
 * Render untrusted markdown to sanitised HTML. Citation markers become badges;
 * those in `citations` become buttons that open their passage.
 */
export function renderMarkdown(src: string, citations: readonly CitationLink[] = []): string {
  installHooks();
  const text = src ?? '';
  const raw = md.parse(text, { async: false });
  const html = DOMPurify.sanitize(raw, {
    FORBID_TAGS,
    FORBID_ATTR,
    ALLOW_DATA_ATTR: false,
    ADD_ATTR: ['data-copy-code'],
  });
  // KaTeX output is added after sanitising (its layout needs inline styles DOMPurify removes).
  const typeset = mayHoldMath(text) ? renderMath(html) : html;
  const mayCite = MAYBE_CITATION.test(text) || citations.some((c) => c?.marker && text.includes(c.marker));
  return mayCite ? decorateCitations(typeset, citations) : typeset;
}

const CARET = '<span class="caret" aria-hidden="true"></span>';

/**
 * Put the streaming caret inside the last block of rendered HTML (so it sits at
 * the end of the text, not on a line of its own).
 */
export function withCaret(html: string): string {
  const trimmed = html.replace(/\s+$/, '');
  const closers = /(?:<\/[a-z][a-z0-9]*>\s*)+$/i.exec(trimmed);
  if (!closers) return trimmed + CARET;
  return trimmed.slice(0, closers.index) + CARET + trimmed.slice(closers.index);
}
