// ffsHttpExecute over Espruino's sockets: `require("tls").connect` (mutual TLS with the device
// certificate chain and key, read from Storage here and nowhere else) or `require("net").connect`,
// with a small HTTP/1.1 writer and a streaming response parser. Parsing the response ourselves keeps
// the exact body bytes, every header in arrival order (a duplicated x-amzn-dss-signature stays
// visible), and lets an oversized body be refused while it arrives instead of after it is in RAM.
//
// Memory (issue 13, measured on the interpreter): a request holds one object of state (an Exchange)
// and its parser, not a set of closures: the socket's handlers and the timer are functions made once,
// which find the Exchange through the socket (`this` of a socket event, the argument of the connect
// callback: both Espruino's) or the timer's argument. The request text is dropped once written, the
// head once parsed, and the body is kept once (no copy of what arrived).
import type { CryptoService, HalError, HttpRequest, HttpResponse, HttpService, LogService, OnDone, StorageService } from '../types';
import { FILES } from '../storage-layout';
import { reseedFirmwareRng } from './crypto';

const MAX_HEAD_BYTES = 4096;
const PROTOCOL = 'NET_PROTOCOL';
const TOO_LARGE = 'NET_TOO_LARGE';
// ResponseParser.l before the head is parsed, and for the two bodies without a Content-Length
const HEAD = -1;
const CHUNKED = -2;
const TO_CLOSE = -3;

/**
 * An HTTP/1.x response being read (status line, headers, Content-Length / chunked / close), fed as
 * the bytes arrive: the head is parsed once its blank line is in, then dropped; a Content-Length or
 * close-delimited body is the received text itself (no copy), a chunked one is decoded chunk by
 * chunk. An oversized body is refused as soon as its length is announced or what arrived passes the
 * limit. A plain object with one-letter keys and free functions over it (not a class, not closures:
 * the fewest bytes in the bundle and JsVars per request).
 */
export interface ResponseParser {
  /** the body limit */
  m: number;
  /** what arrived and is not parsed yet: the head until its blank line, then the (raw) body */
  b: string;
  /** bytes of this response so far, framing included (interim responses dropped): bounded too */
  n: number;
  /** the status code */
  s: number;
  /** the headers, in arrival order */
  h: Array<[string, string]>;
  /** HEAD, CHUNKED, TO_CLOSE or the Content-Length */
  l: number;
  /** a chunked body, decoded so far */
  d: string;
  /** '' (more to come), 'done' or an error code: once set, the answer for good */
  r: string;
}

export function createResponseParser(maxBodyBytes: number): ResponseParser {
  return { m: maxBodyBytes, b: '', n: 0, s: 0, h: [], l: HEAD, d: '', r: '' };
}

/** Feed received bytes (binary string). Returns '' to go on, 'done', or an error code. */
export function feedResponse(p: ResponseParser, chunk: string): string {
  if (!p.r) {
    p.b += chunk;
    p.n += chunk.length;
    // chunk framing costs bytes too: the raw response is bounded as well
    p.r = p.n > 2 * p.m + MAX_HEAD_BYTES ? TOO_LARGE : parse(p, false);
  }
  return p.r;
}

/** The peer closed: 'done' when a close-delimited body ends here, else an error code. */
export function closeResponse(p: ResponseParser): string {
  return p.r || parse(p, true);
}

export function responseOf(p: ResponseParser): HttpResponse {
  return { statusCode: p.s, headers: p.h, body: p.l === CHUNKED ? p.d : p.l === HEAD ? '' : p.b };
}

/** '' (more to come), 'done' or an error code; `closed`: the peer has closed the connection. */
function parse(p: ResponseParser, closed: boolean): string {
  const more = closed ? 'NET_RESET' : '';
  const max = p.m;
  let buf: string;
  // Interim responses (100 Continue) come first and are skipped, in a loop: the device's stack is
  // only ~37 calls deep.
  while (p.l === HEAD) {
    buf = p.b;
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) return buf.length > MAX_HEAD_BYTES ? PROTOCOL : more;
    const lines = buf.substring(0, end).split('\r\n');
    p.b = buf.substring(end + 4);
    // a status of three digits, 100-599
    if (!/^HTTP\/1\.. [1-5][0-9][0-9]/.test(lines[0])) return PROTOCOL;
    const status = parseInt(lines[0].substring(9, 12), 10);
    p.s = status;
    if (status < 200) {
      p.n -= end + 4;
      continue;
    }
    let length = -1;
    let chunked = false;
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i];
      const c = line.indexOf(':');
      if (c <= 0) return PROTOCOL;
      const n = line.substring(0, c).trim();
      const v = line.substring(c + 1).trim();
      p.h.push([n, v]);
      if (/^transfer-encoding$/i.test(n) && /chunked/i.test(v)) chunked = true;
      if (/^content-length$/i.test(n)) {
        const l = parseInt(v, 10);
        if (!(l >= 0) || String(l) !== v || (length >= 0 && length !== l)) return PROTOCOL;
        length = l;
      }
    }
    if (status === 204 || status === 304) {
      p.b = '';
      return 'done';
    }
    p.l = chunked ? CHUNKED : length >= 0 ? length : TO_CLOSE;
  }
  if (p.l === CHUNKED) {
    for (;;) {
      buf = p.b;
      const nl = buf.indexOf('\r\n');
      if (nl < 0) return buf.length > 64 ? PROTOCOL : more;
      const hex = buf.substring(0, nl).split(';')[0].trim();
      const n = parseInt(hex, 16);
      if (!(n >= 0) || !hex || hex.length > 6) return PROTOCOL;
      if (p.d.length + n > max) return TOO_LARGE;
      // the last chunk: done after the (optional) trailer and its blank line
      if (!n) return buf.indexOf('\r\n\r\n', nl) >= 0 ? 'done' : more;
      if (buf.length < nl + n + 4) return more;
      if (buf.substr(nl + 2 + n, 2) !== '\r\n') return PROTOCOL;
      p.d += buf.substr(nl + 2, n);
      p.b = buf.substring(nl + n + 4);
    }
  }
  const length = p.l;
  buf = p.b;
  if (length === TO_CLOSE) return buf.length > max ? TOO_LARGE : closed ? 'done' : '';
  if (length > max) return TOO_LARGE;
  if (buf.length < length) return more;
  // bytes past the announced length are not the body
  if (buf.length > length) p.b = buf.substring(0, length);
  return 'done';
}

/** The request as it goes on the wire (Content-Length always set; Connection: close). */
export function serializeRequest(r: HttpRequest): string {
  let head = r.method + ' ' + r.path + ' HTTP/1.1\r\nHost: ' + r.host + (r.port === (r.tls ? 443 : 80) ? '' : ':' + r.port) + '\r\n';
  // Host, Content-Length and Connection are this writer's own (the regex in a variable: after the
  // loop's `)` Espruino's lexer would read a literal's `/` as a division -- gate rule regex-position)
  const own = /^(host|content-length|connection)$/i;
  for (const n in r.headers) if (!own.test(n)) head += n + ': ' + r.headers[n] + '\r\n';
  if (r.method !== 'GET' || r.body.length) head += 'Content-Length: ' + r.body.length + '\r\n';
  return head + 'Connection: close\r\n\r\n' + r.body;
}

/**
 * One request on its way, what the socket's handlers and the timer share: q the request (until
 * written, then dropped with its body), o the caller's onDone, p the response, f finished, c
 * connected, k the socket, t the timer.
 */
interface Exchange {
  q: HttpRequest | null;
  host: string;
  port: number;
  tls: boolean;
  o: OnDone<HttpResponse>;
  p: ResponseParser;
  f: boolean;
  c: boolean;
  k: any;
  t: any;
}

function finish(x: Exchange, code: string, message: string): void {
  if (x.f) return;
  x.f = true;
  x.q = null;
  if (x.t !== null) clearTimeout(x.t);
  try {
    if (x.k) x.k.end();
  } catch (e) {
    // already closed
  }
  const err: HalError | null = code === 'done' ? null : { code: code, message: message + ' (' + x.host + ':' + x.port + ')' };
  // (Espruino's setTimeout hands its extra arguments to the callback)
  (setTimeout as any)(x.o, 0, err, err ? null : responseOf(x.p));
}

/** A thrown error or a socket 'error' event, classified by its message. */
function failed(x: Exchange, e: any): void {
  const text = String(e && e.message ? e.message : e);
  finish(
    x,
    /host|dns|resolve/i.test(text) ? 'NET_DNS'
      : /unable to create socket/i.test(text) ? 'NET_CONNECT'
        : x.tls && /https|ssl|tls|cert|handshake/i.test(text) ? 'NET_TLS'
          : x.c ? 'NET_RESET' : x.tls ? 'NET_TLS' : 'NET_CONNECT',
    text,
  );
}

// The socket's handlers, made once: Espruino calls an event handler with the socket as `this`, and
// the connect callback with the socket as its argument; the socket carries its Exchange as `x`.
function onConnect(sock: any): void {
  const x: Exchange = sock.x;
  x.c = true;
  if (!x.f && x.q) sock.write(serializeRequest(x.q));
  x.q = null;
}

function onData(this: any, d: any): void {
  const x: Exchange = this.x;
  const res = x.f ? '' : feedResponse(x.p, String(d));
  if (res) finish(x, res, 'response');
}

function onClose(this: any): void {
  const x: Exchange = this.x;
  finish(x, x.f ? '' : closeResponse(x.p), x.c ? 'closed early' : 'no connection');
}

function onError(this: any, e: any): void {
  failed(this.x, e);
}

function onTimeout(x: Exchange): void {
  x.t = null; // fired: nothing left to clear (2v29 ignores a fired id; undefined would throw)
  finish(x, 'NET_TIMEOUT', 'timeout');
}

function execute(opts: { request: HttpRequest; maxBodyBytes: number; onDone: OnDone<HttpResponse> }): void {
  const r = opts.request;
  const x: Exchange = { q: r, host: r.host, port: r.port, tls: r.tls, o: opts.onDone, p: createResponseParser(opts.maxBodyBytes), f: false, c: false, k: null, t: null };
  x.t = (setTimeout as any)(onTimeout, r.timeoutMs, x);
  try {
    const o: any = { host: r.host, port: r.port };
    if (r.tls) {
      // the TLS stack draws from Espruino's LCG: give it fresh DRBG output before every handshake
      reseedFirmwareRng();
      // straight from Storage (memory-mapped on the ESP32: no copy in JS variables): the key as DER,
      // the chain as the NUL-terminated PEM the flash tool writes beside the DER one (mbedTLS parses
      // every certificate of a PEM buffer, only the first of a DER one, and the DSS must see the
      // whole chain to reach its root)
      const S = require('Storage');
      const key = S.read(FILES.deviceKey);
      const cert = S.read(FILES.certPem);
      // (an empty file counts as absent)
      if (key) o.key = key;
      if (cert) o.cert = cert;
      // FILES.dssRoots: the roots a verifying TLS build checks the DSS against (PEM ending in NUL, or
      // one DER certificate); without it the firmware's built-in roots apply (stock: none checked)
      const ca = S.read(FILES.dssRoots);
      if (ca) o.ca = ca;
    }
    const sock = require(r.tls ? 'tls' : 'net').connect(o, onConnect);
    sock.x = x;
    x.k = sock;
    sock.on('data', onData);
    sock.on('close', onClose);
    sock.on('error', onError);
  } catch (e) {
    // Espruino throws on a DNS failure ("Unable to locate host"), a refused connect and bad TLS material
    failed(x, e);
  }
}

export function createHttp(deps: { storage: StorageService; crypto?: CryptoService; log: LogService }): HttpService {
  return { execute: execute };
}
