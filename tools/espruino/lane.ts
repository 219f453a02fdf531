// `npm run test:espruino` — the Espruino lane: the project's bundles on the REAL interpreter (a Linux
// build of Espruino 2v29 with the ESP32 memory profile, from ESPRUINO_BIN or --bin):
//   1. dist/selftest.js: every check passes;
//   2. dist/bench.js: its table (lines starting "bench ");
//   3. dist/firmware.js with a fresh mkdevice identity, flashed by the project's own flash tool over the
//      interpreter's telnet REPL (tcp://127.0.0.1:2323), booted with stand-ins for the chip modules Linux
//      lacks (tools/espruino/standins/: NRF over the air's UDP bridge, Wifi over the lane's Wi-Fi
//      bridge) in `.boot0`, in a world with the simulator's Echo, provisioner and DSS;
//   4. per flow: the outcome reached, peak JsVars (sampled), the longest event-loop block, time per stage;
//      recorded as JSON in tools/espruino/measurements/ (date, binary version, command).
// Exit 0 only when the self-test passes, the bench runs, the firmware boots and the mesh flow is
// provisioned. Bad input (no binary, a wrong binary, a busy port): one line naming the fix, exit 2.
import { parseArgs } from 'node:util';
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  LaneError, TELNET_PORT, evalIn, portFree, probeInterpreter, resolveBinary, runFile, startTelnet, type InterpreterInfo,
} from './interpreter.ts';
import { freeUdpPort, startLaneWorld, type LaneWorld } from './world.ts';
import { tablePrepScript } from '../../bench/espruino.ts';
import { identityFromJson } from '../../flash/identity.ts';
import { eventText, type SimEvent } from '../../sim/timeline.ts';
import { LogDecoder, dictionaryForBundle } from '../../build/logcodes.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const here = path.join(root, 'tools/espruino');

const HELP = `usage: npm run test:espruino -- [options]      (the interpreter: ESPRUINO_BIN or --bin)
  --bin FILE         the Espruino binary (default: $ESPRUINO_BIN)
  --only LIST        stages to run, comma-separated: selftest,bench,flows (default: all)
  --bundle FILE      the app to flash (default dist/firmware.js)
  --flows LIST       which flows the flashed device runs: mesh,wss (default both at once, as shipped)
  --timeout S        seconds the flows may take after boot (default 300)
  --out FILE         measurements JSON (default tools/espruino/measurements/<date>-<version>.json)
  --no-record        do not write the measurements file
  --samples FILE     write every memory sample (ms after the boot line, usage, live) and the flows' stages as JSON
  --keep             keep the working directory (Storage file, logs)
  --verbose          print every console line of the interpreter and every world event
  --pretokenise      flash the app pretokenised (npm run flash -- --pretokenise)`;

/** The home network the simulated DSS hands over. */
const HOME = { ssid: 'lane-home', passphrase: 'correct horse 42' };
const PROBE_MS = Number(process.env.LANE_PROBE_MS) || 100;

// ---- stand-ins: .boot0 ----

export function preamble(cfg: { air: number; nrf: number; ctl: number; me: number }): string {
  const part = (f: string) => readFileSync(path.join(here, 'standins', f), 'utf8');
  const c = { ...cfg, ms: PROBE_MS, consoleMs: 300 };
  return `var LANE_CFG=${JSON.stringify(c)};\n` + part('probe.js') + part('nrf.js') + part('wifi.js');
}

// ---- flows: stages seen on the device console and in the world ----

interface FlowReport {
  flow: 'mesh' | 'wss';
  outcome: string;
  done: boolean;
  /** ms after load() (the flash tool's boot) of each stage line */
  stages: Array<{ ms: number; stage: string }>;
  peakJsVars: number | null;
  /** the largest live count (sampled after a GC every 5th tick) */
  peakLiveJsVars: number | null;
  longestBlockMs: number | null;
  note?: string;
}

/** Device console stages of each flow: `<level> <tag>: <message>` with tag mesh or wss. */
const FLOW_TAG: Record<string, 'mesh' | 'wss'> = { mesh: 'mesh', wss: 'wss' };

/** What marks a flow as finished, and the outcome name. */
function flowOutcome(flow: 'mesh' | 'wss', lines: string[], events: SimEvent[]): { outcome: string; done: boolean } {
  const has = (re: RegExp) => lines.some((l) => re.test(l));
  const ev = (re: RegExp) => events.some((e) => re.test(eventText(e)));
  if (flow === 'mesh') {
    if (has(/mesh: provisioned over pb-adv/) && ev(/echo state provisioned/)) return { outcome: 'provisioned', done: true };
    if (has(/mesh: .*(failed|close)/i)) return { outcome: 'failed: ' + lines.filter((l) => /mesh: .*(failed|close)/i.test(l)).pop(), done: false };
    return { outcome: has(/mesh: unprovisioned: beaconing/) ? 'beaconing (not provisioned)' : 'not started', done: false };
  }
  if (ev(/dss state .*-> DONE/)) return { outcome: 'provisioned (DSS DONE)', done: true };
  const failed = lines.filter((l) => /^\w+ wss: setup failed: /.test(l)).pop();
  if (failed) {
    const why = failed.replace(/^\w+ wss: setup failed: /, '');
    const where = /HTTPS init failed/.test(why) ? ' [stops at the TLS client set-up on the device, before any TLS record is sent]'
      : /handshake/i.test(why) ? ' [stops in the TLS handshake]' : '';
    return { outcome: 'setup failed: ' + why + where, done: true };
  }
  if (ev(/wifi dhcp got IP .* on "lane-home"/)) return { outcome: 'joined the home network', done: false };
  const last = lines.filter((l) => /^\w+ wss: /.test(l)).pop();
  return { outcome: last ? 'in progress: ' + last.replace(/^\w+ wss: /, '') : 'not started', done: false };
}

interface ProbeSample {
  at: number;
  usage: number;
  peak: number;
  /** after a garbage collection (process.memory()): what the pool must hold */
  live: number;
  block: number;
}

// ---- the stages of the lane ----

async function selftest(bin: string, work: string, log: (s: string) => void): Promise<{ ok: boolean; passed: number; failed: number; ms: number; failures: string[] }> {
  const dir = path.join(work, 'selftest');
  mkdirSync(dir, { recursive: true });
  const r = await runFile(bin, path.join(root, 'dist/selftest.js'), { cwd: dir, timeoutMs: 900000 });
  const failures = r.lines.filter((l) => /^FAIL |Uncaught|SyntaxError/.test(l));
  const m = r.lines.map((l) => /^(\d+) passed, (\d+) failed/.exec(l)).filter(Boolean).pop();
  const passed = m ? Number(m[1]) : 0;
  const failed = m ? Number(m[2]) : 0;
  for (const f of failures) log('  ' + f);
  const ok = !!m && failed === 0 && passed > 0 && failures.length === 0 && !r.timedOut;
  log(`selftest: ${m ? `${passed} passed, ${failed} failed` : 'no result line'}${r.timedOut ? ' (timed out)' : ''} in ${(r.ms / 1000).toFixed(1)} s`);
  return { ok, passed, failed, ms: r.ms, failures };
}

async function bench(bin: string, work: string, log: (s: string) => void): Promise<{ ok: boolean; lines: string[]; ms: number }> {
  const dir = path.join(work, 'bench');
  mkdirSync(dir, { recursive: true });
  const lines: string[] = [];
  // the fixed-base tables the flash tool writes (ffs.gtab, ffs.dtkey, ffs.dttab), in this Storage first
  const prep = path.join(dir, 'tables.js');
  writeFileSync(prep, tablePrepScript());
  const wrote = await runFile(bin, prep, { cwd: dir, timeoutMs: 120000, onLine: () => undefined });
  if (wrote.timedOut || wrote.lines.some((l) => /Uncaught|Error/.test(l))) log('  bench: could not write the tables to Storage: ' + (wrote.lines.filter((l) => /Uncaught|Error/.test(l))[0] || 'timed out'));
  const r = await runFile(bin, path.join(root, 'dist/bench.js'), {
    cwd: dir,
    timeoutMs: 1800000,
    onLine: (l) => {
      if (/^bench[ :]/.test(l)) {
        lines.push(l);
        log('  ' + l);
      } else if (/Uncaught|Error/.test(l)) log('  ' + l);
    },
  });
  const failed = r.lines.some((l) => /Uncaught|SyntaxError/.test(l)) || lines.some((l) => /: failed/.test(l));
  const ok = !r.timedOut && r.code === 0 && lines.some((l) => /^bench /.test(l)) && !failed;
  log(`bench: ${lines.filter((l) => /^bench /.test(l)).length} rows${failed ? ', with failures' : ''}${r.timedOut ? ' (timed out)' : ''} in ${(r.ms / 1000).toFixed(1)} s`);
  return { ok, lines, ms: r.ms };
}

function runNode(args: string[], opts: { cwd: string; onLine: (l: string) => void }): Promise<number | null> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let buf = '';
    const feed = (d: Buffer) => {
      buf += d.toString('utf8');
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        opts.onLine(buf.slice(0, i).replace(/\r/g, ''));
        buf = buf.slice(i + 1);
      }
    };
    p.stdout.on('data', feed);
    p.stderr.on('data', feed);
    p.on('close', (c) => {
      if (buf) opts.onLine(buf);
      resolve(c);
    });
  });
}

interface FlowsResult {
  ok: boolean;
  flash: { ok: boolean; ms: number; lines: string[] };
  /** Date.now() of the boot line */
  bootAt?: number;
  bootJsVars: number | null;
  preambleJsVars: number | null;
  flows: FlowReport[];
  samples: ProbeSample[];
  consoleTail: string[];
  /** datagrams through the air's UDP bridge (udpIn: from the device, udpOut: to it) */
  air?: Record<string, number>;
}

async function flows(info: InterpreterInfo, work: string, bundle: string, which: Set<string>, timeoutS: number, verbose: boolean, log: (s: string) => void, pretokenised = false): Promise<FlowsResult> {
  const dir = path.join(work, 'board');
  mkdirSync(dir, { recursive: true });
  // 1. a device identity, made by the project's own tool
  const devices = path.join(dir, 'devices');
  const mk = await runNode(['flash/cli.ts', 'mkdevice', '--out', devices, '--count', '1', '--seed', 'espruino-lane', '--barcode', 'none'], {
    cwd: root,
    onLine: (l) => verbose && log('  mkdevice: ' + l),
  });
  const idFile = existsSync(devices) ? readdirSync(devices).find((f) => f.endsWith('.identity.json')) : undefined;
  if (mk !== 0 || !idFile) throw new LaneError('npm run mkdevice failed: run it by hand to see why (npm run mkdevice -- --out /tmp/d --count 1)');
  const identityPath = path.join(devices, idFile);
  const identity = identityFromJson(JSON.parse(readFileSync(identityPath, 'utf8')));
  // the firmware prints most log lines as codes: the bundle's dictionary puts the words back
  // (build/logcodes.mjs); one decoder per stream (each sees the boot line with the dictionary id)
  const logs = dictionaryForBundle(bundle);
  if (logs.note) log('logs: ' + logs.note);
  const logDecoder = new LogDecoder(logs.stale ? null : logs.dict);
  const consoleDecoder = new LogDecoder(logs.stale ? null : logs.dict);

  // 2. the world, and the stand-ins' ports
  const nrfPort = await freeUdpPort();
  const devicePort = await freeUdpPort();
  const events: SimEvent[] = [];
  const samples: ProbeSample[] = [];
  /** the firmware's console.log lines, mirrored by the probe (they arrive even while the console is on telnet) */
  const logLines: Array<{ ms: number; text: string }> = [];
  let tLoad = 0;
  // The connectivity probe goes to port 80 (firmware/wss/wifi-join.ts), and on a Linux interpreter the
  // device's own soft-AP page server would take 127.0.0.1:80 too (one loopback for the AP and the home
  // network): the lane switches the soft AP off (SoftAp.Enabled) and answers the probe itself.
  const probeServer = which.has('wss') ? await startProbeServer() : null;
  const world: LaneWorld = await startLaneWorld({
    identity,
    boardId: 'espruino',
    seed: 1,
    nrfPort,
    devicePort,
    wifi: { home: HOME },
    onEvent: (e) => {
      if (e.actor === 'air' && e.kind === 'adv') {
        if (verbose) log(`  world air ${e.summary} ${e.bytes ?? ''}`);
        return;
      }
      events.push(e);
      if (verbose) log(`  world ${eventText(e)}`);
    },
    onDeviceMessage: (m) => {
      if (m.t === 'm') samples.push({ at: Date.now(), usage: Number(m.u), live: Number(m.l), peak: Number(m.p), block: Number(m.k) });
      if (m.t === 'l' && typeof m.s === 'string') {
        logLines.push({ ms: Date.now(), text: logDecoder.text(m.s) });
        if (verbose) log('  log ' + m.s);
      }
    },
  });
  try {
    // 3. the stand-ins in .boot0 (written before the flash tool runs: it leaves .boot0 alone)
    const boot0 = preamble({ air: world.airPort, nrf: nrfPort, ctl: world.controlPort, me: devicePort });
    const b64 = Buffer.from(boot0, 'latin1').toString('base64');
    const wrote = evalIn(info.bin, dir, `print("LANE_W "+require("Storage").write(".boot0",atob("${b64}")))`);
    if (!/LANE_W true/.test(wrote)) throw new LaneError(`could not write the stand-ins to the interpreter's Storage (${wrote.trim().split('\n').pop()})`);

    // 4. the interpreter with its telnet console, and the project's flash tool
    const interp = await startTelnet(info.bin, dir);
    const consoleLines: Array<{ ms: number; text: string }> = [];
    interp.onLine((wire) => {
      const text = consoleDecoder.text(wire);
      consoleLines.push({ ms: Date.now(), text });
      if (verbose) log('  console ' + text);
    });
    try {
      const ports = world.wifi!.dssPorts();
      const cfgFile = path.join(dir, 'lane-config.json');
      writeFileSync(cfgFile, JSON.stringify({
        dss: { host: '127.0.0.1', port: ports.port, setupPort: ports.setupPort },
        connectivity: { probeHost: '127.0.0.1' },
        flows: { wss: which.has('wss'), mesh: which.has('mesh'), softAp: !which.has('wss') },
      }));
      // the stand-ins alone (booted from .boot0, no app yet): their own JsVars, to subtract
      await new Promise((r) => setTimeout(r, 1500));
      const flashLines: string[] = [];
      const t0 = Date.now();
      const code = await runNode([
        'flash/cli.ts', 'flash', '--port', `tcp://127.0.0.1:${TELNET_PORT}`, '--device', identityPath,
        '--allow-board', info.board, '--allow-missing', 'Wifi', '--config', cfgFile, '--boot-timeout', '120', '--bundle', bundle,
        ...(pretokenised ? ['--pretokenise'] : []),
      ], {
        cwd: root,
        onLine: (l) => {
          flashLines.push(l);
          if (/^Flashed|booted|error|flash:/i.test(l) || verbose) log('  flash: ' + l.trim());
        },
      });
      tLoad = Date.now();
      const flashMs = tLoad - t0;
      if (code !== 0) {
        log(`flash: npm run flash failed (exit ${code}) after ${(flashMs / 1000).toFixed(1)} s`);
        return { ok: false, flash: { ok: false, ms: flashMs, lines: flashLines }, bootJsVars: null, preambleJsVars: null, flows: [], samples, consoleTail: consoleLines.slice(-20).map((l) => l.text) };
      }
      log(`flash: flashed and booted in ${(flashMs / 1000).toFixed(1)} s`);

      // 5. run until both flows are over (or the time is up)
      const deadline = tLoad + timeoutS * 1000;
      const lines = () => logLines.filter((l) => l.ms >= t0).map((l) => l.text);
      for (;;) {
        const mesh = which.has('mesh') ? flowOutcome('mesh', lines(), events) : { done: true };
        const wss = which.has('wss') ? flowOutcome('wss', lines(), events) : { done: true };
        if ((mesh.done && wss.done) || Date.now() > deadline || interp.proc.exitCode !== null) break;
                await new Promise((r) => setTimeout(r, 250));
      }
      // 6. per-flow figures
      const all = logLines.filter((l) => l.ms >= t0);
      // times are counted from the boot line (the app starting after the flash tool's load())
      const bootLine = all.find((l) => /FFS provisionee booted/.test(l.text));
      const tBoot = bootLine ? bootLine.ms : tLoad;
      const report: FlowReport[] = (['mesh', 'wss'] as const).filter((f) => which.has(f)).map((flow) => {
        const own = all.filter((l) => new RegExp(`^\\w+ ${FLOW_TAG[flow]}: `).test(l.text));
        const o = flowOutcome(flow, all.map((l) => l.text), events);
        const first = own.length ? own[0].ms : tBoot;
        const last = own.length ? own[own.length - 1].ms : Date.now();
        const inWindow = samples.filter((s) => s.at >= first && s.at <= last + 1000);
        return {
          flow,
          outcome: o.outcome,
          done: o.done,
          stages: own.map((l) => ({ ms: l.ms - tBoot, stage: l.text.replace(/^\w+ \w+: /, '') })),
          peakJsVars: inWindow.length ? Math.max(...inWindow.map((s) => s.usage)) : null,
          peakLiveJsVars: inWindow.length ? Math.max(...inWindow.map((s) => s.live)) : null,
          longestBlockMs: inWindow.length ? Math.max(...inWindow.map((s) => s.block)) : null,
        };
      });
      const firstAfterBoot = samples.find((s) => s.at >= tBoot);
      return {
        ok: which.has('mesh') ? report.find((f) => f.flow === 'mesh')!.done : report.every((f) => f.done),
        flash: { ok: true, ms: flashMs, lines: flashLines.filter((l) => !/secret/i.test(l)) },
        bootAt: tBoot,
        bootJsVars: firstAfterBoot ? firstAfterBoot.usage : null,
        preambleJsVars: samples.length ? samples.filter((s) => s.at < t0).map((s) => s.usage).pop() ?? null : null,
        flows: report,
        samples,
        consoleTail: consoleLines.slice(-15).map((l) => l.text),
        air: { ...world.air.stats },
      };
    } finally {
      await interp.stop();
    }
  } finally {
    await world.stop();
    if (probeServer) await new Promise((r) => probeServer.close(() => r(null)));
  }
}

/** 127.0.0.1:80 answering /generate_204 with 204 (the home network's internet, for the WSS flow). */
async function startProbeServer(): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    res.writeHead(req.url === '/generate_204' ? 204 : 404, { Connection: 'close', 'Content-Length': '0' });
    res.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new LaneError(e.code === 'EADDRINUSE' ? 'port 80 on 127.0.0.1 is busy: the WSS flow answers its connectivity probe there; stop what listens on it or run --flows mesh'
        : e.code === 'EACCES' ? 'cannot listen on port 80 (the WSS connectivity probe): run as root, or allow it (sysctl net.ipv4.ip_unprivileged_port_start=80), or run --flows mesh'
        : 'probe server: ' + e.message)));
    server.listen(80, '127.0.0.1', () => resolve());
  });
  return server;
}

// ---- main ----

async function main(): Promise<number> {
  let a;
  try {
    a = parseArgs({
      args: process.argv.slice(2),
      options: {
        bin: { type: 'string' },
        only: { type: 'string' },
        bundle: { type: 'string' },
        flows: { type: 'string' },
        timeout: { type: 'string' },
        out: { type: 'string' },
        'no-record': { type: 'boolean' },
        samples: { type: 'string' },
        keep: { type: 'boolean' },
        verbose: { type: 'boolean' },
        pretokenise: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (e) {
    throw new LaneError(`${(e as Error).message} (npm run test:espruino -- --help)`);
  }
  if (a.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const only = new Set((a.only ?? 'selftest,bench,flows').split(',').map((s) => s.trim()));
  for (const s of only) if (!['selftest', 'bench', 'flows'].includes(s)) throw new LaneError(`bad --only ${s}: selftest, bench or flows`);
  const timeoutS = a.timeout === undefined ? 300 : Number(a.timeout);
  if (!(timeoutS > 0)) throw new LaneError(`bad --timeout ${a.timeout}: seconds`);
  const bin = resolveBinary(a.bin);
  for (const f of ['dist/firmware.js', 'dist/selftest.js', 'dist/bench.js']) {
    if (!existsSync(path.join(root, f))) throw new LaneError(`no ${f}: run npm run build first`);
  }
  const which = new Set((a.flows ?? 'mesh,wss').split(',').map((s) => s.trim()));
  for (const f of which) if (f !== 'mesh' && f !== 'wss') throw new LaneError(`bad --flows ${f}: mesh, wss or mesh,wss`);
  const bundle = path.resolve(a.bundle ?? path.join(root, 'dist/firmware.js'));
  if (!existsSync(bundle)) throw new LaneError(`no bundle at ${bundle}: run npm run build first`);
  const work = mkdtempSync(path.join(tmpdir(), 'espruino-lane-'));
  const log = (s: string) => process.stdout.write(s + '\n');
  try {
    if (only.has('flows') && !(await portFree(TELNET_PORT))) {
      throw new LaneError(`port ${TELNET_PORT} is busy: the interpreter's telnet console needs it; stop what holds it (\`ss -ltnp 'sport = :${TELNET_PORT}'\` shows it, e.g. another espruino --telnet or npm run sim -- --repl ${TELNET_PORT}) and run again`);
    }
    const info = probeInterpreter(bin, work);
    log(`espruino lane: ${bin} (${info.board}, Espruino ${info.version}, ${info.jsVars} JsVars of ${info.blockSize} bytes)`);
    const started = new Date();
    const result: Record<string, unknown> = {};
    let ok = true;
    if (only.has('selftest')) {
      const r = await selftest(bin, work, log);
      result.selftest = r;
      ok &&= r.ok;
    }
    if (only.has('bench')) {
      const r = await bench(bin, work, log);
      result.bench = r;
      ok &&= r.ok;
    }
    if (only.has('flows')) {
      const r = await flows(info, work, bundle, which, timeoutS, !!a.verbose, log, !!a.pretokenise);
      result.flowsRun = [...which];
      result.flows = { ...r, samples: undefined, bootAt: undefined, sampleCount: r.samples.length };
      if (a.samples) {
        const at0 = r.bootAt ?? 0;
        writeFileSync(a.samples, JSON.stringify({
          samples: r.samples.map((s) => ({ ms: s.at - at0, usage: s.usage, live: s.live })),
          stages: r.flows.map((f) => ({ flow: f.flow, stages: f.stages })),
        }, null, 1) + '\n');
        log(`samples: ${a.samples}`);
      }
      ok &&= r.ok;
      log(`boot: ${r.bootJsVars ?? '?'} JsVars in use just after boot (stand-ins alone: ${r.preambleJsVars ?? '?'})`);
      if (r.air) log(`air bridge: ${r.air.udpIn} datagrams from the device, ${r.air.udpOut} to it`);
      for (const f of r.flows) {
        const ffs = f.peakLiveJsVars !== null && r.preambleJsVars !== null ? `; FFS's own: ${f.peakLiveJsVars - r.preambleJsVars} (live less what was in use before the app booted)` : '';
        log(`${f.flow}: ${f.outcome}; peak ${f.peakLiveJsVars ?? '?'} JsVars live (after GC, every ${PROBE_MS * 5} ms)${ffs}, ${f.peakJsVars ?? '?'} held with garbage not yet collected; longest event-loop block ${f.longestBlockMs ?? '?'} ms`);
        let prev = 0;
        for (const s of f.stages) {
          log(`  ${(s.ms / 1000).toFixed(2).padStart(8)} s  (+${((s.ms - prev) / 1000).toFixed(2)} s)  ${s.stage}`);
          prev = s.ms;
        }
      }
      if (!r.ok) for (const l of r.consoleTail) log('  console: ' + l);
    }
    if (!a['no-record']) {
      const out = a.out ?? path.join(here, 'measurements', `${started.toISOString().slice(0, 10)}-${info.version}-${info.board}.json`);
      mkdirSync(path.dirname(out), { recursive: true });
      writeFileSync(out, JSON.stringify({
        format: 'espruino-lane/1',
        date: started.toISOString(),
        command: 'npm run test:espruino -- ' + process.argv.slice(2).join(' '),
        interpreter: { board: info.board, version: info.version, jsVars: info.jsVars, blockSize: info.blockSize, modules: info.modules },
        bundle: { path: path.relative(root, bundle), bytes: readFileSync(bundle).length, sha256: createHash('sha256').update(readFileSync(bundle)).digest('hex') },
        probeIntervalMs: PROBE_MS,
        ok,
        ...result,
      }, null, 2) + '\n');
      log(`measurements: ${path.relative(root, out)}`);
    }
    log(ok ? 'espruino lane: PASS' : 'espruino lane: FAIL');
    return ok ? 0 : 1;
  } finally {
    if (a.keep) log(`working directory kept: ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    if (e instanceof LaneError) {
      process.stderr.write(`test:espruino: ${e.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`test:espruino: internal error: ${(e as Error).stack ?? e}\n`);
    process.exit(1);
  },
);
