// `npm run bench`: per-operation timings of firmware/crypto in Node and in `node --jitless` (the closest
// stand-in for an interpreter here: no JIT), side by side with elliptic for P-256, and the minified size
// of each crypto module. A benchmark, not a test: numbers vary by machine.
//
//   npm run bench                 full table (spawns the --jitless child itself)
//   npm run bench -- --quick      fewer repetitions
//   node --import tsx bench/run.ts --child   one column as JSON (used internally)
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createECDH, createHash } from 'node:crypto';
import * as esbuild from 'esbuild';
import elliptic from 'elliptic';
import { aesCmac } from '../firmware/crypto/cmac.ts';
import { ccmEncrypt } from '../firmware/crypto/ccm.ts';
import * as p256 from '../firmware/crypto/p256.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');

interface Case {
  name: string;
  impl: 'ours' | 'elliptic';
  run: () => void;
}
interface Timing {
  name: string;
  impl: string;
  msPerOp: number;
  runs: number;
}

/** Deterministic inputs so both columns measure the same work. */
function fixtures() {
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(createHash('sha256').update('bench device key').digest());
  const priv = new Uint8Array(ecdh.getPrivateKey());
  const peer = createECDH('prime256v1');
  peer.setPrivateKey(createHash('sha256').update('bench peer key').digest());
  const peerPub = new Uint8Array(peer.getPublicKey().subarray(1));
  const hash = new Uint8Array(createHash('sha256').update('bench message').digest());
  const sig = p256.sign(new Uint8Array(peer.getPrivateKey()), hash, null);
  let counter = 0;
  const rnd = (n: number) => {
    counter++;
    return new Uint8Array(createHash('sha256').update('bench random ' + counter).digest().subarray(0, n));
  };
  return { priv, peerPub, peerPriv: new Uint8Array(peer.getPrivateKey()), hash, sig, rnd };
}

async function cases(): Promise<Case[]> {
  const f = fixtures();
  const ec = new elliptic.ec('p256');
  const cmacKey = new Uint8Array(16).fill(7);
  const msg145 = new Uint8Array(145).map((_, i) => i);
  const ccmKey = new Uint8Array(16).fill(9);
  const nonce = new Uint8Array(13).fill(3);
  const data25 = new Uint8Array(25).map((_, i) => 255 - i);
  const ecPeer = ec.keyFromPublic(Buffer.concat([Buffer.from([4]), Buffer.from(f.peerPub)]));
  const ecPriv = ec.keyFromPrivate(Buffer.from(f.priv));
  const sigHex = Buffer.from(f.sig).toString('hex');
  const hashHex = Buffer.from(f.hash).toString('hex');
  const list: Case[] = [
    { name: 'ECDH, unknown peer key', impl: 'ours', run: () => void p256.ecdh(f.priv, f.peerPub) },
    { name: 'ECDH, unknown peer key', impl: 'elliptic', run: () => void ecPriv.derive(ecPeer.getPublic()) },
    {
      name: 'ECDSA verify, no tables',
      impl: 'ours',
      run: () => {
        if (!p256.verify(f.peerPub, f.hash, f.sig)) throw new Error('bench: verify failed');
      },
    },
    {
      name: 'ECDSA verify, no tables',
      impl: 'elliptic',
      run: () => {
        if (!ecPeer.verify(hashHex, sigHex)) throw new Error('bench: elliptic verify failed');
      },
    },
    { name: 'key generation', impl: 'ours', run: () => void p256.generateKeyPair(f.rnd) },
    { name: 'key generation', impl: 'elliptic', run: () => void ec.keyFromPrivate(Buffer.from(f.rnd(32))).getPublic('array') },
    { name: 'AES-CMAC, 145 bytes', impl: 'ours', run: () => void aesCmac(cmacKey, msg145) },
    { name: 'AES-CCM encrypt, 25 bytes', impl: 'ours', run: () => void ccmEncrypt({ key: ccmKey, nonce, plaintext: data25, micLength: 8 }) },
  ];
  // With tables: G and the peer (the device-type key's role) registered; built once, outside the timing.
  const tablesReady = { done: false };
  const withTables = (fn: () => void) => () => {
    if (!tablesReady.done) {
      p256.useTable('G', p256.buildTable('G'));
      p256.useTable(f.peerPub, p256.buildTable(f.peerPub));
      tablesReady.done = true;
    }
    fn();
  };
  list.push({
    name: 'ECDSA verify, G + key tables',
    impl: 'ours',
    run: withTables(() => {
      if (!p256.verify(f.peerPub, f.hash, f.sig)) throw new Error('bench: verify failed');
    }),
  });
  list.push({ name: 'ECDH, peer key with table', impl: 'ours', run: withTables(() => void p256.ecdh(f.priv, f.peerPub)) });
  list.push({ name: 'key generation, G table', impl: 'ours', run: withTables(() => void p256.generateKeyPair(f.rnd)) });
  // The P-256 author's own cases, when present.
  const extra = path.join(root, 'bench/p256-cases.ts');
  if (existsSync(extra)) {
    const mod = (await import(pathToFileURL(extra).href)) as { p256Cases?: Array<{ name: string; run: () => void }> };
    for (const c of mod.p256Cases || []) {
      if (!list.some((x) => x.name === c.name && x.impl === 'ours')) list.push({ name: c.name, impl: 'ours', run: c.run });
    }
  }
  return list;
}

/** Time one case: warm up once, then repeat until `budgetMs` has passed (at least `minRuns`). */
function time(c: Case, budgetMs: number, minRuns: number): Timing {
  c.run();
  let runs = 0;
  const t0 = performance.now();
  let t = t0;
  while (runs < minRuns || t - t0 < budgetMs) {
    c.run();
    runs++;
    t = performance.now();
    if (runs >= 100000) break;
  }
  return { name: c.name, impl: c.impl, msPerOp: (t - t0) / runs, runs };
}

async function column(budgetMs: number): Promise<Timing[]> {
  const out: Timing[] = [];
  for (const c of await cases()) out.push(time(c, budgetMs, 2));
  return out;
}

/**
 * Minified bytes of each firmware/crypto module, measured the way the firmware is built (esbuild IIFE,
 * minified, names mangled): an entry that keeps every export of the module(s) alive, minus the bytes of
 * the same entry keeping nothing (the wrapper). "own" counts the module alone; "with imports" adds
 * what it pulls in (e.g. CMAC needs AES).
 */
async function sizes(): Promise<Array<{ name: string; own: number; bundled: number }>> {
  const dir = path.join(root, 'firmware/crypto');
  const files = readdirSync(dir).filter((f) => f.endsWith('.ts')).sort();
  const build = async (contents: string) => {
    const r = await esbuild.build({
      stdin: { contents, resolveDir: dir, loader: 'ts', sourcefile: 'entry.ts' },
      bundle: true,
      write: false,
      format: 'iife',
      minify: true,
      target: 'es2020',
      platform: 'neutral',
      legalComments: 'none',
      charset: 'ascii',
      logLevel: 'silent',
      metafile: true,
    });
    const out = Object.values(r.metafile!.outputs)[0];
    return { total: r.outputFiles[0].contents.length, inputs: out.inputs };
  };
  // Keep each exported value alive by name (no namespace objects, which would add getter glue).
  // Export names from esbuild itself (the files on disk now, not modules this process loaded earlier).
  const exportsOf = async (m: string) => {
    const r = await esbuild.build({ entryPoints: [path.join(dir, m)], bundle: false, write: false, format: 'esm', metafile: true, logLevel: 'silent', outdir: '/tmp/bench-exports' });
    const out = Object.values(r.metafile!.outputs)[0];
    return out.exports.filter((k) => k !== 'default');
  };
  const keepAll = async (mods: string[]) => {
    let imports = '';
    const names: string[] = [];
    for (let i = 0; i < mods.length; i++) {
      const ex = await exportsOf(mods[i]);
      imports += `import { ${ex.map((e) => `${e} as m${i}_${e}`).join(', ')} } from './${mods[i]}';`;
      for (const e of ex) names.push(`m${i}_${e}`);
    }
    return { code: imports + `(globalThis as any).keep = [${names.join(',')}];`, count: names.length };
  };
  const measure = async (mods: string[]) => {
    const k = await keepAll(mods);
    const r = await build(k.code);
    const wrapper = (await build(`(globalThis as any).keep = [${new Array(k.count).fill(1).join(',')}];`)).total;
    return { r, bytes: r.total - wrapper };
  };
  const out: Array<{ name: string; own: number; bundled: number }> = [];
  for (const f of files) {
    const m = await measure([f]);
    const ownKey = Object.keys(m.r.inputs).find((k) => k.endsWith('/' + f) || k === f);
    out.push({ name: f, own: ownKey ? m.r.inputs[ownKey].bytesInOutput : 0, bundled: m.bytes });
  }
  out.push({ name: 'AES + CMAC + CCM (together)', own: 0, bundled: (await measure(['aes.ts', 'cmac.ts', 'ccm.ts'])).bytes });
  const p = await measure(['p256.ts']);
  out.push({ name: 'P-256 (p256 + field/scalar/point + der + HMAC-SHA-256 for RFC 6979)', own: 0, bundled: p.bytes });
  const shared = Object.entries(p.r.inputs).filter(([k]) => /sha256\.ts$|bytes\.ts$/.test(k)).reduce((a, [, v]) => a + v.bytesInOutput, 0);
  out.push({ name: 'P-256 without the SHA-256/bytes code it shares with the firmware', own: 0, bundled: p.bytes - shared });
  return out;
}

function fmt(ms: number | undefined): string {
  if (ms === undefined) return '—';
  if (ms >= 100) return ms.toFixed(0) + ' ms';
  if (ms >= 1) return ms.toFixed(2) + ' ms';
  return (ms * 1000).toFixed(1) + ' µs';
}

async function main(): Promise<void> {
  const budget = quick ? 150 : 600;
  if (process.argv.includes('--sizes')) {
    for (const s of await sizes()) console.log('  ' + s.name.padEnd(70) + (s.own ? String(s.own).padStart(7) : '       ') + String(s.bundled).padStart(14));
    return;
  }
  if (process.argv.includes('--child')) {
    process.stdout.write(JSON.stringify(await column(budget)) + '\n');
    return;
  }
  console.log('firmware/crypto benchmark (' + process.version + ', ' + new Date().toISOString() + ')');
  console.log('running the Node column...');
  const jit = await column(budget);
  console.log('running the node --jitless column (child process)...');
  const child = spawnSync(process.execPath, ['--jitless', '--import', 'tsx', path.join(root, 'bench/run.ts'), '--child'].concat(quick ? ['--quick'] : []), {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (child.status !== 0) {
    console.error('bench: the --jitless child failed: ' + (child.stderr || '').split('\n').slice(-5).join(' | '));
    process.exit(1);
  }
  const jitless: Timing[] = JSON.parse(child.stdout.trim().split('\n').pop() as string);
  const find = (list: Timing[], name: string, impl: string) => list.find((t) => t.name === name && t.impl === impl);
  const names: string[] = [];
  for (const t of jit) if (names.indexOf(t.name) < 0) names.push(t.name);
  const rows = [['operation', 'ours (node)', 'elliptic (node)', 'ratio', 'ours (--jitless)', 'elliptic (--jitless)', 'ratio (--jitless)']];
  const ratio = (a?: Timing, b?: Timing) => (a && b ? (b.msPerOp / a.msPerOp).toFixed(2) + '×' : '—');
  for (const n of names) {
    const o = find(jit, n, 'ours');
    const e = find(jit, n, 'elliptic');
    const oj = find(jitless, n, 'ours');
    const ej = find(jitless, n, 'elliptic');
    rows.push([n, fmt(o?.msPerOp), fmt(e?.msPerOp), ratio(o, e), fmt(oj?.msPerOp), fmt(ej?.msPerOp), ratio(oj, ej)]);
  }
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  console.log('');
  console.log('time per operation (ratio = elliptic time / our time; above 1× we are faster)');
  for (const r of rows) console.log('  ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
  console.log('');
  console.log('minified bytes (esbuild IIFE like the firmware, every export kept, minus the wrapper; own = the module alone, with imports = what it pulls in)');
  const all = await sizes();
  console.log('  ' + 'module'.padEnd(70) + '    own  with imports');
  for (const s of all) console.log('  ' + s.name.padEnd(70) + (s.own ? String(s.own).padStart(7) : '       ') + String(s.bundled).padStart(14));
  const aes = all.find((s) => s.name.startsWith('AES + CMAC'));
  const p = all.find((s) => s.name.startsWith('P-256 without'));
  console.log('');
  console.log('targets: P-256 ≤ 10240 bytes: ' + (p && p.bundled <= 10240 ? 'met' : 'NOT met') + ' (' + (p ? p.bundled : '?') + ');' +
    ' AES+CMAC+CCM ≤ 3072 bytes: ' + (aes && aes.bundled <= 3072 ? 'met' : 'NOT met') + ' (' + (aes ? aes.bundled : '?') + ');' +
    ' ECDH ≥ 3× elliptic under --jitless: ' + (() => {
      const o = find(jitless, 'ECDH, unknown peer key', 'ours');
      const e = find(jitless, 'ECDH, unknown peer key', 'elliptic');
      return o && e ? (e.msPerOp / o.msPerOp >= 3 ? 'met' : 'NOT met') + ' (' + (e.msPerOp / o.msPerOp).toFixed(2) + '×)' : '?';
    })());
}

await main();
