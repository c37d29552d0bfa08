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

const languages = {
  bash, c, cpp, csharp, css, diff, go, ini, java, javascript, json, kotlin, markdown,
  php, plaintext, python, ruby, rust, shell, sql, swift, typescript, xml, yaml,
};
for (const [name, lang] of Object.entries(languages)) hljs.registerLanguage(name, lang);

const AUTO_DETECT = ['python', 'javascript', 'typescript', 'bash', 'json', 'go', 'rust', 'c', 'cpp', 'java', 'sql', 'xml', 'css', 'yaml'];

function escapeHtml(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
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

const FORBID_TAGS = [
  'img', 'picture', 'source', 'video', 'audio', 'track', 'iframe', 'frame', 'object', 'embed',
  'form', 'input', 'textarea', 'select', 'option', 'style', 'link', 'meta', 'base', 'svg', 'math',
  'script', 'noscript', 'template', 'dialog',
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

/** Render untrusted markdown to sanitised HTML. */
export function renderMarkdown(src: string): string {
  installHooks();
  const raw = md.parse(src ?? '', { async: false });
  return DOMPurify.sanitize(raw, {
    FORBID_TAGS,
    FORBID_ATTR,
    ALLOW_DATA_ATTR: false,
    ADD_ATTR: ['data-copy-code'],
  });
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
