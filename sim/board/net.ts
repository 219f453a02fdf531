// The emulated `http` and `tls` modules of the ESP32 (IDF5) Espruino build over REAL loopback sockets.
// Where a socket goes is decided by the Wi-Fi world (which network the board is on: DNS, routes).
// Facts from Espruino's libs/network/socketserver.c, network.c, esp32/network_esp32.c, socketerrors.c:
//  - the request goes out at the first write()/end(): "<METHOD> <path> HTTP/1.1\r\nUser-Agent: Espruino
//    2v29\r\nConnection: close\r\n" + the given headers + "Host: host[:port]" (unless given) + "\r\n".
//    Nothing else is added: no Content-Length (a body without one reaches the server as no body).
//  - DNS failure THROWS from write()/end(): InternalError "Unable to locate host\n"; a refused connect
//    prints "ERROR: Connect failed (err 104)" and throws "Unable to create socket\n".
//  - TLS (stock firmware): VERIFY_NONE and the server name "mbed TLS Server 1"; `ca`/`cert`/`key` are
//    DER bytes as strings (or functions returning them); a DER `cert` holds ONE certificate (mbedTLS
//    parses the first); PEM text parses only when it ends with "\0". Bad ones throw "HTTPS init
//    failed! ...". Each TLS socket needs ~32 KB of the 70 KB native heap: a third one fails.
//  - a handshake failure prints "Uncaught InternalError: Failed! mbedtls_ssl_handshake returned ...";
//    closing before any response gives req 'error' {code:-15, message:"no response"}; a close after the
//    headers is a normal end (a truncated body is not an error). There is no timeout and no abort().
//  - res.statusCode is a STRING ("200"); header names as sent; 'data' chunks of at most 536 bytes.
// While real I/O is in flight the board holds the virtual clock; a server that stalls releases it.
import net from 'node:net';
import tls from 'node:tls';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import dgramModule from 'node:dgram';
import type { Board } from './board.ts';
import { registerBoardModule } from './board.ts';
import { wssContext, type WssBoardContext } from './wifi.ts';

export const ESPRUINO_VERSION = '2v29';
export const STOCK_SERVER_NAME = 'mbed TLS Server 1';
/** socketerrors.c */
export const SOCKET_ERRORS: Record<number, string> = {
  [-1]: 'connection closed', [-2]: 'out of memory', [-3]: 'timeout', [-4]: 'no route', [-5]: 'busy', [-6]: 'not found',
  [-7]: 'max sockets', [-8]: 'unsent data', [-9]: 'connection reset', [-10]: 'unknown error', [-11]: 'no connection',
  [-12]: 'bad argument', [-13]: 'SSL handshake failed', [-14]: 'invalid SSL data', [-15]: 'no response',
};
const CHUNK = 536; // net->chunkSize on ESP32
/** virtual ms for each leg of an exchange (connect+handshake, response) */
export const NET_TIMING = { latencyMs: 40 };
/** real ms a socket may stay silent while holding virtual time before the hold is dropped */
const SILENCE_MS = 8000;

function internalError(board: Board, message: string): Error {
  const e = board.error(message);
  e.name = 'InternalError';
  return e;
}

function toBinary(board: Board, v: unknown): Buffer | null {
  if (v === undefined || v === null) return null;
  if (typeof v === 'function') v = board.call(v, undefined, []);
  if (typeof v === 'string') return Buffer.from(v, 'latin1');
  return Buffer.from(board.toBytes(v));
}

// Parsing the same key/certificates for every connection of a fleet is the simulator's own cost, not
// the board's: results (and errors) are cached by content.
const parsedCerts = new Map<string, { pems: string[]; note?: string } | Error>();
const parsedKeys = new Map<string, string | Error>();
const contexts = new Map<string, tls.SecureContext>();

function cached<T>(map: Map<string, T | Error>, key: string, make: () => T): T {
  let v = map.get(key);
  if (v === undefined) {
    try {
      v = make();
    } catch (e) {
      v = e as Error;
    }
    if (map.size > 500) map.clear();
    map.set(key, v);
  }
  if (v instanceof Error) throw v;
  return v;
}

/** mbedtls_x509_crt_parse: PEM (all certificates) only when NUL-terminated, else ONE DER certificate. */
function parseCerts(buf: Buffer, what: 'ca' | 'cert'): { pems: string[]; note?: string } {
  return cached(parsedCerts, what + ':' + buf.toString('latin1'), () => parseCertsNow(buf, what));
}

function parseCertsNow(buf: Buffer, what: 'ca' | 'cert'): { pems: string[]; note?: string } {
  const text = buf.toString('latin1');
  if (text.includes('-----BEGIN')) {
    if (!text.endsWith('\0')) throw new Error(`HTTPS init failed! mbedtls_x509_crt_parse of '${what}': X509 - The CRT/CRL/CSR format is invalid, e.g. different type expected\n`);
    const pems = text.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
    return { pems };
  }
  try {
    if (buf[0] !== 0x30) throw new Error('not DER');
    let len = buf[1];
    let off = 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + buf[2 + i];
      off = 2 + n;
    }
    const der = buf.subarray(0, off + len);
    const cert = new X509Certificate(der);
    const extra = buf.length - der.length;
    return { pems: [cert.toString()], note: extra > 0 ? `${what}: ${extra} bytes after the first DER certificate are ignored (mbedTLS parses one)` : undefined };
  } catch {
    throw new Error(`HTTPS init failed! mbedtls_x509_crt_parse of '${what}': X509 - The CRT/CRL/CSR format is invalid, e.g. different type expected\n`);
  }
}

function parseKey(buf: Buffer): string {
  return cached(parsedKeys, buf.toString('latin1'), () => parseKeyNow(buf));
}

function parseKeyNow(buf: Buffer): string {
  const text = buf.toString('latin1');
  try {
    if (text.includes('-----BEGIN')) {
      if (!text.endsWith('\0')) throw new Error('pem');
      return createPrivateKey(text.replace(/\0+$/, '')).export({ type: 'pkcs8', format: 'pem' }) as string;
    }
    for (const type of ['pkcs8', 'sec1'] as const) {
      try {
        return createPrivateKey({ key: buf, format: 'der', type }).export({ type: 'pkcs8', format: 'pem' }) as string;
      } catch {
        /* next */
      }
    }
    throw new Error('der');
  } catch {
    throw new Error('HTTPS init failed! mbedtls_pk_parse_key: PK - Invalid key tag or value\n');
  }
}

interface Target {
  hostName: string;
  port: number;
  realPort: number;
  label: string;
}

/** DNS + route as the world sees this board; throws the Espruino exceptions. */
function locate(board: Board, c: WssBoardContext, hostName: string, port: number): Target | 'blackhole' {
  const st = c.station;
  const ap = st.hasIp ? st.ap : null;
  const ip = c.world.resolve(ap, hostName);
  if (!ip) {
    c.world.emit('dns', `${hostName}: no answer${ap ? ` on ${JSON.stringify(ap.ssid)} (${ap.behind})` : ' (not connected)'}`, { host: hostName }, board.id);
    throw internalError(board, 'Unable to locate host\n');
  }
  const route = c.world.route(ap, ip, port);
  if (route.kind === 'refused') {
    c.world.emit('tcp', `${hostName} (${ip}):${port} refused`, { host: hostName, ip, port }, board.id);
    board.printLine('ERROR: Connect failed (err 104)');
    throw internalError(board, 'Unable to create socket\n');
  }
  if (route.kind === 'blackhole') {
    c.world.emit('tcp', `${hostName} (${ip}):${port} unreachable: no answer ever`, { host: hostName, ip, port }, board.id);
    return 'blackhole';
  }
  return { hostName, port, realPort: route.port, label: route.label };
}

interface TlsMaterial {
  key?: string;
  cert?: string[];
  ca?: string[];
}

function tlsMaterial(board: Board, options: Record<string, unknown>, c: WssBoardContext): TlsMaterial {
  if (c.tlsOpen >= c.tlsMax) throw internalError(board, 'Not enough memory to allocate SSL socket\n');
  const out: TlsMaterial = {};
  try {
    const caBuf = toBinary(board, options.ca);
    if (caBuf) out.ca = parseCerts(caBuf, 'ca').pems;
    const certBuf = toBinary(board, options.cert);
    if (certBuf) {
      const p = parseCerts(certBuf, 'cert');
      out.cert = p.pems;
      if (p.note) board.emit({ actor: 'tls', kind: 'note', summary: p.note });
    }
    const keyBuf = toBinary(board, options.key);
    if (keyBuf) out.key = parseKey(keyBuf);
  } catch (e) {
    throw internalError(board, (e as Error).message);
  }
  return out;
}

/** One client connection: an http.request or a tls/net socket. */
class Connection {
  private sock: net.Socket | null = null;
  private release: (() => void) | null = null;
  private silence: NodeJS.Timeout | null = null;
  private closed = false;
  private gotAny = false;
  private handshakeFailed: string | null = null;
  private pending: Buffer[] = [];
  private connected = false;
  private usesTls = false;

  constructor(
    readonly board: Board,
    readonly c: WssBoardContext,
    readonly label: string,
    readonly onData: (chunk: Buffer) => void,
    readonly onClose: (error: number, hadData: boolean) => void,
    readonly onConnect?: () => void,
  ) {}

  /** The world owes the device something (a connect, an answer): virtual time waits for real I/O. */
  private takeHold(): void {
    if (this.release || this.closed || this.serverStalls) return;
    this.release = this.board.clock.hold(`${this.board.id} ${this.label}`);
    this.armSilence();
  }

  private serverStalls = false;
  private quiet: NodeJS.Timeout | null = null;
  /** raw sockets: the device talks when it likes, so holds last only while an answer is owed */
  private raw = false;

  open(target: Target, tlsOpts: TlsMaterial | null): void {
    const { board, c } = this;
    this.raw = !!this.onTcpConnect;
    this.takeHold();
    const profile = c.tlsProfile;
    if (tlsOpts) {
      this.usesTls = true;
      c.tlsOpen++;
      const servername = profile === 'stock' ? STOCK_SERVER_NAME : target.hostName;
      board.emit({ actor: 'tls', kind: 'connect', summary: `TLS to ${target.hostName}:${target.port} (${target.label}), server name ` +
        `${JSON.stringify(servername)}, ${profile === 'stock' ? 'server NOT verified (stock firmware)' : 'verifying the server chain'}` +
        `${tlsOpts.cert ? ', client certificate' : ', no client certificate'}` });
      const ca = profile === 'verifying' ? (tlsOpts.ca ?? c.builtinRootsPem) : undefined;
      const cert = tlsOpts.key && tlsOpts.cert ? tlsOpts.cert.join('\n') : undefined;
      const key = tlsOpts.key && tlsOpts.cert ? tlsOpts.key : undefined;
      const ctxKey = JSON.stringify([ca ?? null, cert ?? null, key ?? null]);
      let secureContext = contexts.get(ctxKey);
      if (!secureContext) {
        secureContext = tls.createSecureContext({ ca, cert, key, maxVersion: 'TLSv1.2' });
        if (contexts.size > 200) contexts.clear();
        contexts.set(ctxKey, secureContext);
      }
      const s = tls.connect({
        host: '127.0.0.1',
        port: target.realPort,
        servername,
        secureContext,
        rejectUnauthorized: profile === 'verifying',
        checkServerIdentity: profile === 'verifying' ? tls.checkServerIdentity : () => undefined,
      });
      this.sock = s;
      s.on('secureConnect', () => this.connectedNow());
      s.on('error', (e) => {
        if (!this.connected) this.handshakeFailed = e.message;
      });
    } else {
      const s = net.connect({ host: '127.0.0.1', port: target.realPort });
      this.sock = s;
      s.on('connect', () => this.connectedNow());
      s.on('error', () => undefined);
    }
    const s = this.sock!;
    s.on('data', (d: Buffer) => {
      this.gotAny = true;
      this.onData(d);
      if (this.raw) {
        // the answer may come in pieces: let virtual time go once the server has been quiet a moment
        if (this.quiet) clearTimeout(this.quiet);
        this.quiet = setTimeout(() => this.dropHold('quiet'), 30);
      } else this.armSilence();
    });
    s.on('close', () => this.finish());
    const port = () => s.localPort;
    s.once('connect', () => {
      const p = port();
      if (p !== undefined) c.world.trackHold(p, () => {
        this.serverStalls = true;
        this.dropHold('server stalls');
      });
      // socketserver.c fires a socket's 'connect' on the first idle loop after the TCP connect, while
      // mbedTLS is still handshaking (writes wait until it is done)
      if (this.onTcpConnect) {
        this.onTcpConnect();
        if (this.pending.length === 0) this.dropHold('connected; the device speaks next');
      }
    });
  }

  private connectedNow(): void {
    this.connected = true;
    this.armSilence();
    for (const b of this.pending) this.sock!.write(b);
    this.pending = [];
    this.onConnect?.();
    if (this.endWanted) this.sock!.end();
  }

  /** bytes the firmware wrote that never went out (socketserver.c: 'unsent data') */
  get unsent(): number {
    return this.pending.reduce((n, b) => n + b.length, 0) + this.lateWrites;
  }

  onTcpConnect?: () => void;
  private endWanted = false;

  write(data: Buffer): void {
    if (this.closed) {
      this.lateWrites += data.length; // written after the socket died: never sent
      return;
    }
    if (this.raw) this.takeHold(); // an answer is owed
    if (this.connected && this.sock) this.sock.write(data);
    else this.pending.push(data);
  }

  lateWrites = 0;

  /** The firmware closed a raw socket (tls/net end()). */
  end(): void {
    if (this.connected) this.sock?.end();
    else this.endWanted = true;
  }

  /** Board power-off: the socket dies with the chip. */
  kill(): void {
    this.closed = true;
    this.sock?.destroy();
    this.dropHold('power off');
  }

  private armSilence(): void {
    if (this.silence) clearTimeout(this.silence);
    this.silence = setTimeout(() => {
      this.board.emit({ actor: 'sim', kind: 'warn', summary: `${this.label}: no real I/O for ${SILENCE_MS} ms; letting virtual time run` });
      this.dropHold('silent');
    }, SILENCE_MS);
    this.silence.unref?.();
  }

  private dropHold(_why: string): void {
    if (this.silence) clearTimeout(this.silence);
    this.silence = null;
    if (this.quiet) clearTimeout(this.quiet);
    this.quiet = null;
    const r = this.release;
    this.release = null;
    if (r) r();
  }

  private finish(): void {
    if (this.usesTls) this.c.tlsOpen--;
    this.usesTls = false;
    const p = this.sock?.localPort;
    if (p !== undefined) this.c.world.untrackHold(p);
    if (this.closed) return;
    this.closed = true;
    if (this.handshakeFailed) {
      const msg = this.handshakeFailed;
      this.board.setTimer(() => {
        this.board.emit({ actor: 'tls', kind: 'fail', summary: `handshake failed: ${msg}` });
        this.board.printLine('Uncaught InternalError: Failed! mbedtls_ssl_handshake returned -0x7780');
      }, NET_TIMING.latencyMs);
    }
    this.onClose(this.gotAny ? -1 : -15, this.gotAny);
    this.dropHold('closed');
  }
}

/** Deliver to the firmware on the virtual clock (cancelled by a power cut). */
function later(board: Board, fn: () => void, ms = NET_TIMING.latencyMs): void {
  board.setTimer(fn, ms);
}

function socketError(board: Board, code: number): object {
  return board.object({ code, message: SOCKET_ERRORS[code] ?? 'unknown error' });
}

// ------------------------------------------------------------------------------------------ http

function parseUrl(url: string): Record<string, unknown> {
  const m = /^(?:([a-z]+:)\/\/)?([^/:?#]*)(?::(\d+))?([^#]*)/i.exec(url) || [];
  return { protocol: m[1] || 'http:', host: m[2] || '', port: m[3] ? Number(m[3]) : undefined, path: m[4] || '/', method: 'GET' };
}

function createHttp(board: Board): unknown {
  const c = wssContext(board);
  const conns = new Set<Connection>();
  board.onPowerOff(() => {
    for (const k of conns) k.kill();
    conns.clear();
    for (const s of servers) s.close();
    for (const k of serverConns) k.sock.destroy();
    serverConns.clear();
  });
  const servers = new Set<net.Server>();
  const serverConns = new Set<ServerConn>();

  function request(optionsArg: unknown, cb: unknown): unknown {
    const options = (typeof optionsArg === 'string' ? parseUrl(optionsArg) : optionsArg) as Record<string, unknown>;
    if (!options || typeof options !== 'object') {
      board.printLine(`ERROR: Expecting Options to be an Object but it was ${typeof optionsArg}`);
      return undefined;
    }
    if (typeof cb !== 'function') {
      board.printLine(`ERROR: Expecting Callback Function but got ${typeof cb}`);
      return undefined;
    }
    const isTls = options.protocol === 'https:';
    const method = String(options.method ?? 'GET');
    const path = String(options.path ?? '/');
    const hostName = options.host === undefined ? 'localhost' : String(options.host);
    let port = Number(options.port ?? 0) || 0;
    const headers = (options.headers && typeof options.headers === 'object' ? options.headers : {}) as Record<string, unknown>;
    let started = false;
    let chunked = false;
    let conn: Connection | null = null;
    let hadHeaders = false;
    let raw = Buffer.alloc(0);
    let res: any = null;
    let remaining = -1; // Content-Length still to come (-1 unknown)
    let chunkedRes = false;
    let chunkBuf = Buffer.alloc(0);
    const label = `${method} ${isTls ? 'https' : 'http'}://${hostName}${port ? ':' + port : ''}${path}`;

    const deliverData = (b: Buffer) => {
      for (let i = 0; i < b.length; i += CHUNK) {
        const piece = b.subarray(i, i + CHUNK).toString('latin1');
        later(board, () => {
          if (board.realm.listenerCount(res, 'data') > 0) board.emitTo(res, 'data', piece);
          else res.__buffer = (res.__buffer ?? '') + piece;
        });
      }
    };

    const onBody = (b: Buffer) => {
      if (chunkedRes) {
        chunkBuf = Buffer.concat([chunkBuf, b]);
        for (;;) {
          const nl = chunkBuf.indexOf('\r\n');
          if (nl < 0) return;
          const len = parseInt(chunkBuf.subarray(0, nl).toString('latin1'), 16);
          if (!(len >= 0)) return;
          if (len === 0) {
            chunkBuf = Buffer.alloc(0);
            return;
          }
          if (chunkBuf.length < nl + 2 + len + 2) return;
          deliverData(chunkBuf.subarray(nl + 2, nl + 2 + len));
          chunkBuf = chunkBuf.subarray(nl + 2 + len + 2);
        }
      }
      if (remaining >= 0) {
        const take = b.subarray(0, remaining);
        remaining -= take.length;
        if (take.length) deliverData(take);
        return;
      }
      deliverData(b);
    };

    const onData = (d: Buffer) => {
      if (hadHeaders) {
        onBody(d);
        return;
      }
      raw = Buffer.concat([raw, d]);
      const end = raw.indexOf('\r\n\r\n');
      if (end < 0) return;
      hadHeaders = true;
      const head = raw.subarray(0, end).toString('latin1');
      const rest = raw.subarray(end + 4);
      const lines = head.split('\r\n');
      const status = lines[0];
      const s1 = status.indexOf(' ');
      const s2 = status.indexOf(' ', s1 + 1);
      const hdrs = board.object({}) as Record<string, string>;
      const seen = new Set<string>();
      for (const line of lines.slice(1)) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const name = line.slice(0, colon);
        const value = line.slice(colon + 1).replace(/^\s+/, '');
        if (seen.has(name)) {
          board.emit({ actor: 'http', kind: 'note', summary: `duplicate response header ${name}: Espruino keeps both entries, lookups see the first` });
          continue;
        }
        seen.add(name);
        hdrs[name] = value;
      }
      const find = (n: string) => Object.keys(hdrs).find((k) => k.toLowerCase() === n.toLowerCase());
      const te = find('Transfer-Encoding');
      chunkedRes = !!te && hdrs[te].toLowerCase() === 'chunked';
      const cl = find('Content-Length');
      remaining = !chunkedRes && cl ? parseInt(hdrs[cl], 10) || 0 : -1;
      res = board.strict('httpCRs', board.object({
        headers: hdrs,
        httpVersion: status.slice(5, s1),
        statusCode: status.slice(s1 + 1, s2 < 0 ? undefined : s2),
        statusMessage: s2 < 0 ? '' : status.slice(s2 + 1),
        available: () => (res.__buffer ?? '').length,
        read: (n?: number) => {
          const b: string = res.__buffer ?? '';
          const k = n && n > 0 ? n : b.length;
          res.__buffer = b.slice(k);
          return b.slice(0, k);
        },
        pipe: () => board.notEmulated('httpCRs.pipe'),
        __buffer: '',
      }));
      board.emit({ actor: 'http', kind: 'response', summary: `${label} -> ${res.statusCode}`, fields: { status: res.statusCode } });
      later(board, () => board.call(cb, undefined, [res]));
      if (rest.length) onBody(rest);
    };

    const onClose = (error: number) => {
      conns.delete(conn!);
      later(board, () => {
        if (!hadHeaders) {
          board.emit({ actor: 'http', kind: 'error', summary: `${label}: ${SOCKET_ERRORS[error]}` });
          board.emitTo(req, 'error', socketError(board, -15));
          return;
        }
        board.emitTo(res, 'end');
        board.emitTo(res, 'close', false);
      });
    };

    const start = () => {
      started = true;
      if (isTls && port === 0) port = 443;
      if (port === 0) port = 80;
      const target = locate(board, c, hostName, port);
      const mat = isTls ? tlsMaterial(board, options, c) : null;
      let text = `${method} ${path} HTTP/1.1\r\nUser-Agent: Espruino ${ESPRUINO_VERSION}\r\nConnection: close\r\n`;
      let hasHost = false;
      for (const k of Object.keys(headers)) {
        if (k === 'Host') hasHost = true;
        text += `${k}: ${String(headers[k])}\r\n`;
        if (k === 'Transfer-Encoding' && String(headers[k]) === 'chunked') chunked = true;
      }
      const optPort = Number(options.port ?? 0) || 0;
      if (!hasHost) text += optPort > 0 && optPort !== 80 ? `Host: ${hostName}:${optPort}\r\n` : `Host: ${hostName}\r\n`;
      text += '\r\n';
      conn = new Connection(board, c, label, onData, onClose);
      conns.add(conn);
      board.emit({ actor: 'http', kind: 'request', summary: label, fields: { method, host: hostName, port, path } });
      if (target === 'blackhole') return; // the SYN goes nowhere: nothing ever comes back
      conn.open(target, mat);
      conn.write(Buffer.from(text, 'latin1'));
    };

    const req: any = board.strict('httpCRq', board.object({
      write(data: unknown) {
        if (!started) start();
        if (data !== undefined && conn) {
          const s = Buffer.from(typeof data === 'string' ? data : String(data), 'latin1');
          conn.write(chunked ? Buffer.concat([Buffer.from(s.length.toString(16) + '\r\n'), s, Buffer.from('\r\n')]) : s);
        }
        return false;
      },
      end(data: unknown) {
        if (data !== undefined) req.write(data);
        else if (!started) start();
        if (chunked && conn) conn.write(Buffer.from('0\r\n\r\n'));
      },
    }));
    return req;
  }

  function createServer(cb: unknown): unknown {
    if (typeof cb !== 'function') {
      board.printLine(`ERROR: Expecting Callback Function but got ${typeof cb}`);
      return undefined;
    }
    let server: net.Server | null = null;
    let vport = 0;
    const srv: any = board.strict('httpSrv', board.object({
      listen(port: unknown) {
        vport = Number(port) || 80;
        // allowHalfOpen: a peer's FIN does not end our side (socketserver.c keeps such a connection)
        server = net.createServer({ allowHalfOpen: true }, (sock) => serveConnection(board, cb as Function, sock, serverConns));
        servers.add(server);
        const s = server;
        const release = board.clock.hold(`${board.id} http server listen`);
        s.listen(0, '127.0.0.1', () => {
          c.world.deviceServers.set(`${board.id}:${vport}`, (s.address() as net.AddressInfo).port);
          c.world.emit('listen', `device HTTP server on port ${vport}`, { port: vport }, board.id);
          release();
        });
        return srv;
      },
      // serverClose: only the listening socket; accepted connections stay as they are
      close() {
        if (server) {
          server.close();
          servers.delete(server);
          c.world.deviceServers.delete(`${board.id}:${vport}`);
          server = null;
        }
      },
    }));
    return srv;
  }

  return board.strict('http', board.object({
    request,
    get(options: unknown, cb: unknown) {
      const o = typeof options === 'string' ? parseUrl(options) : options;
      if (o && typeof o === 'object') (o as any).method = 'GET';
      const r: any = request(o, cb ?? (() => undefined));
      if (r) r.end();
      return r;
    },
    createServer,
  }));
}

// ------------------------------------------------------------------------------------------ http server

// socketserver.c socketServerConnectionsIdle + httpParseHeaders + jswrap_stream_pushData as 2v29 has
// them, measured on the real interpreter (test/sim/http-server-fidelity.test.ts runs both). One idle
// "step" per connection reads at most 536 bytes and sends at most 536; JS callbacks queued in a step run
// before the next step. What the real server does, and so this one:
//  - the head is buffered natively, without a size limit, until "\r\n\r\n"; only then is the request
//    callback queued (a head never finished, even by a peer that closes, keeps the connection for ever);
//  - body bytes that came with the head wait in req's buffer (req.available()/read(), at most 512 held
//    once a buffer exists) until an on('data') listener takes them as one queued 'data' event; later
//    ones go to the listener as they are read. Content-Length counts down per chunk pushed (a bad value
//    counts as 0; more bytes than it, e.g. a pipelined request, are data of the same request);
//  - req 'end' once nothing is owed, nothing is being sent and a step read nothing;
//  - the connection closes at a step that read nothing (or saw the peer gone), has nothing left to send
//    and res.end() was called, but NEVER while Content-Length bytes are owed: not by res.end(), not by
//    the peer closing (no 'close' event then either), not by time (there is no timeout). A peer that
//    half-closed after a complete request still gets its answer;
//  - `req.clsNow = true` closes it at the next step, before anything unsent goes out: set right after
//    res.end() the answer is lost, set ~20 ms later the answer has gone out first;
//  - at the close: res 'end', req 'close'(false), res 'close'(false); req 'end' only if it came before;
//  - every answer carries "Connection: close" (res.headers; writeHead's headers override it);
//  - server.close() closes the listening socket only.
const STREAM_MAX_BUFFER = 512;

interface ServerConn {
  sock: net.Socket;
  pending: Buffer[];
  /** the peer closed (recv reports the connection closed) */
  fin: boolean;
  /** received, not yet pushed (dRcv) */
  recv: string;
  hadHeaders: boolean;
  /** cRcv: Content-Length still owed (1 while a chunked body goes on) */
  owed: number;
  chunked: boolean;
  ended: boolean;
  closed: boolean;
  clsNow: boolean;
  /** res: dSnd (undefined until the head is written), cls, chunked */
  send: string | undefined;
  cls: boolean;
  resChunked: boolean;
  /** req's stream buffer (undefined when none) */
  buf: string | undefined;
  /** the buffer an on('data') took, in its queued 'data' event */
  flush: string | undefined;
  scheduled: boolean;
  req: any;
  res: any;
  release: (() => void) | null;
}

/** jsvGetInteger of a header value: a numeric string (decimal, 0x hex, with a fraction) or 0. */
function headerInt(v: string | undefined): number {
  if (v === undefined) return 0;
  const t = v.trim();
  if (/^[+-]?0x[0-9a-f]+$/i.test(t)) return parseInt(t, 16) || 0;
  if (/^[+-]?\d+(\.\d*)?$/.test(t)) return Math.trunc(Number(t));
  return 0;
}

function findI(o: Record<string, string>, name: string): string | undefined {
  const k = Object.keys(o).find((x) => x.toLowerCase() === name.toLowerCase());
  return k === undefined ? undefined : o[k];
}

function serveConnection(board: Board, cb: Function, sock: net.Socket, all: Set<ServerConn>): void {
  const k: ServerConn = {
    sock, pending: [], fin: false, recv: '', hadHeaders: false, owed: 0, chunked: false, ended: false,
    closed: false, clsNow: false, send: undefined, cls: false, resChunked: false, buf: undefined, flush: undefined,
    scheduled: false, req: null, res: null, release: null,
  };
  all.add(k);
  // the peer's first bytes are on their way: hold virtual time until they are read (or a quiet moment)
  k.release = board.clock.hold(`${board.id} http server connection`);
  const quiet = setTimeout(() => dropHold(), 200);
  quiet.unref?.();
  const dropHold = () => {
    clearTimeout(quiet);
    const r = k.release;
    k.release = null;
    if (r) r();
  };
  /** bytes or a FIN of the device are on their way: the peer sees them before virtual time goes on */
  const holdWhileSending = (start: (done: () => void) => void) => {
    const r = board.clock.hold(`${board.id} http server sending`);
    let released = false;
    const done = () => {
      if (released) return;
      released = true;
      const t = setTimeout(r, 30); // a moment of real time for the peer's handlers
      t.unref?.();
    };
    start(done);
    setTimeout(done, 500).unref?.();
  };
  const queue = (fn: () => void) => board.setTimer(fn, 0);
  const kick = (ms = 0) => {
    if (k.scheduled || k.closed) return;
    k.scheduled = true;
    board.setTimer(() => step(), ms);
  };
  sock.on('data', (d: Buffer) => {
    if (k.closed) return;
    k.pending.push(d);
    kick();
  });
  sock.on('end', () => {
    k.fin = true;
    kick();
  });
  sock.on('close', () => {
    k.fin = true;
    all.delete(k);
    dropHold();
    kick();
  });
  sock.on('error', () => undefined);

  function takeChunk(): Buffer | null {
    if (!k.pending.length) return null;
    const all2 = Buffer.concat(k.pending);
    const chunk = all2.subarray(0, CHUNK);
    k.pending = all2.length > CHUNK ? [all2.subarray(CHUNK)] : [];
    return chunk;
  }

  /** jswrap_stream_pushData: the 'data' listener now, else req's buffer. */
  function deliverFlush(): void {
    const data = k.flush;
    k.flush = undefined;
    if (data !== undefined) board.emitTo(k.req, 'data', data);
  }

  function pushData(data: string, force: boolean): boolean {
    if (board.realm.listenerCount(k.req, 'data') > 0) {
      deliverFlush();
      board.emitTo(k.req, 'data', data);
      return true;
    }
    if (k.buf === undefined) {
      k.buf = data;
      return true;
    }
    let ok = true;
    if (k.buf.length + data.length > STREAM_MAX_BUFFER) ok = false;
    if ((ok || force) && k.buf.length < STREAM_MAX_BUFFER) k.buf += data.slice(0, STREAM_MAX_BUFFER - k.buf.length);
    return ok;
  }

  /** socketPushReceiveData for the server's request */
  function pushReceived(force: boolean): void {
    if (!k.recv) return;
    let next = '';
    if (k.chunked) {
      const len = k.recv.length;
      if (len < 5) return;
      const startIdx0 = k.recv.indexOf('\r\n');
      const chunkLen = parseInt(k.recv, 16) || 0;
      k.owed = chunkLen ? 1 : 0;
      if (!chunkLen) {
        k.recv = '';
        return;
      }
      const startIdx = startIdx0 + 2;
      const nextIdx = startIdx + chunkLen + 2;
      let partial = '';
      if (nextIdx < len) next = k.recv.slice(nextIdx);
      else if (nextIdx > len) {
        if (nextIdx - len < 3) return;
        partial = (nextIdx - len - 2).toString(16) + '\r\n';
      }
      k.recv = k.recv.substr(startIdx, chunkLen);
      if (!pushData(k.recv, force)) return;
      k.recv = next || partial;
      if (next) pushReceived(force);
      return;
    }
    k.owed -= k.recv.length;
    if (!pushData(k.recv, force)) return;
    k.recv = '';
  }

  /** httpParseHeaders (server): false while the head is incomplete */
  function parseHead(): boolean {
    const end = k.recv.indexOf('\r\n\r\n');
    if (end < 0) return false;
    const lines = k.recv.slice(0, end).split('\r\n');
    const first = lines[0];
    const sp1 = first.indexOf(' ');
    const sp2 = sp1 < 0 ? -1 : first.indexOf(' ', sp1 + 1);
    const hdrs = board.object({}) as Record<string, string>;
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const value = line.slice(colon + 1).replace(/^\s+/, '');
      if (!value) continue; // no value on the line: not a header
      const name = line.slice(0, colon);
      if (name in hdrs) continue; // Espruino adds a second entry; lookups see the first
      hdrs[name] = value;
    }
    const te = findI(hdrs, 'Transfer-Encoding');
    k.chunked = te !== undefined && te.toLowerCase() === 'chunked';
    k.owed = k.chunked ? 1 : headerInt(findI(hdrs, 'Content-Length'));
    const method = sp1 < 0 ? first : first.slice(0, sp1);
    const url = sp1 < 0 ? '' : first.slice(sp1 + 1, sp2 < 0 ? undefined : sp2);
    k.recv = k.recv.slice(end + 4);
    makeObjects(method, url, hdrs);
    return true;
  }

  function makeObjects(method: string, url: string, hdrs: Record<string, string>): void {
    const protoOn = (board.realm.Object.prototype as any).on as Function;
    const req: any = board.object({ method, url, headers: hdrs });
    Object.defineProperty(req, 'clsNow', {
      enumerable: false,
      get: () => k.clsNow,
      set: (v: unknown) => {
        k.clsNow = !!v;
        if (k.clsNow) kick();
      },
    });
    Object.defineProperty(req, 'on', {
      enumerable: false,
      value: function on(this: any, ev: unknown, fn: unknown) {
        protoOn.call(this, ev, fn);
        // jswrap_object_on: a 'data' listener takes what is buffered, as one queued event
        if (ev === 'data' && k.buf !== undefined) {
          const data = k.buf;
          k.buf = undefined;
          // queued; a chunk read before the queue runs must not overtake it (see pushData)
          k.flush = data;
          queue(() => deliverFlush());
        }
      },
    });
    Object.assign(req, {
      available: () => (k.buf ?? '').length,
      read: (n?: unknown) => {
        const b = k.buf ?? '';
        const m = typeof n === 'number' && n > 0 ? n : b.length;
        k.buf = b.length > m ? b.slice(m) : undefined;
        return b.slice(0, m);
      },
      pipe: () => board.notEmulated('httpSRq.pipe'),
    });
    const res: any = board.object({ headers: board.object({ Connection: 'close' }) });
    const writeHead = (status: unknown, headers: unknown) => {
      if (headers !== undefined && (headers === null || typeof headers !== 'object')) {
        board.printLine('ERROR: Headers sent to writeHead should be an object');
        return;
      }
      if (k.send !== undefined) {
        board.printLine('ERROR: Headers have already been sent');
        return;
      }
      const all2: Record<string, unknown> = {};
      const implicit = res.headers;
      if (implicit && typeof implicit === 'object') Object.assign(all2, implicit);
      if (headers) Object.assign(all2, headers);
      let text = `HTTP/1.1 ${Number(status) | 0} OK\r\nServer: Espruino ${ESPRUINO_VERSION}\r\n`;
      for (const name of Object.keys(all2)) text += `${name}: ${String(all2[name])}\r\n`;
      const te = Object.keys(all2).find((x) => x.toLowerCase() === 'transfer-encoding');
      if (te !== undefined && String(all2[te]).toLowerCase() === 'chunked') k.resChunked = true;
      k.send = text + '\r\n';
      kick();
    };
    const write = (data: unknown) => {
      if (k.cls || k.clsNow) throw board.error('This socket is closed');
      if (k.send === undefined) writeHead(200, undefined);
      if (data !== undefined) {
        const s = String(data);
        k.send += k.resChunked ? `${s.length.toString(16)}\r\n${s}\r\n` : s;
      }
      kick();
      return false;
    };
    Object.assign(res, {
      writeHead,
      write,
      end(data: unknown) {
        if (data !== undefined) write(data);
        write(k.resChunked ? '' : undefined);
        k.cls = true;
        kick();
      },
      setHeader(name: unknown, value: unknown) {
        if (res.headers && typeof res.headers === 'object') res.headers[String(name)] = String(value);
      },
    });
    k.req = board.strict('httpSRq', req);
    k.res = board.strict('httpSRs', res);
  }

  /** One pass of socketServerConnectionsIdle over this connection. */
  function step(): void {
    k.scheduled = false;
    if (k.closed) return;
    let closeNow = k.clsNow;
    let num = 0;
    if (!closeNow) {
      const chunk = takeChunk();
      num = chunk ? chunk.length : k.fin ? -1 : 0;
      if (num < 0) closeNow = true;
      else if (chunk) {
        dropHold();
        k.recv += chunk.toString('latin1');
        if (!k.hadHeaders && parseHead()) {
          k.hadHeaders = true;
          const { req, res } = k;
          board.emit({ actor: 'http', kind: 'serve', summary: `${req.method} ${req.url}`, fields: { method: req.method, url: req.url } });
          queue(() => board.call(cb, undefined, [req, res]));
        }
        if (k.hadHeaders) pushReceived(false);
      }
      if (k.send) {
        if (k.sock.destroyed || !k.sock.writable) closeNow = true; // the send fails
        else {
          const piece = k.send.slice(0, CHUNK);
          holdWhileSending((done) => k.sock.write(Buffer.from(piece, 'latin1'), () => done()));
          k.send = k.send.slice(piece.length);
          if (!k.send && !k.cls) queue(() => board.emitTo(k.res, 'drain'));
        }
      }
      if (!k.send && num <= 0) {
        let really = k.cls;
        if (k.owed > 0 || !k.hadHeaders) really = false;
        else if (!k.ended) {
          k.ended = true;
          queue(() => board.emitTo(k.req, 'end'));
        }
        closeNow = really;
      } else if (num > 0) closeNow = false;
    }
    if (closeNow) {
      if (k.hadHeaders) pushReceived(true);
      k.closed = true;
      const { req, res } = k;
      if (res) {
        queue(() => board.emitTo(res, 'end'));
        queue(() => board.emitTo(req, 'close', false));
        queue(() => board.emitTo(res, 'close', false));
      }
      board.emit({ actor: 'http', kind: 'serve-close', summary: `connection closed${req ? ` (${req.method} ${req.url})` : ''}` });
      dropHold();
      all.delete(k);
      holdWhileSending((done) => sock.end(() => {
        done();
        sock.destroy();
      }));
      return;
    }
    // read something, more to read or to send: the next idle (after the callbacks queued now; at the
    // same virtual instant, so a client holding virtual time is answered). With
    // nothing to do the C code goes on polling, but nothing changes until new bytes, res or clsNow.
    if (num > 0 || k.pending.length || k.send) kick();
  }
}

// ------------------------------------------------------------------------------------------ tls / net

// jswrap_net.c + socketserver.c for plain sockets: connect() resolves and connects at once (DNS failure
// and refused connects THROW), 'connect' fires on the first idle loop after the TCP connect (before a
// TLS handshake ends; writes wait), 'data' brings strings of at most 536 bytes, and the ESP32 driver
// reports every failure as "closed" (-1): 'end' + 'close' with no 'error' event, except when written
// data never went out ('error' {code:-8, message:"unsent data"} first).
function createSocketModule(kind: 'tls' | 'net') {
  return (board: Board): unknown => {
    const c = wssContext(board);
    const conns = new Set<Connection>();
    board.onPowerOff(() => {
      for (const k of conns) k.kill();
      conns.clear();
    });
    return board.strict(kind, board.object({
      connect(options: unknown, cb: unknown) {
        if (!options || typeof options !== 'object') throw board.error(`Expecting Options to be an Object but it was ${typeof options}`);
        const o = options as Record<string, unknown>;
        const hostName = o.host === undefined ? 'localhost' : String(o.host);
        const port = Number(o.port ?? 0) || (kind === 'tls' ? 443 : 80);
        let conn: Connection | null = null;
        const sock: any = board.strict('Socket', board.object({
          write(data: unknown) {
            if (data !== undefined && conn) conn.write(Buffer.from(typeof data === 'string' ? data : String(data), 'latin1'));
            return false;
          },
          end(data: unknown) {
            if (data !== undefined) sock.write(data);
            if (conn) conn.end();
          },
          available: () => 0,
          read: () => '',
          pipe: () => board.notEmulated('Socket.pipe'),
        }));
        const label = `${kind} ${hostName}:${port}`;
        const target = locate(board, c, hostName, port);
        const mat = kind === 'tls' ? tlsMaterial(board, o, c) : null;
        conn = new Connection(board, c, label,
          (d) => {
            for (let i = 0; i < d.length; i += CHUNK) {
              const piece = d.subarray(i, i + CHUNK).toString('latin1');
              later(board, () => board.emitTo(sock, 'data', piece));
            }
          },
          () => {
            conns.delete(conn!);
            later(board, () => {
              const unsent = conn ? conn.unsent : 0;
              board.emit({ actor: kind, kind: 'close', summary: `${label} closed${unsent ? ` with ${unsent} bytes unsent` : ''}` });
              if (unsent) board.emitTo(sock, 'error', socketError(board, -8));
              board.emitTo(sock, 'end');
              board.emitTo(sock, 'close', unsent > 0);
            });
          },
        );
        conn.onTcpConnect = () => later(board, () => {
          if (typeof cb === 'function') board.call(cb, undefined, [sock]);
          board.emitTo(sock, 'connect', sock);
        });
        conns.add(conn);
        if (kind === 'net') board.emit({ actor: kind, kind: 'connect', summary: label });
        if (target !== 'blackhole') conn.open(target, mat);
        return sock;
      },
    }));
  };
}

// ------------------------------------------------------------------------------------------ dgram

// jswrap_net.c dgram: createSocket('udp4'), bind(port, cb), send(msg, offset, length, port, address, cb),
// on('message', (msg, rinfo{address, port, size})), close(). Real UDP sockets on 127.0.0.1; the world
// maps a board's bound port and the virtual addresses of the phones on its network.
function createDgram(board: Board): unknown {
  const c = wssContext(board);
  const sockets = new Set<import('node:dgram').Socket>();
  board.onPowerOff(() => {
    for (const s of sockets) s.close();
    sockets.clear();
  });
  return board.strict('dgram', board.object({
    createSocket(type: unknown, cb: unknown) {
      const t = typeof type === 'object' && type ? (type as any).type : type;
      if (t !== 'udp4') throw board.error(`Unsupported socket type ${String(t)}`);
      const real = dgramModule.createSocket('udp4');
      sockets.add(real);
      let vport = 0;
      const sock: any = board.strict('dgramSocket', board.object({
        bind(port: unknown, bcb: unknown) {
          vport = Number(port) || 0;
          const release = board.clock.hold(`${board.id} udp bind ${vport}`);
          real.bind(0, '127.0.0.1', () => {
            c.world.deviceUdp.set(`${board.id}:${vport}`, real.address().port);
            c.world.emit('udp', `device listens on UDP ${vport}`, { port: vport }, board.id);
            release();
            if (typeof bcb === 'function') board.setTimer(() => board.call(bcb, undefined, [sock]), 0);
            board.setTimer(() => board.emitTo(sock, 'listening'), 0);
          });
          return sock;
        },
        send(msg: unknown, offset: unknown, length: unknown, port: unknown, address: unknown, scb: unknown) {
          const text = String(msg);
          const off = Number(offset) || 0;
          const len = length === undefined ? text.length - off : Number(length);
          const payload = Buffer.from(text.substring(off, off + len), 'latin1');
          const to = c.world.udpRoute(c.station.hasIp ? c.station.ap : null, String(address), Number(port));
          c.world.emit('udp', `device -> ${String(address)}:${String(port)} ${payload.length} bytes${to ? '' : ' (unreachable: dropped)'}`,
            { to: address, port, bytes: payload.toString('hex') }, board.id);
          if (to) {
            const release = board.clock.hold(`${board.id} udp send`);
            // to a phone of the world: virtual time waits until the answer is in its hands
            const peer = c.world.udpPeers.get(to);
            if (peer && peer.delivered) peer.answered = release;
            real.send(payload, to, '127.0.0.1', () => (peer && peer.delivered ? undefined : release()));
          }
          if (typeof scb === 'function') board.setTimer(() => board.call(scb, undefined, []), 0);
        },
        close() {
          c.world.deviceUdp.delete(`${board.id}:${vport}`);
          real.close();
          sockets.delete(real);
        },
        addMembership: () => undefined,
      }));
      real.on('message', (m: Buffer, r) => {
        const peer = c.world.udpPeers.get(r.port);
        const from = peer ?? { address: '127.0.0.1', port: r.port };
        const data = m.toString('latin1');
        board.setTimer(() => board.emitTo(sock, 'message', data, board.object({ address: from.address, port: from.port, size: m.length })), 0);
        if (peer && peer.delivered) peer.delivered(); // the sender's hold: the datagram is the board's now
      });
      real.on('error', () => undefined);
      if (typeof cb === 'function') sock.on('message', cb);
      return sock;
    },
  }));
}

registerBoardModule('http', createHttp);
registerBoardModule('tls', createSocketModule('tls'));
registerBoardModule('net', createSocketModule('net'));
registerBoardModule('dgram', createDgram);
