// The software Chapel bundles and the licence each is used under, for the
// About box. The full licence texts ship beside the app as
// THIRD_PARTY_LICENSES.txt (scripts/collect-licenses.sh gathers them from the
// Go module cache and node_modules when a package is built).

export interface Bundled {
  name: string;
  what: string;
  licence: string;
}

export const BUNDLED: readonly Bundled[] = [
  { name: 'llama.cpp', what: 'the inference engine', licence: 'MIT' },
  { name: 'ggml', what: 'the tensor library under llama.cpp', licence: 'MIT' },
  { name: 'Ollama', what: 'the Go module that carries llama.cpp and ggml', licence: 'MIT' },
  { name: 'Wails', what: 'the desktop window and bindings', licence: 'MIT' },
  { name: 'SQLite', what: 'the database', licence: 'Public domain' },
  { name: 'go-sqlite3', what: 'the SQLite driver', licence: 'MIT' },
  { name: 'BLAKE3 (lukechampine.com/blake3)', what: 'document hashing', licence: 'MIT' },
  { name: 'go-keyring (Zalando)', what: "endpoints' API keys in the system's secret store", licence: 'MIT' },
  { name: 'Svelte', what: 'the user interface', licence: 'MIT' },
  { name: 'marked', what: 'Markdown rendering', licence: 'MIT' },
  { name: 'DOMPurify', what: 'cleaning model output', licence: 'Apache-2.0 or MPL-2.0' },
  { name: 'highlight.js', what: 'code highlighting', licence: 'BSD-3-Clause' },
  { name: 'KaTeX', what: 'mathematics in replies', licence: 'MIT' },
  { name: 'pdf.js (Mozilla)', what: 'the PDF viewer', licence: 'Apache-2.0' },
  {
    name: "OpenJPEG, PDFium's JBIG2 decoder, qcms, QuickJS",
    what: "pdf.js's image decoders and scripting (WebAssembly)",
    licence: 'BSD-2-Clause, BSD-3-Clause, MIT',
  },
  {
    name: 'Foxit and Liberation fonts, Adobe CMaps',
    what: "pdf.js's standard fonts and character maps",
    licence: 'BSD-3-Clause, Liberation licence',
  },
  { name: 'Go and golang.org/x', what: 'the runtime and standard library', licence: 'BSD-3-Clause' },
  { name: 'godbus, cpuid, uniseg, lo and other Go modules', what: 'support libraries', licence: 'MIT, BSD' },
];
