// The connection to a board's REPL through the `espruino` npm package (EspruinoTools) Node API:
// Espruino.Core.Serial for the transport (serial port or tcp://host:port) and
// Espruino.Core.Utils.executeExpression for request/response. Nothing is ever fetched from the
// internet: URL fetching is replaced by a refusal, board details are read from process.env by us,
// Bluetooth is off, and no code is passed through the tool's module loader or minifier.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';

/** One clear line for the user, with a stable code for tests and exit statuses. */
export class FlashError extends Error {
  constructor(
    readonly code:
      | 'usage'
      | 'identity'
      | 'bundle'
      | 'no-port'
      | 'port-busy'
      | 'no-answer'
      | 'wrong-board'
      | 'storage-full'
      | 'verify'
      | 'write'
      | 'boot'
      | 'disconnected',
    message: string,
  ) {
    super(message);
  }
}

export const EXIT_CODES: Record<FlashError['code'], number> = {
  usage: 2,
  identity: 2,
  bundle: 2,
  'no-port': 3,
  'port-busy': 3,
  'no-answer': 3,
  disconnected: 3,
  'wrong-board': 4,
  'storage-full': 5,
  verify: 6,
  write: 6,
  boot: 7,
};

let espruinoReady: Promise<any> | null = null;
/** What EspruinoTools printed (console.* while it runs), secrets redacted; shown with --verbose. */
export const toolLog: string[] = [];
const blockedUrls: string[] = [];

export function redact(s: string): string {
  // Storage writes carry file contents (some of them secrets) as atob("...") arguments.
  // A line may end inside the argument (the tool logs in chunks): redact up to its end then.
  return s.replace(/atob\((\\?")[^"\\]*(\\?"\)|$)/g, 'atob(<redacted>)').slice(0, 400);
}

type ConsoleMethods = Pick<Console, 'log' | 'info' | 'warn' | 'error' | 'debug'>;
let savedConsole: ConsoleMethods | null = null;
let muteDepth = 0;

/**
 * Capture console.* into toolLog while EspruinoTools may run (it is chatty, logs asynchronously from
 * its data handlers, and echoes what it sends, file contents included). Returns the undo function.
 */
function muteConsole(): () => void {
  if (muteDepth++ === 0) {
    savedConsole = { log: console.log, info: console.info, warn: console.warn, error: console.error, debug: console.debug };
    const sink = (...a: unknown[]) => {
      toolLog.push(redact(a.map((x) => (typeof x === 'string' ? x : JSON.stringify(x))).join(' ')));
      if (toolLog.length > 2000) toolLog.splice(0, 1000);
    };
    console.log = console.info = console.warn = console.error = console.debug = sink;
  }
  let undone = false;
  return () => {
    if (undone) return;
    undone = true;
    if (--muteDepth === 0 && savedConsole) {
      Object.assign(console, savedConsole);
      savedConsole = null;
    }
  };
}

function quietly<T>(fn: () => T): T {
  const undo = muteConsole();
  try {
    return fn();
  } finally {
    undo();
  }
}

/** Load and configure EspruinoTools once per process (offline, no BLE). */
export function loadEspruino(): Promise<any> {
  if (espruinoReady) return espruinoReady;
  espruinoReady = new Promise((resolve) => {
    const require = createRequire(import.meta.url);
    // EspruinoTools' websocket-relay plugin turns off TLS verification for the whole process when it
    // loads (NODE_TLS_REJECT_UNAUTHORIZED=0). Nothing here uses the relay: put the setting back.
    const tlsSetting = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    const restoreTls = () => {
      if (tlsSetting === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = tlsSetting;
    };
    quietly(() => {
      const tools = require('espruino');
      restoreTls();
      tools.init(() => {
        restoreTls();
        const E = (globalThis as any).Espruino;
        const C = E.Config;
        C.BLUETOOTH_LOW_ENERGY = false; // --no-ble
        C.BLUETOOTH_LOW_ENERGY_DBUS = false;
        C.ENV_ON_CONNECT = false; // we read process.env ourselves; no board JSON download
        C.SET_TIME_ON_WRITE = false;
        C.MODULE_URL = '';
        C.BOARD_JSON_URL = '';
        C.MINIFICATION_LEVEL = '';
        C.SAVE_ON_SEND = 0;
        C.RESET_BEFORE_SEND = false;
        // Never fetch anything: every URL helper refuses and records the attempt.
        const refuse = (url: string, cb: (d?: unknown) => void) => {
          blockedUrls.push(String(url));
          setTimeout(() => cb(undefined), 0);
        };
        E.Core.Utils.getURL = refuse;
        E.Core.Utils.getJSONURL = refuse;
        E.Core.Utils.getBinaryURL = refuse;
        E.Core.Status = { setStatus() {}, hasProgress: () => false, incrementProgress() {}, showStatusWindow() {}, hideStatusWindow() {} };
        resolve(E);
      });
    });
  });
  return espruinoReady;
}

/** URLs EspruinoTools tried to fetch (always refused). Tests assert this stays empty. */
export function blockedFetches(): readonly string[] {
  return blockedUrls;
}

export interface LinkOptions {
  port: string;
  baud?: number;
  /** ms to wait for the connection to open */
  openTimeoutMs?: number;
}

/** An open REPL connection. */
export class Link {
  private listeners: Array<(s: string) => void> = [];
  private closed = false;
  private busy = false;
  transcript = '';
  onDisconnect: (() => void) | null = null;
  /** console stays captured for the whole session (EspruinoTools logs from its async handlers) */
  private unmute: () => void = muteConsole();
  /** EspruinoTools can throw from its own timers after a connection drops early: record, do not crash */
  private readonly guard = (e: Error) => {
    const stack = String(e && e.stack);
    if (/node_modules\/(espruino|@serialport|serialport)\//.test(stack) || /Cannot lock port|Resource temporarily unavailable/.test(String(e && e.message))) {
      // the transport's own failures: recorded; connect() turns them into one clear line
      toolLog.push('transport threw: ' + redact(String(e.message)));
      this.transportError = String(e.message);
      return;
    }
    if (process.listenerCount('uncaughtException') > 1) return; // someone else handles it
    process.stderr.write(`flash: internal error: ${String(e && e.message).split('\n')[0]}\n`);
    process.exit(1);
  };
  transportError: string | null = null;
  private abortPending: (() => void) | null = null;

  private constructor(private readonly E: any, readonly port: string, private readonly baud: number) {
    process.on('uncaughtException', this.guard);
  }

  static async open(opts: LinkOptions): Promise<Link> {
    const E = await loadEspruino();
    const port = opts.port;
    const isTcp = port.startsWith('tcp://');
    if (isTcp) {
      if (!/^tcp:\/\/[^:/\s]*:\d{1,5}$/.test(port)) throw new FlashError('usage', `bad port ${port}: expected tcp://host:port`);
      E.Config.SERIAL_TCPIP = [port];
    } else {
      if (!existsSync(port)) throw new FlashError('no-port', `no such port: ${port} does not exist`);
      E.Config.BAUD_RATE = opts.baud ?? 115200;
      addSerialPath(E, port);
    }
    const link = new Link(E, port, isTcp ? 1_000_000 : opts.baud ?? 115200);
    try {
      await link.connect(opts.openTimeoutMs ?? 8000, isTcp);
    } catch (e) {
      await link.close();
      throw e;
    }
    return link;
  }

  private connect(timeoutMs: number, isTcp: boolean): Promise<void> {
    const E = this.E;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const logStart = toolLog.length;
      const settle = (err: FlashError | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        clearInterval(watch);
        process.removeListener('uncaughtException', onUncaught);
        if (err) reject(err);
        else resolve();
      };
      // EspruinoTools reports socket/serial failures only by logging them (and serialport throws
      // them as an unhandled 'error' event): map both to one clear line.
      const classify = (text: string): FlashError | null => {
        if (/ECONNREFUSED/.test(text)) return new FlashError('no-port', `no such port: nothing is listening at ${this.port}`);
        if (/ENOTFOUND|EAI_AGAIN/.test(text)) return new FlashError('no-port', `no such port: unknown host in ${this.port}`);
        if (/EHOSTUNREACH|ENETUNREACH|ETIMEDOUT/.test(text)) return new FlashError('no-answer', `board not answering: ${this.port} is unreachable`);
        if (/Cannot lock port|Resource temporarily unavailable|EBUSY|busy/i.test(text)) return new FlashError('port-busy', `port in use: ${this.port} is held by another program`);
        if (/ENOENT|No such file/i.test(text)) return new FlashError('no-port', `no such port: ${this.port}`);
        if (/EACCES|Permission denied/i.test(text)) return new FlashError('no-port', `cannot open ${this.port}: permission denied`);
        return null;
      };
      const onUncaught = (e: Error) => settle(classify(String(e && e.message)) || new FlashError('no-port', `cannot open ${this.port}: ${e.message}`));
      process.on('uncaughtException', onUncaught);
      // Only the transport's own failure lines count (not e.g. "serialport error: spawn udevadm ENOENT",
      // which is the port lister missing a helper).
      const watch = setInterval(() => {
        for (let i = logStart; i < toolLog.length; i++) {
          if (!/^RECEIVE ERROR|^Unable to open|^serial: Port .* not found$/.test(toolLog[i])) continue;
          const err = classify(toolLog[i]);
          if (err) return settle(err);
        }
      }, 20);
      const timer = setTimeout(
        () => settle(new FlashError('no-answer', `board not answering: could not open ${this.port} within ${Math.round(timeoutMs / 1000)} s`)),
        timeoutMs,
      );
      quietly(() => {
        E.Core.Serial.startListening((buf: ArrayBuffer) => this.receive(buf));
        E.Core.Serial.open(
          this.port,
          (status: unknown) => {
            if (status === undefined || status === null) {
              const log = toolLog.slice(logStart);
              if (/busy/i.test(this.transcript) || log.some((l) => l.startsWith('serial: Connected'))) {
                // it answered the connection and hung up at once: another client holds the console
                settle(new FlashError('port-busy', `port in use: ${this.port} ${/busy/i.test(this.transcript) ? 'already has a client connected' : 'closed the connection at once (another client may hold it)'}`));
                return;
              }
              const fromLog = log.map(classify).find((x) => x);
              settle(fromLog || new FlashError('no-port', `no such port: ${this.port} (not found by the serial library)`));
              return;
            }
            if (isTcp) E.Core.Serial.setSlowWrite(false, true);
            settle(null);
          },
          () => {
            this.closed = true;
            if (this.abortPending) this.abortPending();
            for (const l of this.listeners.slice()) l('');
            if (!settled) settle(new FlashError('disconnected', `${this.port} closed the connection while opening`));
            else if (this.onDisconnect) this.onDisconnect();
          },
        );
      });
    });
  }

  private receive(buf: ArrayBuffer | string): void {
    // EspruinoTools hands back text it consumed as a string, and fresh data as an ArrayBuffer
    const s = typeof buf === 'string' ? buf : Buffer.from(new Uint8Array(buf)).toString('latin1');
    this.transcript = (this.transcript + s).slice(-20000);
    for (const l of this.listeners.slice()) l(s);
  }

  /** Subscribe to raw console output (returns an unsubscribe function). */
  onData(fn: (s: string) => void): () => void {
    this.listeners.push(fn);
    return () => {
      this.listeners = this.listeners.filter((x) => x !== fn);
    };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Send raw text to the REPL (resolves once it is on its way: EspruinoTools only reports completion of long writes). */
  write(text: string): Promise<void> {
    if (this.closed) return Promise.reject(new FlashError('disconnected', `${this.port} closed the connection`));
    const estimateMs = 20 + Math.ceil((text.length * 10 * 1000) / this.baud);
    return new Promise((resolve) => {
      const t = setTimeout(resolve, estimateMs);
      quietly(() =>
        this.E.Core.Serial.write(text, false, () => {
          clearTimeout(t);
          resolve();
        }),
      );
    });
  }

  /**
   * Evaluate a JS expression on the board and return its JSON value (EspruinoTools'
   * executeExpression: `\x10print("<","<<",JSON.stringify(expr),">>",">")`). undefined = no answer.
   */
  async evaluate<T = unknown>(expr: string, opts: { maxTimeoutS?: number; minTimeoutS?: number } = {}): Promise<T | undefined> {
    if (this.closed) throw new FlashError('disconnected', `${this.port} closed the connection`);
    if (this.busy) throw new Error('Link.evaluate is not re-entrant');
    this.busy = true;
    // executeExpression swaps the read listener; keep ours around it.
    const E = this.E;
    try {
      // executeExpression arms its own timeout only after a write that reports completion, which
      // EspruinoTools does only for long writes: bound every call ourselves.
      const limitMs = ((opts.minTimeoutS ?? 3) + 2) * 1000 + Math.ceil((expr.length * 10 * 1000) / this.baud);
      const text = await new Promise<string | undefined>((resolve) => {
        let settled = false;
        const finish = (v: string | undefined) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          E.Core.Serial.startListening((buf: ArrayBuffer) => this.receive(buf));
          resolve(v);
        };
        const timer = setTimeout(() => finish(undefined), limitMs);
        this.abortPending = () => finish(undefined); // the connection dropped: stop waiting
        quietly(() =>
          E.Core.Utils.executeExpression(expr, (result: string | undefined) => finish(result), {
            maxTimeout: opts.maxTimeoutS ?? 30,
            minTimeout: opts.minTimeoutS ?? 3,
          }),
        );
      });
      if (this.closed) throw new FlashError('disconnected', `${this.port} closed the connection`);
      if (text === undefined) return undefined;
      const trimmed = text.trim();
      if (trimmed === '' || trimmed === 'undefined') return undefined;
      try {
        return JSON.parse(trimmed) as T;
      } catch {
        return undefined;
      }
    } finally {
      this.busy = false;
    }
  }

  /** Wait until the console shows `needle` (or time out). Returns the text seen since the call. */
  waitFor(needle: string | RegExp, timeoutMs: number): Promise<string | null> {
    return new Promise((resolve) => {
      let seen = '';
      const test = () => (typeof needle === 'string' ? seen.includes(needle) : needle.test(seen));
      const off = this.onData((s) => {
        seen += s;
        if (test()) done(seen);
        else if (this.closed) done(null);
      });
      const timer = setTimeout(() => done(null), timeoutMs);
      const done = (v: string | null) => {
        clearTimeout(timer);
        off();
        resolve(v);
      };
    });
  }

  close(): Promise<void> {
    const finish = () => {
      this.unmute();
      setTimeout(() => process.removeListener('uncaughtException', this.guard), 400);
    };
    if (this.closed) {
      finish();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t);
        finish();
        resolve();
      };
      const t = setTimeout(done, 1000);
      this.onDisconnect = done;
      quietly(() => {
        try {
          this.E.Core.Serial.close();
        } catch {
          done();
        }
      });
    });
  }
}

const givenPaths = new Set<string>();
/** Pseudo-terminals and some adapters are not listed by the serial library: add the paths we were given. */
function addSerialPath(E: any, path: string): void {
  givenPaths.add(path);
  const dev = E.Core.Serial.devices.find((d: any) => d.name === 'Node Serial');
  if (!dev || dev.__ffsPatched) return;
  const original = dev.getPorts;
  dev.getPorts = (cb: (ports: any[], instant: boolean) => void) =>
    original((ports: any[] | undefined) => {
      const list = ports || [];
      for (const p of givenPaths) if (!list.some((x) => x.path === p)) list.push({ path: p, description: 'given port' });
      cb(list, true);
    });
  dev.__ffsPatched = true;
}
