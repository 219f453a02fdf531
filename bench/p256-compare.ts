// Side-by-side of this project's P-256 and elliptic (the benchmark peer) in one Node process. Run it
// as `node --import tsx bench/p256-compare.ts` and with `node --jitless` (the closest stand-in for an
// interpreter here). Rounds alternate ours/elliptic and the best round counts, so a busy machine
// hurts both sides alike. Also prints the sliced ECDH's slice count and longest slice, and the
// minified size of the P-256 modules.
import { p256Cases, ellipticCases, p256MinifiedBytes, p256SliceStats } from './p256-cases.ts';

function perOp(run: () => void, ms: number): number {
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms || n < 2) {
    run();
    n++;
    t = performance.now();
  }
  return (t - t0) / n;
}

const jitless = process.execArgv.includes('--jitless');
const roundMs = Number(process.env.BENCH_MS || (jitless ? 400 : 150));
const rounds = Number(process.env.BENCH_ROUNDS || 5);
const peer = ellipticCases();
console.log(`${jitless ? 'node --jitless' : 'node'}: ms per operation (best of ${rounds} alternating rounds)`);
for (const c of p256Cases) {
  const p = peer.find((x) => x.name === c.name);
  c.run();
  if (p) p.run();
  let ours = Infinity;
  let theirs = Infinity;
  for (let r = 0; r < rounds; r++) {
    ours = Math.min(ours, perOp(c.run, roundMs));
    if (p) theirs = Math.min(theirs, perOp(p.run, roundMs));
  }
  const line = `${c.name.padEnd(38)} ours ${ours.toFixed(2).padStart(8)}`;
  console.log(p ? `${line}  elliptic ${theirs.toFixed(2).padStart(8)}  ratio ${(theirs / ours).toFixed(2)}x` : line);
}
const s = p256SliceStats();
console.log(`ecdhSliced (default ${s.stepsPerSlice} steps per slice): ${s.slices} slices, longest ${s.longestMs.toFixed(2)} ms, total ${s.totalMs.toFixed(1)} ms`);
const size = await p256MinifiedBytes();
console.log(`minified P-256 (p256 + field + point + scalar + der; sha256.ts external): ${size.bundled} bytes as bundled (export names mangled), ${size.esm} bytes as an ES module with its export names`);
