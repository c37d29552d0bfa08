#!/usr/bin/env bash
# `make bench`: Chapel's engine and the peer (node-llama-cpp 3.22.1, prebuilt
# llama.cpp, from ../shared/bench/peer) on the same model file with the same
# threads, in one run, with this machine's memory roofline.
# env: BENCH_MODELS (synthetic names, default 1b-q4_0), THREADS (2), PP (512), TG (128), REPS (3)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
threads=${THREADS:-2} pp=${PP:-512} tg=${TG:-128} reps=${REPS:-3}
export CHAPEL_HOME="$root/build/bench-home"   # the synthetic models are cached here
out="$root/build/bench"
mkdir -p "$out" "$CHAPEL_HOME"
bin=build/bin/chapel

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

"$bin" bench --bandwidth --threads "$threads" --json > "$out/bandwidth.json"
: > "$out/results.jsonl"
for name in ${BENCH_MODELS:-1b-q4_0}; do
  echo "== $name: preparing (written and quantised once, then cached)" >&2
  "$bin" bench --synthetic "$name" --threads "$threads" --pp 8 --tg 8 --reps 1 --json > /dev/null
  model="$CHAPEL_HOME/cache/synthetic-$name.gguf"
  echo "== $name: chapel" >&2
  chapel=$("$bin" bench --model "$model" --threads "$threads" --pp "$pp" --tg "$tg" --reps "$reps" --json)
  peerjson='null'
  if [ -n "$peer" ]; then
    echo "== $name: peer" >&2
    peerjson=$(cd "$peer" && node bench.mjs "$model" "$threads" "$pp" "$tg" "$reps" | tail -n 1)
  fi
  echo "{\"name\":\"$name\",\"chapel\":$chapel,\"peer\":$peerjson}" >> "$out/results.jsonl"
done

# Prefix reuse and parallel sequences, on the first model: the first token
# of a 20-token message after a 3,000-token history against the same 20
# tokens alone, and 4 sequences generating together against one.
first=${BENCH_MODELS:-1b-q4_0}; first=${first%% *}
echo "== $first: follow-up after a long history, parallel sequences (chapel)" >&2
"$bin" bench --model "$CHAPEL_HOME/cache/synthetic-$first.gguf" --threads "$threads" --pp 64 --tg 64 --reps "$reps" \
  --history 3000 --parallel 4 --json > "$out/reuse.json"

node - "$out/bandwidth.json" "$out/results.jsonl" "$out/reuse.json" <<'JS'
const fs = require('fs');
const bw = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const rows = fs.readFileSync(process.argv[3], 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const f = (x, d = 1) => (x == null ? '—' : x.toFixed(d));
console.log(`\nmemory read bandwidth: ${f(bw.read_gbps)} GB/s with ${bw.threads} threads`);
console.log(`CPU: ${rows[0]?.chapel.cpu_flags ?? ''}\n`);
console.log('model        | chapel pp t/s | peer pp t/s | pp ratio | chapel tg t/s | peer tg t/s | tg ratio | roofline t/s | tg/roofline | ttft ms | rss MB | model MB');
console.log('-------------|---------------|-------------|----------|---------------|-------------|----------|--------------|-------------|---------|--------|---------');
for (const r of rows) {
  const c = r.chapel, p = r.peer;
  const roof = (bw.read_gbps * 1e9) / c.model_bytes;
  console.log([r.name.padEnd(12), f(c.pp_tps).padStart(13), f(p?.pp_tps).padStart(11), (p ? f(c.pp_tps / p.pp_tps, 2) + '×' : '—').padStart(8),
    f(c.tg_tps).padStart(13), f(p?.tg_tps).padStart(11), (p ? f(c.tg_tps / p.tg_tps, 2) + '×' : '—').padStart(8),
    f(roof).padStart(12), (f((100 * c.tg_tps) / roof, 0) + ' %').padStart(11), f(c.ttft_ms, 0).padStart(7), f(c.rss_mb, 0).padStart(6),
    f(c.model_bytes / 1e6, 0).padStart(8)].join(' | '));
}
const ru = JSON.parse(fs.readFileSync(process.argv[4], 'utf8'));
console.log(`\nfollow-up turn (${ru.model}): first token of 20 new tokens after ${ru.history} tokens of history ${f(ru.followup_ttft_ms, 0)} ms, ` +
  `the 20 tokens alone ${f(ru.alone_ttft_ms, 0)} ms: ${f(ru.followup_ratio, 2)}× (target ≤ 1.5×; reprocessing the history: ${f(ru.full_ttft_ms, 0)} ms)`);
console.log(`parallel sequences: 4 together ${f(ru.parallel_tg_tps)} tok/s vs one ${f(ru.tg_tps)} tok/s: ${f(ru.parallel_gain, 2)}× (target ≥ 2.5×)`);
console.log(`\nmedians of ${rows[0]?.chapel.reps} runs, ${rows[0]?.chapel.pp} prompt tokens, ${rows[0]?.chapel.tg} generated; targets: pp ≥ 1.1× peer, tg ≥ 1.3× peer and ≥ 85 % of the roofline`);
JS
