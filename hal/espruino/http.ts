// ffsHttpExecute over Espruino's sockets: `require("tls").connect` (mutual TLS with the device
// certificate chain and key, read from Storage here and nowhere else) or `require("net").connect`,
// with a small HTTP/1.1 writer and a streaming response parser. Parsing the response ourselves keeps
// the exact body bytes, every header in arrival order (a duplicated x-amzn-dss-signature stays
// visible), and lets an oversized body be refused while it arrives instead of after it is in RAM.
import type { CryptoService, HalError, HttpRequest, HttpResponse, HttpService, LogService, OnDone, StorageService } from '../types';
import { FILES } from '../storage-layout';
import { reseedFirmwareRng } from './crypto';

const MAX_HEAD_BYTES = 4096;

export interface ResponseParser {
  /** Feed received bytes (binary string). Returns '' to go on, 'done', or an error code. */
  feed(chunk: string): string;
  /** The peer closed: 'done' when a close-delimited body ends here, else an error code. */
  close(): string;
  response(): HttpResponse;
}

/** A streaming HTTP/1.x response parser (status line, headers, Content-Length / chunked / close). */
export function createResponseParser(maxBodyBytes: number): ResponseParser {
  let phase = 'head'; // head | body | size | data | dataEnd | trailer | done
  let buf = '';
  let status = 0;
  let headers: Array<[string, string]> = [];
  let body = '';
  let length = -1;
  let chunked = false;
  let chunkLeft = 0;

  function startBody(): string {
    if (status === 204 || status === 304 || (status >= 100 && status < 200)) {
      phase = 'done';
      return 'done';
    }
    for (let i = 0; i < headers.length; i++) {
      const n = headers[i][0].toLowerCase();
      const v = headers[i][1];
      if (n === 'transfer-encoding' && v.toLowerCase().indexOf('chunked') >= 0) chunked = true;
      if (n === 'content-length') {
        const l = parseInt(v, 10);
        if (!(l >= 0) || String(l) !== v) return 'NET_PROTOCOL';
        if (length >= 0 && length !== l) return 'NET_PROTOCOL';
        length = l;
      }
    }
    if (chunked) {
      phase = 'size';
      length = -1;
    } else if (length >= 0) {
      if (length > maxBodyBytes) return 'NET_TOO_LARGE';
      phase = length === 0 ? 'done' : 'body';
    } else phase = 'body';
    return phase === 'done' ? 'done' : '';
  }

  function parseHead(): string {
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) return buf.length > MAX_HEAD_BYTES ? 'NET_PROTOCOL' : '';
    const lines = buf.substring(0, end).split('\r\n');
    const rest = buf.substring(end + 4);
    buf = '';
    const m = lines[0];
    if (m.substring(0, 7) !== 'HTTP/1.' || m.charAt(8) !== ' ') return 'NET_PROTOCOL';
    status = parseInt(m.substring(9, 12), 10);
    if (!(status >= 100 && status <= 599)) return 'NET_PROTOCOL';
    headers = [];
    for (let i = 1; i < lines.length; i++) {
      const c = lines[i].indexOf(':');
      if (c <= 0) return 'NET_PROTOCOL';
      headers.push([lines[i].substring(0, c).trim(), lines[i].substring(c + 1).trim()]);
    }
    if (status >= 100 && status < 200) {
      // an interim response (100 Continue): the real one follows
      phase = 'head';
      buf = rest;
      return rest ? parseHead() : '';
    }
    const r = startBody();
    if (r) return r;
    return rest ? feedBody(rest) : '';
  }

  function feedBody(chunk: string): string {
    let s = chunk;
    while (s.length) {
      if (phase === 'body') {
        const take = length >= 0 ? Math.min(length - body.length, s.length) : s.length;
        body += s.substring(0, take);
        s = s.substring(take);
        if (body.length > maxBodyBytes) return 'NET_TOO_LARGE';
        if (length >= 0 && body.length === length) {
          phase = 'done';
          return 'done';
        }
        continue;
      }
      if (phase === 'size' || phase === 'dataEnd' || phase === 'trailer') {
        buf += s;
        s = '';
        const nl = buf.indexOf('\r\n');
        if (nl < 0) return buf.length > 64 && phase !== 'trailer' ? 'NET_PROTOCOL' : '';
        const line = buf.substring(0, nl);
        s = buf.substring(nl + 2);
        buf = '';
        if (phase === 'dataEnd') {
          if (line !== '') return 'NET_PROTOCOL';
          phase = 'size';
        } else if (phase === 'trailer') {
          if (line === '') {
            phase = 'done';
            return 'done';
          }
        } else {
          const semi = line.indexOf(';');
          const hex = (semi >= 0 ? line.substring(0, semi) : line).trim();
          const n = parseInt(hex, 16);
          if (!(n >= 0) || hex.length === 0 || hex.length > 6) return 'NET_PROTOCOL';
          if (body.length + n > maxBodyBytes) return 'NET_TOO_LARGE';
          chunkLeft = n;
          phase = n === 0 ? 'trailer' : 'data';
        }
        continue;
      }
      if (phase === 'data') {
        const take = Math.min(chunkLeft, s.length);
        body += s.substring(0, take);
        s = s.substring(take);
        chunkLeft -= take;
        if (chunkLeft === 0) phase = 'dataEnd';
        continue;
      }
      return phase === 'done' ? 'done' : 'NET_PROTOCOL';
    }
    return '';
  }

  return {
    feed(chunk: string): string {
      if (phase === 'done') return 'done';
      if (phase === 'head') {
        buf += chunk;
        return parseHead();
      }
      return feedBody(chunk);
    },
    close(): string {
      if (phase === 'done') return 'done';
      if (phase === 'body' && length < 0) {
        phase = 'done';
        return 'done';
      }
      return 'NET_RESET';
    },
    response(): HttpResponse {
      return { statusCode: status, headers: headers, body: body };
    },
  };
}

/** The request as it goes on the wire (Content-Length always set; Connection: close). */
export function serializeRequest(r: HttpRequest): string {
  const defaultPort = r.tls ? 443 : 80;
  let head = r.method + ' ' + r.path + ' HTTP/1.1\r\nHost: ' + r.host + (r.port === defaultPort ? '' : ':' + r.port) + '\r\n';
  const names = Object.keys(r.headers);
  for (let i = 0; i < names.length; i++) {
    const n = names[i].toLowerCase();
    if (n === 'host' || n === 'content-length' || n === 'connection') continue;
    head += names[i] + ': ' + r.headers[names[i]] + '\r\n';
  }
  if (r.method !== 'GET' || r.body.length) head += 'Content-Length: ' + r.body.length + '\r\n';
  return head + 'Connection: close\r\n\r\n' + r.body;
}

/**
 * The concatenated DER chain as NUL-terminated PEM: mbedTLS parses every certificate of a PEM buffer
 * but only the first of a DER one, and the DSS must see the whole chain to reach its root.
 */
export function derChainToPem(der: string): string {
  let pem = '';
  let off = 0;
  while (off + 4 <= der.length && der.charCodeAt(off) === 0x30) {
    const l0 = der.charCodeAt(off + 1);
    let head = 2;
    let len = l0;
    if (l0 & 0x80) {
      const n = l0 & 0x7f;
      if (n < 1 || n > 3) break;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + der.charCodeAt(off + 2 + i);
      head = 2 + n;
    }
    if (off + head + len > der.length) break;
    const b64 = btoa(der.substring(off, off + head + len));
    pem += '-----BEGIN CERTIFICATE-----\n';
    for (let i = 0; i < b64.length; i += 64) pem += b64.substring(i, i + 64) + '\n';
    pem += '-----END CERTIFICATE-----\n';
    off += head + len;
  }
  return pem + '\0';
}

/** A short fingerprint of the DER chain (length and a 32-bit sum), the first line of the cache file. */
export function chainTag(der: string): string {
  let h = 0;
  for (let i = 0; i < der.length; i++) h = ((h * 31) + der.charCodeAt(i)) % 4294967291;
  return '#' + der.length + ':' + h + '\n';
}

/**
 * The certificate chain as PEM for mbedTLS, from a Storage cache that is rebuilt whenever the DER
 * chain changes (a reflash). On the ESP32 Storage.read is memory-mapped, so the ~5 KB PEM costs no
 * JS variables per connection; mbedTLS skips the tag line before "-----BEGIN".
 */
export function chainPem(S: any, der: string): string {
  const tag = chainTag(der);
  const cached = S.read(FILES.certPem);
  if (cached !== undefined && cached.substring(0, tag.length) === tag) return cached;
  const pem = tag + derChainToPem(der);
  try {
    if (S.write(FILES.certPem, pem)) {
      const again = S.read(FILES.certPem);
      if (again !== undefined) return again;
    }
  } catch (e) {
    // Storage full: use the string built in RAM
  }
  return pem;
}

function classifySocketError(e: any, tls: boolean, connected: boolean): string {
  const text = String(e && e.message ? e.message : e).toLowerCase();
  if (text.indexOf('host') >= 0 || text.indexOf('dns') >= 0 || text.indexOf('resolve') >= 0) return 'NET_DNS';
  if (text.indexOf('unable to create socket') >= 0) return 'NET_CONNECT';
  if (tls && (text.indexOf('https') >= 0 || text.indexOf('ssl') >= 0 || text.indexOf('tls') >= 0 || text.indexOf('cert') >= 0 || text.indexOf('handshake') >= 0)) {
    return 'NET_TLS';
  }
  return connected ? 'NET_RESET' : tls ? 'NET_TLS' : 'NET_CONNECT';
}

export function createHttp(deps: { storage: StorageService; crypto?: CryptoService; log: LogService }): HttpService {
  function tlsOptions(r: HttpRequest): any {
    // DER strings straight from Storage (memory-mapped on the ESP32: no copy in JS variables)
    const S = require('Storage');
    const o: any = { host: r.host, port: r.port };
    const key = S.read(FILES.deviceKey);
    const cert = S.read(FILES.certChain);
    if (key !== undefined) o.key = key;
    if (cert !== undefined) o.cert = chainPem(S, cert);
    // FILES.dssRoots: the roots a verifying TLS build checks the DSS against (PEM ending in NUL, or
    // one DER certificate); without it the firmware's built-in roots apply (stock: none checked)
    const ca = S.read(FILES.dssRoots);
    if (ca !== undefined) o.ca = ca;
    return o;
  }

  function execute(opts: { request: HttpRequest; maxBodyBytes: number; onDone: OnDone<HttpResponse> }): void {
    const r = opts.request;
    const parser = createResponseParser(opts.maxBodyBytes);
    let finished = false;
    let connected = false;
    let sock: any = null;
    let timer: any = null;

    function finish(code: string, message: string): void {
      if (finished) return;
      finished = true;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      if (sock) {
        try {
          sock.end();
        } catch (e) {
          // already closed
        }
      }
      if (code === 'done') {
        const res = parser.response();
        setTimeout(() => opts.onDone(null, res), 0);
        return;
      }
      const err: HalError = { code: code, message: message + ' (' + r.host + ':' + r.port + ')' };
      setTimeout(() => opts.onDone(err, null), 0);
    }

    timer = setTimeout(() => {
      timer = null; // Espruino throws "Unknown Timeout" when a fired timer is cleared
      finish('NET_TIMEOUT', 'no complete answer in ' + r.timeoutMs + ' ms');
    }, r.timeoutMs);
    try {
      // the TLS stack draws from Espruino's LCG: give it fresh DRBG output before every handshake
      if (r.tls) reseedFirmwareRng();
      const mod = require(r.tls ? 'tls' : 'net');
      const options = r.tls ? tlsOptions(r) : { host: r.host, port: r.port };
      sock = mod.connect(options, () => {
        connected = true;
        if (!finished) sock.write(serializeRequest(r));
      });
      sock.on('data', (d: any) => {
        if (finished) return;
        const res = parser.feed(typeof d === 'string' ? d : String(d));
        if (res === 'done') finish('done', '');
        else if (res) finish(res, res === 'NET_TOO_LARGE' ? 'response body over ' + opts.maxBodyBytes + ' bytes' : 'malformed HTTP response');
      });
      sock.on('close', () => {
        if (finished) return;
        const res = parser.close();
        finish(res, connected ? 'connection closed before the response was complete' : 'connection failed');
      });
      sock.on('error', (e: any) => {
        finish(classifySocketError(e, r.tls, connected), 'socket error: ' + String(e && e.message ? e.message : e));
      });
    } catch (e) {
      // Espruino throws on a DNS failure ("Unable to locate host"), a refused connect and bad TLS material
      finish(classifySocketError(e, r.tls, false), 'cannot open a connection: ' + String(e && (e as any).message ? (e as any).message : e));
    }
  }

  return { execute: execute };
}
