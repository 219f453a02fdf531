// hal/espruino/{http,wifi,net,config}.ts against fake Espruino modules (Wifi, net, dgram, http,
// Storage) with the ESP32 IDF5 behaviour documented in docs/WSS-SIM.md and espruino.md, on virtual
// timers (the HAL uses Espruino's global setTimeout).
import { test } from 'uvu';
import * as fs from 'node:fs';
(globalThis as any).__fs = fs;
import * as assert from 'uvu/assert';
import { generateKeyPairSync } from 'node:crypto';
import { createResponseParser, serializeRequest, createHttp } from '../../hal/espruino/http.ts';
import { createWifi, configProblem, securityOf, wifiError } from '../../hal/espruino/wifi.ts';
import { createConfig, findSpki } from '../../hal/espruino/config.ts';
import { FILES } from '../../hal/storage-layout.ts';
import { createStorage } from '../../hal/espruino/storage.ts';
import { memoryStorage } from '../support/memory-storage.ts';
import { VirtualClock } from './support/fake-hal.ts';

// ---- a virtual global timer set and a fake require() ------------------------------------------
function withEspruino(modules: { [name: string]: any }, fn: (clock: VirtualClock) => void): void {
  const g = globalThis as any;
  const saved = { setTimeout: g.setTimeout, clearTimeout: g.clearTimeout, require: g.require, E: g.E };
  const clock = new VirtualClock();
  g.setTimeout = (f: () => void, ms: number) => clock.setTimeout(f, ms);
  g.clearTimeout = (id: number) => {
    // as 2v29 (checked on the interpreter): an explicit undefined throws, a fired or unknown id is ignored
    if (id === undefined) throw new Error('clearTimeout(undefined) not allowed. Use clearTimeout() instead');
    clock.clearTimeout(id);
  };
  g.require = (n: string) => {
    if (!(n in modules)) throw new Error('Module ' + n + ' not found');
    return modules[n];
  };
  g.E = { toString: (d: any) => String(d), srand: () => undefined };
  try {
    fn(clock);
  } finally {
    g.setTimeout = saved.setTimeout;
    g.clearTimeout = saved.clearTimeout;
    g.require = saved.require;
    g.E = saved.E;
  }
}

const log = { log: () => undefined };

// ---- HTTP/1.1 parser ----------------------------------------------------------------------------
function parseAll(chunks: string[], max = 4096) {
  const p = createResponseParser(max);
  let r = '';
  for (const c of chunks) {
    r = p.feed(c);
    if (r) break;
  }
  if (!r) r = p.peerClosed();
  return { r, res: p.toResponse() };
}

test('parser: Content-Length body split anywhere, headers kept in order with duplicates', () => {
  const body = '{"canProceed":true,"nonce":"x"}';
  const text = 'HTTP/1.1 200 OK\r\nx-amzn-dss-signature: AAA\r\nContent-Length: ' + body.length + '\r\nX-Amzn-Dss-Signature: BBB\r\n\r\n' + body;
  for (let cut = 1; cut < text.length; cut += 7) {
    const { r, res } = parseAll([text.slice(0, cut), text.slice(cut)]);
    assert.is(r, 'done');
    assert.is(res.statusCode, 200);
    assert.is(res.body, body);
    assert.equal(res.headers.map((h) => h[1]), ['AAA', String(body.length), 'BBB']);
  }
});

test('parser: interim responses are skipped in a loop, not by recursion (the device stack is ~37 calls)', () => {
  // 40,000 interim responses in one buffer would overflow even Node's stack if each were a call.
  const many = 'HTTP/1.1 100 Continue\r\n\r\n'.repeat(40000) + 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}';
  const { r, res } = parseAll([many], 1 << 20);
  assert.is(r, 'done');
  assert.is(res.body, '{}');
});

test('parser: chunked, close-delimited, 100 Continue, 204', () => {
  const chunked = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n';
  assert.equal(parseAll([chunked]).res.body, 'hello world');
  assert.is(parseAll(chunked.split('')).res.body, 'hello world');
  const closeDelimited = parseAll(['HTTP/1.0 200 OK\r\n\r\nabc', 'def']);
  assert.is(closeDelimited.r, 'done');
  assert.is(closeDelimited.res.body, 'abcdef');
  const cont = parseAll(['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok']);
  assert.is(cont.res.statusCode, 201);
  assert.is(parseAll(['HTTP/1.1 204 No Content\r\n\r\n']).r, 'done');
});

test('parser: oversized, truncated and malformed answers are errors', () => {
  assert.is(parseAll(['HTTP/1.1 200 OK\r\nContent-Length: 99999\r\n\r\n'], 6144).r, 'NET_TOO_LARGE');
  assert.is(parseAll(['HTTP/1.1 200 OK\r\n\r\n' + 'x'.repeat(7000)], 6144).r, 'NET_TOO_LARGE');
  assert.is(parseAll(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2000\r\n'], 6144).r, 'NET_TOO_LARGE');
  assert.is(parseAll(['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort']).r, 'NET_RESET');
  assert.is(parseAll(['SSH-2.0-OpenSSH\r\n\r\n']).r, 'NET_PROTOCOL');
  assert.is(parseAll(['HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab']).r, 'NET_PROTOCOL');
  assert.is(parseAll(['HTTP/1.1 200 OK\r\nno colon here\r\n\r\n']).r, 'NET_PROTOCOL');
});

test('request: Host with a non-default port, Content-Length always, Connection: close', () => {
  const text = serializeRequest({ method: 'POST', host: 'dp-sps-na.amazon.com', port: 8888, path: '/api/v1/report', headers: { 'Content-Type': 'application/json' }, body: '{"a":1}', tls: true, timeoutMs: 1 });
  assert.is(text, 'POST /api/v1/report HTTP/1.1\r\nHost: dp-sps-na.amazon.com:8888\r\nContent-Type: application/json\r\nContent-Length: 7\r\nConnection: close\r\n\r\n{"a":1}');
  const get = serializeRequest({ method: 'GET', host: 'h', port: 80, path: '/generate_204', headers: {}, body: '', tls: false, timeoutMs: 1 });
  assert.is(get, 'GET /generate_204 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n');
});

// ---- the HTTP service over a fake `net` socket ------------------------------------------------
function fakeSocketModule(script: (written: string) => { chunks?: string[]; close?: boolean; silent?: boolean }) {
  const log: string[] = [];
  return {
    log,
    connect(o: any, cb: () => void) {
      const handlers: { [k: string]: (d?: any) => void } = {};
      let written = '';
      const sock = {
        on: (ev: string, f: any) => void (handlers[ev] = f),
        write: (d: string) => {
          written += d;
          const plan = script(written);
          if (plan.silent) return;
          let t = 10;
          for (const c of plan.chunks || []) (globalThis as any).setTimeout(() => handlers.data && handlers.data(c), t++);
          if (plan.close) (globalThis as any).setTimeout(() => handlers.close && handlers.close(), t++);
        },
        end: () => log.push('end'),
      };
      log.push('connect ' + o.host + ':' + o.port);
      (globalThis as any).setTimeout(() => cb(), 5);
      return sock;
    },
  };
}

test('HTTP service: a plain GET, a timeout that never clears a fired timer, and a DNS throw', () => {
  const net = fakeSocketModule(() => ({ chunks: ['HTTP/1.1 204 No Content\r\n', '\r\n'] }));
  withEspruino({ net }, (clock) => {
    const http = createHttp();
    let got: any = null;
    http.execute({ request: { method: 'GET', host: 'probe', port: 80, path: '/generate_204', headers: {}, body: '', tls: false, timeoutMs: 1000 }, maxBodyBytes: 100, onDone: (e, r) => (got = { e, r }) });
    assert.is(got, null);
    clock.run();
    assert.is(got.e, null);
    assert.is(got.r.statusCode, 204);
  });
  const silent = fakeSocketModule(() => ({ silent: true }));
  withEspruino({ net: silent }, (clock) => {
    const http = createHttp();
    let got: any = null;
    http.execute({ request: { method: 'GET', host: 'h', port: 80, path: '/', headers: {}, body: '', tls: false, timeoutMs: 5000 }, maxBodyBytes: 100, onDone: (e) => (got = e) });
    clock.run();
    assert.is(got.code, 'NET_TIMEOUT');
    assert.is(clock.t, 5000);
    assert.ok(silent.log.includes('end'));
  });
  const throwing = { connect: () => { throw new Error('Unable to locate host\n'); } };
  withEspruino({ net: throwing }, (clock) => {
    const http = createHttp();
    let got: any = null;
    http.execute({ request: { method: 'GET', host: 'nowhere', port: 80, path: '/', headers: {}, body: '', tls: false, timeoutMs: 5000 }, maxBodyBytes: 100, onDone: (e) => (got = e) });
    assert.is(got, null);
    clock.run();
    assert.is(got.code, 'NET_DNS');
  });
});

// ---- Wifi ----------------------------------------------------------------------------------------
function fakeWifi(behaviour: { [ssid: string]: 'ok' | string }) {
  const handlers: { [ev: string]: (d: any) => void } = {};
  const calls: string[] = [];
  let connected: string | null = null;
  let lastReason = 'Unknown reason'; // as jswrap_wifi_getDetails before any join
  const W = {
    calls,
    on: (ev: string, f: any) => void (handlers[ev] = f),
    scan: (cb: (list: any[]) => void) =>
      (globalThis as any).setTimeout(() => cb([
        { ssid: 'home', mac: 'aa:bb:cc:dd:ee:01', authMode: 'wpa2', channel: '6', rssi: -50 },
        { ssid: '', mac: 'aa:bb:cc:dd:ee:02', authMode: 'wpa2', channel: '1', rssi: -60 },
        { ssid: 'cafe', mac: 'aa:bb:cc:dd:ee:03', authMode: 'open', channel: '11', rssi: -70 },
      ]), 1600),
    connect: (ssid: string, o: any, cb: (e: any) => void) => {
      calls.push('connect ' + ssid + ' ' + (o.password || ''));
      const b = behaviour[ssid] || 'NO_AP_FOUND';
      (globalThis as any).setTimeout(() => {
        if (b === 'ok') {
          connected = ssid;
          cb(null);
        } else {
          lastReason = b;
          handlers.disconnected({ ssid, reason: '201', msg: b });
        }
      }, 3000);
    },
    disconnect: (cb?: () => void) => {
      calls.push('disconnect');
      const was = connected;
      connected = null;
      if (cb) (globalThis as any).setTimeout(cb, 0);
      if (was) (globalThis as any).setTimeout(() => { lastReason = 'ASSOC_LEAVE'; handlers.disconnected({ ssid: was, reason: '8', msg: 'ASSOC_LEAVE' }); if (cb) cb(); }, 200);
    },
    // returns the info; a callback, when given, is queued besides (getIPInfo, jswrap_esp32_network.c)
    getIP: (cb: any) => {
      const info = { ip: connected ? '192.168.1.9' : '0.0.0.0' };
      if (cb) (globalThis as any).setTimeout(() => cb(null, info), 0);
      return info;
    },
    // returns the details (a callback, when given, is queued besides): ESP32 2v29 jswrap_wifi_getDetails
    getDetails: (cb: any) => {
      const d = connected ? { status: 'connected', ssid: connected, authMode: 'wpa2' } : { status: lastReason };
      if (cb) (globalThis as any).setTimeout(() => cb(d), 0);
      return d;
    },
    startAP: (s: string, o: any, cb: any) => (globalThis as any).setTimeout(() => cb(null), 100),
    stopAP: (cb: any) => (globalThis as any).setTimeout(cb, 10),
  };
  return W;
}

test('Wifi: scan mapping (string channel, upper-case BSSID, hidden by empty SSID)', () => {
  const W = fakeWifi({});
  withEspruino({ Wifi: W }, (clock) => {
    const wifi = createWifi(log);
    let list: any = null;
    wifi.scan({ onDone: (e, l) => (list = l) });
    clock.run();
    assert.equal(list[0], { ssid: 'home', bssid: 'AA:BB:CC:DD:EE:01', security: 'WPA_PSK', channel: 6, rssi: -50, hidden: false });
    assert.is(list[1].hidden, true);
    assert.is(list[2].security, 'OPEN');
  });
});

test('Wifi: failures come from the disconnected event; success gives the IP; attempts recorded', () => {
  const W = fakeWifi({ home: 'ok', bad: '4WAY_HANDSHAKE_TIMEOUT' });
  withEspruino({ Wifi: W }, (clock) => {
    const wifi = createWifi(log);
    const results: string[] = [];
    wifi.addConfiguration({ ssid: 'bad', security: 'WPA_PSK', key: 'wrong-pass', hidden: false, priority: 0 });
    wifi.addConfiguration({ ssid: 'gone', security: 'OPEN', key: '', hidden: true, priority: 1 });
    wifi.addConfiguration({ ssid: 'short', security: 'WPA_PSK', key: 'abc', hidden: false, priority: 2 });
    wifi.addConfiguration({ ssid: 'home', security: 'WPA_PSK', key: 'home-pass', hidden: false, priority: 3 });
    const attempts: string[] = [];
    const onAttempt = (a: { ssid: string; state: string }) => attempts.push(a.ssid + '=' + a.state);
    for (const s of ['bad', 'gone', 'short', 'home', 'unknown']) {
      let sync = true;
      wifi.connect({ ssid: s, onAttempt, onDone: (e, d) => results.push(s + ':' + (e ? e.code : d!.ip) + (sync ? ' (sync!)' : '')) });
      sync = false;
      clock.run();
    }
    assert.equal(results, ['bad:WIFI_WRONG_PASSWORD', 'gone:WIFI_NO_AP_FOUND', 'short:WIFI_BAD_CONFIG', 'home:192.168.1.9', 'unknown:WIFI_NOT_CONFIGURED']);
    assert.not.ok(W.calls.some((c) => c.startsWith('connect short')), 'an unusable passphrase never reaches the radio');
    assert.equal(attempts, ['bad=FAILED', 'gone=FAILED', 'short=FAILED', 'home=ASSOCIATED'], 'no attempt for a network never configured');
    // without an SSID: the configured network with the lowest priority
    let first = '';
    wifi.connect({ onDone: (e) => (first = e ? e.code : 'ok') });
    clock.run();
    assert.is(first, 'WIFI_WRONG_PASSWORD', 'bad (priority 0) is tried');
  });
});

test('Wifi: removing the connected network waits until the station has left', () => {
  const W = fakeWifi({ home: 'ok' });
  withEspruino({ Wifi: W }, (clock) => {
    const wifi = createWifi(log);
    wifi.addConfiguration({ ssid: 'home', security: 'OPEN', key: '', hidden: false, priority: 0 });
    wifi.connect({ ssid: 'home', onDone: () => undefined });
    clock.run();
    let leftAt = -1;
    const t0 = clock.t;
    wifi.removeConfiguration({ ssid: 'home', onDone: () => (leftAt = clock.t - t0) });
    clock.run();
    assert.ok(leftAt >= 200, 'after the disconnected event, not at the immediate callback (' + leftAt + ')');
  });
});

test('Wifi: connection details from the driver: none before a join, failed after a failure, the IP once associated, none after leaving', () => {
  const W = fakeWifi({ home: 'ok', bad: 'AUTH_FAIL' });
  withEspruino({ Wifi: W }, (clock) => {
    const wifi = createWifi(log);
    const got: any[] = [];
    const details = () => {
      wifi.getConnectionDetails({ onDone: (e, d) => got.push(d) });
      assert.is(got.length % 2, 0, 'not synchronously');
      got.push('-');
      clock.run();
    };
    details();
    for (const ssid of ['bad', 'home']) {
      wifi.addConfiguration({ ssid, security: 'WPA_PSK', key: ssid + '-pass', hidden: false, priority: 0 });
      wifi.connect({ ssid, onDone: () => undefined });
      clock.run();
      details();
    }
    wifi.disconnect({ onDone: () => undefined });
    clock.run();
    details();
    assert.equal(got.filter((d) => d !== '-'), [
      { ssid: '', security: 'UNKNOWN', state: 'DISCONNECTED' },
      { ssid: '', security: 'UNKNOWN', state: 'FAILED' },
      { ssid: 'home', security: 'WPA_PSK', state: 'ASSOCIATED', ip: '192.168.1.9' },
      { ssid: '', security: 'UNKNOWN', state: 'DISCONNECTED' },
    ]);
  });
});

test('Wifi: a connect that never ends times out (no callback on IDF5 without an event)', () => {
  const W = fakeWifi({});
  W.connect = (() => undefined) as any;
  withEspruino({ Wifi: W }, (clock) => {
    const wifi = createWifi(log);
    wifi.addConfiguration({ ssid: 'x', security: 'OPEN', key: '', hidden: false, priority: 0 });
    let code = '';
    wifi.connect({ ssid: 'x', onDone: (e) => (code = e!.code) });
    clock.run();
    assert.is(code, 'WIFI_TIMEOUT');
  });
});

test('Wifi: a scan that never answers or throws is WIFI_SCAN; a stopAP that calls back twice ends once', () => {
  const W = fakeWifi({});
  withEspruino({ Wifi: W }, (clock) => {
    const wifi = createWifi(log);
    const got: string[] = [];
    W.scan = (() => undefined) as any;
    wifi.scan({ onDone: (e, l) => got.push(e ? e.code + ' ' + e.message + ' at ' + clock.t : 'list') });
    assert.equal(got, []);
    clock.run();
    W.scan = (() => { throw new Error('A scan is already in progress'); }) as any;
    wifi.scan({ onDone: (e) => got.push(e!.code + ' ' + e!.message) });
    assert.is(got.length, 1, 'not synchronously');
    clock.run();
    W.scan = ((cb: (x: unknown) => void) => (globalThis as any).setTimeout(() => cb('not a list'), 5)) as any;
    wifi.scan({ onDone: (e, l) => got.push(e ? e.code + ' ' + e.message : 'list ' + l) });
    clock.run();
    assert.equal(got, ['WIFI_SCAN timeout at 15000', 'WIFI_SCAN Error: A scan is already in progress', 'WIFI_SCAN not a list']);
    W.stopAP = ((cb: () => void) => { cb(); cb(); }) as any;
    let stops = 0;
    wifi.stopAccessPoint({ onDone: () => stops++ });
    assert.is(stops, 0);
    clock.run();
    assert.is(stops, 1);
  });
});

test('Wifi helpers: auth modes, reasons, configurations the radio refuses', () => {
  assert.is(securityOf('wpa_wpa2'), 'WPA_PSK');
  assert.is(securityOf('wep'), 'WEP');
  assert.is(securityOf('wpa2_enterprise'), 'OTHER');
  assert.is(wifiError('NO_AP_FOUND').code, 'WIFI_NO_AP_FOUND');
  assert.equal(wifiError('AUTH_FAIL'), { code: 'WIFI_WRONG_PASSWORD', message: 'AUTH_FAIL' });
  assert.is(wifiError('ASSOC_FAIL').code, 'WIFI_CONNECT_FAIL');
  assert.is(wifiError('BEACON_TIMEOUT').code, 'WIFI_CONNECT_FAIL');
  const problem = (ssid: string, security: any, key: string) => configProblem({ ssid, security, key, hidden: false, priority: 0 });
  assert.is(problem('a', 'WPA_PSK', 'short'), 'key', 'WPA: 8 to 63 characters');
  assert.is(problem('a', 'WPA_PSK', 'x'.repeat(63)), '');
  assert.is(problem('a', 'WPA_PSK', 'x'.repeat(64)), 'key', '64 characters only as hex');
  assert.is(problem('a', 'WPA_PSK', 'f'.repeat(64)), '');
  assert.is(problem('a', 'WPA_PSK', 'f'.repeat(65)), 'key');
  assert.is(problem('a', 'WEP', '12345'), '');
  assert.is(problem('a', 'WEP', '123456'), 'key', 'WEP: 5 or 13 bytes');
  assert.is(problem('', 'OPEN', ''), 'ssid');
  assert.is(problem('x'.repeat(33), 'OPEN', ''), 'ssid', 'SSID: at most 32 bytes');
  assert.is(problem('x'.repeat(32), 'OPEN', ''), '');
  assert.is(problem('a', 'OTHER', ''), 'security', 'not supported');
});

// ---- Storage -------------------------------------------------------------------------------------
test('Storage: missing files are null, corrupt JSON is logged, each failed write is a coded error naming the file', () => {
  const files: { [n: string]: string } = { 'a.json': '{"x":1}', 'bad.json': '{x' };
  let mode = 'ok';
  const S = {
    read: (n: string) => files[n],
    readArrayBuffer: (n: string) => (n in files ? new Uint8Array(Buffer.from(files[n], 'latin1')).buffer : undefined),
    write: (n: string, t: string) => {
      if (mode === 'throw') throw new Error('Not enough free space');
      if (mode === 'false') return false;
      files[n] = t;
      return true;
    },
    erase: (n: string) => void delete files[n],
    list: () => Object.keys(files),
    getFree: () => 1234,
    compact: () => (mode = 'compacted'),
  };
  withEspruino({ Storage: S }, (clock) => {
    // E.toString makes a flat binary string of bytes (undefined when it cannot), E.toUint8Array the reverse
    (globalThis as any).E.toString = (d: Uint8Array) => Buffer.from(d).toString('latin1');
    (globalThis as any).E.toUint8Array = (s: string) => new Uint8Array(Buffer.from(s, 'latin1'));
    const logs: string[] = [];
    const st = createStorage((m) => logs.push(m));
    assert.is(st.read('none'), null);
    assert.is(st.readString('none'), null);
    assert.is(st.readMapped('none'), null);
    assert.equal(st.readJSON('a.json'), { x: 1 });
    assert.is(st.readJSON('bad.json'), null);
    assert.is(st.readJSON('none'), null);
    assert.equal(logs, ['corrupt JSON in bad.json'], 'a missing file is not corrupt');
    assert.is(st.write('b', new Uint8Array([104, 105])), null);
    assert.is(st.readString('b'), 'hi');
    assert.equal(Array.from(st.read('b')!), [104, 105]);
    assert.equal(st.list('a'), ['a.json']);
    assert.is(st.free(), 1234);
    mode = 'false';
    assert.equal(st.writeJSON('c', { y: 2 }), { code: 'STORAGE_WRITE', message: 'c' });
    mode = 'throw';
    assert.equal(st.write('c', 'z'), { code: 'STORAGE_FULL', message: 'c: Error: Not enough free space' });
    (globalThis as any).E.toString = () => undefined;
    assert.equal(st.write('c', new Uint8Array(3)), { code: 'STORAGE_MEMORY', message: 'c' });
    assert.not.ok('c' in files, 'nothing written');
    st.compact!();
    assert.is(mode, 'throw', 'compacted on a later turn');
    clock.run();
    assert.is(mode, 'compacted');
  });
});

// ---- configuration --------------------------------------------------------------------------------
test('config: ffs.cfg values by CSDK key, runtime values persisted and reset, public key from the leaf', () => {
  const storage = memoryStorage();
  const kp = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = kp.publicKey.export({ type: 'spki', format: 'der' });
  storage.write(FILES.config, JSON.stringify({ productIndex: 'SIM1', deviceDetails: { manufacturerName: 'Acme', serialNumber: 'SN1' }, dss: { host: 'dp-sps-na.amazon.com', port: 443 }, 'WSS.AllowWepNetworks': false, wss: { setupNetworkSsid: 'maker' }, connectivity: { probePath: '/p' }, discovery: { port: 81 }, flows: { softAp: false } }));
  storage.write(FILES.certChain, Buffer.concat([Buffer.from([0x30, 0x10]), spki, Buffer.from('tail')]).toString('latin1'));
  storage.write(FILES.deviceTypeKey, Buffer.from(spki).toString('latin1'));
  const cfg = createConfig(storage);
  assert.is(cfg.getConfigurationValue('DeviceInformation.ProductIndex'), 'SIM1');
  assert.is(cfg.getConfigurationValue('DeviceInformation.ManufacturerName'), 'Acme');
  assert.is(cfg.getConfigurationValue('DSS.Port'), 443);
  assert.is(cfg.getConfigurationValue('WSS.AllowWepNetworks'), false);
  assert.is(cfg.getConfigurationValue('WSS.SetupNetworkSsid'), 'maker', 'Abc.Xyz is abc.xyz');
  assert.is(cfg.getConfigurationValue('Connectivity.ProbePath'), '/p');
  assert.is(cfg.getConfigurationValue('Discovery.Port'), 81);
  assert.is(cfg.getConfigurationValue('SoftAp.Enabled'), false, 'the exception');
  assert.is(cfg.getConfigurationValue('DeviceInformation.ModelNumber'), undefined, 'absent = NOT_IMPLEMENTED');
  assert.ok(Buffer.from(cfg.getConfigurationValue('DeviceInformation.PublicKey') as Uint8Array).equals(spki));
  const latin1 = (...parts: Buffer[]) => Buffer.concat(parts).toString('latin1');
  assert.ok(Buffer.from(findSpki(latin1(Buffer.alloc(7), spki))!).equals(spki));
  assert.is(findSpki(latin1(Buffer.alloc(7), spki.subarray(0, 90))), null, 'cut short');
  assert.is(findSpki(latin1(spki.subarray(1))), null, 'no prefix');
  assert.is(cfg.setConfigurationValue('#registrationToken', 'x')!.code, 'CONFIG_KEY', 'internal keys cannot be set');
  assert.is(cfg.setConfigurationValue('Some.Bytes', new Uint8Array(2))!.code, 'NOT_IMPLEMENTED');
  assert.is(cfg.setConfigurationValue('DSS.Host', 'other.example'), null);
  assert.is(cfg.setConfigurationValue('FFS.SessionToken', 'tok'), null);
  cfg.setRegistrationToken('reg', 123);
  const again = createConfig(storage);
  assert.is(again.getConfigurationValue('DSS.Host'), 'other.example');
  assert.is(again.getRegistrationToken(), 'reg');
  assert.is(again.getConfigurationValue('#registrationToken'), undefined, 'internal keys stay internal');
  again.resetConfiguration();
  assert.is(storage.readString(FILES.runtimeConfig), null);
  assert.is(createConfig(storage).getConfigurationValue('DSS.Host'), 'dp-sps-na.amazon.com');
  // an ffs.cfg without those sections, or with the wrong types: nothing (NOT_IMPLEMENTED), never a throw
  storage.write(FILES.config, JSON.stringify({ dss: 'x', deviceDetails: { manufacturerName: { a: 1 } }, productIndex: 7 }));
  const bare = createConfig(storage);
  for (const k of ['SoftAp.Enabled', 'DSS.Host', 'DeviceInformation.ManufacturerName', 'Connectivity.ProbeHost']) assert.is(bare.getConfigurationValue(k), undefined, k);
  assert.is(bare.getConfigurationValue('DeviceInformation.ProductIndex'), 7);
});

test.run();
