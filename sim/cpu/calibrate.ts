// Regenerates sim/cpu/calibration.json from the real interpreter, in one command:
//   node --import tsx sim/cpu/calibrate.ts [--espruino PATH] [--runs N] [--out FILE] [--assume-native-convolve]
//   node --import tsx sim/cpu/calibrate.ts --from-log FILE [--out FILE]   (recompute a table from a saved log)
// (PATH defaults to $ESPRUINO_BIN, then the default build of npm run espruino:build).
//
// How: sim/cpu/measure.ts (the firmware's own crypto, built with the firmware's esbuild settings and
// post-pass) and the firmware bundle itself (dist/firmware.js, for the boot) run on the Linux build of
// the interpreter with the ESP32 profile. Each run is timed in-script with getTime() (wall clock); the
// machine is shared, so each figure is scaled by that run's CPU share (utime+stime from /proc/<pid>/stat
// over the wall time of the run), and the smallest of N runs is kept. The result is the interpreter's CPU
// cost on this machine ("--cpu host", factor 1); "--cpu esp32" multiplies it (see sim/cpu/model.ts).
import * as esbuild from 'esbuild';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CALIBRATION_FORMAT, CALIBRATION_PATH, firmwareVersion, type Calibration } from './model';
import { defaultBinary } from '../../tools/espruino/paths.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

interface RunResult {
  lines: Map<string, Record<string, string>>;
  wallMs: number;
  cpuMs: number;
  version: string;
}

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** utime + stime of a process in ms (Linux /proc). */
function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(f[11]) + Number(f[12]); // fields 14 and 15 of stat(5)
  return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

/** Run one script file on the interpreter until it prints CAL-END (the Linux build then sits at its prompt). */
function runScript(bin: string, file: string, timeoutMs: number, feed?: string[]): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const dir = path.dirname(file);
    const t0 = Date.now();
    const child = spawn(bin, feed ? [] : [path.basename(file)], { cwd: dir, stdio: [feed ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    if (feed) {
      // the REPL: one line every 30 ms (its input buffer is small)
      let i = 0;
      const next = (): void => {
        if (i < feed.length && child.stdin) {
          child.stdin.write(feed[i++] + '\n');
          setTimeout(next, 30);
        }
      };
      setTimeout(next, 300);
    }
    let buf = '';
    const lines = new Map<string, Record<string, string>>();
    let version = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`calibrate: ${path.basename(file)} did not finish in ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString('latin1');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const l = buf.slice(0, nl).replace(/\r$/, '');
        buf = buf.slice(nl + 1);
        const v = /^ (\d+v\d+)/.exec(l);
        if (v && !version) version = v[1];
        if (l.endsWith('CAL-END')) {
          const wallMs = Date.now() - t0;
          let cpuMs = wallMs;
          try {
            cpuMs = cpuMsOf(child.pid!);
          } catch {
            /* no /proc: assume the process had the CPU to itself */
          }
          clearTimeout(timer);
          child.kill('SIGKILL');
          resolve({ lines, wallMs, cpuMs, version });
          return;
        }
        const m = /CAL (\S+) (.*)$/.exec(l); // (a REPL prompt may come first on the line)
        if (m) console.error(`calibrate:   ${m[1]} ${m[2]}`);
        if (m) lines.set(m[1], Object.fromEntries(m[2].split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)])));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`calibrate: ${path.basename(file)} ended (status ${code}) before CAL-END`));
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** Does the firmware plug the interpreter's E.convolve into P-256 (a setConvolve call outside firmware/crypto)? */
function firmwareUsesNativeConvolve(): boolean {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, f.name);
      if (f.isDirectory()) walk(p);
      else if (f.name.endsWith('.ts')) files.push(p);
    }
  };
  walk(path.join(root, 'firmware'));
  walk(path.join(root, 'hal', 'espruino'));
  return files.some((f) => !/firmware\/crypto\/|selftest/.test(f) && /\bsetConvolve\(/.test(readFileSync(f, 'utf8')));
}

/** JsVars (of 16,383) per stage, measured on the interpreter (process.memory().usage). */
function memoryOf(L: Map<string, Record<string, string>>, bootVars: number): Calibration['memory'] {
  const stages: Array<{ stage: string; jsVars: number; note: string }> = [];
  if (Number.isFinite(bootVars)) stages.push({ stage: 'boot', jsVars: bootVars, note: 'the app evaluated from Storage (its functions stay in flash)' });
  for (const [k, what] of [['p256-keygen', 'P-256 key pair (mesh)'], ['p256-ecdh', 'P-256 ECDH (mesh, encoded setup network)'], ['p256-verify', 'P-256 verify (every DSS answer)'], ['p256-sign', 'P-256 sign (device key)']]) {
    const v = Number((L.get(k.replace('p256', 'p256n')) ?? L.get(k))?.peakVars);
    if (Number.isFinite(v)) stages.push({ stage: k.replace('-', '.'), jsVars: v, note: what + ': peak working set over the slices, above what was in use before' });
  }
  return { total: 16383, stages };
}

async function buildMeasure(outfile: string): Promise<void> {
  const { buildOptions } = await import('../../esbuild.config.mjs' as string);
  const { postProcess } = await import('../../build/postpass.mjs' as string);
  const opts = buildOptions('sim/cpu/measure.ts', outfile);
  delete opts.mangleProps; // no shared mangle cache for a throw-away script
  delete opts.mangleCache;
  const r = await esbuild.build({ ...opts, sourcemap: false, metafile: false, write: false });
  writeFileSync(outfile, postProcess(r.outputFiles![0].text, null).code);
}

async function main(): Promise<number> {
  const bin = arg('--espruino') ?? defaultBinary();
  const runs = Number(arg('--runs') ?? 2);
  const out = arg('--out') ?? CALIBRATION_PATH;
  const from = arg('--from');
  if (!from && !existsSync(bin)) {
    console.error(`calibrate: no interpreter at ${bin} (set ESPRUINO_BIN or --espruino PATH)`);
    return 2;
  }
  const bundlePath = path.join(root, 'dist', 'firmware.js');
  if (!existsSync(bundlePath)) {
    console.error('calibrate: dist/firmware.js is missing: run `npm run build` first');
    return 2;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ffs-cpu-cal-'));
  try {
    const measure = path.join(dir, 'measure.js');
    await buildMeasure(measure);
    const bundle = readFileSync(bundlePath, 'latin1');
    // the boot: the app written to the interpreter's Storage (through its REPL, 1 KB at a time) and
    // evaluated from there as the .bootcde loader does (functions stay in flash): lexing the whole file,
    // every module's top level and main() up to where it needs what only the board has (the device seed)
    const boot = path.join(dir, 'boot.repl');
    const feed = ['require("Storage").eraseAll();'];
    for (let o = 0; o < bundle.length; o += 1024) {
      feed.push(`require("Storage").write("cal.app",atob("${Buffer.from(bundle.slice(o, o + 1024), 'latin1').toString('base64')}"),${o},${bundle.length});`);
    }
    feed.push('var __m0=process.memory().usage,__t0=getTime();try{eval(require("Storage").read("cal.app"));}catch(e){}' +
      'print("CAL boot ms="+((getTime()-__t0)*1000).toFixed(2)+" bytes=' + bundle.length + ' jsvars="+(process.memory().usage-__m0));print("CAL-END");');
    let best: Map<string, Record<string, string>> | null = null;
    let bestShare = 1;
    let bootMs = Infinity;
    let bootVars = NaN;
    let version = '';
    const shares: number[] = [];
    let measuredAt = new Date().toISOString();
    let interp = `Espruino ${version || '?'} Linux build with the ESP32 profile (16,383 JsVars), ${bin}`;
    if (from) {
      // recompute from the raw lines of an earlier table (e.g. --assume-native-convolve on the same measurement)
      const old = JSON.parse(readFileSync(from, 'utf8')) as Calibration & { raw: Record<string, Record<string, unknown>> };
      best = new Map(Object.entries(old.raw).map(([k, v]) => [k, Object.fromEntries(Object.entries(v).map(([kk, vv]) => [kk, String(vv)]))]));
      bestShare = Number(old.measured.cpuShareUsed);
      bootMs = Number(old.measured.bootWallMs);
      bootVars = Number(old.memory?.stages.find((m) => m.stage === 'boot')?.jsVars);
      shares.push(bestShare);
      measuredAt = String(old.measured.date);
      interp = String(old.measured.interpreter);
    }
    for (let i = 0; i < (from ? 0 : runs); i++) {
      console.error(`calibrate: run ${i + 1}/${runs} of the crypto measurements...`);
      const r = await runScript(bin, measure, 30 * 60 * 1000);
      const share = Math.min(1, r.cpuMs / r.wallMs);
      console.error(`calibrate:   CPU share of that run ${share.toFixed(3)} (${r.cpuMs} ms CPU in ${r.wallMs} ms)`);
      shares.push(+share.toFixed(3));
      version ||= r.version;
      const ecdh = Number(r.lines.get('p256-ecdh')?.ms ?? Infinity) * share;
      const bestEcdh = best ? Number(best.get('p256-ecdh')?.ms ?? Infinity) * bestShare : Infinity;
      if (!best || ecdh < bestEcdh) {
        best = r.lines;
        bestShare = share;
      }
      const b = await runScript(bin, boot, 10 * 60 * 1000, feed);
      const bootLine = b.lines.get('boot');
      // (the share of this run is over the whole REPL session: most of it is the paced Storage writes,
      // when the interpreter waits for input, so the boot is taken as measured, wall clock)
      if (bootLine) {
        bootMs = Math.min(bootMs, Number(bootLine.ms));
        bootVars = Number(bootLine.jsvars);
      }
    }
    const L = best!;
    const num = (name: string, key: string): number => {
      const v = Number(L.get(name)?.[key]);
      if (!Number.isFinite(v)) throw new Error(`calibrate: the interpreter did not report ${name} ${key} (${JSON.stringify(L.get(name))})`);
      return v;
    };
    const cpu = (name: string, key = 'ms') => num(name, key) * bestShare;
    // SHA-256: a cost per byte (from 64 vs 1024 bytes) and a cost per call that carries the JavaScript
    // around the native call (taken from HMAC, the firmware's main SHA-256 user: DRBG, mesh HMAC)
    const perByte = Math.max(0, (cpu('sha256-1024') - cpu('sha256-64')) / 960);
    const hmacCalls = num('hmac-64', 'sha');
    const perCall = Math.max(cpu('sha256-64') - 64 * perByte, (cpu('hmac-64') - perByte * num('hmac-64', 'shaBytes')) / hmacCalls);
    // AES: one block through the native ECB call, with the JavaScript of CMAC/CCM around it
    const aesPer = ['cmac-145', 'ccm-25', 'k1'].map((n) => cpu(n) / num(n, 'aes'));
    const aesCall = aesPer.reduce((s, x) => s + x, 0) / aesPer.length;
    // P-256 as the firmware runs it: on the native E.convolve when the firmware plugs it in
    // (setConvolve called outside firmware/crypto), else on the portable one
    // (--assume-native-convolve: the table as if the HAL plugged E.convolve in, for a what-if table)
    const native = (process.argv.includes('--assume-native-convolve') || firmwareUsesNativeConvolve()) && L.has('p256n-ecdh');
    const P = native ? 'p256n' : 'p256';
    console.error(`calibrate: the firmware's P-256 runs on the ${native ? 'native E.convolve' : 'portable convolve (no setConvolve call outside firmware/crypto)'}`);
    const slice = (n: string) => +cpu(n.replace(/^p256/, P), 'perSlice').toFixed(3);
    const costsMs: Calibration['costsMs'] = {
      // the boot was timed by the wall clock in a REPL session that mostly waited for input: scaled by the
      // share the measurement run had at about the same time
      boot: +(bootMs * bestShare).toFixed(1),
      callback: +cpu('callback').toFixed(4),
      'sha256.call': +perCall.toFixed(4),
      'sha256.byte': +perByte.toFixed(6),
      'aes.call': +aesCall.toFixed(4),
      'p256.keygen.slice': slice('p256-keygen'),
      'p256.ecdh.slice': slice('p256-ecdh'),
      'p256.verify.slice': slice('p256-verify'),
      'p256.sign.slice': slice('p256-sign'),
    };
    const raw: Record<string, Record<string, number | string>> = {};
    for (const [k, v] of L) raw[k] = Object.fromEntries(Object.entries(v).map(([kk, vv]) => [kk, Number.isFinite(Number(vv)) ? Number(vv) : vv]));
    const totals: Record<string, number> = {};
    for (const op of ['keygen', 'ecdh', 'verify', 'sign']) {
      totals[`p256.${op}`] = +cpu(`${P}-${op}`).toFixed(1);
      if (L.has(`p256n-${op}`)) totals[`p256.${op} (native E.convolve)`] = +cpu(`p256n-${op}`).toFixed(1);
      totals[`p256.${op} (portable convolve)`] = +cpu(`p256-${op}`).toFixed(1);
    }
    const cal: Calibration = {
      format: CALIBRATION_FORMAT,
      firmwareVersion: firmwareVersion(),
      measured: {
        date: measuredAt,
        interpreter: from ? interp : `Espruino ${version || '?'} Linux build with the ESP32 profile (16,383 JsVars), ${bin}`,
        host: `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores (shared)`,
        how: 'node --import tsx sim/cpu/calibrate.ts: sim/cpu/measure.ts (firmware/crypto with the native SHA-256/AES the HAL plugs in, ' +
          'every P-256 slice timed with getTime) and dist/firmware.js evaluated whole (boot); wall times scaled by the run\'s CPU share ' +
          '(/proc utime+stime over wall); best of ' + runs + ' runs',
        cpuShare: shares,
        cpuShareUsed: bestShare,
        bootWallMs: bootMs,
        p256: native ? 'native E.convolve (the firmware plugs it in' + (firmwareUsesNativeConvolve() ? ')' : ': assumed with --assume-native-convolve, NOT what the firmware does today)') : 'portable convolve (the firmware does not plug E.convolve in)',
        firmwareSha256: createHash('sha256').update(bundle, 'latin1').digest('hex').slice(0, 16),
      },
      costsMs,
      p256TotalsMs: totals,
      memory: memoryOf(L, bootVars),
      raw,
    };
    writeFileSync(out, JSON.stringify(cal, null, 2) + '\n');
    console.log(`calibrate: wrote ${path.relative(process.cwd(), out)}: ` + Object.entries(costsMs).map(([k, v]) => `${k} ${v}`).join(', '));
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then((c) => process.exit(c), (e) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
