// Regenerates sim/cpu/calibration.json from the real interpreter, in one command:
//   node --import tsx sim/cpu/calibrate.ts [--espruino PATH] [--runs N] [--out FILE] [--assume-native-convolve]
//   node --import tsx sim/cpu/calibrate.ts --from-log FILE [--out FILE]   (recompute a table from a saved log)
//   node --import tsx sim/cpu/calibrate.ts --io [--out FILE]   (only the TLS handshake and JSON costs, merged into the table)
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
function runScript(bin: string, file: string, timeoutMs: number, feed?: string[], onLine?: (name: string, cpuMs: number) => void): Promise<RunResult> {
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
        if (process.env.CAL_DEBUG) console.error('calibrate: < ' + l);
        const mark = /CAL-MARK (\S+)/.exec(l);
        if (mark && onLine) {
          let cpu = Date.now() - t0;
          try {
            cpu = cpuMsOf(child.pid!);
          } catch {
            /* no /proc */
          }
          onLine(mark[1], cpu);
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

// ---------------------------------------------------------------------------------------------
// TLS handshakes and JSON on the interpreter (issue 12 item 1: "each DSS body parse and signature check")
// ---------------------------------------------------------------------------------------------

const IO_KEYS = ['tls.handshake', 'json.call', 'json.byte'] as const;
const IO_HOW = 'measureIo in sim/cpu/calibrate.ts: the interpreter\'s CPU time (/proc) over N TLS connections to a DSS-shaped server ' +
  '(P-256 certificate, client certificate, TLS 1.2) minus N plain TCP connections; JSON.parse of DSS-shaped bodies of two sizes (getTime x CPU share)';

export interface IoCosts { 'tls.handshake': number; 'json.call': number; 'json.byte': number; raw: Record<string, number | string> }

/**
 * The interpreter connects `n` times to a plain TCP server and `n` times to a TLS server shaped like the
 * simulated DSS (P-256 server certificate, client certificate requested, TLS 1.2), writing one byte and
 * waiting for the close; its CPU time (/proc utime+stime, sampled at marks the script prints) over the TLS
 * connections minus that over the plain ones is the handshake (mbedTLS, native: the ECDHE, the server's
 * signature check and the client's CertificateVerify, in the interpreter's process). The server runs in
 * this process, so its work is not counted. Then JSON.parse of DSS-shaped bodies of two sizes (a cost per
 * call and per byte), timed with getTime and scaled by that section's CPU share.
 */
export async function measureIo(bin: string, n = Number(process.env.CAL_IO_N) || 16): Promise<IoCosts> {
  const { makeWssPki } = await import('../world/test-pki');
  const netm = await import('node:net');
  const tlsm = await import('node:tls');
  const pki = makeWssPki({ seed: 'calibrate' });
  const closeAfterData = (s: import('node:net').Socket) => {
    s.on('data', () => s.end());
    s.on('error', () => undefined);
  };
  const plain = netm.createServer(closeAfterData);
  const secure = tlsm.createServer({ key: pki.serverKeyPem, cert: pki.serverCertPem, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }, closeAfterData);
  secure.on('tlsClientError', () => undefined);
  const listen = (srv: import('node:net').Server) => new Promise<number>((res) => srv.listen(0, '127.0.0.1', () => res((srv.address() as import('node:net').AddressInfo).port)));
  const plainPort = await listen(plain);
  const tlsPort = await listen(secure);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ffs-cpu-io-'));
  const script = path.join(dir, 'io.js');
  writeFileSync(script, `
var KEEP=setInterval(function(){},1000); // (the Linux build exits when no timer is left; sockets do not count)
var N=${n};
var KEY=atob(${JSON.stringify(pki.device.privateKeyDer.toString('base64'))});
var CERT=${JSON.stringify(pki.deviceCertChainPem[0].trim() + '\n')}+"\\0";
var errors=0;
function loop(mode,port,i,done){
  if(i>=N) return done();
  var o={host:"127.0.0.1",port:port};
  if(mode=="tls"){o.key=KEY;o.cert=CERT;}
  var up=false;
  var s=require(mode).connect(o,function(){up=true;s.write("x");});
  // (the server's close_notify reaches mbedTLS as an error, -0x7880: counted only when nothing connected)
  s.on("close",function(){if(!up)errors++;setTimeout(function(){loop(mode,port,i+1,done);},1);});
}
function body(k){
  var o={nonce:"q5J0m2yH8d1vZc3rTt6uWw4xYy7zAa9bBc0dDe1fFg2=",sessionId:"b6f3a9e0-52c1-4d7e-9f10-3a2b4c5d6e7f",canProceed:true,
    sequenceNumber:1,allCredentialsReturned:true,wifiCredentialsList:[]};
  for(var i=0;i<k;i++)o.wifiCredentialsList.push({ssid:"\\"home network "+i+"\\"",securityProtocol:"WPA_PSK",key:"\\"correct horse battery "+i+"\\"",priority:i,frequency:2437});
  return JSON.stringify(o);
}
function json(name,k,runs){
  var s=body(k),t0=getTime();
  for(var i=0;i<runs;i++)JSON.parse(s);
  print("CAL "+name+" bytes="+s.length+" ms="+((getTime()-t0)*1000/runs).toFixed(4));
}
print("CAL-MARK net-start");
loop("net",${plainPort},0,function(){
  print("CAL-MARK net-end");
  setTimeout(function(){
    print("CAL-MARK tls-start");
    loop("tls",${tlsPort},0,function(){
      print("CAL-MARK tls-end");
      print("CAL io errors="+errors+" n="+N);
      setTimeout(function(){
        print("CAL-MARK json-start");
        var t0=getTime();
        json("json-small",1,3000);
        json("json-large",24,2000); // (about a second: the CPU share is read in 10 ms ticks)
        print("CAL json wall="+((getTime()-t0)*1000).toFixed(1));
        print("CAL-MARK json-end");
        print("CAL-END");
      },50);
    });
  },50);
});
`);
  const marks = new Map<string, { cpu: number; wall: number }>();
  try {
    const r = await runScript(bin, script, 5 * 60 * 1000, undefined, (name, cpu) => marks.set(name, { cpu, wall: Date.now() }));
    const need = (k: string) => {
      const m = marks.get(k);
      if (!m) throw new Error(`calibrate: the interpreter did not reach ${k}`);
      return m;
    };
    const io = r.lines.get('io') ?? {};
    if (Number(io.errors) > 0) throw new Error(`calibrate: ${io.errors} of the interpreter's ${2 * n} connections failed`);
    const netCpu = need('net-end').cpu - need('net-start').cpu;
    const tlsCpu = need('tls-end').cpu - need('tls-start').cpu;
    const jsonCpu = need('json-end').cpu - need('json-start').cpu;
    const jsonWall = Number(r.lines.get('json')?.wall);
    const share = Math.min(1, Math.max(0.05, jsonWall > 0 ? jsonCpu / jsonWall : 1));
    const small = r.lines.get('json-small') ?? {};
    const large = r.lines.get('json-large') ?? {};
    const [b0, m0, b1, m1] = [Number(small.bytes), Number(small.ms) * share, Number(large.bytes), Number(large.ms) * share];
    if (![b0, m0, b1, m1].every(Number.isFinite) || b1 <= b0) throw new Error(`calibrate: bad JSON lines ${JSON.stringify([small, large])}`);
    const perByte = Math.max(0, (m1 - m0) / (b1 - b0));
    return {
      'tls.handshake': +Math.max(0, (tlsCpu - netCpu) / n).toFixed(2),
      'json.call': +Math.max(0, m0 - perByte * b0).toFixed(4),
      'json.byte': +perByte.toFixed(6),
      raw: { connections: n, netCpuMs: netCpu, tlsCpuMs: tlsCpu, tlsWallMs: need('tls-end').wall - need('tls-start').wall,
        jsonSmallBytes: b0, jsonSmallMs: +m0.toFixed(4), jsonLargeBytes: b1, jsonLargeMs: +m1.toFixed(4), jsonCpuShare: +share.toFixed(3) },
    };
  } finally {
    plain.close();
    secure.close();
    rmSync(dir, { recursive: true, force: true });
  }
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
  if (process.argv.includes('--io')) {
    // only the TLS handshake and JSON costs, merged into the existing table (the rest stays as measured)
    const old = JSON.parse(readFileSync(out, 'utf8')) as Calibration;
    if (old.firmwareVersion !== firmwareVersion()) {
      console.error(`calibrate: ${path.relative(process.cwd(), out)} is for firmware ${old.firmwareVersion}: run the whole calibration`);
      return 2;
    }
    const io = await measureIo(bin);
    for (const k of IO_KEYS) old.costsMs[k] = io[k];
    old.measured.io = { date: new Date().toISOString(), how: IO_HOW, ...io.raw };
    writeFileSync(out, JSON.stringify(old, null, 2) + '\n');
    console.log(`calibrate: wrote ${path.relative(process.cwd(), out)}: ` + IO_KEYS.map((k) => `${k} ${io[k]}`).join(', '));
    return 0;
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
    console.error('calibrate: TLS handshakes and JSON.parse...');
    const io = await measureIo(bin);
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
      'tls.handshake': io['tls.handshake'],
      'json.call': io['json.call'],
      'json.byte': io['json.byte'],
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
        interpreter: from ? interp : `Espruino ${version || '?'} Linux build with the ESP32 profile (16,383 JsVars), built by npm run espruino:build (${path.basename(bin)}; no path, so the table names nothing outside the repository)`,
        host: `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores (shared)`,
        how: 'node --import tsx sim/cpu/calibrate.ts: sim/cpu/measure.ts (firmware/crypto with the native SHA-256/AES the HAL plugs in, ' +
          'every P-256 slice timed with getTime) and dist/firmware.js evaluated whole (boot); wall times scaled by the run\'s CPU share ' +
          '(/proc utime+stime over wall); best of ' + runs + ' runs',
        cpuShare: shares,
        cpuShareUsed: bestShare,
        bootWallMs: bootMs,
        p256: native ? 'native E.convolve (the firmware plugs it in' + (firmwareUsesNativeConvolve() ? ')' : ': assumed with --assume-native-convolve, NOT what the firmware does today)') : 'portable convolve (the firmware does not plug E.convolve in)',
        firmwareSha256: createHash('sha256').update(bundle, 'latin1').digest('hex').slice(0, 16),
        io: { date: new Date().toISOString(), how: IO_HOW, ...io.raw },
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
