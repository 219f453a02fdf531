// Test harness for the flash tool: an emulated board serving its REPL on loopback TCP, and the flash
// CLI run as a child process (exactly what a device maker runs).
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Board, type BoardOptions } from '../../sim/board/board.ts';
import { VirtualClock } from '../../sim/clock.ts';
import { Timeline } from '../../sim/timeline.ts';
import { Rng } from '../../sim/rng.ts';
import { loadExtensions } from '../../sim/scenario.ts';
import { serveRepl, type ReplServer } from '../../sim/repl.ts';
import { identityToJson, makeIdentity, type DeviceIdentity } from '../../flash/identity.ts';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export interface TestBoard {
  board: Board;
  repl: ReplServer;
  port: string;
  close(): Promise<void>;
}

export async function startBoard(opts: Partial<BoardOptions> = {}): Promise<TestBoard> {
  await loadExtensions();
  const clock = new VirtualClock();
  const timeline = new Timeline(() => clock.now());
  const board = new Board({ id: opts.id ?? 'flashtest', clock, timeline, rng: new Rng(7), ...opts });
  board.powerOn();
  const repl = await serveRepl({ board, port: 0 });
  return {
    board,
    repl,
    port: `tcp://127.0.0.1:${repl.port}`,
    close: async () => {
      await repl.close();
      board.powerOff('test over');
    },
  };
}

export function tmpDir(label: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `ffs-flash-${label}-`));
}

/** A private copy of the built bundle (other helpers may rebuild dist/ while tests run). */
export function bundleCopy(dir: string): string {
  const src = path.join(root, 'dist', 'firmware.js');
  if (!existsSync(src)) throw new Error('dist/firmware.js is missing: run npm run build first');
  const dst = path.join(dir, 'firmware.js');
  copyFileSync(src, dst);
  const meta = path.join(root, 'dist', 'firmware.meta.json');
  if (existsSync(meta)) copyFileSync(meta, path.join(dir, 'firmware.meta.json'));
  // the log dictionary beside the bundle (build/logcodes.mjs): the flash tool reads the boot line with it
  const logs = path.join(root, 'dist', 'firmware.logs.json');
  if (existsSync(logs)) copyFileSync(logs, path.join(dir, 'firmware.logs.json'));
  return dst;
}

/** A tiny app for boot-machinery tests: prints a line the test looks for (no firmware needed). */
export function tinyBundle(dir: string, text: string): string {
  const file = path.join(dir, `app-${text.replace(/\W/g, '')}.js`);
  writeFileSync(file, `print(${JSON.stringify('info boot: FFS provisionee booted (' + text + ')')});`);
  return file;
}

export function writeIdentity(dir: string, id: DeviceIdentity = makeIdentity({ seed: 'flash-test' })): string {
  const file = path.join(dir, 'device.identity.json');
  writeFileSync(file, JSON.stringify(identityToJson(id)), { mode: 0o600 });
  return file;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `node --import tsx flash/cli.ts <args>` while the test process keeps serving the board. */
export function runCli(args: string[], timeoutMs = 120000): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'flash/cli.ts'), ...args], {
      cwd: root,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}
