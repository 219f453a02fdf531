// The simulated Device Setup Service: a real HTTPS server on 127.0.0.1 with client-certificate
// authentication, speaking the operations of wss-protocol.md §3.5 with compact key-sorted JSON, every
// body signed with the device-type key (§3.3), a customer "Wi-Fi locker" that hands out only the
// networks the device posted (§8, certification rule), a state machine driven by `report`, strict
// request checks (a 400 that names the problem), and faults on demand.
//
// Two listeners: the one the world routes to for port 443, and the provisioner's transparent relay
// for port 8888 (§3.2 [inference]: TLS stays end to end with the DSS).
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { createHash, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { VirtualClock } from '../clock.ts';
import type { Timeline } from '../timeline.ts';
import { Rng } from '../rng.ts';
import { DSS_DEFAULT_HOST, type WssPki } from './test-pki.ts';
import { authMaterialIndexOf, decodeSetupSsid, sortedJson, unquoteSsid } from './wss-codec.ts';

export type Security = 'OPEN' | 'WPA_PSK' | 'WEP' | 'OTHER';

export interface SavedNetwork {
  ssid: string;
  securityProtocol: Security;
  /** passphrase (WPA) or key (WEP); absent for OPEN */
  key?: string;
  keyIndex?: number;
  /** lower = tried first (the DSS lists WPA first, then by priority) */
  priority?: number;
}

export interface DssAccount {
  networks: SavedNetwork[];
  /** when set, the DSS asks for PIN-based setup and checks hashedPin against it */
  pin?: string;
}

export const FAULT_KINDS = [
  'drop', // close the connection without answering
  'stall', // never answer; the device's own timeout must fire (virtual time runs)
  'status', // answer with `status` (4xx/5xx); body {"message"} signed unless signed:false
  'badSignature', // a valid-looking DER signature over other bytes
  'tamper', // sign the body, then change one value in it
  'duplicateSignature', // two x-amzn-dss-signature headers
  'noSignature', // no x-amzn-dss-signature header
  'redirect', // 307 or 308 with Location https://<location>/api/v1/<op>
  'canProceedFalse', // a normal answer with canProceed:false
  'unknownState', // report answers nextProvisioningState it never defined
  'malformed', // signed body that is not JSON
  'huge', // signed body of `size` bytes (default 64 KiB)
  'trailingNewline', // signed body, then "\n" appended (the signature no longer matches)
  // after the request was processed (the DSS's state moved on):
  'lostAnswer', // the answer never arrives: the connection closes (the device re-sends the same request)
  'staleAnswer', // an earlier signed answer instead (this device's last one of the same operation, else its last one)
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface DssFault {
  /** operation name (report, getWifiCredentials...) or '*' */
  op: string;
  /** only report calls for this currentProvisioningState */
  state?: string;
  /** first matching call it strikes (1-based, counting every matching call); default 1 */
  call?: number;
  /** how many consecutive matching calls it strikes; default 1; 0 = every one from `call` on */
  times?: number;
  do: FaultKind;
  status?: number;
  signed?: boolean;
  location?: string;
  stallMs?: number;
  size?: number;
}

export interface DssOptions {
  pki: WssPki;
  clock: VirtualClock;
  timeline: Timeline;
  /** seed for session ids, salts, nonces */
  seed?: number | string;
  /** host names this DSS answers for (default dp-sps-na.amazon.com) */
  hosts?: string[];
  /** refuse a TLS ClientHello whose SNI is not one of `hosts` (production is reported to) */
  requireSni?: boolean;
  account?: DssAccount;
  faults?: DssFault[];
  /** extra computeConfigurationData values */
  configuration?: Record<string, string | boolean>;
  registrationDetails?: { registrationToken: string; expiresInMs: number };
  /** credentials returned per getWifiCredentials page (default: all) */
  credentialsPageSize?: number;
  /** impostor mode: sign with this key and serve this certificate instead of the real ones */
  impostor?: { signingKeyPem: string; certPem: string; keyPem: string };
  /** root the DSS trusts for client certificates (default: the pki's DHA root + intermediates) */
  clientCaPem?: string[];
  /** the device's real I/O hold must be released (stall): called with the client's local port */
  onStall?: (clientPort: number) => void;
  /** virtual-time start of the epoch for Time.UTC (default 2026-01-01T00:00:00Z) */
  epochMs?: number;
}

export interface DssCall {
  t: number;
  port: 443 | 8888;
  op: string;
  status: number;
  request: unknown;
  response: string;
  fault?: FaultKind;
  signed: 'valid' | 'bad' | 'none' | 'duplicate' | 'tampered';
}

export interface AttemptRecord {
  ssid: string;
  securityProtocol: string;
  wifiConnectionState: string;
  errorDetails?: Record<string, string>;
}

interface Session {
  id: string;
  deviceKeyHex: string;
  salt: string;
  state: string; // the state the DSS expects the next report for
  posted: Map<string, string>; // ssid -> security
  scanSeq: number;
  credSeq: number;
  credsServed: number;
  reportSeq: number;
  /** the last report processed and its answer: a re-send with the same sequence number gets it again */
  lastReport?: { seq: number; state: string; result: string; answer: Record<string, unknown> };
  /** first entry of the last getWifiCredentials page (a repeated page is the same page) */
  credStart: number;
  pinOk: boolean;
  failed: boolean;
  done: boolean;
  nonce: string;
  superseded?: boolean;
}

export const PROVISIONING_STATES = [
  'NOT_PROVISIONED', 'START_PROVISIONING', 'START_PIN_BASED_SETUP', 'COMPUTE_CONFIGURATION', 'POST_WIFI_SCAN_DATA',
  'GET_WIFI_LIST', 'CONNECTING_TO_USER_NETWORK', 'CONNECTED_TO_USER_NETWORK', 'DONE',
];
const CONNECTION_STATES = ['IDLE', 'DISCONNECTED', 'UNAUTHENTICATED', 'AUTHENTICATED', 'ASSOCIATED', 'FAILED'];
const REGISTRATION_STATES = ['NOT_REGISTERED', 'IN_PROGRESS', 'COMPLETE', 'FAILED'];
const SECURITIES = ['OPEN', 'WPA_PSK', 'WEP', 'OTHER'];
const NONCE_RE = /^[A-Za-z0-9+/]{31}$/;
const BSSID_RE = /^[0-9A-F]{2}(:[0-9A-F]{2}){5}$/;
const ERROR_CODE_RE = /^\d+:\d+:\d+:\d+$/;

const P256_SPKI_PREFIX = '3059301306072a8648ce3d020106082a8648ce3d030107034200';

class Reject extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export class DssServer {
  readonly hosts: string[];
  readonly calls: DssCall[] = [];
  /** every connection attempt the device reported, in order */
  readonly attempts: AttemptRecord[] = [];
  /** devices that reached DONE (public key hex) */
  readonly provisioned = new Set<string>();
  private servers = new Map<443 | 8888, https.Server>();
  private ports = new Map<443 | 8888, number>();
  private sessions = new Map<string, Session>();
  private counters = new Map<string, number>();
  private nonces = new Set<string>();
  private rng: Rng;
  private signingKey: KeyObject;
  private account: DssAccount;
  private openSockets = new Set<TLSSocket>();

  constructor(readonly opts: DssOptions) {
    this.hosts = opts.hosts && opts.hosts.length ? opts.hosts : [DSS_DEFAULT_HOST];
    this.rng = new Rng(opts.seed ?? 'dss');
    this.signingKey = createPrivateKey(opts.impostor ? opts.impostor.signingKeyPem : opts.pki.deviceType.privateKeyPem);
    this.account = opts.account ?? { networks: [] };
  }

  /** The real loopback port behind a virtual DSS port. */
  realPort(port: 443 | 8888): number {
    const p = this.ports.get(port);
    if (p === undefined) throw new Error('dss: not started');
    return p;
  }

  async start(): Promise<void> {
    for (const label of [443, 8888] as const) {
      const server = https.createServer(
        {
          cert: this.opts.impostor ? this.opts.impostor.certPem : this.opts.pki.serverCertPem,
          key: this.opts.impostor ? this.opts.impostor.keyPem : this.opts.pki.serverKeyPem,
          ca: this.opts.clientCaPem ?? [this.opts.pki.dhaRootPem, ...this.opts.pki.dhaIntermediatesPem],
          requestCert: true,
          rejectUnauthorized: true,
          minVersion: 'TLSv1.2',
          SNICallback: (name, cb) => {
            this.emit('tls', `:${label} ClientHello server name ${JSON.stringify(name)}`, { serverName: name, port: label });
            if (this.opts.requireSni && !this.hosts.includes(name)) {
              this.emit('tls', `:${label} refused: server name ${JSON.stringify(name)} is not ${this.hosts[0]}`, { serverName: name });
              cb(new Error('unrecognized server name'), undefined);
              return;
            }
            cb(null, undefined);
          },
        },
        (req, res) => this.onRequest(label, req, res),
      );
      server.on('tlsClientError', (err) => {
        this.emit('tls', `:${label} handshake failed: ${err.message}`, { error: err.message });
      });
      server.on('secureConnection', (sock: TLSSocket) => {
        this.openSockets.add(sock);
        sock.on('close', () => this.openSockets.delete(sock));
      });
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      this.ports.set(label, (server.address() as AddressInfo).port);
      this.servers.set(label, server);
    }
  }

  async stop(): Promise<void> {
    for (const s of this.openSockets) s.destroy();
    await Promise.all([...this.servers.values()].map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.servers.clear();
  }

  private emit(kind: string, summary: string, fields?: Record<string, unknown>): void {
    this.opts.timeline.emit({ actor: 'dss', kind, summary, fields });
  }

  // ---------------------------------------------------------------- request handling

  private onRequest(port: 443 | 8888, req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('latin1');
      try {
        this.handle(port, req, res, raw);
      } catch (e) {
        this.emit('error', `internal error: ${(e as Error).message}`);
        if (!res.headersSent) this.send(port, res, 'internal', null, 500, sortedJson({ message: 'internal' }), 'valid');
      }
    });
  }

  private deviceKeyHex(req: IncomingMessage): string {
    const cert = (req.socket as TLSSocket).getPeerCertificate(false);
    const pub = cert && (cert as { pubkey?: Buffer }).pubkey;
    if (!pub || pub.length === 0) throw new Reject(403, 'no client certificate');
    // a P-256 point (65 bytes) -> its SubjectPublicKeyInfo DER (fixed 26-byte prefix)
    if (pub.length === 65) return P256_SPKI_PREFIX + pub.toString('hex');
    const x = (req.socket as TLSSocket).getPeerX509Certificate();
    if (!x) throw new Reject(403, 'no client certificate');
    return (x.publicKey.export({ type: 'spki', format: 'der' }) as Buffer).toString('hex');
  }

  private handle(port: 443 | 8888, req: IncomingMessage, res: ServerResponse, raw: string): void {
    const url = req.url || '';
    const m = /^\/{1,2}api\/v1\/([A-Za-z]+)$/.exec(url);
    const op = m ? m[1] : url;
    const n = (this.counters.get(op) ?? 0) + 1;
    this.counters.set(op, n);
    let body: Record<string, unknown> | null = null;
    let answer: { status: number; obj: Record<string, unknown> } | null = null;
    try {
      this.currentDevice = this.deviceKeyHex(req);
    } catch {
      this.currentDevice = '';
    }
    try {
      if (req.method !== 'POST') throw new Reject(405, `method ${req.method} (the DSS takes POST only)`);
      if (!m) throw new Reject(404, `unknown path ${url}`);
      if (raw.length === 0) {
        throw new Reject(400, `empty body (Content-Length ${req.headers['content-length'] ?? 'missing'}; Espruino's http client adds no Content-Length by itself)`);
      }
      try {
        body = JSON.parse(raw);
      } catch {
        throw new Reject(400, 'body is not JSON');
      }
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Reject(400, 'body is not a JSON object');
      const fault = this.pickFault(op, body);
      if (fault && this.applyEarlyFault(port, op, fault, req, res, body)) return;
      answer = { status: 200, obj: this.operate(op, this.deviceKeyHex(req), body) };
      const text = sortedJson(answer.obj);
      const key = this.currentDevice + ' ' + op;
      const stale = this.lastAnswers.get(key) ?? this.lastAnswers.get(this.currentDevice);
      this.lastAnswers.set(key, text);
      this.lastAnswers.set(this.currentDevice, text);
      if (fault?.do === 'lostAnswer') {
        this.record(port, op, body, 0, '', 'none', fault.do);
        this.emit('fault', `${op}: processed, then the answer was lost (connection closed)`, { op, fault: fault.do });
        (req.socket as TLSSocket).destroy();
        return;
      }
      if (fault?.do === 'staleAnswer' && stale) this.emit('fault', `${op}: processed, answered with an earlier answer`, { op, fault: fault.do });
      this.send(port, res, op, body, answer.status, fault?.do === 'staleAnswer' && stale ? stale : text, 'valid', fault ?? undefined);
    } catch (e) {
      if (!(e instanceof Reject)) throw e;
      this.emit('reject', `${op}: ${e.status} ${e.message}`, { op, status: e.status });
      this.send(port, res, op, body, e.status, sortedJson({ message: e.message }), 'valid');
    }
  }

  private pickFault(op: string, body: Record<string, unknown>): DssFault | null {
    let hit: DssFault | null = null;
    (this.opts.faults ?? []).forEach((f, i) => {
      if (f.op !== '*' && f.op !== op) return;
      if (f.state && body.currentProvisioningState !== f.state) return;
      const key = `fault:${i}`;
      const seen = (this.counters.get(key) ?? 0) + 1; // every matching call counts, for every fault
      this.counters.set(key, seen);
      const first = f.call ?? 1;
      const times = f.times ?? 1;
      if (!hit && seen >= first && (times === 0 || seen < first + times)) hit = f;
    });
    return hit;
  }

  /** Faults that replace the whole answer. true = handled. */
  private applyEarlyFault(port: 443 | 8888, op: string, f: DssFault, req: IncomingMessage, res: ServerResponse,
    body: Record<string, unknown>): boolean {
    const sock = req.socket as TLSSocket;
    switch (f.do) {
      case 'drop':
        this.record(port, op, body, 0, '', 'none', f.do);
        this.emit('fault', `${op}: dropped the connection`, { op, fault: f.do });
        sock.destroy();
        return true;
      case 'stall': {
        const ms = f.stallMs ?? 60000;
        this.record(port, op, body, 0, '', 'none', f.do);
        this.emit('fault', `${op}: stalling (no answer; closing after ${ms} ms)`, { op, fault: f.do });
        this.opts.onStall?.(sock.remotePort ?? 0);
        this.opts.clock.setTimer(() => sock.destroy(), ms, 'dss');
        return true;
      }
      case 'status': {
        const status = f.status ?? 500;
        const text = sortedJson({ message: status >= 500 ? 'Service unavailable (simulated)' : 'Bad request (simulated)' });
        this.send(port, res, op, body, status, text, f.signed === false ? 'none' : 'valid', f);
        return true;
      }
      case 'redirect': {
        const status = f.status ?? 307;
        const host = f.location ?? this.hosts[0];
        this.record(port, op, body, status, '', 'none', f.do);
        this.emit('http', `:${port} ${op} -> ${status} Location https://${host}/api/v1/${op}`, { op, status, location: host });
        res.sendDate = false;
        res.writeHead(status, { Location: `https://${host}/api/v1/${op}`, 'Content-Length': '0', Connection: 'close' });
        res.end();
        return true;
      }
      default:
        return false; // applied to the normal answer in send()
    }
  }

  private send(port: 443 | 8888, res: ServerResponse, op: string, request: unknown, status: number, text: string,
    sig: 'valid' | 'none', fault?: DssFault): void {
    let bodyText = text;
    let signature: string | null = null;
    let signed: DssCall['signed'] = sig;
    const f = fault?.do;
    if (f === 'canProceedFalse' || f === 'unknownState') {
      const obj = JSON.parse(bodyText);
      if (f === 'canProceedFalse') obj.canProceed = false;
      else obj.nextProvisioningState = 'TELEPORTING_TO_USER_NETWORK';
      bodyText = sortedJson(obj);
    }
    if (f === 'malformed') bodyText = bodyText.slice(0, Math.max(1, bodyText.length - 7)) + '",,]';
    if (f === 'huge') {
      const size = fault!.size ?? 65536;
      const obj = JSON.parse(text);
      obj.padding = 'x'.repeat(Math.max(0, size - text.length - 14));
      bodyText = sortedJson(obj);
    }
    if (sig === 'valid' && f !== 'noSignature') {
      signature = this.sign(bodyText);
      signed = 'valid';
    }
    if (f === 'noSignature') signed = 'none';
    if (f === 'badSignature') {
      signature = this.sign(bodyText + ' ');
      signed = 'bad';
    }
    if (f === 'tamper') {
      // change one value after signing: the first "true" becomes "fals", or a letter of a string flips
      const i = bodyText.indexOf(':"') + 2;
      bodyText = bodyText.slice(0, i) + (bodyText[i] === 'A' ? 'B' : 'A') + bodyText.slice(i + 1);
      signed = 'tampered';
    }
    if (f === 'trailingNewline') {
      bodyText += '\n';
      signed = 'tampered';
    }
    const headers: Array<[string, string]> = [['Content-Type', 'application/json']];
    if (signature) headers.push(['x-amzn-dss-signature', signature]);
    if (f === 'duplicateSignature' && signature) {
      headers.push(['x-amzn-dss-signature', this.sign(bodyText + '  ')]);
      signed = 'duplicate';
    }
    headers.push(['x-amzn-RequestId', this.uuid()]);
    const bytes = Buffer.from(bodyText, 'latin1');
    headers.push(['Content-Length', String(bytes.length)]);
    headers.push(['Connection', 'close']);
    // writeHead with a flat [name, value, name, value...] list keeps duplicates and the case as given
    res.sendDate = false;
    res.writeHead(status, headers.flat() as unknown as Record<string, string>);
    res.end(bytes);
    this.record(port, op, request, status, bodyText, signed, f);
    const obj = safeParse(bodyText);
    const next = obj && typeof obj.nextProvisioningState === 'string' ? ' ' + obj.nextProvisioningState : '';
    const state = request && typeof (request as any).currentProvisioningState === 'string'
      ? ` ${(request as any).currentProvisioningState} ${(request as any).stateTransitionResult}` : '';
    this.emit('http', `:${port} ${op}${state} -> ${status}${next}${obj && obj.canProceed === false ? ' canProceed:false' : ''}` +
      ` (${signed === 'valid' ? 'signed' : signed === 'none' ? 'UNSIGNED' : signed.toUpperCase() + ' signature'}${f ? ', fault ' + f : ''})`,
      { op, port, status, request: redactRequest(request), response: redactKeys(bodyText.length > 2000 ? bodyText.slice(0, 2000) + '…' : bodyText), signed, fault: f });
  }

  private record(port: 443 | 8888, op: string, request: unknown, status: number, response: string,
    signed: DssCall['signed'], fault?: FaultKind): void {
    const t = this.opts.clock.now();
    this.calls.push({ t, port, op, status, request, response, signed, fault });
    // Make the device's retry policy visible: how long after a failed exchange the same call came back,
    // and whether a 4xx request was sent again unchanged (the guide: never).
    const key = this.currentDevice + ' ' + op;
    const prev = this.lastCall.get(key);
    const sameInput = prev !== undefined && withoutNonce(prev.request) === withoutNonce(request);
    if (prev && prev.why) {
      this.emit('retry', `${op} again ${((t - prev.t) / 1000).toFixed(2)} s after ${prev.why}`, { op, afterMs: t - prev.t, after: prev.why });
      if (prev.status >= 400 && prev.status < 500 && sameInput) {
        this.emit('resent', `${op} resent unchanged after ${prev.status} (the guide: never resend the same input after a 4xx)`, { op });
      }
    }
    const why = status === 0 ? (fault === 'stall' ? 'no answer' : 'dropped connection')
      : status >= 400 ? String(status)
      : signed !== 'valid' ? `${signed} signature`
      : fault === 'malformed' || fault === 'huge' || fault === 'canProceedFalse' || fault === 'unknownState' ? fault
      : status === 307 || status === 308 ? `redirect ${status}` : '';
    this.lastCall.set(key, { t, status, why, request });
  }

  private currentDevice = '';
  /** DONE sessions per device (a factory-reset device provisions again: #2) */
  private doneCount = new Map<string, number>();

  /** How the DSS sees an attempted network: this device's encoded setup SSID, the fallback, or a user network. */
  private networkKind(device: string, ssid: string, s: Session): string {
    if (ssid === 'simple_setup') return 'setup network ';
    try {
      const d = decodeSetupSsid(ssid);
      if (d.authMaterialIndex.equals(authMaterialIndexOf(Buffer.from(device, 'hex')))) return 'encoded setup network ';
    } catch {
      // not an encoded SSID
    }
    return s.posted.has(ssid) ? 'user network ' : '';
  }
  /** the last answer body per `${device} ${op}` and per device (for staleAnswer) */
  private lastAnswers = new Map<string, string>();
  private lastCall = new Map<string, { t: number; status: number; why: string; request: unknown }>();

  /** ECDSA P-256 / SHA-256, DER, base64 over the exact body bytes (§3.3). */
  sign(bodyText: string): string {
    return sign('sha256', Buffer.from(bodyText, 'latin1'), { key: this.signingKey, dsaEncoding: 'der' }).toString('base64');
  }

  private uuid(): string {
    const b = Buffer.from(this.rng.bytes(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = b.toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  private nonce(): string {
    return Buffer.from(this.rng.bytes(24)).toString('base64').slice(0, 31);
  }

  // ---------------------------------------------------------------- operations (§3.5)

  private operate(op: string, device: string, body: Record<string, unknown>): Record<string, unknown> {
    checkNonce(body);
    const seenKey = device + ' ' + (body.nonce as string);
    if (this.nonces.has(seenKey)) this.emit('warn', `${op}: nonce ${body.nonce} reused (every call needs a fresh one)`, { op });
    this.nonces.add(seenKey);
    if (op === 'startProvisioningSession') return this.startSession(device);
    const s = this.session(device, body, op === 'report' ? body.sequenceNumber : undefined);
    if (s.lastReport && op === 'report' && body.sequenceNumber === s.lastReport.seq) return this.repeatedReport(s, body);
    checkDeviceDetails(body);
    switch (op) {
      case 'startPinBasedSetup':
        return this.pinSetup(s, body);
      case 'computeConfigurationData':
        return this.computeConfiguration(s);
      case 'postWifiScanData':
        return this.postScan(s, body);
      case 'getWifiCredentials':
        return this.getCredentials(s, body);
      case 'report':
        return this.report(s, device, body);
      default:
        throw new Reject(404, `unknown operation ${op}`);
    }
  }

  private startSession(device: string): Record<string, unknown> {
    const s: Session = {
      id: 'amzn1.ffs.wss-wifi-session-id.' + this.uuid(),
      deviceKeyHex: device,
      salt: Buffer.from(this.rng.bytes(12)).toString('base64'),
      state: 'START_PROVISIONING',
      posted: new Map(),
      scanSeq: 0,
      credSeq: 0,
      credsServed: 0,
      credStart: 0,
      reportSeq: 0,
      pinOk: false,
      failed: false,
      done: false,
      nonce: this.nonce(),
    };
    for (const old of this.sessions.values()) {
      if (old.deviceKeyHex === device && !old.done && !old.failed && !old.superseded) {
        old.superseded = true;
        this.emit('session', `session ${old.id.slice(-12)} superseded by a new one (the device started over)`);
      }
    }
    this.sessions.set(s.id, s);
    const ami = authMaterialIndexOf(Buffer.from(device, 'hex')).toString('hex');
    this.emit('session', `new session for device ${ami}`, { sessionId: s.id, device: ami });
    return { canProceed: true, nextProvisioningState: 'START_PROVISIONING', nonce: this.nonce(), salt: s.salt, sessionId: s.id };
  }

  /** The request's session; a finished one only for a re-sent last report (`reportSeq` its number). */
  private session(device: string, body: Record<string, unknown>, reportSeq?: unknown): Session {
    const id = body.sessionId;
    if (typeof id !== 'string') throw new Reject(400, 'sessionId missing');
    const s = this.sessions.get(id);
    if (!s) throw new Reject(400, `unknown sessionId ${id}`);
    if (s.deviceKeyHex !== device) throw new Reject(403, 'sessionId belongs to another device certificate');
    if (s.lastReport && reportSeq === s.lastReport.seq && !s.superseded) return s;
    if (s.done) throw new Reject(400, 'session already DONE');
    if (s.failed) throw new Reject(400, 'session already failed');
    if (s.superseded) throw new Reject(400, `sessionId ${id} was superseded by a newer session of this device`);
    return s;
  }

  private pinSetup(s: Session, body: Record<string, unknown>): Record<string, unknown> {
    const pin = this.account.pin;
    if (typeof body.hashedPin !== 'string') throw new Reject(400, 'hashedPin missing');
    const expected = pin === undefined ? '' : createHash('sha256').update(pin + s.salt, 'latin1').digest('base64');
    s.pinOk = pin !== undefined && body.hashedPin === expected;
    this.emit('pin', s.pinOk ? 'hashedPin matches' : 'hashedPin does NOT match');
    return { canProceed: s.pinOk, nonce: this.nonce(), sessionId: s.id };
  }

  private computeConfiguration(s: Session): Record<string, unknown> {
    const epoch = this.opts.epochMs ?? Date.UTC(2026, 0, 1);
    const configuration: Record<string, string | boolean> = {
      'FFS.SessionToken': 'amzn1.ffs.wss-wifi-session-token.' + this.uuid(),
      'LocaleConfiguration.LanguageLocale': 'en_US',
      'LocaleConfiguration.Marketplace': 'ATVPDKIKX0DER',
      'SmartHome.AlexaEventGatewayEndpoint': 'api.amazonalexa.com',
      'Time.UTC': new Date(epoch + this.opts.clock.now()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      ...(this.opts.configuration ?? {}),
    };
    // the real answer also carries nextProvisioningState (wss-protocol.md §3.5): the state in progress
    const out: Record<string, unknown> = { canProceed: true, configuration, nextProvisioningState: s.state, nonce: this.nonce(), sessionId: s.id };
    const reg = this.opts.registrationDetails;
    if (reg) {
      out.registrationDetails = { expiresAt: (this.opts.epochMs ?? Date.UTC(2026, 0, 1)) + this.opts.clock.now() + reg.expiresInMs,
        registrationToken: reg.registrationToken };
    }
    return out;
  }

  private matches(s: Session): SavedNetwork[] {
    return this.account.networks.filter((n) => s.posted.has(n.ssid));
  }

  private postScan(s: Session, body: Record<string, unknown>): Record<string, unknown> {
    const seq = body.sequenceNumber;
    if (typeof seq !== 'number' || !Number.isInteger(seq)) throw new Reject(400, 'sequenceNumber missing or not an integer');
    if (seq !== s.scanSeq + 1 && seq !== s.scanSeq) {
      throw new Reject(400, `postWifiScanData sequenceNumber ${seq}, expected ${s.scanSeq + 1} (starts at 1)`);
    }
    const list = body.wifiScanDataList;
    if (!Array.isArray(list)) throw new Reject(400, 'wifiScanDataList missing');
    list.forEach((e, i) => {
      if (!e || typeof e !== 'object') throw new Reject(400, `wifiScanDataList[${i}] is not an object`);
      const ssid = unquoteSsid(e.ssid);
      if (ssid === null) throw new Reject(400, `wifiScanDataList[${i}].ssid must be wrapped in literal quotes, got ${JSON.stringify(e.ssid)}`);
      if (ssid === '') throw new Reject(400, `wifiScanDataList[${i}] is a hidden network (empty SSID): not to be posted`);
      if (!SECURITIES.includes(e.securityProtocol)) throw new Reject(400, `wifiScanDataList[${i}].securityProtocol ${JSON.stringify(e.securityProtocol)}`);
      if (e.bssid !== undefined && (typeof e.bssid !== 'string' || !BSSID_RE.test(e.bssid))) {
        throw new Reject(400, `wifiScanDataList[${i}].bssid ${JSON.stringify(e.bssid)} is not AA:BB:CC:DD:EE:FF upper case`);
      }
      if (e.rssi !== undefined && typeof e.rssi !== 'number') throw new Reject(400, `wifiScanDataList[${i}].rssi is not a number`);
      if (e.frequency !== undefined && typeof e.frequency !== 'number') throw new Reject(400, `wifiScanDataList[${i}].frequency is not a number`);
      s.posted.set(ssid, e.securityProtocol);
    });
    s.scanSeq = seq;
    const found = this.matches(s).length;
    this.emit('locker', `postWifiScanData seq ${seq}: ${list.length} network(s) posted; ${found} of the customer's ${this.account.networks.length} saved network(s) seen`,
      { seq, posted: list.length, found });
    return {
      allCredentialsFound: found === this.account.networks.length && found > 0,
      canProceed: true,
      nonce: this.nonce(),
      sequenceNumber: seq,
      sessionId: s.id,
      totalCredentialsFound: found,
    };
  }

  private getCredentials(s: Session, body: Record<string, unknown>): Record<string, unknown> {
    const seq = body.sequenceNumber;
    if (typeof seq !== 'number' || !Number.isInteger(seq)) throw new Reject(400, 'sequenceNumber missing or not an integer');
    if (seq !== s.credSeq + 1 && seq !== s.credSeq) {
      throw new Reject(400, `getWifiCredentials sequenceNumber ${seq}, expected ${s.credSeq + 1} (starts at 1)`);
    }
    // Guide: most secure first (WPA, then WEP, then open), then the customer's priority.
    const rank = (n: SavedNetwork) => (n.securityProtocol === 'WPA_PSK' ? 0 : n.securityProtocol === 'WEP' ? 1 : 2);
    const all = this.matches(s).sort((a, b) => rank(a) - rank(b) || (a.priority ?? 0) - (b.priority ?? 0));
    const page = this.opts.credentialsPageSize ?? (all.length || 1);
    const start = seq === s.credSeq ? s.credStart : s.credsServed; // a repeated page is the same page
    const slice = all.slice(start, start + page);
    s.credSeq = seq;
    s.credStart = start;
    s.credsServed = start + slice.length;
    this.emit('locker', `getWifiCredentials seq ${seq}: ${slice.length} credential(s)${s.credsServed >= all.length ? ', all returned' : ', more to come'}`,
      { seq, returned: slice.map((n) => n.ssid) });
    return {
      allCredentialsReturned: s.credsServed >= all.length,
      canProceed: true,
      nonce: this.nonce(),
      sequenceNumber: seq,
      sessionId: s.id,
      wifiCredentialsList: slice.map((n, i) => ({
        frequency: 0,
        key: n.securityProtocol === 'OPEN' ? '' : `"${n.key ?? ''}"`,
        keyIndex: n.keyIndex ?? 0,
        priority: start + i,
        securityProtocol: n.securityProtocol,
        ssid: `"${n.ssid}"`,
      })),
    };
  }

  private report(s: Session, device: string, body: Record<string, unknown>): Record<string, unknown> {
    const state = body.currentProvisioningState;
    const result = body.stateTransitionResult;
    if (typeof state !== 'string' || !PROVISIONING_STATES.includes(state)) throw new Reject(400, `currentProvisioningState ${JSON.stringify(state)}`);
    if (result !== 'SUCCESS' && result !== 'FAILURE') throw new Reject(400, `stateTransitionResult ${JSON.stringify(result)}`);
    if (typeof body.registrationState !== 'string' || !REGISTRATION_STATES.includes(body.registrationState)) {
      throw new Reject(400, `registrationState ${JSON.stringify(body.registrationState)}`);
    }
    const seq = body.sequenceNumber;
    if (typeof seq !== 'number' || !Number.isInteger(seq) || seq < 1) throw new Reject(400, 'report sequenceNumber missing or < 1');
    // A report is applied once. Its sequence number comes from the client-wide counter (+1 per call,
    // +1 per report: wss-protocol.md §3.4), so a new report always carries a larger one; the same
    // number again is the same report re-sent (repeatedReport); a smaller one, or a report for a
    // state the session is not in, is refused like any bad input (400: the device does not resend).
    if (seq <= s.reportSeq) throw new Reject(400, `report sequenceNumber ${seq} after ${s.reportSeq}: the client-wide counter must grow`);
    if (state !== s.state) throw new Reject(400, `report for ${state} while the session is in ${s.state}`);
    s.reportSeq = seq;
    const infos = body.wifiNetworkInfoList;
    if (infos !== undefined) {
      if (!Array.isArray(infos)) throw new Reject(400, 'wifiNetworkInfoList is not an array');
      infos.forEach((a, i) => {
        if (!a || typeof a !== 'object') throw new Reject(400, `wifiNetworkInfoList[${i}] is not an object`);
        if (unquoteSsid(a.ssid) === null) throw new Reject(400, `wifiNetworkInfoList[${i}].ssid must be wrapped in literal quotes`);
        if (!SECURITIES.includes(a.securityProtocol)) throw new Reject(400, `wifiNetworkInfoList[${i}].securityProtocol ${JSON.stringify(a.securityProtocol)}`);
        if (!CONNECTION_STATES.includes(a.wifiConnectionState)) throw new Reject(400, `wifiNetworkInfoList[${i}].wifiConnectionState ${JSON.stringify(a.wifiConnectionState)}`);
        if (a.errorDetails !== undefined) {
          const ed = a.errorDetails;
          if (!ed || typeof ed !== 'object') throw new Reject(400, `wifiNetworkInfoList[${i}].errorDetails is not an object`);
          for (const k of Object.keys(ed)) if (typeof ed[k] !== 'string') throw new Reject(400, `wifiNetworkInfoList[${i}].errorDetails.${k} is not a string`);
          if (ed.code !== undefined && !ERROR_CODE_RE.test(ed.code)) throw new Reject(400, `wifiNetworkInfoList[${i}].errorDetails.code ${JSON.stringify(ed.code)}`);
        }
        const rec: AttemptRecord = { ssid: unquoteSsid(a.ssid)!, securityProtocol: a.securityProtocol, wifiConnectionState: a.wifiConnectionState,
          errorDetails: a.errorDetails };
        this.attempts.push(rec);
        this.emit('attempt', `in ${state} report: ${this.networkKind(device, rec.ssid, s)}${JSON.stringify(rec.ssid)} ${rec.wifiConnectionState}` +
          `${rec.errorDetails?.code ? ' ' + rec.errorDetails.code : ''}`, { ...rec, report: state });
      });
    }
    const answer = this.nextState(s, device, state, result);
    s.lastReport = { seq, state, result, answer };
    return answer;
  }

  /** The same report again (its answer was lost): the stored answer, nothing applied twice. */
  private repeatedReport(s: Session, body: Record<string, unknown>): Record<string, unknown> {
    const last = s.lastReport!;
    if (body.currentProvisioningState !== last.state || body.stateTransitionResult !== last.result) {
      throw new Reject(400, `report sequenceNumber ${last.seq} reused for another report (${body.currentProvisioningState} ${body.stateTransitionResult})`);
    }
    this.emit('repeat', `report ${last.state} sequenceNumber ${last.seq} again: the same answer, not applied twice`, { seq: last.seq });
    return last.answer;
  }

  private nextState(s: Session, device: string, state: string, result: unknown): Record<string, unknown> {
    let next: string | undefined;
    if (result === 'FAILURE') {
      s.failed = true;
      this.emit('state', `${state} FAILURE reported: session ends`, { state });
      return { canProceed: false, nonce: s.nonce, reason: `${state} failed`, sessionId: s.id };
    }
    switch (state) {
      case 'START_PROVISIONING':
        next = this.account.pin !== undefined ? 'START_PIN_BASED_SETUP' : 'COMPUTE_CONFIGURATION';
        break;
      case 'START_PIN_BASED_SETUP':
        next = s.pinOk ? 'COMPUTE_CONFIGURATION' : undefined;
        break;
      case 'COMPUTE_CONFIGURATION':
        next = 'POST_WIFI_SCAN_DATA';
        break;
      case 'POST_WIFI_SCAN_DATA':
        next = 'GET_WIFI_LIST';
        break;
      case 'GET_WIFI_LIST':
        next = 'CONNECTING_TO_USER_NETWORK';
        break;
      case 'CONNECTING_TO_USER_NETWORK':
        next = 'CONNECTED_TO_USER_NETWORK';
        break;
      case 'CONNECTED_TO_USER_NETWORK':
        next = 'DONE';
        s.done = true;
        this.provisioned.add(device);
        this.doneCount.set(device, (this.doneCount.get(device) ?? 0) + 1);
        this.emit('provisioned', `device ${authMaterialIndexOf(Buffer.from(device, 'hex')).toString('hex')} provisioned #${this.doneCount.get(device)}`);
        break;
      default:
        throw new Reject(400, `report for state ${state} is not expected`);
    }
    if (!next) return { canProceed: false, nonce: s.nonce, sessionId: s.id };
    s.state = next;
    this.emit('state', `${state} -> ${next}`, { state, next });
    return { canProceed: true, nextProvisioningState: next, nonce: s.nonce, sessionId: s.id };
  }
}

function checkNonce(body: Record<string, unknown>): void {
  if (typeof body.nonce !== 'string' || !NONCE_RE.test(body.nonce)) {
    throw new Reject(400, `nonce must be 31 base64 characters, got ${JSON.stringify(body.nonce)}`);
  }
}

function checkDeviceDetails(body: Record<string, unknown>): void {
  const d = body.deviceDetails;
  if (d === undefined) return;
  if (!d || typeof d !== 'object' || Array.isArray(d)) throw new Reject(400, 'deviceDetails is not an object');
  for (const [k, v] of Object.entries(d)) if (typeof v !== 'string') throw new Reject(400, `deviceDetails.${k} is not a string`);
}

/** The customer's Wi-Fi keys never reach the timeline or a trace page: `"key":"\"…\""` -> length only. */
export function redactKeys(body: string): string {
  return body.replace(/"key":"((?:[^"\\]|\\.)*)"/g, (_m, v: string) => `"key":"<${JSON.parse('"' + v + '"').replace(/^"|"$/g, '').length} characters, redacted>"`);
}

function redactRequest(request: unknown): unknown {
  if (!request || typeof request !== 'object' || !('hashedPin' in request)) return request;
  return { ...(request as Record<string, unknown>), hashedPin: '<redacted: a PIN hash is as good as the PIN>' };
}

function withoutNonce(request: unknown): string {
  if (!request || typeof request !== 'object') return JSON.stringify(request);
  const { nonce: _n, ...rest } = request as Record<string, unknown>;
  return sortedJson(rest);
}

function safeParse(text: string): Record<string, any> | null {
  try {
    const v = JSON.parse(text);
    return v && typeof v === 'object' ? v : null;
  } catch {
    return null;
  }
}

// ---- world plugin: "dss": {account, faults, requireSni, hosts, ...} ----

import type { WorldPlugin } from '../scenario.ts';
import { DSS_PUBLIC_IP } from './aps.ts';
import { deriveKeyPair, makeWssPki } from './test-pki.ts';

const DSS_KEYS = ['hosts', 'requireSni', 'account', 'faults', 'configuration', 'registrationDetails', 'credentialsPageSize', 'clientCa', 'impostor'];
const FAULT_KEYS = ['op', 'state', 'call', 'times', 'do', 'status', 'signed', 'location', 'stallMs', 'size'];
const OPS = ['*', 'startProvisioningSession', 'startPinBasedSetup', 'computeConfigurationData', 'postWifiScanData', 'getWifiCredentials', 'report'];

export function validateDss(section: unknown): string[] {
  const p: string[] = [];
  if (!section || typeof section !== 'object' || Array.isArray(section)) return ['world.dss: expected an object {account, faults?, ...}'];
  const s = section as Record<string, any>;
  for (const k of Object.keys(s)) if (!DSS_KEYS.includes(k)) p.push(`world.dss.${k}: unknown field (known: ${DSS_KEYS.join(', ')})`);
  if (s.hosts !== undefined && !(Array.isArray(s.hosts) && s.hosts.length > 0 && s.hosts.every((h: unknown) => typeof h === 'string' && /^[a-z0-9.-]+$/i.test(h)))) {
    p.push('world.dss.hosts: expected a non-empty array of host names (the first is the default)');
  }
  if (s.requireSni !== undefined && typeof s.requireSni !== 'boolean') p.push('world.dss.requireSni: expected true or false');
  if (s.impostor !== undefined && typeof s.impostor !== 'boolean') p.push('world.dss.impostor: expected true or false');
  if (s.clientCa !== undefined && s.clientCa !== 'device' && s.clientCa !== 'other') p.push('world.dss.clientCa: expected "device" or "other"');
  if (s.credentialsPageSize !== undefined && !(Number.isInteger(s.credentialsPageSize) && s.credentialsPageSize >= 1)) p.push('world.dss.credentialsPageSize: expected an integer >= 1');
  if (s.account !== undefined) {
    if (!s.account || typeof s.account !== 'object') p.push('world.dss.account: expected {networks: [...], pin?}');
    else {
      for (const k of Object.keys(s.account)) if (!['networks', 'pin'].includes(k)) p.push(`world.dss.account.${k}: unknown field (known: networks, pin)`);
      if (s.account.pin !== undefined && typeof s.account.pin !== 'string') p.push('world.dss.account.pin: expected a string');
      if (!Array.isArray(s.account.networks)) p.push('world.dss.account.networks: expected an array of saved networks');
      else s.account.networks.forEach((n: any, i: number) => {
        const at = `world.dss.account.networks[${i}]`;
        if (!n || typeof n !== 'object') return p.push(`${at}: expected {ssid, securityProtocol, key?, priority?}`);
        for (const k of Object.keys(n)) if (!['ssid', 'securityProtocol', 'key', 'keyIndex', 'priority'].includes(k)) p.push(`${at}.${k}: unknown field`);
        if (typeof n.ssid !== 'string' || !n.ssid) p.push(`${at}.ssid: expected a non-empty string`);
        if (!['OPEN', 'WPA_PSK', 'WEP', 'OTHER'].includes(n.securityProtocol)) p.push(`${at}.securityProtocol: expected OPEN, WPA_PSK, WEP or OTHER`);
        if (n.key !== undefined && typeof n.key !== 'string') p.push(`${at}.key: expected a string`);
        if (n.priority !== undefined && !Number.isInteger(n.priority)) p.push(`${at}.priority: expected an integer`);
        return undefined;
      });
    }
  }
  if (s.faults !== undefined) {
    if (!Array.isArray(s.faults)) p.push('world.dss.faults: expected an array');
    else s.faults.forEach((f: any, i: number) => {
      const at = `world.dss.faults[${i}]`;
      if (!f || typeof f !== 'object') return p.push(`${at}: expected {op, do, ...}`);
      for (const k of Object.keys(f)) if (!FAULT_KEYS.includes(k)) p.push(`${at}.${k}: unknown field (known: ${FAULT_KEYS.join(', ')})`);
      if (!OPS.includes(f.op)) p.push(`${at}.op: expected one of ${OPS.join(', ')}`);
      if (!FAULT_KINDS.includes(f.do)) p.push(`${at}.do: expected one of ${FAULT_KINDS.join(', ')}`);
      if (f.state !== undefined && !PROVISIONING_STATES.includes(f.state)) p.push(`${at}.state: expected a provisioning state`);
      for (const k of ['call', 'times', 'stallMs', 'size']) if (f[k] !== undefined && !(Number.isInteger(f[k]) && f[k] >= 0)) p.push(`${at}.${k}: expected an integer >= 0`);
      if (f.do === 'status' && !(Number.isInteger(f.status) && f.status >= 400 && f.status <= 599)) p.push(`${at}.status: "status" needs a 4xx or 5xx status`);
      if (f.do === 'redirect' && f.status !== undefined && f.status !== 307 && f.status !== 308) p.push(`${at}.status: a redirect is 307 or 308`);
      if (f.signed !== undefined && typeof f.signed !== 'boolean') p.push(`${at}.signed: expected true or false`);
      return undefined;
    });
  }
  return p;
}

export const worldPlugin: WorldPlugin = {
  key: 'dss',
  validate: validateDss,
  async attach(ctx, section) {
    const { wssRun } = await import('./wss-run.ts');
    const run = await wssRun(ctx);
    const s = section as Record<string, any>;
    const hosts: string[] = s.hosts ?? [DSS_DEFAULT_HOST];
    const redirectHosts = (s.faults ?? []).filter((f: DssFault) => f.do === 'redirect' && f.location).map((f: DssFault) => f.location!);
    const allHosts = [...new Set([...hosts, ...redirectHosts])];
    const serverPki = makeWssPki({ seed: 'server-only', dssHosts: allHosts });
    const pki = { ...run.pki, serverCertPem: serverPki.serverCertPem, serverKeyPem: serverPki.serverKeyPem, serverRootPem: serverPki.serverRootPem };
    let impostor: DssOptions['impostor'];
    if (s.impostor) {
      const fake = makeWssPki({ seed: 'impostor', dssHosts: allHosts, rootLabel: 'impostor-root' });
      impostor = { signingKeyPem: deriveKeyPair('impostor', 'signing').privateKeyPem, certPem: fake.serverCertPem, keyPem: fake.serverKeyPem };
    }
    const dss = new DssServer({
      pki,
      clock: ctx.clock,
      timeline: ctx.timeline,
      seed: `dss:${ctx.scenario.seed}`,
      hosts: allHosts,
      requireSni: s.requireSni,
      account: s.account,
      faults: s.faults,
      configuration: s.configuration,
      registrationDetails: s.registrationDetails,
      credentialsPageSize: s.credentialsPageSize,
      impostor,
      clientCaPem: s.clientCa === 'other' ? [makeWssPki({ seed: 'other-ca', rootLabel: 'other-root' }).dhaRootPem] : undefined,
      onStall: (port) => run.world.stall(port),
    });
    await dss.start();
    ctx.onStop(() => dss.stop());
    run.dss = dss;
    allHosts.forEach((h, i) => {
      const ip = i === 0 ? DSS_PUBLIC_IP : `54.239.31.${91 + i}`;
      // 8888 only through the provisioner's relay on the encoded setup network, 443 only elsewhere
      // (wss-protocol.md §3.2): a device that swaps them gets a refused connection
      run.world.registerHost(h, ip, {
        443: { port: dss.realPort(443), label: 'DSS', from: ['internet', 'noDns', 'dssSetup'] },
        8888: { port: dss.realPort(8888), label: 'DSS via provisioner relay', from: ['dssRelay'] },
      }, ['internet', 'noDns', 'dssSetup', 'dssRelay']);
    });
  },
};
