// Mesh provisioning benchmark (a benchmark, not a test: numbers vary by machine).
//   node --import tsx bench/mesh-provision.ts [--quick]
// 1. Time to provision in the simulator, on the real bundle (dist/firmware.js, run `npm run build`),
//    over PB-ADV and PB-GATT: virtual time from power-on and from the Echo's first sighting to the
//    Echo's "provisioned", and the wall time of the whole run.
// 2. The device key pair and the ECDH as the firmware runs them (createFirmwareEcc: sliced through
//    the clock's defer), under `node --jitless` (no JIT, the closest stand-in for an interpreter
//    here): number of slices, the longest slice (how long the event loop is blocked at most) and the
//    total, next to one unsliced ECDH.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { createHash } from 'node:crypto';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const quick = process.argv.includes('--quick');

interface SliceReport {
  keygen: { slices: number; longestMs: number; totalMs: number; wallMs: number };
  ecdh: { slices: number; longestMs: number; totalMs: number; wallMs: number };
  ecdhUnslicedMs: number;
  jitless: boolean;
}

async function sliceChild(): Promise<void> {
  const { createFirmwareEcc } = await import('../firmware/mesh/ecc.ts');
  const p256 = await import('../firmware/crypto/p256.ts');
  let n = 0;
  const randomBytes = (len: number) => new Uint8Array(createHash('sha256').update('bench ' + n++).digest().subarray(0, len));
  const stats = { keygen: { slices: 0, longestMs: 0, totalMs: 0 }, ecdh: { slices: 0, longestMs: 0, totalMs: 0 } };
  const clock = {
    now: () => performance.now(),
    setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms) as unknown as number,
    clearTimeout: (id: number) => clearTimeout(id as unknown as NodeJS.Timeout),
    setInterval: (fn: () => void, ms: number) => setInterval(fn, ms) as unknown as number,
    clearInterval: (id: number) => clearInterval(id as unknown as NodeJS.Timeout),
    defer: (fn: () => void) => void setImmediate(fn),
  };
  const ecc = createFirmwareEcc(clock, randomBytes, stats);
  const t0 = performance.now();
  const kp = await new Promise<{ privateKey: Uint8Array; publicKey: Uint8Array }>((resolve, reject) =>
    ecc.generateKeyPair((err, k) => (err || !k ? reject(new Error(String(err))) : resolve(k))),
  );
  const keygenWall = performance.now() - t0;
  const peer = p256.generateKeyPair(randomBytes);
  const t1 = performance.now();
  await new Promise<void>((resolve, reject) => ecc.ecdh(kp.privateKey, peer.publicKey, (err) => (err ? reject(new Error(String(err))) : resolve())));
  const ecdhWall = performance.now() - t1;
  const t2 = performance.now();
  p256.ecdh(kp.privateKey, peer.publicKey);
  const unsliced = performance.now() - t2;
  const report: SliceReport = {
    keygen: { ...stats.keygen, wallMs: keygenWall },
    ecdh: { ...stats.ecdh, wallMs: ecdhWall },
    ecdhUnslicedMs: unsliced,
    jitless: process.execArgv.includes('--jitless'),
  };
  process.stdout.write(JSON.stringify(report));
}

async function provisionTimes(): Promise<void> {
  const { runScenario } = await import('../sim/scenario.ts');
  for (const name of ['mesh-pb-adv-happy', 'mesh-pb-gatt-happy', 'mesh-pb-adv-lossy']) {
    const runs = quick ? 1 : 3;
    for (let i = 0; i < runs; i++) {
      const seed = i + 1;
      const wall0 = performance.now();
      const r = await runScenario(name, { storageDir: null, seed });
      const wall = performance.now() - wall0;
      const found = r.events.find((e) => e.actor === 'echo' && e.kind === 'scan' && e.summary.startsWith('found'));
      const done = r.events.find((e) => e.actor === 'echo' && e.kind === 'state' && e.summary.startsWith('provisioned'));
      const complete = r.events.find((e) => e.actor === 'device' && e.summary.includes('mesh: provisioned over'));
      console.log(
        `${name.padEnd(22)} seed ${seed}: ${r.ok ? 'ok  ' : 'FAIL'} device Complete at ${((complete?.t ?? NaN) / 1000).toFixed(3)} s virtual, ` +
          `Echo done ${((done?.t ?? NaN) / 1000).toFixed(3)} s (${(((done?.t ?? NaN) - (found?.t ?? NaN)) / 1000).toFixed(3)} s after first sighting); wall ${wall.toFixed(0)} ms`,
      );
    }
  }
}

if (process.argv.includes('--slice-child')) {
  await sliceChild();
} else {
  console.log('# time to provision in the simulator (the sim models radio and link timing, not CPU time)');
  await provisionTimes();
  console.log('\n# device key pair and ECDH as the firmware slices them');
  for (const flags of [['--jitless'], []]) {
    const child = spawnSync(process.execPath, [...flags, '--import', 'tsx', path.join(root, 'bench/mesh-provision.ts'), '--slice-child'], { encoding: 'utf8', cwd: root });
    if (child.status !== 0) {
      console.log('child failed: ' + child.stderr.split('\n')[0]);
      continue;
    }
    const r = JSON.parse(child.stdout) as SliceReport;
    const label = r.jitless ? 'node --jitless' : 'node (JIT)    ';
    for (const k of ['keygen', 'ecdh'] as const) {
      const s = r[k];
      console.log(`${label} ${k.padEnd(6)}: ${s.slices} slices, longest ${s.longestMs.toFixed(2)} ms, sum ${s.totalMs.toFixed(1)} ms, wall ${s.wallMs.toFixed(1)} ms`);
    }
    console.log(`${label} ECDH unsliced (one call): ${r.ecdhUnslicedMs.toFixed(1)} ms`);
  }
}
