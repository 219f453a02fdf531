// Quick side-by-side of this project's P-256 against elliptic (the benchmark peer) in this Node
// process. Run it twice: `node --import tsx bench/p256-compare.ts` and with `--jitless` (the closest
// stand-in for an interpreter here). Also prints the minified size of the P-256 modules.
import { p256Cases, ellipticCases, p256MinifiedBytes } from './p256-cases.ts';

function time(run: () => void, minMs: number): number {
  run();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs || n < 3) {
    run();
    n++;
    t = performance.now();
  }
  return (t - t0) / n;
}

const jitless = process.execArgv.includes('--jitless');
const minMs = Number(process.env.BENCH_MS || (jitless ? 1500 : 500));
const ours = p256Cases;
const peer = ellipticCases();
console.log((jitless ? 'node --jitless' : 'node') + ': ms per operation');
for (const c of ours) {
  const ms = time(c.run, minMs);
  const p = peer.find((x) => x.name === c.name);
  if (p) {
    const pm = time(p.run, minMs);
    console.log(`${c.name.padEnd(34)} ours ${ms.toFixed(2).padStart(8)}  elliptic ${pm.toFixed(2).padStart(8)}  ratio ${(pm / ms).toFixed(2)}x`);
  } else console.log(`${c.name.padEnd(34)} ours ${ms.toFixed(2).padStart(8)}`);
}
console.log('minified P-256 modules (p256 + field + point + scalar + der, sha256 external): ' + (await p256MinifiedBytes()) + ' bytes');
