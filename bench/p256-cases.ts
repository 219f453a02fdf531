// P-256 benchmark cases for bench/run.ts: `p256Cases` (this project) and `ellipticCases()` (the peer,
// same names), plus the minified size of the P-256 modules. Inputs are fixed (seeded), so runs compare.
import { createHash } from 'node:crypto';
import * as p256 from '../firmware/crypto/p256.ts';

function seeded(seed: number): (n: number) => Uint8Array {
  let s = seed >>> 0;
  return (n: number) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      out[i] = s >>> 24;
    }
    return out;
  };
}

const rnd = seeded(0x5eed);
const alice = p256.generateKeyPair(rnd);
const bob = p256.generateKeyPair(rnd);
const hash = new Uint8Array(createHash('sha256').update('benchmark message').digest());
const signature = p256.sign(bob.privateKey, hash, rnd);
let tableG: Uint8Array | null = null;
let tableBob: Uint8Array | null = null;

function withTables(on: boolean): void {
  if (on) {
    tableG = tableG || p256.buildTable('G');
    tableBob = tableBob || p256.buildTable(bob.publicKey);
  }
  p256.useTable('G', on ? tableG : null);
  p256.useTable(bob.publicKey, on ? tableBob : null);
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error('p256 bench: wrong result in ' + what);
}

export const p256Cases: Array<{ name: string; run: () => void }> = [
  { name: 'P-256 ECDH (unknown peer key)', run: () => { withTables(false); check(p256.ecdh(alice.privateKey, bob.publicKey) !== null, 'ecdh'); } },
  { name: 'P-256 ECDSA verify (no tables)', run: () => { withTables(false); check(p256.verify(bob.publicKey, hash, signature), 'verify'); } },
  { name: 'P-256 ECDSA verify (G + key tables)', run: () => { withTables(true); check(p256.verify(bob.publicKey, hash, signature), 'verify'); withTables(false); } },
  { name: 'P-256 key generation (no table)', run: () => { withTables(false); p256.generateKeyPair(rnd); } },
  { name: 'P-256 key generation (G table)', run: () => { withTables(true); p256.generateKeyPair(rnd); withTables(false); } },
  { name: 'P-256 ECDSA sign (no table)', run: () => { withTables(false); p256.sign(alice.privateKey, hash, rnd); } },
];

import elliptic from 'elliptic';
/** The same operations with elliptic (host only; elliptic does not run on the interpreter), same names. */
export function ellipticCases(): Array<{ name: string; run: () => void }> {
  const ec = new elliptic.ec('p256');
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  const a = ec.keyFromPrivate(hex(alice.privateKey), 'hex');
  const bPub = ec.keyFromPublic('04' + hex(bob.publicKey), 'hex');
  const sigHex = hex(signature);
  const h = hex(hash);
  return [
    { name: 'P-256 ECDH (unknown peer key)', run: () => { ec.keyFromPublic('04' + hex(bob.publicKey), 'hex').getPublic().mul(a.getPrivate()).getX(); } },
    { name: 'P-256 ECDSA verify (no tables)', run: () => { check(ec.keyFromPublic('04' + hex(bob.publicKey), 'hex').verify(h, sigHex), 'elliptic verify'); } },
    { name: 'P-256 ECDSA verify (G + key tables)', run: () => { check(bPub.verify(h, sigHex), 'elliptic verify'); } },
    { name: 'P-256 key generation (G table)', run: () => { ec.genKeyPair().getPublic(); } },
    { name: 'P-256 ECDSA sign (no table)', run: () => { a.sign(h); } },
  ];
}

/**
 * Run ecdhSliced once on a synchronous queue and time every slice: how many slices, the longest one
 * (what Wi-Fi, BLE and timers wait for at most) and the total.
 */
export function p256SliceStats(stepsPerSlice?: number): { stepsPerSlice: number; slices: number; longestMs: number; totalMs: number } {
  withTables(false);
  const queue: (() => void)[] = [];
  let done = false;
  let slices = 0;
  let longest = 0;
  let total = 0;
  p256.ecdhSliced({ privateKey: alice.privateKey, publicKey: bob.publicKey, stepsPerSlice, defer: (fn) => void queue.push(fn), onDone: () => (done = true) });
  while (queue.length) {
    const fn = queue.shift() as () => void;
    const t0 = performance.now();
    fn();
    const dt = performance.now() - t0;
    slices++;
    total += dt;
    if (dt > longest) longest = dt;
  }
  check(done, 'ecdhSliced');
  return { stepsPerSlice: stepsPerSlice || 2, slices, longestMs: longest, totalMs: total };
}

const API = ['getPublicKey', 'isValidPublicKey', 'ecdh', 'ecdhSliced', 'generateKeyPair', 'generateKeyPairSliced', 'verify', 'verifySliced', 'sign', 'signSliced', 'parseSpkiPublicKey', 'encodeSpkiPublicKey', 'parsePrivateKey', 'buildTable', 'useTable'];

/**
 * Minified bytes of the P-256 modules (p256.ts and its internal modules; sha256.ts, owned by another
 * module and shared in the firmware, external): `bundled` as they land in a bundle that uses the whole
 * API (names mangled, keep-alive harness subtracted), `esm` as a stand-alone ES module that keeps its 15 export names.
 */
export async function p256MinifiedBytes(): Promise<{ bundled: number; esm: number }> {
  const esbuild = await import('esbuild');
  const resolveDir = new URL('..', import.meta.url).pathname;
  const build = async (contents: string) => {
    const r = await esbuild.build({
      stdin: { contents, resolveDir, loader: 'ts' },
      bundle: true,
      minify: true,
      write: false,
      format: 'esm',
      target: 'es2020',
      platform: 'neutral',
      plugins: [{ name: 'ext', setup(b) { b.onResolve({ filter: /sha256/ }, (a) => ({ path: a.path, external: true })); } }],
    });
    return r.outputFiles[0].contents.length;
  };
  // the harness that keeps the 15 functions alive is measured on its own and subtracted
  const bundled =
    (await build(`import {${API.join(',')}} from './firmware/crypto/p256.ts'; export default [${API.join(',')}];`)) -
    (await build(`export default [${API.map(() => '1').join(',')}];`));
  const esm = await build("export * from './firmware/crypto/p256.ts';");
  return { bundled, esm };
}
