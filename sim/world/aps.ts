// The Wi-Fi world: access points (SSID, BSSID, channel, RSSI, security, passphrase), what lies behind
// each one (internet, captive portal, no DNS, nothing, the DSS relay of a setup network), association
// outcomes with ESP-IDF's disconnect reason codes, directed probes, DNS and routing to real loopback
// servers. The emulated `Wifi` and `http`/`tls` modules (sim/board/) ask this world what the radio
// hears and where a socket goes.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { VirtualClock } from '../clock.ts';
import type { Timeline } from '../timeline.ts';
import { deriveKeyPair } from './test-pki.ts';
import {
  AP_SECURITIES, BEHIND, OUTCOMES, REASON, hashString, setDefaultWifiMedium,
  type AccessPoint, type AccessPointSpec, type ApSecurity, type Association, type Behind, type HostPort, type Outcome, type ProbeEvent,
  type Route, type ScanEntry, type WifiMedium,
} from '../medium/wifi.ts';

// The types, reasons and the station-facing interface are the Wi-Fi medium's (sim/medium/wifi.ts).
export { AP_SECURITIES, BEHIND, OUTCOMES, REASON, hashString, reasonText } from '../medium/wifi.ts';
export type { AccessPoint, AccessPointSpec, ApSecurity, Association, Behind, HostPort, Outcome, ProbeEvent, Route, ScanEntry, WifiMedium } from '../medium/wifi.ts';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

interface HostEntry {
  ip: string;
  /** virtual port -> real loopback port */
  ports: Map<number, HostPort>;
  /** only reachable from these networks (default: internet) */
  from: Behind[];
}

export const DSS_PUBLIC_IP = '54.239.31.90';

/** A phone's UDP socket on a home network (its real loopback port maps to `address`). `delivered`: called
 *  when a datagram it sent has reached the board's socket; `answered`: set by the board while its answer
 *  to this peer is on the wire (the phone calls it when the answer arrives), so virtual time waits. */
export interface UdpPeer {
  address: string;
  port: number;
  ap: AccessPoint;
  delivered?: () => void;
  answered?: (() => void) | null;
}

export class WifiWorld implements WifiMedium {
  readonly aps: AccessPoint[] = [];
  /** soft APs started by boards (AP -> board id) */
  readonly deviceAps = new Map<AccessPoint, string>();
  /** HTTP servers the boards listen with: `${board}:${port}` -> real loopback port */
  readonly deviceServers = new Map<string, number>();
  /** UDP ports the boards bound: `${board}:${port}` -> real loopback port */
  readonly deviceUdp = new Map<string, number>();
  /** phones' real UDP ports -> their virtual address on the network */
  readonly udpPeers = new Map<number, UdpPeer>();
  private hosts = new Map<string, HostEntry>();
  private probeListeners: Array<(p: ProbeEvent) => void> = [];
  private holds = new Map<number, () => void>();
  private stalled = new Set<number>();
  private web: { http?: http.Server; https?: https.Server; httpPort?: number; httpsPort?: number } = {};
  private portal: { http?: http.Server; https?: https.Server; httpPort?: number; httpsPort?: number } = {};
  private nextSubnet = 10;
  private bssidCounter = 1;

  constructor(readonly clock: VirtualClock, readonly timeline: Timeline) {}

  emit(kind: string, summary: string, fields?: Record<string, unknown>, board?: string): void {
    this.timeline.emit({ actor: 'wifi', kind, summary, fields, board });
  }

  // ------------------------------------------------------------------ access points

  addAccessPoint(spec: AccessPointSpec, owner = 'scenario'): AccessPoint {
    const security = spec.security ?? (spec.passphrase ? 'wpa2' : 'open');
    const ap: AccessPoint = {
      ssid: spec.ssid,
      bssid: (spec.bssid ?? this.makeBssid()).toUpperCase(),
      channel: spec.channel ?? 6,
      rssi: spec.rssi ?? -55,
      security,
      passphrase: spec.passphrase ?? '',
      hidden: spec.hidden ?? false,
      behind: spec.behind ?? 'internet',
      outcome: spec.outcome ?? 'auto',
      upAtMs: spec.upAtMs ?? 0,
      downAtMs: spec.downAtMs,
      up: false,
      subnet: this.nextSubnet++,
      owner,
    };
    this.aps.push(ap);
    const raise = () => {
      ap.up = true;
      const device = owner !== 'scenario' && owner !== 'provisioner';
      this.emit('ap', `${ap.hidden ? 'hidden ' : ''}${ap.security} AP ${JSON.stringify(ap.ssid)} up on channel ${ap.channel} ` +
        `(${device ? 'the device\'s own access point' : ap.behind})`, { ssid: ap.ssid, bssid: ap.bssid, owner }, device ? owner : undefined);
    };
    if (ap.upAtMs <= this.clock.now()) raise();
    else {
      // a scenario's (or the fuzzer's) access point that comes up late: the timeline says so from the start,
      // so a flow that fails meanwhile has its cause on record (sim/fuzz.ts worldFaultsOf)
      if (owner === 'scenario') {
        this.emit('fault', `AP ${JSON.stringify(ap.ssid)} out of range until ${(ap.upAtMs / 1000).toFixed(3)}s`, { ssid: ap.ssid, untilMs: ap.upAtMs });
      }
      this.clock.setTimer(raise, ap.upAtMs - this.clock.now(), 'wifi');
    }
    if (ap.downAtMs !== undefined) this.clock.setTimer(() => this.takeDown(ap), ap.downAtMs - this.clock.now(), 'wifi');
    return ap;
  }

  takeDown(ap: AccessPoint): void {
    if (!ap.up) return;
    ap.up = false;
    this.emit('ap', `AP ${JSON.stringify(ap.ssid)} down`, { ssid: ap.ssid, owner: ap.owner });
    for (const fn of this.apDownListeners) fn(ap);
  }

  private apDownListeners: Array<(ap: AccessPoint) => void> = [];
  onApDown(fn: (ap: AccessPoint) => void): void {
    this.apDownListeners.push(fn);
  }

  private makeBssid(): string {
    const n = this.bssidCounter++;
    return `02:5A:${((n >> 24) & 255).toString(16).padStart(2, '0')}:${((n >> 16) & 255).toString(16).padStart(2, '0')}:` +
      `${((n >> 8) & 255).toString(16).padStart(2, '0')}:${(n & 255).toString(16).padStart(2, '0')}`.toUpperCase();
  }

  /** Beacons and probe responses heard by a full scan (hidden APs answer with an empty SSID). The
   *  devices' own soft APs are left out: a station never hears its own (the scan does not say whose). */
  scan(): ScanEntry[] {
    return this.aps
      .filter((ap) => ap.up && !this.deviceAps.has(ap))
      .sort((a, b) => b.rssi - a.rssi)
      .map((ap) => ({
        rssi: ap.rssi,
        authMode: ap.security,
        ssid: ap.hidden ? '' : ap.ssid,
        mac: ap.bssid.toLowerCase(),
        channel: String(ap.channel),
      }));
  }

  onProbe(fn: (p: ProbeEvent) => void): void {
    this.probeListeners.push(fn);
  }

  /** A directed probe request for `ssid` (a station looking for a hidden network). */
  probe(board: string, ssid: string, mac: string): void {
    this.emit('probe', `directed probe for ${JSON.stringify(ssid)}`, { ssid, mac }, board);
    for (const fn of this.probeListeners) fn({ board, ssid, mac });
  }

  /** Decide what happens when a station joins `ssid` with `password` (ESP-IDF semantics). */
  associate(board: string, ssid: string, password: string): Association {
    const candidates = this.aps.filter((ap) => ap.up && ap.ssid === ssid).sort((a, b) => b.rssi - a.rssi);
    const ap = candidates[0];
    if (!ap || ap.outcome === 'no_ap_found') return { ok: false, reason: REASON.NO_AP_FOUND, delayMs: 2300 };
    if (ap.outcome === 'connect_fail') return { ok: false, ap, reason: REASON.ASSOC_FAIL, delayMs: 1800 };
    if (ap.outcome === 'wrong_password') return { ok: false, ap, reason: REASON.FOURWAY_HANDSHAKE_TIMEOUT, delayMs: 5200 };
    if (ap.security !== 'open') {
      const good = ap.security === 'wep' ? password === ap.passphrase : password === ap.passphrase && password.length >= 8;
      if (!good) return { ok: false, ap, reason: ap.security === 'wep' ? REASON.AUTH_EXPIRE : REASON.FOURWAY_HANDSHAKE_TIMEOUT, delayMs: 5200 };
    }
    const host = 100 + (hashString(board) % 150);
    return {
      ok: true,
      ap,
      ip: `192.168.${ap.subnet}.${host}`,
      gw: `192.168.${ap.subnet}.1`,
      netmask: '255.255.255.0',
      delayMs: 1400,
    };
  }

  // ------------------------------------------------------------------ DNS and routing

  /** Put a host on the internet (and optionally on setup networks) with virtual->real ports. */
  registerHost(name: string, ip: string, ports: Record<number, HostPort>, from: Behind[] = ['internet', 'noDns']): void {
    this.hosts.set(name.toLowerCase(), { ip, ports: new Map(Object.entries(ports).map(([k, v]) => [Number(k), v])), from });
  }

  /** DNS as seen from a station on `ap`: an IPv4 string, or null (no answer). */
  resolve(ap: AccessPoint | null, name: string): string | null {
    if (!ap) return null;
    if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return name;
    const lname = name.toLowerCase();
    switch (ap.behind) {
      case 'noDns':
      case 'nothing':
        return null;
      case 'captivePortal':
        return `192.168.${ap.subnet}.1`;
      case 'dssSetup':
      case 'dssRelay': {
        const h = this.hosts.get(lname);
        return h && h.from.includes(ap.behind) ? h.ip : null;
      }
      case 'internet': {
        const h = this.hosts.get(lname);
        if (h) return h.from.includes('internet') ? h.ip : null;
        return webIp(lname); // the rest of the internet: a generic web server
      }
    }
  }

  /** Where a TCP connection from a station on `ap` to ip:port goes. */
  route(ap: AccessPoint | null, ip: string, port: number): Route {
    if (!ap) return { kind: 'blackhole' };
    if (ap.behind === 'nothing') return { kind: 'blackhole' };
    if (ap.behind === 'captivePortal') {
      if (ip !== `192.168.${ap.subnet}.1`) return { kind: 'blackhole' };
      if (port === 80 && this.portal.httpPort) return { kind: 'real', port: this.portal.httpPort, label: 'captive portal' };
      if (port === 443 && this.portal.httpsPort) return { kind: 'real', port: this.portal.httpsPort, label: 'captive portal (TLS)' };
      return { kind: 'refused' };
    }
    for (const [name, h] of this.hosts) {
      if (h.ip !== ip) continue;
      const behind = ap.behind === 'noDns' ? 'internet' : ap.behind;
      if (!h.from.includes(behind)) return { kind: 'blackhole' };
      const p = h.ports.get(port);
      if (!p || (p.from && !p.from.includes(behind))) return { kind: 'refused' };
      return { kind: 'real', port: p.port, label: `${name}:${port} (${p.label})` };
    }
    if (ap.behind === 'internet' || ap.behind === 'noDns') {
      if (port === 80 && this.web.httpPort) return { kind: 'real', port: this.web.httpPort, label: 'web' };
      if (port === 443 && this.web.httpsPort) return { kind: 'real', port: this.web.httpsPort, label: 'web (TLS)' };
      return { kind: 'refused' };
    }
    return { kind: 'blackhole' };
  }

  /** Where a board's UDP datagram to address:port goes (a phone on the same network), or null. */
  udpRoute(ap: AccessPoint | null, address: string, port: number): number | null {
    if (!ap) return null;
    const peer = this.udpPeers.get(port);
    return peer && peer.address === address && peer.ap === ap ? port : null;
  }

  // ------------------------------------------------------------------ real I/O holds (stall support)

  /** The emulated socket on `localPort` holds the clock; a stalling server can let time run. */
  trackHold(localPort: number, release: () => void): void {
    if (this.stalled.delete(localPort)) {
      release();
      return;
    }
    this.holds.set(localPort, release);
  }

  untrackHold(localPort: number): void {
    this.holds.delete(localPort);
  }

  /** A server stalls on the connection from `clientPort`: release that device's hold. */
  stall(clientPort: number): void {
    const r = this.holds.get(clientPort);
    if (r) {
      this.holds.delete(clientPort);
      r();
    } else this.stalled.add(clientPort);
  }

  // ------------------------------------------------------------------ generic web and captive portal servers

  async start(): Promise<void> {
    const tlsCert = selfSignedCert();
    const webHandler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      res.sendDate = false;
      if (req.url === '/generate_204') {
        res.writeHead(204, { Connection: 'close', 'Content-Length': '0' });
        res.end();
        return;
      }
      const body = '<html><body>Hello from the simulated internet</body></html>';
      res.writeHead(200, { 'Content-Type': 'text/html', 'Content-Length': String(body.length), Connection: 'close' });
      res.end(body);
    };
    const portalHandler = (req: http.IncomingMessage, res: http.ServerResponse) => {
      res.sendDate = false;
      this.emit('portal', `captive portal intercepted ${req.method} ${req.headers.host ?? ''}${req.url}`);
      const body = '<html><body>Sign in to Hotel Wi-Fi</body></html>';
      res.writeHead(302, { Location: 'http://portal.hotel.example/login', 'Content-Type': 'text/html',
        'Content-Length': String(body.length), Connection: 'close' });
      res.end(body);
    };
    this.web.http = http.createServer(webHandler);
    this.web.https = https.createServer({ ...tlsCert }, webHandler);
    this.portal.http = http.createServer(portalHandler);
    this.portal.https = https.createServer({ ...tlsCert }, portalHandler);
    this.web.httpPort = await listen(this.web.http);
    this.web.httpsPort = await listen(this.web.https);
    this.portal.httpPort = await listen(this.portal.http);
    this.portal.httpsPort = await listen(this.portal.https);
  }

  async stop(): Promise<void> {
    for (const s of [this.web.http, this.web.https, this.portal.http, this.portal.https]) {
      if (!s) continue;
      s.closeAllConnections?.();
      await new Promise<void>((r) => s.close(() => r()));
    }
  }
}

// A board no scenario attached to a world gets an empty one of these (sim/medium/wifi.ts).
setDefaultWifiMedium((clock, timeline) => new WifiWorld(clock, timeline));

function listen(server: http.Server | https.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}


/** The generic internet: every other name resolves to a stable public-looking address. */
function webIp(name: string): string {
  const h = hashString(name);
  return `93.184.${(h >>> 8) & 255}.${(h & 255) || 1}`;
}

let cachedSelfSigned: { cert: string; key: string } | undefined;
function selfSignedCert(): { cert: string; key: string } {
  if (cachedSelfSigned) return cachedSelfSigned;
  const key = deriveKeyPair('wss-sim-pki', 'generic-web');
  const dir = mkdtempSync(path.join(tmpdir(), 'wss-web-'));
  try {
    writeFileSync(path.join(dir, 'k.pem'), key.privateKeyPem);
    execFileSync('openssl', ['req', '-new', '-x509', '-key', 'k.pem', '-subj', '/CN=simulated web', '-days', '3650', '-out', 'c.pem'],
      { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    cachedSelfSigned = { cert: readFileSync(path.join(dir, 'c.pem'), 'utf8'), key: key.privateKeyPem };
    return cachedSelfSigned;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- world plugin: "accessPoints": [ {ssid, passphrase, security, behind, ...} ] ----

import type { WorldPlugin } from '../scenario.ts';

export function validateAccessPoint(a: unknown, at: string): string[] {
  const p: string[] = [];
  if (!a || typeof a !== 'object' || Array.isArray(a)) return [`${at}: expected an object {ssid, passphrase?, security?, behind?, ...}`];
  const o = a as Record<string, unknown>;
  const known = ['ssid', 'bssid', 'channel', 'rssi', 'security', 'passphrase', 'hidden', 'behind', 'outcome', 'upAtMs', 'downAtMs'];
  for (const k of Object.keys(o)) if (!known.includes(k)) p.push(`${at}.${k}: unknown field (known: ${known.join(', ')})`);
  if (typeof o.ssid !== 'string' || o.ssid.length < 1 || Buffer.byteLength(o.ssid) > 32) p.push(`${at}.ssid: expected a string of 1 to 32 bytes`);
  if (o.bssid !== undefined && !(typeof o.bssid === 'string' && /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$/.test(o.bssid))) p.push(`${at}.bssid: expected "AA:BB:CC:DD:EE:FF"`);
  if (o.channel !== undefined && !(Number.isInteger(o.channel) && (o.channel as number) >= 1 && (o.channel as number) <= 14)) p.push(`${at}.channel: expected 1 to 14`);
  if (o.rssi !== undefined && !(typeof o.rssi === 'number' && o.rssi < 0 && o.rssi > -120)) p.push(`${at}.rssi: expected dBm between -120 and 0`);
  if (o.security !== undefined && !AP_SECURITIES.includes(o.security as ApSecurity)) p.push(`${at}.security: expected one of ${AP_SECURITIES.join(', ')}`);
  const sec = (o.security as string | undefined) ?? (o.passphrase ? 'wpa2' : 'open');
  if (o.passphrase !== undefined && typeof o.passphrase !== 'string') p.push(`${at}.passphrase: expected a string`);
  if (sec !== 'open' && sec !== 'wep' && !(typeof o.passphrase === 'string' && o.passphrase.length >= 8 && o.passphrase.length <= 64)) {
    p.push(`${at}.passphrase: a ${sec} network needs a passphrase of 8 to 64 characters`);
  }
  if (sec === 'open' && o.passphrase) p.push(`${at}.passphrase: an open network has no passphrase`);
  if (o.hidden !== undefined && typeof o.hidden !== 'boolean') p.push(`${at}.hidden: expected true or false`);
  if (o.behind !== undefined && !BEHIND.includes(o.behind as Behind)) p.push(`${at}.behind: expected one of ${BEHIND.join(', ')}`);
  if (o.outcome !== undefined && !OUTCOMES.includes(o.outcome as Outcome)) p.push(`${at}.outcome: expected one of ${OUTCOMES.join(', ')}`);
  for (const k of ['upAtMs', 'downAtMs']) if (o[k] !== undefined && !(typeof o[k] === 'number' && (o[k] as number) >= 0)) p.push(`${at}.${k}: expected virtual ms >= 0`);
  return p;
}

export const worldPlugin: WorldPlugin = {
  key: 'accessPoints',
  validate(section) {
    if (!Array.isArray(section)) return ['world.accessPoints: expected an array of access points'];
    return section.flatMap((a, i) => validateAccessPoint(a, `world.accessPoints[${i}]`));
  },
  async attach(ctx, section) {
    const { wssRun } = await import('./wss-run.ts');
    const run = await wssRun(ctx);
    for (const a of section as AccessPointSpec[]) run.world.addAccessPoint(a);
  },
};
