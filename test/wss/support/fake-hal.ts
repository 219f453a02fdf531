// A fake HAL for the WSS device tests: a virtual clock, in-memory storage and configuration, Node's
// crypto as the independent oracle, a small Wi-Fi world (access points, what lies behind them, a
// provisioner that raises the encoded network after directed probes) and an in-process DSS that
// signs every body with a test device-type key. Every callback is asynchronous, as the HAL demands.
import {
  createECDH,
  createHash,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import type {
  ConfigValue,
  Hal,
  HalError,
  HttpRequest,
  HttpResponse,
  LogLevel,
  OnDone,
  WifiConfiguration,
  WifiConnectionAttempt,
  WifiConnectionDetails,
  WifiScanResult,
  WifiSecurity,
} from '../../../hal/types.ts';
import { memoryStorage, type MemoryStorage } from '../../support/memory-storage.ts';
import { seededBytes } from '../../support/seeded-bytes.ts';

(globalThis as any).__FEATURE_SOFTAP__ = true;

// ---------------------------------------------------------------------------------------------
// Virtual clock
// ---------------------------------------------------------------------------------------------

export class VirtualClock {
  t = 0;
  private seq = 0;
  private timers: Array<{ id: number; at: number; seq: number; fn: () => void }> = [];
  private nextId = 1;

  setTimeout(fn: () => void, ms: number): number {
    const id = this.nextId++;
    this.timers.push({ id, at: this.t + Math.max(0, ms || 0), seq: this.seq++, fn });
    return id;
  }
  clearTimeout(id: number): void {
    // as Espruino 2v29 (src/jswrap_interactive.c, checked on the interpreter): an unknown or fired id is
    // ignored, undefined throws (and no argument at all would clear every timer)
    if (id === undefined) throw new Error('clearTimeout(undefined) not allowed. Use clearTimeout() instead');
    this.timers = this.timers.filter((x) => x.id !== id);
  }
  /** Run timers in (time, insertion) order until none is left or `untilMs` is reached. */
  run(untilMs = Infinity, maxSteps = 200000): void {
    for (let steps = 0; steps < maxSteps; steps++) {
      if (this.timers.length === 0) return;
      let best = 0;
      for (let i = 1; i < this.timers.length; i++) {
        const a = this.timers[i];
        const b = this.timers[best];
        if (a.at < b.at || (a.at === b.at && a.seq < b.seq)) best = i;
      }
      const next = this.timers[best];
      if (next.at > untilMs) {
        this.t = untilMs;
        return;
      }
      this.timers.splice(best, 1);
      this.t = next.at;
      next.fn();
    }
    throw new Error('virtual clock: too many steps (a loop?)');
  }
  pending(): number {
    return this.timers.length;
  }
}

// ---------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------

export interface TestKeys {
  devicePrivate: KeyObject;
  devicePublicDer: Uint8Array;
  deviceTypePrivate: KeyObject | null;
  deviceTypePublic: KeyObject;
  deviceTypePublicDer: Uint8Array;
}

export function realRunKeys(vector: any): TestKeys {
  const devicePrivate = createPrivateKey(vector.devicePrivateKeyPem);
  const deviceTypePublic = createPublicKey(vector.deviceTypePublicKeyPem);
  return {
    devicePrivate,
    devicePublicDer: new Uint8Array(createPublicKey(devicePrivate).export({ type: 'spki', format: 'der' })),
    deviceTypePrivate: null,
    deviceTypePublic,
    deviceTypePublicDer: new Uint8Array(deviceTypePublic.export({ type: 'spki', format: 'der' })),
  };
}

export function freshKeys(): TestKeys {
  const dev = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const dt = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    devicePrivate: dev.privateKey,
    devicePublicDer: new Uint8Array(dev.publicKey.export({ type: 'spki', format: 'der' })),
    deviceTypePrivate: dt.privateKey,
    deviceTypePublic: dt.publicKey,
    deviceTypePublicDer: new Uint8Array(dt.publicKey.export({ type: 'spki', format: 'der' })),
  };
}

/** The passphrase the provisioner derives with the device-type PRIVATE key (independent path). */
export function provisionerPassphrase(keys: TestKeys, nonce: Uint8Array): string {
  const secret = diffieHellman({ privateKey: keys.deviceTypePrivate!, publicKey: createPublicKey(keys.devicePrivate) });
  const k = createHash('sha256').update(secret).digest();
  return createHmac('sha256', k).update(nonce).digest('base64');
}

// ---------------------------------------------------------------------------------------------
// Seeded randomness
// ---------------------------------------------------------------------------------------------

export { seededBytes };

// ---------------------------------------------------------------------------------------------
// The Wi-Fi world
// ---------------------------------------------------------------------------------------------

export type Behind = 'internet' | 'captive' | 'nodns' | 'nothing';

export interface FakeAp {
  ssid: string;
  bssid: string;
  security: WifiSecurity;
  key: string;
  channel: number;
  rssi: number;
  hidden: boolean;
  behind: Behind;
  /** hidden until this many directed probes for its SSID were heard (the provisioner) */
  raisedAfterProbes?: number;
  /** reaches the DSS through port 8888 (the encoded network's relay) */
  relay8888?: boolean;
}

export interface DssExchange {
  op: string;
  host: string;
  port: number;
  body: string;
  at: number;
  status: number;
}

export type DssFault =
  | { kind: 'network'; code?: string }
  | { kind: 'status'; status: number }
  | { kind: 'noSignature' }
  | { kind: 'duplicateSignature' }
  | { kind: 'badSignature' }
  | { kind: 'malformedSignature' }
  | { kind: 'tamper' }
  | { kind: 'trailingNewline' }
  | { kind: 'redirect'; status: 307 | 308; location: string }
  | { kind: 'body'; body: string }
  | { kind: 'canProceedFalse' }
  | { kind: 'unknownState' };

export interface FakeWorldOptions {
  keys: TestKeys;
  seed?: number;
  aps?: FakeAp[];
  /** customer's saved networks (the Wi-Fi locker) in the order DSS returns them */
  locker?: Array<{ ssid: string; security: WifiSecurity; key: string }>;
  /** raw extra credential entries appended to the list (malformed-entry tests) */
  extraCredentialEntries?: unknown[];
  /** per-call fault: (op, nth call of that op (1-based), state of a report) → fault or null */
  fault?: (op: string, n: number, state?: string) => DssFault | null;
  /** DSS host names that answer (default dp-sps-na.amazon.com) */
  dssHosts?: string[];
  /** account asks for PIN setup with this PIN */
  pin?: string;
  config?: { [key: string]: ConfigValue };
  /** encoded network: the provisioner raises it after this many directed probes (default 2); -1 none */
  provisionerProbes?: number;
  /** the provisioner also offers the open hidden simple_setup */
  simpleSetup?: boolean;
}

export const DSS_HOST = 'dp-sps-na.amazon.com';
const STATES_NEXT: { [s: string]: string } = {
  START_PROVISIONING: 'COMPUTE_CONFIGURATION',
  START_PIN_BASED_SETUP: 'COMPUTE_CONFIGURATION',
  COMPUTE_CONFIGURATION: 'POST_WIFI_SCAN_DATA',
  POST_WIFI_SCAN_DATA: 'GET_WIFI_LIST',
  GET_WIFI_LIST: 'CONNECTING_TO_USER_NETWORK',
  CONNECTING_TO_USER_NETWORK: 'CONNECTED_TO_USER_NETWORK',
  CONNECTED_TO_USER_NETWORK: 'DONE',
};

export function sortedJson(v: any): string {
  if (Array.isArray(v)) return '[' + v.map(sortedJson).join(',') + ']';
  if (v && typeof v === 'object') {
    return '{' + Object.keys(v).sort().map((k) => JSON.stringify(k) + ':' + sortedJson(v[k])).join(',') + '}';
  }
  return JSON.stringify(v);
}

export interface FakeWorld {
  hal: Hal;
  clock: VirtualClock;
  storage: MemoryStorage;
  logs: string[];
  exchanges: DssExchange[];
  reports: any[];
  aps: FakeAp[];
  probes: string[];
  connects: Array<{ ssid: string; result: string; at: number }>;
  udp: { [port: number]: (msg: string, reply: (a: string) => void) => void };
  httpServers: { [port: number]: (req: { method: string; path: string; body: string }) => { status: number; body: string } | null };
  config: Map<string, ConfigValue>;
  current(): FakeAp | null;
  accessPoint: { ssid: string; password: string } | null;
  signed: string[];
  /** power cut: a new world HAL over the same storage (the next boot) */
  reboot(): FakeWorld;
}

export function createWorld(o: FakeWorldOptions, carried?: { storage: MemoryStorage; clock: VirtualClock; configPersisted: Map<string, ConfigValue> }): FakeWorld {
  const clock = carried ? carried.clock : new VirtualClock();
  const storage = carried ? carried.storage : memoryStorage();
  const rnd = seededBytes((o.seed ?? 7) + (carried ? 1000 + clock.t : 0));
  const logs: string[] = [];
  const exchanges: DssExchange[] = [];
  const reports: any[] = [];
  const probes: string[] = [];
  const connects: Array<{ ssid: string; result: string; at: number }> = [];
  const aps: FakeAp[] = (o.aps || []).map((a) => ({ ...a }));
  const config = carried ? carried.configPersisted : new Map<string, ConfigValue>();
  const flashed = new Map<string, ConfigValue>(Object.entries(o.config || {}));
  if (!flashed.has('DeviceInformation.PublicKey')) flashed.set('DeviceInformation.PublicKey', o.keys.devicePublicDer);
  if (!flashed.has('DeviceInformation.ProductIndex')) flashed.set('DeviceInformation.ProductIndex', '5K2k');
  const later = (fn: () => void, ms = 0) => clock.setTimeout(fn, ms);
  let current: FakeAp | null = null;
  let lastScan: WifiScanResult[] = [];
  let scanIdx = 0;
  const configs: WifiConfiguration[] = [];
  const attempts: WifiConnectionAttempt[] = [];
  let attemptIdx = 0;
  const opCount: { [op: string]: number } = {};
  const sessions: { [id: string]: { state: string; posted: string[]; credServed: boolean } } = {};
  let sessionN = 0;
  const dssHosts = o.dssHosts || [DSS_HOST];
  const signed: string[] = [];

  const world: FakeWorld = {
    hal: null as any,
    clock,
    storage,
    logs,
    exchanges,
    reports,
    aps,
    probes,
    connects,
    udp: {},
    httpServers: {},
    config,
    current: () => current,
    accessPoint: null,
    signed,
    reboot(): FakeWorld {
      // drop every timer of this boot: a power cut
      (clock as any).timers = [];
      return createWorld(o, { storage, clock, configPersisted: config });
    },
  };

  function signBody(body: string): string {
    if (!o.keys.deviceTypePrivate) throw new Error('no device-type private key in this world');
    return sign('sha256', Buffer.from(body, 'latin1'), o.keys.deviceTypePrivate).toString('base64');
  }

  function answer(op: string, req: any, port: number): any {
    if (op === 'startProvisioningSession') {
      const id = 'amzn1.ffs.wss-wifi-session-id.test-' + (carried ? 'boot' + clock.t + '-' : '') + ++sessionN;
      sessions[id] = { state: 'START_PROVISIONING', posted: [], credServed: false };
      return { canProceed: true, nonce: 'N'.repeat(31), salt: '01234567', sessionId: id };
    }
    const s = sessions[req.sessionId];
    if (!s) return { status: 400, obj: { message: 'unknown session' } };
    if (op === 'report') {
      reports.push({ ...req, port });
      if (req.stateTransitionResult === 'FAILURE') return { canProceed: false, nonce: 'R'.repeat(31), sessionId: req.sessionId };
      let next = STATES_NEXT[req.currentProvisioningState];
      if (req.currentProvisioningState === 'START_PROVISIONING' && o.pin) next = 'START_PIN_BASED_SETUP';
      return { canProceed: true, nextProvisioningState: next, nonce: 'R'.repeat(31), sessionId: req.sessionId };
    }
    if (op === 'startPinBasedSetup') {
      const want = createHash('sha256').update(o.pin + '01234567').digest('base64');
      return { canProceed: req.hashedPin === want, nonce: 'P'.repeat(31), sessionId: req.sessionId };
    }
    if (op === 'computeConfigurationData') {
      return {
        canProceed: true,
        configuration: { 'DSS.Host': 'evil.example', 'WSS.SetupNetworkSsid': 'evil', 'FFS.SessionToken': 'amzn1.ffs.wss-wifi-session-token.t1', 'LocaleConfiguration.Marketplace': 'ATVPDKIKX0DER', 'Time.UTC': '2026-01-01T00:00:00Z' },
        nextProvisioningState: 'COMPUTE_CONFIGURATION',
        nonce: 'C'.repeat(31),
        registrationDetails: { expiresAt: 1767225600000, registrationToken: 'reg-token-1' },
        sessionId: req.sessionId,
      };
    }
    if (op === 'postWifiScanData') {
      for (const e of req.wifiScanDataList) s.posted.push(e.ssid.slice(1, -1));
      const found = (o.locker || []).filter((n) => s.posted.includes(n.ssid)).length;
      return { allCredentialsFound: found === (o.locker || []).length && found > 0, canProceed: true, nonce: 'S'.repeat(31), sequenceNumber: req.sequenceNumber, sessionId: req.sessionId, totalCredentialsFound: found };
    }
    if (op === 'getWifiCredentials') {
      const list: unknown[] = (o.locker || [])
        .filter((n) => s.posted.includes(n.ssid))
        .map((n, i) => ({ frequency: 0, key: n.security === 'OPEN' ? '' : JSON.stringify(n.key), keyIndex: 0, priority: i, securityProtocol: n.security, ssid: JSON.stringify(n.ssid) }));
      for (const e of o.extraCredentialEntries || []) list.push(e);
      return { allCredentialsReturned: true, canProceed: true, nonce: 'G'.repeat(31), sequenceNumber: req.sequenceNumber, sessionId: req.sessionId, wifiCredentialsList: list };
    }
    return { status: 404, obj: { message: 'no such operation' } };
  }

  function dss(r: HttpRequest, onDone: OnDone<HttpResponse>): void {
    const ap = current;
    if (!ap) return void later(() => onDone({ code: 'NET_CONNECT', message: 'not connected' }, null), 50);
    if (ap.behind === 'nodns' || ap.behind === 'nothing') return void later(() => onDone({ code: 'NET_DNS', message: 'no DNS' }, null), 50);
    if (ap.behind === 'captive') return void later(() => onDone({ code: 'NET_TLS', message: 'portal' }, null), 50);
    if (r.port === 8888 && !ap.relay8888) return void later(() => onDone({ code: 'NET_CONNECT', message: 'no relay on 8888' }, null), 50);
    if (!dssHosts.includes(r.host)) return void later(() => onDone({ code: 'NET_DNS', message: 'unknown host ' + r.host }, null), 50);
    const op = r.path.replace('/api/v1/', '');
    opCount[op] = (opCount[op] || 0) + 1;
    let req: any = null;
    try {
      req = JSON.parse(r.body);
    } catch {
      req = null;
    }
    const fault = o.fault ? o.fault(op, opCount[op], req && req.currentProvisioningState) : null;
    const ex: DssExchange = { op, host: r.host, port: r.port, body: r.body, at: clock.t, status: 0 };
    exchanges.push(ex);
    if (fault && fault.kind === 'network') return void later(() => onDone({ code: fault.code || 'NET_RESET', message: 'dropped' }, null), 100);
    if (fault && fault.kind === 'status') {
      ex.status = fault.status;
      const b = '{"message":"fault"}';
      return void later(() => onDone(null, { statusCode: fault.status, headers: [['x-amzn-dss-signature', signBody(b)]], body: b }), 100);
    }
    if (fault && fault.kind === 'redirect') {
      ex.status = fault.status;
      return void later(() => onDone(null, { statusCode: fault.status, headers: [['Location', fault.location]], body: '' }), 100);
    }
    let a = answer(op, req, r.port);
    let status = 200;
    if (a && a.status) {
      status = a.status;
      a = a.obj;
    }
    if (fault && fault.kind === 'canProceedFalse') a.canProceed = false;
    if (fault && fault.kind === 'unknownState') a.nextProvisioningState = 'SOMETHING_NEW';
    let body = fault && fault.kind === 'body' ? fault.body : sortedJson(a);
    let sig = signBody(body);
    let headers: Array<[string, string]> = [['Content-Type', 'application/json'], ['x-amzn-dss-signature', sig], ['x-amzn-RequestId', 'r' + exchanges.length]];
    if (fault && fault.kind === 'noSignature') headers = headers.filter((h) => h[0] !== 'x-amzn-dss-signature');
    if (fault && fault.kind === 'duplicateSignature') headers.push(['X-Amzn-Dss-Signature', sig]);
    if (fault && fault.kind === 'badSignature') headers[1] = ['x-amzn-dss-signature', signBody(body + ' ')];
    if (fault && fault.kind === 'malformedSignature') headers[1] = ['x-amzn-dss-signature', 'not*base64!'];
    if (fault && fault.kind === 'tamper') body = body.replace('"canProceed":true', '"canProceed":true ').replace('DONE', 'DONF');
    if (fault && fault.kind === 'trailingNewline') body = body + '\n';
    ex.status = status;
    later(() => onDone(null, { statusCode: status, headers, body }), 100);
  }

  function probe(r: HttpRequest, onDone: OnDone<HttpResponse>): void {
    const ap = current;
    if (!ap || ap.behind === 'nothing' || ap.behind === 'nodns') return void later(() => onDone({ code: 'NET_CONNECT', message: 'no route' }, null), 50);
    if (ap.behind === 'captive') {
      return void later(() => onDone(null, { statusCode: 302, headers: [['Location', 'http://portal.example/login']], body: '' }), 50);
    }
    later(() => onDone(null, { statusCode: 204, headers: [], body: '' }), 50);
  }

  function visibleAp(ssid: string): FakeAp | null {
    for (const a of aps) {
      if (a.ssid !== ssid) continue;
      if (a.raisedAfterProbes !== undefined && probes.filter((p) => p === ssid).length < a.raisedAfterProbes) continue;
      return a;
    }
    return null;
  }

  const hal: Hal = {
    log: { log: (level: LogLevel, tag: string, message: string) => void logs.push(`${clock.t} ${level} ${tag}: ${message}`) },
    clock: {
      now: () => clock.t,
      setTimeout: (fn, ms) => clock.setTimeout(fn, ms),
      clearTimeout: (id) => clock.clearTimeout(id),
      setInterval: () => {
        throw new Error('not used');
      },
      clearInterval: () => undefined,
      defer: (fn) => void clock.setTimeout(fn, 0),
    },
    storage,
    crypto: {
      randomBytes: rnd,
      sha256: (d) => new Uint8Array(createHash('sha256').update(d).digest()),
      hmacSha256: (k, d) => new Uint8Array(createHmac('sha256', k).update(d).digest()),
      computeEcdhKey: (opts) => {
        const peer = opts.peerPublicKeyDer ? createPublicKey({ key: Buffer.from(opts.peerPublicKeyDer), format: 'der', type: 'spki' }) : o.keys.deviceTypePublic;
        const x = diffieHellman({ privateKey: o.keys.devicePrivate, publicKey: peer });
        later(() => opts.onDone(null, new Uint8Array(createHash('sha256').update(x).digest())), 5);
      },
      verifyCloudSignature: (opts) => {
        let ok = false;
        try {
          ok = verify('sha256', Buffer.from(opts.payload), o.keys.deviceTypePublic, Buffer.from(opts.derSignature));
        } catch {
          ok = false;
        }
        later(() => opts.onDone(null, ok), 5);
      },
      signWithDeviceKey: (opts) => {
        signed.push(Buffer.from(opts.data).toString('latin1'));
        later(() => opts.onDone(null, new Uint8Array(sign('sha256', Buffer.from(opts.data), o.keys.devicePrivate))), 5);
      },
    },
    config: {
      setConfigurationValue: (k, v) => (config.set(k, v), null),
      getConfigurationValue: (k) => (config.has(k) ? config.get(k) : flashed.get(k)),
      setRegistrationToken: (t, e) => (config.set("#reg", t + "@" + e), null),
      getRegistrationToken: () => (config.get('#reg') as string) || null,
      getRegistrationDetails: () => ({ state: 'COMPLETE' }),
      resetConfiguration: () => config.clear(),
    },
    http: {
      execute: (opts) => (opts.request.tls ? dss(opts.request, opts.onDone) : probe(opts.request, opts.onDone)),
    },
    wifi: {
      scan: (opts) => {
        const list: WifiScanResult[] = aps
          .filter((a) => a.raisedAfterProbes === undefined || probes.filter((p) => p === a.ssid).length >= a.raisedAfterProbes)
          .map((a) => ({ ssid: a.hidden ? '' : a.ssid, bssid: a.bssid, security: a.security, channel: a.channel, rssi: a.rssi, hidden: a.hidden }));
        lastScan = list;
        scanIdx = 0;
        later(() => opts.onDone(null, list), 2000);
      },
      getScanResult: () => (scanIdx < lastScan.length ? lastScan[scanIdx++] : null),
      addConfiguration: (c) => {
        const i = configs.findIndex((x) => x.ssid === c.ssid);
        if (i >= 0) configs[i] = c;
        else configs.push(c);
        return null;
      },
      removeConfiguration: (opts) => {
        const i = configs.findIndex((x) => x.ssid === opts.ssid);
        if (i >= 0) configs.splice(i, 1);
        if (current && current.ssid === opts.ssid) current = null;
        later(() => opts.onDone(null, null), 10);
      },
      connect: (opts) => {
        const c = configs.find((x) => x.ssid === opts.ssid) || (opts.ssid === undefined ? configs[0] : undefined);
        const fin = (err: HalError | null, d: WifiConnectionDetails | null, ms: number) => {
          const a: WifiConnectionAttempt = { ssid: c ? c.ssid : opts.ssid || '', security: c ? c.security : 'OPEN', state: err ? 'FAILED' : 'ASSOCIATED' };
          attempts.push(a);
          connects.push({ ssid: a.ssid, result: err ? err.code : 'ok', at: clock.t });
          later(() => {
            if (opts.onAttempt) opts.onAttempt(a);
            opts.onDone(err, d);
          }, ms);
        };
        if (!c) return fin({ code: 'WIFI_NOT_CONFIGURED', message: 'none' }, null, 1);
        if (c.security === 'OTHER' || (c.security === 'WPA_PSK' && (c.key.length < 8 || c.key.length > 64))) return fin({ code: 'WIFI_BAD_CONFIG', message: 'unusable' }, null, 1);
        current = null;
        if (c.hidden) probes.push(c.ssid);
        const ap = visibleAp(c.ssid);
        if (!ap) return fin({ code: 'WIFI_NO_AP_FOUND', message: 'no_ap_found' }, null, 3000);
        if (ap.security !== c.security || (ap.security !== 'OPEN' && ap.key !== c.key)) return fin({ code: 'WIFI_WRONG_PASSWORD', message: 'auth_fail' }, null, 4000);
        current = ap;
        fin(null, { ssid: ap.ssid, security: ap.security, state: 'ASSOCIATED', ip: '192.168.1.77' }, 1500);
      },
      getConnectionDetails: (opts) =>
        later(() => opts.onDone(null, { ssid: current ? current.ssid : '', security: current ? current.security : 'OPEN', state: current ? 'ASSOCIATED' : 'DISCONNECTED', ip: current ? '192.168.1.77' : undefined }), 1),
      getConnectionAttempt: () => (attemptIdx < attempts.length ? attempts[attemptIdx++] : null),
      disconnect: (opts) => {
        current = null;
        later(() => opts.onDone(null, null), 10);
      },
      startAccessPoint: (opts) => {
        world.accessPoint = { ssid: opts.ssid, password: opts.password };
        later(() => opts.onDone(null, null), 100);
      },
      stopAccessPoint: (opts) => {
        world.accessPoint = null;
        later(() => opts.onDone(null, null), 10);
      },
    },
    net: {
      listenUdp: (opts) => {
        world.udp[opts.port] = (m, reply) => opts.onMessage(m, { address: '192.168.1.20', port: 40000 }, reply);
        later(() => opts.onDone(null, null), 1);
      },
      closeUdp: (port) => void delete world.udp[port],
      serveHttp: (opts) => {
        world.httpServers[opts.port] = (req) => {
          let out: { status: number; body: string } | null = null;
          opts.onRequest(req, (status, _ct, body) => (out = { status, body }));
          return out;
        };
        later(() => opts.onDone(null, null), 1);
      },
      closeHttp: (port) => void delete world.httpServers[port],
    },
    ble: null as any,
    button: { watch: () => undefined },
    led: { set: () => undefined },
    system: { firmwareVersion: '2v29', board: 'ESP32', hardenConsole: () => undefined, memory: () => ({ free: 10000, total: 16383 }), reboot: () => undefined },
  };
  world.hal = hal;
  return world;
}

/** The standard world: a provisioner (encoded network after 2 probes), a home network, neighbours. */
export function standardAps(keys: TestKeys, extra: FakeAp[] = []): FakeAp[] {
  return [
    { ssid: 'HomeNet', bssid: 'aa:bb:cc:00:00:01', security: 'WPA_PSK', key: 'home-secret-1', channel: 6, rssi: -40, hidden: false, behind: 'internet' },
    { ssid: 'Neighbour "5G"', bssid: 'aa:bb:cc:00:00:02', security: 'WPA_PSK', key: 'x'.repeat(10), channel: 11, rssi: -70, hidden: false, behind: 'internet' },
    { ssid: 'CafeOpen', bssid: 'aa:bb:cc:00:00:03', security: 'OPEN', key: '', channel: 1, rssi: -80, hidden: false, behind: 'internet' },
    { ssid: 'OldWep', bssid: 'aa:bb:cc:00:00:04', security: 'WEP', key: '12345', channel: 3, rssi: -75, hidden: false, behind: 'internet' },
    { ssid: 'Corp', bssid: 'aa:bb:cc:00:00:05', security: 'OTHER', key: '', channel: 36, rssi: -60, hidden: false, behind: 'internet' },
    { ssid: 'HiddenOne', bssid: 'aa:bb:cc:00:00:06', security: 'WPA_PSK', key: 'hidden-secret', channel: 9, rssi: -50, hidden: true, behind: 'internet' },
    ...extra,
  ];
}

/**
 * Raise the encoded setup network once the device has probed for it: the provisioner decodes the
 * SSID from the probe and derives the passphrase with the device-type private key.
 */
export function attachProvisioner(world: FakeWorld, keys: TestKeys, probesNeeded = 2, b85decode: (s: string) => Uint8Array | null): void {
  const seen = new Set<string>();
  const origConnect = world.hal.wifi.connect;
  world.hal.wifi.connect = (opts) => {
    const ssid = opts.ssid || '';
    if (ssid.length === 32 && !seen.has(ssid)) {
      const tail = b85decode(ssid.substring(2));
      if (tail) {
        seen.add(ssid);
        const nonce = tail.subarray(12, 24);
        world.aps.push({
          ssid,
          bssid: '02:00:00:00:88:88',
          security: 'WPA_PSK',
          key: provisionerPassphrase(keys, nonce),
          channel: 1,
          rssi: -30,
          hidden: true,
          behind: 'internet',
          relay8888: true,
          raisedAfterProbes: probesNeeded,
        });
      }
    }
    origConnect(opts);
  };
}
