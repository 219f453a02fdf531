// The real Espruino interpreter as a child process: find it, check it is the ESP32-profile build,
// run a file on it, or start it with its telnet console (the REPL the flash tool talks to).
// Facts (Espruino 2v29 targets/linux/main.c, libs/network/telnet/jswrap_telnet.c):
//  - `espruino file.js` runs the file (no boot code) until no timers are left, then exits;
//    `espruino --telnet` is the interactive REPL plus a telnet console on port 2323 (all interfaces),
//    and boots from Storage (`.boot0`…, `.bootcde`) like a board; `-e CODE` evaluates CODE and exits.
//  - Storage is the file ./espruino.flash in the working directory.
//  - SIGINT/SIGTERM/SIGHUP only interrupt the running JavaScript: the process must be ended with SIGKILL.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import { checkProfile } from './profile-check.mjs';
import { defaultBinary } from './paths.mjs';

/** One clear line for the user (what is wrong and how to fix it); the lane exits non-zero. */
export class LaneError extends Error {}

export const TELNET_PORT = 2323;
/** process.memory().total of the ESP32 build (boards/ESP32.py 'variables'). */
export const TARGET_VERSION = '2v29';

export interface InterpreterInfo {
  bin: string;
  board: string;
  version: string;
  /** process.memory().total */
  jsVars: number;
  blockSize: number;
  modules: string[];
}

const HOW_TO_BUILD = 'build one with `npm run espruino:build -- <path to an Espruino 2v29 checkout>` and set ESPRUINO_BIN to it';

/** Where the binary comes from: --bin, else ESPRUINO_BIN, else the default build (npm run espruino:build). */
export function resolveBinary(arg: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const fallback = defaultBinary();
  const bin = arg || env.ESPRUINO_BIN || (existsSync(fallback) ? fallback : '');
  if (!bin) throw new LaneError(`no interpreter: ESPRUINO_BIN is not set and ${fallback} does not exist (${HOW_TO_BUILD})`);
  if (!existsSync(bin)) throw new LaneError(`no interpreter at ${bin}: ${HOW_TO_BUILD}`);
  if (!statSync(bin).isFile()) throw new LaneError(`${bin} is not a file: ${HOW_TO_BUILD}`);
  try {
    accessSync(bin, constants.X_OK);
  } catch {
    throw new LaneError(`${bin} is not executable: chmod +x it or ${HOW_TO_BUILD}`);
  }
  return bin;
}

/**
 * What the binary is (tools/espruino/profile-check.mjs, the build's own check): throws LaneError unless
 * it is Espruino 2v29 built with the ESP32 profile (board, 16,383 JsVars of 14 bytes, memory-mapped
 * Storage reads) and has the modules the lane needs.
 */
export function probeInterpreter(bin: string, cwd: string): InterpreterInfo {
  const r = checkProfile(bin, cwd) as { ok: boolean; why?: string; env?: Record<string, string>; memory?: { total: number; blocksize: number } };
  if (!r.ok) {
    if (!r.env) throw new LaneError(`${r.why}: ${HOW_TO_BUILD}`);
    throw new LaneError(`${bin} is not the ESP32-profile Espruino ${TARGET_VERSION} build: ${r.why} (${HOW_TO_BUILD})`);
  }
  const info: InterpreterInfo = {
    bin,
    board: String(r.env!.BOARD),
    version: String(r.env!.VERSION),
    jsVars: r.memory!.total,
    blockSize: r.memory!.blocksize,
    modules: String(r.env!.MODULES ?? '').split(',').filter(Boolean),
  };
  for (const need of ['dgram', 'TelnetServer', 'Storage']) {
    if (!info.modules.includes(need)) throw new LaneError(`${bin} (${info.board}) has no ${need} module, which the lane needs: ${HOW_TO_BUILD}`);
  }
  return info;
}

/** Is the telnet port free? (Espruino binds it on 0.0.0.0; a listener on any address counts.) */
export function portFree(port: number): Promise<boolean> {
  if (listening(port)) return Promise.resolve(false);
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '0.0.0.0', () => s.close(() => resolve(true)));
  });
}

/** Children to SIGKILL if the lane itself is interrupted (the interpreter ignores SIGTERM). */
const children = new Set<ChildProcess>();
let trapped = false;
function track(p: ChildProcess): void {
  children.add(p);
  p.on('close', () => children.delete(p));
  if (trapped) return;
  trapped = true;
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      for (const c of children) c.kill('SIGKILL');
      process.stderr.write(`test:espruino: interrupted (${sig}): the interpreter was stopped\n`);
      process.exit(130);
    });
  }
}

export interface RunResult {
  code: number | null;
  lines: string[];
  ms: number;
  timedOut: boolean;
}

/** Console output without Espruino's prompt and line-editing escapes (">", ESC[J, CR). */
export function cleanLine(raw: string): string {
  return raw.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, '').replace(/^>+/, '');
}

/** Split a stream into clean lines as they arrive. */
export function lineSplitter(onLine: (line: string) => void): (chunk: Buffer | string) => void {
  let buf = '';
  return (chunk) => {
    buf += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(cleanLine(buf.slice(0, i)));
      buf = buf.slice(i + 1);
    }
  };
}

/** `espruino file` in `cwd` until it exits (or SIGKILL after timeoutMs). */
export function runFile(bin: string, file: string, opts: { cwd: string; timeoutMs: number; onLine?: (l: string) => void }): Promise<RunResult> {
  const t0 = Date.now();
  const lines: string[] = [];
  return new Promise((resolve) => {
    const p = spawn(bin, [file], { cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    track(p);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      p.kill('SIGKILL');
    }, opts.timeoutMs);
    const split = lineSplitter((l) => {
      lines.push(l);
      opts.onLine?.(l);
    });
    p.stdout.on('data', split);
    p.stderr.on('data', split);
    p.on('close', (code) => {
      clearTimeout(timer);
      split('\n');
      resolve({ code, lines, ms: Date.now() - t0, timedOut });
    });
  });
}

/** Evaluate code with `-e` in cwd (its Storage is cwd/espruino.flash); returns the console text. */
export function evalIn(bin: string, cwd: string, code: string): string {
  const r = spawnSync(bin, ['-e', code], { cwd, timeout: 20000, killSignal: 'SIGKILL', encoding: 'latin1', maxBuffer: 1 << 22 });
  if (r.error) throw new LaneError(`${bin} -e failed: ${r.error.message}`);
  return String(r.stdout ?? '');
}

export interface TelnetInterpreter {
  proc: ChildProcess;
  /** every console line printed on stdout, with the ms since start */
  lines: Array<{ ms: number; text: string }>;
  onLine(fn: (text: string, ms: number) => void): void;
  exited: Promise<number | null>;
  t0: number;
  stop(): Promise<void>;
}

function listening(port: number): boolean {
  // /proc/net/tcp: local address "00000000:0913", state 0A = LISTEN
  try {
    const hex = ':' + port.toString(16).toUpperCase().padStart(4, '0');
    return readFileSync('/proc/net/tcp', 'latin1').split('\n').some((l) => {
      const f = l.trim().split(/\s+/);
      return f[1]?.endsWith(hex) && f[3] === '0A';
    });
  } catch {
    return false;
  }
}

/** `espruino --telnet` in cwd; resolves once port 2323 listens. */
export async function startTelnet(bin: string, cwd: string, timeoutMs = 10000): Promise<TelnetInterpreter> {
  const t0 = Date.now();
  const proc = spawn(bin, ['--telnet'], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  track(proc);
  const lines: TelnetInterpreter['lines'] = [];
  const hooks: Array<(t: string, ms: number) => void> = [];
  const split = lineSplitter((text) => {
    const ms = Date.now() - t0;
    lines.push({ ms, text });
    for (const h of hooks) h(text, ms);
  });
  proc.stdout!.on('data', split);
  proc.stderr!.on('data', split);
  const exited = new Promise<number | null>((r) => proc.on('close', (c) => r(c)));
  let dead = false;
  void exited.then(() => (dead = true));
  const stop = async () => {
    if (!dead) proc.kill('SIGKILL');
    await exited;
  };
  while (!listening(TELNET_PORT)) {
    if (dead) throw new LaneError(`${bin} --telnet exited before its telnet console listened on ${TELNET_PORT}`);
    if (Date.now() - t0 > timeoutMs) {
      await stop();
      throw new LaneError(`${bin} --telnet did not listen on port ${TELNET_PORT} within ${timeoutMs / 1000} s (is it a build with TELNET?)`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { proc, lines, onLine: (fn) => void hooks.push(fn), exited, t0, stop };
}
