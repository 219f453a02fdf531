// The real-peer check of issue 12: dist/firmware.js on the real interpreter (the Espruino lane's set-up:
// flashed by the project's flash tool over the telnet REPL, the lane's NRF stand-in on the UDP air),
// CPU-throttled to 1/N (tools/bluez/throttle.ts), provisioned over PB-ADV with static OOB by BlueZ
// bluetooth-meshd 5.66 through its 'unit' io (tools/bluez/meshd-shim.c carries it over UDP), driven by
// a D-Bus provisioner app (tools/bluez/provisioner.py) on a private bus. Entry: tools/bluez/run.mjs,
// which checks the prerequisites first. Results: one line per run, a table, and a JSON record in
// tools/bluez/measurements/.
import { parseArgs } from 'node:util';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LaneError, TELNET_PORT, evalIn, portFree, probeInterpreter, resolveBinary, runFile, startTelnet } from '../espruino/interpreter.ts';
import { freeUdpPort } from '../espruino/world.ts';
import { identityFromJson } from '../../flash/identity.ts';
// @ts-ignore build/logcodes.mjs has no type declarations
import { LogDecoder, loadDictionary } from '../../build/logcodes.mjs';
import { fromMeshd, pbAdv, toMeshd, unprovisionedBeacon, type PbAdvEvent } from './frames.ts';
import { makeThrottle, measuredFactor, parseFactor, type Throttle } from './throttle.ts';
import { verdict, type RunEvent, type Verdict } from './verdict.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const here = path.join(root, 'tools/bluez');
export const MESHD = process.env.BLUEZ_MESHD || '/usr/libexec/bluetooth/bluetooth-meshd';
export const PYTHON = process.env.BLUEZ_PYTHON || '/usr/bin/python3';

const HELP = `usage: node tools/bluez/run.mjs [options]
  --factor LIST   CPU factors, comma-separated (default 30): the interpreter gets 1/N of one CPU
  --runs N        runs per factor (default 1)
  --timeout S     seconds a run may take after AddNode (default 200)
  --bin FILE      the Espruino binary (default $ESPRUINO_BIN, else the espruino:build default)
  --bundle FILE   the app to flash (default dist/firmware.js)
  --out FILE      results JSON (default tools/bluez/measurements/<date>.json; --no-record: none)
  --keep          keep each run's directory (meshd log, interpreter console, Storage)
  --verbose       print every event as it happens`;

class RunError extends Error {}

interface RunResult {
  factor: number;
  run: number;
  provisioned: boolean;
  cause: string | null;
  /** ms from AddNode to meshd's AddNodeComplete */
  totalMs: number | null;
  ecdhMs: number | null;
  stages: Verdict['stages'];
  throttle: string;
  flashMs: number;
  load: number[];
}

function lines(stream: NodeJS.ReadableStream, onLine: (l: string) => void): void {
  let buf = '';
  stream.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i).replace(/\r/g, ''));
      buf = buf.slice(i + 1);
    }
  });
}

function waitFor<T>(what: string, ms: number, poll: () => T | undefined | null | false): Promise<T> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const tick = () => {
      const v = poll();
      if (v) return resolve(v as T);
      if (Date.now() - t0 > ms) return reject(new RunError(`timed out after ${ms / 1000} s waiting for ${what}`));
      setTimeout(tick, 50);
    };
    tick();
  });
}

/** The lane's stand-ins as .boot0 (tools/espruino/standins: probe, NRF over the UDP air, Wifi). */
function standins(cfg: { air: number; nrf: number; ctl: number; me: number }): string {
  const part = (f: string) => readFileSync(path.join(root, 'tools/espruino/standins', f), 'utf8');
  return `var LANE_CFG=${JSON.stringify({ ...cfg, ms: 100, consoleMs: 300 })};\n` + part('probe.js') + part('nrf.js') + part('wifi.js');
}

function runNode(args: string[], onLine: (l: string) => void): Promise<number | null> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    lines(p.stdout, onLine);
    lines(p.stderr, onLine);
    p.on('close', (c) => resolve(c));
  });
}

/** Builds the shim once per invocation (gcc, OpenSSL's libcrypto). */
function buildShim(dir: string): string {
  const so = path.join(dir, 'meshd-shim.so');
  const r = spawnSync('gcc', ['-shared', '-fPIC', '-O2', '-Wall', '-o', so, path.join(here, 'meshd-shim.c'), '-ldl', '-lcrypto'], { encoding: 'utf8' });
  if (r.status !== 0) throw new RunError(`gcc could not build tools/bluez/meshd-shim.c: ${(r.stderr || r.error?.message || '').trim().split('\n')[0]}`);
  return so;
}

function busConfig(socket: string): string {
  return `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-BUS Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=${socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
    <allow user="*"/>
  </policy>
</busconfig>
`;
}

async function oneRun(o: { bin: string; board: string; bundle: string; shim: string; factor: number; run: number; timeoutS: number; keep: boolean; verbose: boolean; log: (s: string) => void }): Promise<RunResult> {
  const work = mkdtempSync(path.join(tmpdir(), `bluez-${o.factor}x-`));
  const procs: ChildProcess[] = [];
  const sockets: dgram.Socket[] = [];
  let throttle: Throttle | null = null;
  let keepDir = o.keep;
  const events: RunEvent[] = [];
  let tAdd = 0;
  const stamp = () => (tAdd ? Date.now() - tAdd : Date.now() - tStart);
  const tStart = Date.now();
  const allLog: string[] = [];
  // events are stamped on this machine's clock; the verdict counts from AddNode
  const note = (src: RunEvent['src'], text: string) => {
    events.push({ ms: Date.now(), src, text });
    const rel = stamp();
    allLog.push(`${(rel / 1000).toFixed(3)} ${src} ${text}`);
    if (o.verbose) o.log(`    ${(rel / 1000).toFixed(3).padStart(8)} ${src.padEnd(6)} ${text}`);
  };
  try {
    // 1. a device identity from the project's own tool
    const devices = path.join(work, 'devices');
    const mk = await runNode(['flash/cli.ts', 'mkdevice', '--out', devices, '--count', '1', '--seed', `bluez-${o.factor}-${o.run}-${Date.now()}`, '--barcode', 'none'], () => undefined);
    const idFile = existsSync(devices) ? readdirSync(devices).find((f) => f.endsWith('.identity.json')) : undefined;
    if (mk !== 0 || !idFile) throw new RunError('npm run mkdevice failed (run it by hand: npm run mkdevice -- --out /tmp/d --count 1)');
    const identityPath = path.join(devices, idFile);
    const identity = identityFromJson(JSON.parse(readFileSync(identityPath, 'utf8')));
    const uuid = identity.bss.deviceUuid.replace(/-/g, '').toLowerCase();
    const oob = identity.bss.oobData.toLowerCase();

    // 2. the private bus, meshd on it, the provisioner app
    const busSock = path.join(work, 'bus');
    writeFileSync(path.join(work, 'bus.conf'), busConfig(busSock));
    const bus = spawn('dbus-daemon', ['--config-file=' + path.join(work, 'bus.conf'), '--nofork', '--nopidfile'], { stdio: ['ignore', 'ignore', 'pipe'] });
    procs.push(bus);
    await waitFor('the private dbus-daemon', 10000, () => existsSync(busSock));
    const env = { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=' + busSock };

    const lport = await freeUdpPort();
    const meshSide = dgram.createSocket('udp4');
    sockets.push(meshSide);
    await new Promise<void>((r) => meshSide.bind(0, '127.0.0.1', () => r()));
    const pport = (meshSide.address() as { port: number }).port;
    const unitPath = path.join(work, 'unit.sk');
    mkdirSync(path.join(work, 'mesh'));
    const meshd = spawn(MESHD, ['-n', '-d', '--io', 'unit:' + unitPath, '-s', path.join(work, 'mesh')], {
      env: { ...env, LD_PRELOAD: o.shim, MESHD_UNIT_PATH: unitPath, MESHD_UNIT_UDP: `${lport}:${pport}` },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    procs.push(meshd);
    const meshdLog: string[] = [];
    const onMeshd = (l: string) => {
      meshdLog.push(`${(stamp() / 1000).toFixed(3)} ${l}`);
      if (/PB-ADV open confirmed|TX timeout|Link closed notification|Provisioning packet received|Expected|Failing|Ignore repeated|Crypto|unit io|Failed|error/i.test(l)) note('meshd', l.replace(/^mesh\/[\w-]+\.c:\w+\(\) /, ''));
    };
    lines(meshd.stdout!, onMeshd);
    lines(meshd.stderr!, onMeshd);
    await waitFor('bluetooth-meshd on the bus (its log: "Added Network Interface")', 15000, () => meshdLog.some((l) => /Added Network Interface/.test(l)) || meshd.exitCode !== null);
    if (meshd.exitCode !== null) throw new RunError(`bluetooth-meshd exited (${meshd.exitCode}): ${meshdLog.slice(-3).join(' | ')}`);

    const prov = spawn(PYTHON, [path.join(here, 'provisioner.py')], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    procs.push(prov);
    const provEvents: Array<Record<string, unknown>> = [];
    lines(prov.stdout!, (l) => {
      let m: Record<string, unknown>;
      try {
        m = JSON.parse(l);
      } catch {
        return;
      }
      provEvents.push(m);
      if (m.ev === 'add-node') tAdd = Date.now();
      const rest = Object.entries(m).filter(([k]) => k !== 'ev' && k !== 't' && k !== 'uuid' && k !== 'node').map(([k, v]) => (k === 'reason' ? String(v) : `${k}=${v}`)).join(' ');
      if (m.ev !== 'ready') note('prov', `${m.ev}${rest ? ' ' + rest : ''}`);
    });
    lines(prov.stderr!, (l) => note('prov', 'stderr: ' + l));
    await waitFor('the provisioner app to attach (CreateNetwork, Attach)', 20000, () => provEvents.some((m) => m.ev === 'ready' || m.ev === 'error') || prov.exitCode !== null);
    const perr = provEvents.find((m) => m.ev === 'error');
    if (perr || prov.exitCode !== null) throw new RunError(`provisioner.py: ${perr ? perr.what : 'exited ' + prov.exitCode}`);

    // 3. the air: device <-> meshd, translating frames (tools/bluez/frames.ts)
    const nrfPort = await freeUdpPort();
    const devicePort = await freeUdpPort();
    const air = dgram.createSocket('udp4');
    sockets.push(air);
    await new Promise<void>((r) => air.bind(0, '127.0.0.1', () => r()));
    const airPort = (air.address() as { port: number }).port;
    const seen = new Set<string>();
    const onPb = (who: 'meshd' | 'device', ev: PbAdvEvent | null) => {
      if (!ev) return;
      const key = `${who}:${ev.kind}:${'tn' in ev ? ev.tn : ''}:${ev.linkId}`;
      if (seen.has(key)) return;
      seen.add(key);
      if (ev.kind === 'start') note('air', `${who} tx ${ev.pdu ?? 'PDU'} (tn 0x${ev.tn.toString(16)})`);
      else if (ev.kind === 'ack') note('air', `${who} acks tn 0x${ev.tn.toString(16)}`);
      else if (ev.kind === 'link-open' || ev.kind === 'link-ack' || ev.kind === 'link-close') note('air', `${who} ${ev.kind}${ev.kind === 'link-close' ? ' reason ' + ev.reason : ''}`);
    };
    let added = false;
    let beacons = 0;
    const counts = { toMeshd: 0, toDevice: 0 };
    air.on('message', (msg, rinfo) => {
      if (rinfo.address !== '127.0.0.1') return;
      for (const ad of toMeshd(msg)) {
        const b = unprovisionedBeacon(ad);
        if (b && b.uuid === uuid) {
          beacons++;
          if (!added && throttle) {
            added = true;
            note('air', `device beacon (uuid ${uuid.slice(0, 8)}…, oob info 0x${b.oobInfo.toString(16)})`);
            prov.stdin!.write(JSON.stringify({ cmd: 'add', uuid, oob }) + '\n');
          }
        }
        onPb('device', pbAdv(ad));
        counts.toMeshd++;
        meshSide.send(ad, lport, '127.0.0.1');
      }
    });
    meshSide.on('message', (msg, rinfo) => {
      if (rinfo.address !== '127.0.0.1' || rinfo.port !== lport) return;
      const packet = fromMeshd(msg);
      if (!packet) return;
      onPb('meshd', pbAdv(packet));
      counts.toDevice++;
      air.send(packet, nrfPort, '127.0.0.1');
    });
    // control: the probe's console mirror ({t:"l"}); Wi-Fi requests get no answer (the flow is off)
    const ctl = dgram.createSocket('udp4');
    sockets.push(ctl);
    await new Promise<void>((r) => ctl.bind(0, '127.0.0.1', () => r()));
    const ctlPort = (ctl.address() as { port: number }).port;
    const deviceLines: string[] = [];
    // the firmware's log lines leave the device as codes (build/logcodes.mjs): decoded with the bundle's dictionary
    const dict = loadDictionary(o.bundle.replace(/\.js$/, '.logs.json'));
    const decoder = new LogDecoder(dict ? [dict] : []);
    ctl.on('message', (msg, rinfo) => {
      if (rinfo.address !== '127.0.0.1') return;
      let m: Record<string, unknown>;
      try {
        m = JSON.parse(msg.toString('latin1'));
      } catch {
        return;
      }
      if (m.t === 'l' && typeof m.s === 'string') {
        const text = String(decoder.decode(m.s).text);
        deviceLines.push(text);
        if (/ mesh: /.test(text)) note('device', text);
      }
    });

    // 4. the interpreter: stand-ins in .boot0, telnet console, the project's flash tool
    const board = path.join(work, 'board');
    mkdirSync(board);
    const b64 = Buffer.from(standins({ air: airPort, nrf: nrfPort, ctl: ctlPort, me: devicePort }), 'latin1').toString('base64');
    const wrote = evalIn(o.bin, board, `print("LANE_W "+require("Storage").write(".boot0",atob("${b64}")))`);
    if (!/LANE_W true/.test(wrote)) throw new RunError(`could not write the stand-ins to the interpreter's Storage (${wrote.trim().split('\n').pop()})`);
    if (!(await portFree(TELNET_PORT))) throw new RunError(`port ${TELNET_PORT} is busy (another espruino --telnet, e.g. an Espruino lane run): wait for it to finish`);
    const interp = await startTelnet(o.bin, board);
    procs.push(interp.proc);
    const consoleLines: string[] = [];
    interp.onLine((t) => consoleLines.push(t));
    const cfgFile = path.join(board, 'bluez-config.json');
    writeFileSync(cfgFile, JSON.stringify({ flows: { wss: false, mesh: true, softAp: false } }));
    await new Promise((r) => setTimeout(r, 1000));
    const t0 = Date.now();
    const flashLines: string[] = [];
    const code = await runNode([
      'flash/cli.ts', 'flash', '--port', `tcp://127.0.0.1:${TELNET_PORT}`, '--device', identityPath,
      '--allow-board', o.board, '--allow-missing', 'Wifi', '--config', cfgFile, '--boot-timeout', '120', '--bundle', o.bundle,
    ], (l) => flashLines.push(l));
    const flashMs = Date.now() - t0;
    if (code !== 0) throw new RunError(`npm run flash failed (exit ${code}): ${flashLines.filter((l) => /error|fail/i.test(l)).slice(-1)[0] ?? flashLines.slice(-1)[0]}`);

    // 5. throttle the interpreter, then let the device's next beacon start AddNode
    throttle = makeThrottle(o.factor, { name: 'ffs-bluez' });
    throttle.add(interp.proc.pid!);
    const load = loadavg().map((x) => Math.round(x * 100) / 100);
    o.log(`  run ${o.run} at ${o.factor}x: flashed in ${(flashMs / 1000).toFixed(1)} s; ${throttle.describe}; load ${load.join(' ')} on ${cpus().length} CPUs`);
    await waitFor('the device\'s unprovisioned beacon', 120000, () => added);
    const deadline = Date.now() + o.timeoutS * 1000;
    await waitFor('an outcome', o.timeoutS * 1000 + 5000, () => {
      const done = provEvents.some((m) => m.ev === 'complete') && deviceLines.some((l) => /mesh: provisioned over/.test(l));
      const failed = provEvents.some((m) => m.ev === 'failed');
      // after a failure, a few seconds more for the device's own account of it
      if (failed && !('failedAt' in counts)) (counts as Record<string, number>).failedAt = Date.now();
      const fa = (counts as Record<string, number>).failedAt;
      return done || (fa && Date.now() - fa > 3000) || Date.now() > deadline || interp.proc.exitCode !== null;
    }).catch(() => undefined);
    const v = verdict(events.map((e) => ({ ...e, ms: e.ms - (tAdd || tStart) })));
    const complete = v.stages.find((s) => /AddNodeComplete/.test(s.stage));
    if (!v.provisioned) keepDir = true;
    if (keepDir) {
      writeFileSync(path.join(work, 'meshd.log'), meshdLog.join('\n') + '\n');
      writeFileSync(path.join(work, 'events.log'), allLog.join('\n') + '\n');
      writeFileSync(path.join(work, 'console.log'), consoleLines.join('\n') + '\n');
    }
    if (o.verbose) o.log(`    air: ${counts.toMeshd} datagrams to meshd, ${counts.toDevice} to the device, ${beacons} beacons`);
    return {
      factor: o.factor, run: o.run, provisioned: v.provisioned, cause: v.cause,
      totalMs: complete ? complete.ms : null, ecdhMs: v.ecdhMs, stages: v.stages,
      throttle: throttle.describe, flashMs, load,
    };
  } finally {
    throttle?.stop();
    for (const p of procs.reverse()) {
      if (p.exitCode === null && p.signalCode === null) {
        try {
          p.kill('SIGKILL');
        } catch {
          /* gone */
        }
        await new Promise((r) => (p.exitCode !== null || p.signalCode !== null ? r(null) : p.once('close', r)));
      }
    }
    for (const s of sockets) s.close();
    if (keepDir) o.log(`  kept ${work} (meshd.log, events.log, console.log)`);
    else rmSync(work, { recursive: true, force: true });
  }
}

/** The calibration: a fixed CPU workload on the interpreter, alone, at 1x and at each factor. */
async function calibrate(bin: string, factors: number[], log: (s: string) => void): Promise<Record<string, { ms: number; measured: number }>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'bluez-cal-'));
  const file = path.join(dir, 'work.js');
  // ~0.3-0.5 s of the interpreter's own arithmetic at 1x on this machine; prints its own CPU-bound time
  writeFileSync(file, 'var t=getTime(),x=0;for(var i=0;i<200000;i++){x=(x*31+i)%1000003;}print("WORK "+Math.round((getTime()-t)*1000)+" "+x);\n');
  const out: Record<string, { ms: number; measured: number }> = {};
  try {
    let base = 0;
    for (const f of [1, ...factors.filter((x) => x !== 1)]) {
      const th = makeThrottle(f, { name: 'ffs-bluez-cal' });
      const p = spawn(bin, [file], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      th.add(p.pid!);
      let text = '';
      p.stdout.on('data', (d) => (text += d));
      await new Promise((r) => p.on('close', r));
      th.stop();
      const m = /WORK (\d+)/.exec(text);
      const ms = m ? Number(m[1]) : NaN;
      if (f === 1) base = ms;
      out[String(f)] = { ms, measured: base > 0 ? Math.round(measuredFactor(base, ms) * 10) / 10 : NaN };
      log(`  calibration: the same workload ${ms} ms at ${f}x (measured factor ${out[String(f)].measured})`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

export async function main(argv: string[]): Promise<number> {
  let a;
  try {
    a = parseArgs({
      args: argv,
      options: {
        factor: { type: 'string' }, runs: { type: 'string' }, timeout: { type: 'string' }, bin: { type: 'string' },
        bundle: { type: 'string' }, out: { type: 'string' }, 'no-record': { type: 'boolean' }, keep: { type: 'boolean' },
        verbose: { type: 'boolean' }, help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (e) {
    throw new RunError(`${(e as Error).message} (node tools/bluez/run.mjs --help)`);
  }
  if (a.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const factors = (a.factor ?? '30').split(',').map((s) => {
    const f = parseFactor(s);
    if (f === null) throw new RunError(`bad --factor ${s}: a number >= 1 (e.g. 30)`);
    return f;
  });
  const runs = a.runs === undefined ? 1 : Number(a.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new RunError(`bad --runs ${a.runs}: a whole number >= 1`);
  const timeoutS = a.timeout === undefined ? 200 : Number(a.timeout);
  if (!(timeoutS > 0)) throw new RunError(`bad --timeout ${a.timeout}: seconds > 0`);
  const bin = resolveBinary(a.bin);
  const given = path.resolve(a.bundle ?? path.join(root, 'dist/firmware.js'));
  if (!existsSync(given)) throw new RunError(`no bundle at ${given}: run npm run build first`);
  const log = (s: string) => process.stdout.write(s + '\n');
  const scratch = mkdtempSync(path.join(tmpdir(), 'bluez-'));
  // a copy of the bundle and its log dictionary: a rebuild during the runs does not change what is flashed
  const bundle = path.join(scratch, 'firmware.js');
  copyFileSync(given, bundle);
  const dictFile = given.replace(/\.js$/, '.logs.json');
  if (existsSync(dictFile)) copyFileSync(dictFile, bundle.replace(/\.js$/, '.logs.json'));
  try {
    const info = probeInterpreter(bin, scratch);
    const shim = buildShim(scratch);
    log(`bluez: ${MESHD} (BlueZ ${meshdVersion()}), ${bin} (${info.board}, Espruino ${info.version}), ${path.relative(root, given)} (${readFileSync(bundle).length} bytes)`);
    const cal = await calibrate(bin, factors, log);
    const results: RunResult[] = [];
    for (const f of factors) {
      for (let i = 1; i <= runs; i++) {
        let r: RunResult;
        try {
          r = await oneRun({ bin, board: info.board, bundle, shim, factor: f, run: i, timeoutS, keep: !!a.keep, verbose: !!a.verbose, log });
        } catch (e) {
          if (!(e instanceof RunError)) throw e;
          r = { factor: f, run: i, provisioned: false, cause: 'set-up: ' + e.message, totalMs: null, ecdhMs: null, stages: [], throttle: '', flashMs: 0, load: loadavg() };
        }
        results.push(r);
        log(`  => ${f}x run ${i}: ${r.provisioned ? `PROVISIONED in ${(r.totalMs! / 1000).toFixed(1)} s after AddNode` : 'NOT provisioned: ' + r.cause}${r.ecdhMs !== null ? `; device ECDH ${(r.ecdhMs / 1000).toFixed(1)} s` : ''}`);
        let prev = 0;
        for (const s of r.stages) {
          log(`     ${(s.ms / 1000).toFixed(2).padStart(8)} s (+${((s.ms - prev) / 1000).toFixed(2)})  ${s.stage}`);
          prev = s.ms;
        }
      }
    }
    log('factor | runs | provisioned | AddNode -> Complete (s) | device ECDH (s)');
    for (const f of factors) {
      const rs = results.filter((r) => r.factor === f);
      const ok = rs.filter((r) => r.provisioned);
      const fmt = (xs: Array<number | null>) => xs.filter((x): x is number => x !== null).map((x) => (x / 1000).toFixed(1)).join(', ') || '-';
      log(`${f}x | ${rs.length} | ${ok.length} | ${fmt(ok.map((r) => r.totalMs))} | ${fmt(rs.map((r) => r.ecdhMs))}`);
    }
    if (!a['no-record']) {
      const started = new Date();
      const out = a.out ?? path.join(here, 'measurements', `${started.toISOString().slice(0, 16).replace(':', '')}.json`);
      mkdirSync(path.dirname(out), { recursive: true });
      writeFileSync(out, JSON.stringify({
        format: 'bluez-run/1', date: started.toISOString(), command: 'node tools/bluez/run.mjs ' + argv.join(' '),
        machine: { cpus: cpus().length, model: cpus()[0]?.model },
        meshd: { path: MESHD, version: meshdVersion() },
        interpreter: { board: info.board, version: info.version },
        bundle: { path: path.relative(root, given), bytes: readFileSync(bundle).length, sha256: createHash('sha256').update(readFileSync(bundle)).digest('hex') },
        calibration: cal, results,
      }, null, 2) + '\n');
      log(`results: ${path.relative(root, out)}`);
    }
    return results.every((r) => r.provisioned) ? 0 : 1;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function meshdVersion(): string {
  const r = spawnSync('dpkg-query', ['-W', '-f=${Version}', 'bluez-meshd'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

export { RunError, LaneError, runFile };
