// ffsHttpExecute over Espruino's sockets: `require("tls").connect` (mutual TLS with the device
// certificate chain and key, read from Storage here and nowhere else) or `require("net").connect`,
// with a small HTTP/1.1 writer and a streaming response parser. Parsing the response ourselves keeps
// the exact body bytes, every header in arrival order (a duplicated x-amzn-dss-signature stays
// visible), and lets an oversized body be refused while it arrives instead of after it is in RAM.
import type { CryptoService, HalError, HttpRequest, HttpResponse, HttpService, LogService, OnDone, StorageService } from '../types';
import { FILES } from '../storage-layout';
import { reseedFirmwareRng } from './crypto';

const MAX_HEAD_BYTES = 4096;
// a parser's `length` before the head is parsed, and for the two bodies without a Content-Length
const HEAD = -1;
const CHUNKED = -2;
const TO_CLOSE = -3;

export interface ResponseParser {
  /** Feed received bytes (binary string). Returns '' to go on, 'done', or an error code (then the
   *  parser is finished with: neither feed nor close it again). */
  feed(chunk: string): string;
  /** The peer closed (while feed said ''): 'done' when a close-delimited body ends here, else an error code. */
  peerClosed(): string;
  /** The response, once feed or close said 'done'. */
  toResponse(): HttpResponse;
}

/**
 * An HTTP/1.x response parser (status line, headers, Content-Length / chunked / close), fed as the
 * bytes arrive: the head is parsed once its blank line is in, then dropped; a Content-Length or
 * close-delimited body is the received text itself (kept once, no copy), a chunked one is decoded
 * chunk by chunk. An oversized body is refused as soon as its length is announced or what arrived
 * passes the limit.
 */
export function createResponseParser(maxBodyBytes: number): ResponseParser {
  const PROTOCOL = 'NET_PROTOCOL';
  const TOO_LARGE = 'NET_TOO_LARGE';
  /** what arrived and is not parsed yet: the head until its blank line, then the (raw) body */
  let buf = '';
  /** bytes of this response so far, framing included (interim responses dropped) */
  let raw = 0;
  let status = 0;
  let headers: Array<[string, string]> = [];
  let length = HEAD;
  /** a chunked body, decoded so far */
  let body = '';

  /** '' (more to come), 'done' or an error code; `closed`: the peer has closed the connection. */
  function parse(closed: boolean): string {
    const more = closed ? 'NET_RESET' : '';
    // Interim responses (100 Continue) come first and are skipped, in a loop: the device's stack is
    // only ~37 calls deep.
    while (length === HEAD) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return buf.length > MAX_HEAD_BYTES ? PROTOCOL : more;
      const lines = buf.substring(0, end).split('\r\n');
      buf = buf.substring(end + 4);
      // a status of three digits, 100-599
      const m = /^HTTP\/1\.. ([1-5][0-9][0-9])/.exec(lines[0]);
      if (!m) return PROTOCOL;
      status = +m[1];
      if (status < 200) {
        raw -= end + 4;
        continue;
      }
      let announced = -1;
      let chunked = false;
      for (let i = 1; i < lines.length; i++) {
        const line = lines[i];
        const c = line.indexOf(':');
        if (c <= 0) return PROTOCOL;
        const n = line.substring(0, c).trim();
        const v = line.substring(c + 1).trim();
        headers.push([n, v]);
        if (/^transfer-encoding$/i.test(n) && /chunked/i.test(v)) chunked = true;
        if (/^content-length$/i.test(n)) {
          const l = parseInt(v, 10);
          if (!(l >= 0) || String(l) !== v || (announced >= 0 && announced !== l)) return PROTOCOL;
          announced = l;
        }
      }
      if (status === 204 || status === 304) {
        buf = '';
        return 'done';
      }
      length = chunked ? CHUNKED : announced >= 0 ? announced : TO_CLOSE;
    }
    if (length === CHUNKED) {
      for (;;) {
        const nl = buf.indexOf('\r\n');
        if (nl < 0) return buf.length > 64 ? PROTOCOL : more;
        const hex = buf.substring(0, nl).split(';')[0].trim();
        const n = parseInt(hex, 16);
        // (an empty size is NaN too)
        if (!(n >= 0) || hex.length > 6) return PROTOCOL;
        if (body.length + n > maxBodyBytes) return TOO_LARGE;
        // the last chunk: done after the (optional) trailer and its blank line
        if (!n) return buf.indexOf('\r\n\r\n', nl) >= 0 ? 'done' : more;
        if (buf.length < nl + n + 4) return more;
        if (buf.substr(nl + 2 + n, 2) !== '\r\n') return PROTOCOL;
        body += buf.substr(nl + 2, n);
        buf = buf.substring(nl + n + 4);
      }
    }
    if (length === TO_CLOSE) return buf.length > maxBodyBytes ? TOO_LARGE : closed ? 'done' : '';
    if (length > maxBodyBytes) return TOO_LARGE;
    if (buf.length < length) return more;
    // bytes past the announced length are not the body
    if (buf.length > length) buf = buf.substring(0, length);
    return 'done';
  }

  return {
    feed(chunk: string): string {
      buf += chunk;
      raw += chunk.length;
      // chunk framing costs bytes too: the raw response is bounded as well
      return raw > 2 * maxBodyBytes + MAX_HEAD_BYTES ? TOO_LARGE : parse(false);
    },
    peerClosed: (): string => parse(true),
    toResponse(): HttpResponse {
      // (a 204/304 ends with the head, and nothing kept after it)
      return { statusCode: status, headers: headers, body: length === CHUNKED ? body : buf };
    },
  };
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

/** The TLS client and its plain twin (`crypto`: the board's, made first: reseedFirmwareRng draws from it;
 *  the certificate and key come straight from Storage). */
export function createHttp(crypto?: unknown): HttpService {
  return {
    execute(opts: { request: HttpRequest; maxBodyBytes: number; onDone: OnDone<HttpResponse> }): void {
      // the request (and its body) until it is written: the closures below keep this scope, so `opts`
      // is not kept in it
      let req: HttpRequest | null = opts.request;
      const host = req.host;
      const port = req.port;
      const tls = req.tls;
      const onDone = opts.onDone;
      const parser = createResponseParser(opts.maxBodyBytes);
      opts = null as any;
      let finished = false;
      let connected = false;
      let sock: any = null;
      let timer: any = null;

      function finish(code: string, message: string): void {
        if (finished) return;
        finished = true;
        req = null;
        if (timer !== null) clearTimeout(timer);
        try {
          if (sock) sock.end();
        } catch (e) {
          // already closed
        }
        const err: HalError | null = code === 'done' ? null : { code: code, message: message + ' (' + host + ':' + port + ')' };
        const res = err ? null : parser.toResponse();
        setTimeout(() => onDone(err, res), 0);
      }

      /** A thrown error or a socket 'error' event, classified by its message. */
      function failed(e: any): void {
        const text = String(e && e.message ? e.message : e);
        // NET_DNS, NET_CONNECT, NET_TLS (a TLS failure, or any before the TLS connection is up), NET_RESET
        finish(
          'NET_' + (/host|dns|resolve/i.test(text) ? 'DNS'
            : /unable to create socket/i.test(text) ? 'CONNECT'
              : tls && (!connected || /https|ssl|tls|cert|handshake/i.test(text)) ? 'TLS'
                : connected ? 'RESET' : 'CONNECT'),
          text,
        );
      }

      timer = setTimeout(() => {
        timer = null; // fired: nothing left to clear (2v29 ignores a fired id; undefined would throw)
        finish('NET_TIMEOUT', 'timeout');
      }, req.timeoutMs);
      try {
        const o: any = { host: host, port: port };
        if (tls) {
          // the TLS stack draws from Espruino's LCG: give it fresh DRBG output before every handshake
          reseedFirmwareRng();
          // straight from Storage (memory-mapped on the ESP32: no copy in JS variables): the key as DER,
          // the chain as the NUL-terminated PEM the flash tool writes beside the DER one (mbedTLS parses
          // every certificate of a PEM buffer, only the first of a DER one, and the DSS must see the
          // whole chain to reach its root)
          const S = require('Storage');
          // (an empty file counts as absent) FILES.dssRoots: the roots a verifying TLS build checks the
          // DSS against (PEM ending in NUL, or one DER certificate); without it the firmware's built-in
          // roots apply (stock: none checked)
          const files: { [option: string]: string } = { key: FILES.deviceKey, cert: FILES.certPem, ca: FILES.dssRoots };
          for (const k in files) {
            const f = S.read(files[k]);
            if (f) o[k] = f;
          }
        }
        sock = require(tls ? 'tls' : 'net').connect(o, () => {
          connected = true;
          if (!finished && req) sock.write(serializeRequest(req));
          req = null;
        });
        sock.on('data', (d: any) => {
          const res = finished ? '' : parser.feed(String(d));
          if (res) finish(res, 'response');
        });
        sock.on('close', () => finish(finished ? '' : parser.peerClosed(), connected ? 'closed early' : 'no connection'));
        sock.on('error', failed);
      } catch (e) {
        // Espruino throws on a DNS failure ("Unable to locate host"), a refused connect and bad TLS material
        failed(e);
      }
    },
  };
}
