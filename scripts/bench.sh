#!/usr/bin/env bash
# `make bench`: Chapel's engine and the peer (node-llama-cpp 3.22.1, prebuilt
# llama.cpp, from ../shared/bench/peer) on the same model file with the same
# threads, in one run, with this machine's memory roofline.
# env: BENCH_MODELS (synthetic names, default "1b-q4_0 1b-q4_k_m": the targets' model, then the catalog's type; the extras run on the first), THREADS (2), PP (512), TG (128), REPS (3),
#      BENCH_BIN (the chapel binary to measure), BENCH_EXTRAS=0 (only the table against the peer),
#      SERVE_ENGINES (1,2,3), SERVE_PIECES (4): the summary on `chapel serve` processes,
#      PIECES (4): map steps in each of the summary benchmark's REPS rounds,
#      STORIES_REPS (5): rounds of stories260K's under-load runs,
#      BENCH_PEER_AVX2=1: the peer without its AVX-512 and AVX-VNNI CPU builds, so that it loads its
#      haswell (AVX2) build as on a CPU without AVX-512, and BENCH_BIN run as the engine (not the
#      variant its CPU would get): BENCH_BIN=build/bin/release/chapel measures the x86-64-v3 engine
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
threads=${THREADS:-2} pp=${PP:-512} tg=${TG:-128} reps=${REPS:-3}
export CHAPEL_HOME="$root/build/bench-home"   # the synthetic models are cached here
out="$root/build/bench"
mkdir -p "$out" "$CHAPEL_HOME"
bin=${BENCH_BIN:-build/bin/chapel}   # e.g. build/bin/release/chapel-avx512: the engine a release runs on this CPU

peer_src="$root/../shared/bench/peer"
peer="$root/build/peer"
if [ -f "$peer_src/bench.mjs" ]; then
  mkdir -p "$peer"
  cp "$peer_src/package.json" "$peer_src/bench.mjs" "$peer/"
  [ -d "$peer/node_modules/node-llama-cpp" ] || (cd "$peer" && npm install --no-audit --no-fund --loglevel=error)
else
  echo "bench: ../shared/bench/peer is absent; measuring Chapel alone"
  peer=""
fi

if [ "${BENCH_PEER_AVX2:-0}" = 1 ] && [ -n "$peer" ]; then
  avx2="$root/build/peer-avx2"
  rm -rf "$avx2" && mkdir -p "$avx2/node_modules/@node-llama-cpp"
  cp "$peer/package.json" "$peer/bench.mjs" "$avx2/"
  for d in "$peer"/node_modules/* "$peer"/node_modules/.[!.]*; do
    [ -e "$d" ] || continue
    case $(basename "$d") in
      @node-llama-cpp) cp -a "$d/linux-x64" "$avx2/node_modules/@node-llama-cpp/" ;;  # no GPU builds
      *) cp -a "$d" "$avx2/node_modules/" ;;
    esac
  done
  for lib in "$avx2"/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/libggml-cpu-*.so; do
    case $(basename "$lib" .so) in
      libggml-cpu-x64 | libggml-cpu-sse42 | libggml-cpu-sandybridge | libggml-cpu-ivybridge | libggml-cpu-piledriver | libggml-cpu-haswell) ;;
      *) rm -f "$lib" ;;
    esac
  done
  peer="$avx2"
  CHAPEL_ENGINE_BINARY="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
  export CHAPEL_ENGINE_BINARY
  echo "bench: the peer runs its haswell (AVX2) build; Chapel runs $CHAPEL_ENGINE_BINARY"
fi

"$bin" bench --bandwidth --threads "$threads" --json > "$out/bandwidth.json"
: > "$out/results.jsonl"
models=${BENCH_MODELS:-1b-q4_0 1b-q4_k_m}
for name in $models; do
  echo "== $name: preparing (written and quantised once, then cached)" >&2
  "$bin" bench --synthetic "$name" --threads "$threads" --pp 8 --tg 8 --reps 1 --json > /dev/null
  model="$CHAPEL_HOME/cache/synthetic-$name.gguf"
  # Chapel and the peer take turns, one run each a round: on this shared
  # machine the speed of both moves by a third within minutes, so runs of one
  # after the other's compare different machines. Each row's ratios are the
  # medians of the rounds' ratios.
  chapel_rounds="" peer_rounds=""
  for r in $(seq "$reps"); do
    echo "== $name: round $r of $reps: chapel${peer:+, peer}" >&2
    c=$("$bin" bench --model "$model" --threads "$threads" --pp "$pp" --tg "$tg" --reps 1 --json)
    chapel_rounds+="${chapel_rounds:+,}$c"
    if [ -n "$peer" ]; then
      p=$(cd "$peer" && node bench.mjs "$model" "$threads" "$pp" "$tg" 1 | tail -n 1)
      peer_rounds+="${peer_rounds:+,}$p"
    fi
  done
  echo "{\"name\":\"$name\",\"chapel_rounds\":[$chapel_rounds],\"peer_rounds\":[$peer_rounds]}" >> "$out/results.jsonl"
done

extras=${BENCH_EXTRAS:-1}
first=${models%% *}
for f in reuse load load-stories summary serve; do echo '{}' > "$out/$f.json"; done
if [ "$extras" = 1 ]; then
# Prefix reuse and parallel sequences, on the first model: the first token
# of a 20-token message after a 3,000-token history against the same 20
# tokens alone, and 4 sequences generating together against one.
echo "== $first: follow-up after a long history, parallel sequences (chapel)" >&2
"$bin" bench --model "$CHAPEL_HOME/cache/synthetic-$first.gguf" --threads "$threads" --pp 64 --tg 64 --reps "$reps" \
  --history 3000 --parallel 4 --json > "$out/reuse.json"

# Under load: generation idle and with one core kept busy by another process
# (tuned threads, one thread, all threads fixed), on the first model and the
# TinyStories model; and the summary pipeline's prompt rate against the
# engine's own on a real document (the first map steps of R-intro.pdf).
echo "== $first: under load (chapel)" >&2
doc="$root/../shared/corpus/R-intro.pdf"
# With the document: the summary's map steps too (tuned and one thread,
# idle and loaded; the first LOAD_PIECES of them).
load_summary=()
[ -f "$doc" ] && load_summary=(--summary "$doc" --pieces "${LOAD_PIECES:-4}")
"$bin" bench --under-load "${load_summary[@]}" --model "$CHAPEL_HOME/cache/synthetic-$first.gguf" --threads "$threads" --tg 64 --reps "$reps" --json > "$out/load.json"
stories="$root/../shared/models/stories260K.gguf"
if [ -f "$stories" ]; then
  echo "== stories260K: under load (chapel)" >&2
  # Its replies last a tenth of a second: more rounds (STORIES_REPS, 5) for
  # a steady median.
  "$bin" bench --under-load --model "$stories" --threads "$threads" --tg 256 --reps "${STORIES_REPS:-5}" --json > "$out/load-stories.json"
else
  echo '{}' > "$out/load-stories.json"
fi
if [ -f "$doc" ]; then
  echo "== $first: summary pipeline on R-intro.pdf (chapel)" >&2
  # REPS rounds of PIECES map steps, each against the engine alone right after it
  "$bin" bench --summary "$doc" --model "$CHAPEL_HOME/cache/synthetic-$first.gguf" --threads "$threads" --pieces "${PIECES:-4}" --reps "$reps" --json > "$out/summary.json"
  # The same map steps on 1, 2 and 3 `chapel serve` processes on loopback
  # as the only engines, the threads shared out (3 on 2 cores oversubscribe).
  echo "== $first: summary map steps on 1, 2, 3 chapel serve processes (chapel)" >&2
  "$bin" bench --summary "$doc" --serve "${SERVE_ENGINES:-1,2,3}" --model "$CHAPEL_HOME/cache/synthetic-$first.gguf" --threads "$threads" \
    --pieces "${SERVE_PIECES:-4}" --json > "$out/serve.json"
fi
fi

node - "$out/bandwidth.json" "$out/results.jsonl" "$out/reuse.json" "$out/load.json" "$out/load-stories.json" "$out/summary.json" "$out/serve.json" <<'JS'
const fs = require('fs');
const bw = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const f = (x, d = 1) => (x == null ? '—' : x.toFixed(d));
const median = (a) => {
  const s = a.slice().sort((x, y) => x - y), m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
// Each model's rounds: Chapel's figures are the medians of its runs, and the
// ratios the medians of the rounds' ratios (Chapel's run ÷ the peer's run
// right after it).
const rows = fs.readFileSync(process.argv[3], 'utf8').trim().split('\n').map((l) => {
  const r = JSON.parse(l), cs = r.chapel_rounds, ps = r.peer_rounds;
  const med = (key) => median(cs.map((c) => c[key]));
  const chapel = { ...cs[0], pp_tps: med('pp_tps'), tg_tps: med('tg_tps'), ttft_ms: med('ttft_ms'), rss_mb: Math.max(...cs.map((c) => c.rss_mb)), reps: cs.length };
  const peer = ps.length ? { pp_tps: median(ps.map((p) => p.pp_tps)), tg_tps: median(ps.map((p) => p.tg_tps)) } : null;
  const ratios = (key) => cs.map((c, i) => c[key] / ps[i][key]);
  return { name: r.name, chapel, peer, pp_ratios: peer ? ratios('pp_tps') : [], tg_ratios: peer ? ratios('tg_tps') : [] };
});
console.log(`\nmemory read bandwidth: ${f(bw.read_gbps)} GB/s with ${bw.threads} threads`);
console.log(`CPU: ${rows[0]?.chapel.cpu_flags ?? ''}\n`);
console.log('model        | chapel pp t/s | peer pp t/s | pp ratio | chapel tg t/s | peer tg t/s | tg ratio | roofline t/s | tg/roofline | ttft ms | rss MB | model MB');
console.log('-------------|---------------|-------------|----------|---------------|-------------|----------|--------------|-------------|---------|--------|---------');
for (const r of rows) {
  const c = r.chapel, p = r.peer;
  const roof = (bw.read_gbps * 1e9) / c.model_bytes;
  console.log([r.name.padEnd(12), f(c.pp_tps).padStart(13), f(p?.pp_tps).padStart(11), (p ? f(median(r.pp_ratios), 2) + '×' : '—').padStart(8),
    f(c.tg_tps).padStart(13), f(p?.tg_tps).padStart(11), (p ? f(median(r.tg_ratios), 2) + '×' : '—').padStart(8),
    f(roof).padStart(12), (f((100 * c.tg_tps) / roof, 0) + ' %').padStart(11), f(c.ttft_ms, 0).padStart(7), f(c.rss_mb, 0).padStart(6),
    f(c.model_bytes / 1e6, 0).padStart(8)].join(' | '));
}
for (const r of rows) {
  if (r.peer) console.log(`${r.name} rounds, Chapel ÷ peer: pp ${r.pp_ratios.map((x) => f(x, 2)).join(', ')}; tg ${r.tg_ratios.map((x) => f(x, 2)).join(', ')}`);
}
const ru = JSON.parse(fs.readFileSync(process.argv[4], 'utf8'));
if (ru.model) {
  console.log(`\nfollow-up turn (${ru.model}): first token of 20 new tokens after ${ru.history} tokens of history ${f(ru.followup_ttft_ms, 0)} ms, ` +
    `the 20 tokens alone ${f(ru.alone_ttft_ms, 0)} ms: ${f(ru.followup_ratio, 2)}× (target ≤ 1.5×; reprocessing the history: ${f(ru.full_ttft_ms, 0)} ms)`);
  console.log(`  rounds: ${(ru.followup_rounds || []).map((x) => f(x, 2)).join(', ')}`);
  console.log(`parallel sequences: 4 together ${f(ru.parallel_tg_tps)} tok/s vs one ${f(ru.parallel_one_tg_tps ?? ru.tg_tps)} tok/s right before each: ` +
    `${f(ru.parallel_gain, 2)}× (median of the rounds: ${(ru.parallel_rounds || []).map((x) => f(x, 2)).join(', ')}; target ≥ 2.5×)`);
}
for (const file of [process.argv[5], process.argv[6]]) {
  const ld = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (!ld.rows) continue;
  console.log(`\nunder load (${ld.model}, ${ld.tg} tokens): one core kept busy by another process`);
  for (const r of ld.rows) console.log(`  ${r.config.padEnd(22)} idle ${f(r.idle_tps).padStart(8)} tok/s · loaded ${f(r.loaded_tps).padStart(8)} tok/s · keeps ${f(100 * r.retained, 0)} %`);
  console.log(`  default vs 1 thread, round by round: idle ${f(ld.default_vs_one_idle, 2)}×, loaded ${f(ld.default_vs_one_loaded, 2)}× (targets: default keeps ≥ 60 % on 1b, ≥ 50 % on stories260K; never below 1 thread)`);
  if (ld.summary_idle) {
    const [si, sl, oi, ol] = [ld.summary_idle, ld.summary_loaded, ld.summary_one_thread_idle, ld.summary_one_thread_loaded];
    console.log(`  summary map steps (${si.document}, ${si.pieces} steps), prompt tok/s: default idle ${f(si.pipeline_pp_tps)} · loaded ${f(sl.pipeline_pp_tps)} · keeps ${f(100 * ld.summary_retained, 0)} %; ` +
      `1 thread idle ${f(oi.pipeline_pp_tps)} · loaded ${f(ol.pipeline_pp_tps)}`);
    console.log(`  summary default vs 1 thread: idle ${f(ld.summary_vs_one_idle, 2)}×, loaded ${f(ld.summary_vs_one_loaded, 2)}× (the same targets)`);
  }
}
const sm = JSON.parse(fs.readFileSync(process.argv[7], 'utf8'));
if (sm.pipeline_pp_tps) {
  console.log(`\nsummary pipeline (${sm.document}, first ${sm.pieces} map steps, ${f(sm.map_prompt_avg_tokens, 0)} prompt tokens a step): ` +
    `${f(sm.pipeline_pp_tps)} tok/s vs the engine alone right after ${f(sm.engine_pp_tps)} tok/s on a ${sm.reference_prompt_tokens}-token prompt: ${f(sm.fraction, 2)} (target ≥ 0.9; ` +
    `median of ${sm.rounds || 1} rounds: ${(sm.round_fractions || [sm.fraction]).map((x) => f(x, 2)).join(', ')}); engine busy ${f(100 * sm.engine_busy, 0)} % of ${f(sm.wall_seconds)} s`);
}
const sv = JSON.parse(fs.readFileSync(process.argv[8], 'utf8'));
if (sv.rows) {
  console.log(`\nsummary map steps on chapel serve processes (${sv.document}, ${sv.model}, ${sv.threads} threads shared out, ${sv.cores} cores):`);
  console.log('  engines | threads each | map s | pieces | s/piece | prompt tok/s | gen tok/s | vs one');
  for (const r of sv.rows) {
    console.log(`  ${String(r.engines).padStart(7)} | ${String(r.threads_each).padStart(12)} | ${f(r.map_seconds).padStart(5)} | ${String(r.pieces).padStart(6)} | ` +
      `${f(r.seconds_per_piece).padStart(7)} | ${f(r.prompt_tps).padStart(12)} | ${f(r.gen_tps).padStart(9)} | ${f(r.ratio_vs_one, 2)}×${r.oversubscribed ? ' (oversubscribed)' : ''}`);
  }
  console.log('  target: two engines ≤ 0.60× one engine\'s time');
}
console.log(`\nmedians of ${rows[0]?.chapel.reps} rounds (Chapel and the peer one run each a round, the ratios the medians of the rounds' ratios), ` +
  `${rows[0]?.chapel.pp} prompt tokens, ${rows[0]?.chapel.tg} generated; targets: pp ≥ 1.1× peer, tg ≥ 1.3× peer and ≥ 85 % of the roofline`);
JS
