// The emulated board's REPL on a TCP port: a serial console bridged to TCP (like ser2net), close
// enough to Espruino's REPL (src/jsinteractive.c jsiHandleChar / jsiHandleNewLine) that the real
// `espruino` npm package talks to it unmodified:
//  - characters are echoed as typed; Enter runs the line once its brackets are balanced (else "\n:");
//  - DLE (0x10) at the start of a line turns echo off for that line: no echo, no "=result";
//  - an echoed line prints "=<value>" unless it was empty or threw ("Uncaught ..." is printed instead);
//  - the prompt ">" comes back after a line runs and after console output; "\r" / "\r\n" / "\n" end lines;
//  - Ctrl-C (0x03) clears the input line; Ctrl-U clears it too; backspace edits it;
//  - console output goes out with "\n" turned into "\r\n";
//  - reset(), load(), E.reboot() and Storage are the board's own (sim/board): the connection survives them.
// One client at a time, like a serial port: a second client is told the REPL is busy and closed.
import net from 'node:net';
import type { Board } from './board/board';
import { formatValue } from './board/globals';

export interface ReplServer {
  /** the TCP port actually bound (useful with port 0) */
  port: number;
  /** stop listening, drop the client, stop driving the clock */
  close(): Promise<void>;
}

export interface ServeReplOptions {
  board: Board;
  port: number;
  host?: string;
  /**
   * Advance the board's virtual clock with the wall clock while serving (default true), so timers,
   * reset() and load() happen. Pass false when something else already runs the clock in real time.
   */
  driveClock?: boolean;
}

/** Count unclosed brackets outside strings, template literals and comments (jsiCountBracketsInInput). */
export function countBrackets(src: string): number {
  let n = 0;
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === '/' && src[i + 1] === '/') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) return n + 1; // unterminated comment: keep reading lines
      i = end + 2;
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      i++;
      while (i < src.length && src[i] !== c) {
        if (src[i] === '\\') i++;
        else if (c !== '`' && src[i] === '\n') break;
        i++;
      }
      if (i >= src.length && c === '`') return n + 1;
      i++;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') n++;
    else if (c === ')' || c === ']' || c === '}') n--;
    i++;
  }
  return n;
}

/** Serve `board`'s console on TCP. Resolves once listening. */
export function serveRepl(opts: ServeReplOptions): Promise<ReplServer> {
  const board = opts.board;
  let client: net.Socket | null = null;
  let line = '';
  let echoOffForLine = false;
  let hadCR = false;
  let promptShown = false;
  let executing = false;

  const send = (s: string) => {
    if (client && !client.destroyed) client.write(Buffer.from(s, 'latin1'));
  };
  const prompt = () => {
    if (!promptShown) {
      send('>');
      promptShown = true;
    }
  };

  // Console output: remove the prompt, print, bring the prompt (and any typed input) back.
  const offConsole = board.onConsole((text) => {
    if (!client) return;
    const out = text.replace(/\r?\n/g, '\r\n') + '\r\n';
    if (promptShown) {
      send('\r' + out);
      promptShown = false;
    } else send(out);
    if (!executing) {
      prompt();
      if (line && !echoOffForLine) send(line.replace(/\n/g, '\r\n:'));
    }
  });

  const execute = () => {
    const code = line.replace(/\s+$/, '');
    const echo = !echoOffForLine;
    line = '';
    echoOffForLine = false;
    if (echo) {
      send('\r\n');
      promptShown = false;
    }
    const before = board.console.length;
    let value: unknown;
    executing = true;
    try {
      value = code.length ? board.evaluate(code, 'REPL') : undefined;
    } catch (e) {
      // a syntax error (the line never ran) or a board that is off
      value = undefined;
      const err = e as Error;
      board.print(`Uncaught ${err && err.name ? err.name + ': ' : ''}${err && err.message}`);
    } finally {
      executing = false;
    }
    const threw = board.console.slice(before).some((l) => l.startsWith('Uncaught '));
    if (echo && code.length && !threw) send('=' + formatValue(value, 1).replace(/\n/g, '\r\n') + '\r\n');
    if (echo || board.console.length > before) {
      promptShown = false;
      prompt();
    }
  };

  // Escape sequences (jsiHandleChar): ESC \n = newline without executing (EspruinoTools sends it
  // inside multi-line functions); ESC [ <n> d = line-number hint; arrows/home/end: cursor moves,
  // which this emulation (always at the end of the line) ignores.
  let esc: 'none' | '27' | '27_79' | '27_91' | '27_91_n' = 'none';
  const handleEscape = (ch: string): boolean => {
    if (esc === 'none') return false;
    if (esc === '27') {
      esc = ch === 'O' ? '27_79' : ch === '[' ? '27_91' : 'none';
      if (ch === '\n') {
        if (!echoOffForLine) send('\r\n:');
        line += '\n';
      }
      return true;
    }
    if (esc === '27_79') {
      esc = 'none';
      return true;
    }
    if (esc === '27_91') {
      esc = ch >= '0' && ch <= '9' ? '27_91_n' : 'none';
      return true;
    }
    if (!(ch >= '0' && ch <= '9')) esc = 'none';
    return true;
  };

  const handleChar = (ch: string) => {
    const code = ch.charCodeAt(0);
    if (handleEscape(ch)) return;
    if (code === 0x1b) {
      esc = '27';
      return;
    }
    if (code === 0x03) {
      // Ctrl-C: break out / clear the line (jsiCtrlC + jsiClearInputLine)
      const had = line.length > 0;
      line = '';
      echoOffForLine = false;
      if (had) {
        send('\r\n');
        promptShown = false;
        prompt();
      }
      return;
    }
    if (code === 0x10 && line.length === 0) {
      echoOffForLine = true;
      return;
    }
    if (code === 0x15 || code === 0x17) {
      line = '';
      return;
    }
    if (ch === '\n' && hadCR) {
      hadCR = false;
      return;
    }
    hadCR = ch === '\r';
    if (ch === '\r' || ch === '\n') {
      if (countBrackets(line) <= 0) execute();
      else {
        if (!echoOffForLine) send('\r\n:');
        line += '\n';
      }
      return;
    }
    if (code === 0x08 || code === 0x7f) {
      if (line.length) {
        line = line.slice(0, -1);
        if (!echoOffForLine) send('\x08 \x08');
      }
      return;
    }
    if (code >= 32 || ch === '\t') {
      const add = ch === '\t' ? '    ' : ch;
      line += add;
      if (!echoOffForLine) {
        if (!promptShown && line.length === add.length) prompt();
        send(add);
      }
    }
  };

  // Drive virtual time with the wall clock so timers, reset() and load() run while we serve.
  let ticking = opts.driveClock !== false;
  const realStart = Date.now();
  const virtStart = board.clock.now();
  let running = false;
  const tick = async () => {
    if (!ticking || running) return;
    running = true;
    try {
      await board.clock.run({ until: virtStart + (Date.now() - realStart) });
    } catch {
      // someone else is running the clock (the simulator in --realtime): fine
    } finally {
      running = false;
    }
  };
  const ticker = ticking ? setInterval(tick, 5) : null;

  const accept = (sock: net.Socket) => {
    client = sock;
    line = '';
    echoOffForLine = false;
    promptShown = false;
    sock.setNoDelay(true);
    sock.on('data', (buf) => {
      const s = buf.toString('latin1');
      for (const ch of s) handleChar(ch);
      void tick();
    });
    const drop = () => {
      if (client === sock) client = null;
    };
    sock.on('close', drop);
    sock.on('error', drop);
  };

  let waiting = 0;
  const server = net.createServer((sock) => {
    if (!client && waiting === 0) return accept(sock);
    // The previous client may have just hung up (its close not seen yet): look again shortly,
    // first come first served.
    waiting++;
    sock.pause();
    setTimeout(() => {
      waiting--;
      if (sock.destroyed) return;
      if (!client || client.destroyed) {
        sock.resume();
        accept(sock);
      } else sock.end('REPL busy: another client is connected\r\n');
    }, 150);
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      const addr = server.address() as net.AddressInfo;
      resolve({
        port: addr.port,
        close: () =>
          new Promise<void>((done) => {
            ticking = false;
            if (ticker) clearInterval(ticker);
            offConsole();
            if (client) client.destroy();
            client = null;
            server.close(() => done());
          }),
      });
    });
  });
}

// Standalone: `node --import tsx sim/repl.ts [--port 2323] [--storage FILE] [--env KEY=VALUE ...]` serves one
// emulated ESP32 board (all emulated modules registered) until Ctrl-C. `npm run sim -- --repl PORT` is the
// simulator CLI's way to do the same inside a scenario's world.
export async function replMain(argv: string[]): Promise<void> {
  const { parseArgs } = await import('node:util');
  const { values } = parseArgs({
    args: argv,
    options: { port: { type: 'string' }, storage: { type: 'string' }, env: { type: 'string', multiple: true } },
  });
  const port = values.port === undefined ? 2323 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad --port ${values.port}`);
  const env: Record<string, string> = {};
  for (const kv of values.env ?? []) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new Error(`bad --env ${kv}: expected KEY=VALUE`);
    env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  const { loadExtensions } = await import('./scenario');
  const { Board } = await import('./board/board');
  const { VirtualClock } = await import('./clock');
  const { Timeline } = await import('./timeline');
  const { Rng } = await import('./rng');
  await loadExtensions();
  const clock = new VirtualClock();
  const timeline = new Timeline(() => clock.now());
  const board = new Board({ id: 'repl', clock, timeline, rng: new Rng(1), storagePath: values.storage, env: env as any });
  // the wire carries coded log lines (build/logcodes.mjs); the terminal shows them in words
  const { boardDecoder } = await import('./board/logcodes');
  const decoder = boardDecoder();
  board.onConsole((line) => process.stdout.write(`board | ${decoder.text(line)}\n`));
  board.powerOn();
  const server = await serveRepl({ board, port });
  process.stdout.write(`emulated ${board.env.BOARD} Espruino ${board.env.VERSION} REPL on tcp://127.0.0.1:${server.port}${values.storage ? ` (Storage in ${values.storage})` : ''}\n`);
  process.on('SIGINT', () => {
    void server.close().then(() => process.exit(0));
  });
}

const invokedAs = process.argv[1] ? process.argv[1].replace(/\\/g, '/') : '';
if (invokedAs.endsWith('/sim/repl.ts') || invokedAs.endsWith('/sim/repl')) {
  replMain(process.argv.slice(2)).catch((e) => {
    process.stderr.write(`repl: ${(e as Error).message.split('\n')[0]}\n`);
    process.exit(1);
  });
}
