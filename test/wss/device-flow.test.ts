// The whole provisionee against the fake world: the cloud-driven state machine, the encoded network
// and its fallbacks, every error code, credentials saved only after a verified connection, soft-AP
// fallback, the button actions, reboots mid-flow, local discovery and the session-token hand-off.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPublicKey, verify } from 'node:crypto';
import { startWss } from '../../firmware/wss/index.ts';
import { base85Decode } from '../../firmware/crypto/base85.ts';
import { openWssStore, loadRecord } from '../../firmware/wss/state.ts';
import { DISCOVERY_PORT } from '../../firmware/wss/discovery.ts';
import { FILES } from '../../hal/storage-layout.ts';
import { PowerCut } from '../support/memory-storage.ts';
import {
  attachProvisioner,
  createWorld,
  freshKeys,
  standardAps,
  type DssFault,
  type FakeAp,
  type FakeWorld,
  type FakeWorldOptions,
  type TestKeys,
} from './support/fake-hal.ts';

const HOME = { ssid: 'HomeNet', security: 'WPA_PSK' as const, key: 'home-secret-1' };

function world(opts: Partial<FakeWorldOptions> & { keys?: TestKeys; provisioner?: boolean; probes?: number } = {}): FakeWorld {
  const keys = opts.keys || freshKeys();
  const w = createWorld({
    ...opts,
    keys,
    aps: opts.aps || standardAps(keys),
    locker: opts.locker || [HOME],
    config: { 'DeviceInformation.ProductIndex': 'SIM1', 'DeviceInformation.ManufacturerName': 'Acme', 'DeviceInformation.SerialNumber': 'SN-0042', 'DeviceInformation.ModelNumber': 'M1', ...(opts.config || {}) },
  });
  if (opts.provisioner !== false) attachProvisioner(w, keys, opts.probes ?? 2, base85Decode);
  return w;
}

function run(w: FakeWorld, untilMs = 600000) {
  const ctl = startWss(w.hal, {});
  w.clock.run(untilMs);
  return ctl;
}

const record = (w: FakeWorld) => loadRecord(openWssStore(w.storage));
/** FFS is off for this boot: the device said so, its soft AP is up, and nothing is left running. */
const ffsOff = (w: FakeWorld) => w.logs.some((l) => l.includes('FFS off')) && !!w.accessPoint && w.clock.pending() === 0;
const ops = (w: FakeWorld) => w.exchanges.map((e) => e.op + (e.op === 'report' ? ':' + JSON.parse(e.body).currentProvisioningState : '') + '@' + e.port);
const attemptCodes = (w: FakeWorld) =>
  w.reports.flatMap((r) => (r.wifiNetworkInfoList || []).map((a: any) => a.ssid.slice(1, -1) + '=' + a.wifiConnectionState + (a.errorDetails ? ':' + a.errorDetails.code : '')));

test('happy path on the encoded network: 8888 during setup, 443 after the switch, DONE', () => {
  const w = world();
  run(w);
  assert.equal(ops(w), [
    'startProvisioningSession@8888',
    'report:START_PROVISIONING@8888',
    'computeConfigurationData@8888',
    'report:COMPUTE_CONFIGURATION@8888',
    'postWifiScanData@8888',
    'report:POST_WIFI_SCAN_DATA@8888',
    'getWifiCredentials@8888',
    'report:GET_WIFI_LIST@8888',
    'report:CONNECTING_TO_USER_NETWORK@443',
    'report:CONNECTED_TO_USER_NETWORK@443',
  ]);
  assert.ok(w.logs.some((l) => l.includes('Wi-Fi Simple Setup done')));
  assert.is(w.current()!.ssid, 'HomeNet');
  const rec = record(w);
  assert.equal(rec.network, HOME);
  assert.is(rec.runs, 0);
  // directed probes for the hidden encoded SSID until the provisioner raised it
  const encoded = w.probes[0];
  assert.is(encoded.length, 32);
  assert.is(w.probes.filter((p) => p === encoded).length, 2);
  // report sequence numbers follow the SDK's client-wide counter (3, 6, 9, 12, 14, 16 in the real log)
  assert.equal(w.reports.map((r) => r.sequenceNumber), [3, 6, 9, 12, 14, 16]);
  // the configuration values and the registration token were stored
  assert.is(w.config.get('FFS.SessionToken'), 'amzn1.ffs.wss-wifi-session-token.t1');
  assert.is(w.config.get('#reg'), 'reg-token-1@1767225600000');
  // the START_PROVISIONING report lists the setup-network attempt, the CONNECTING one the home network
  assert.equal(attemptCodes(w), [encoded + '=ASSOCIATED', 'HomeNet=ASSOCIATED']);
});

test('request bodies: field order, quoted SSIDs, upper-case BSSID, channel as frequency, filters', () => {
  const w = world();
  run(w);
  const bodies = w.exchanges.map((e) => e.body);
  assert.match(bodies[0], /^\{"nonce":"[A-Za-z0-9+/]{31}"\}$/);
  const cc = bodies[2];
  assert.match(cc, /^\{"nonce":"[A-Za-z0-9+/]{31}","sessionId":"amzn1\.ffs\.wss-wifi-session-id\.test-1","deviceDetails":\{"manufacturer":"Acme","deviceModel":"M1","deviceSerial":"SN-0042","productIndex":"SIM1"\}\}$/);
  const scan = bodies[4];
  assert.ok(scan.indexOf('"deviceDetails":{') < scan.indexOf('"sequenceNumber":1,"wifiScanDataList":['));
  const list = JSON.parse(scan).wifiScanDataList;
  assert.equal(list[0], { ssid: '"HomeNet"', bssid: 'AA:BB:CC:00:00:01', securityProtocol: 'WPA_PSK', rssi: -40, frequency: 6 });
  assert.ok(scan.includes('"ssid":"\\"Neighbour \\"5G\\"\\""'), 'inner quotes JSON-escaped inside the literal quotes');
  const ssids = list.map((e: any) => e.ssid.slice(1, -1));
  assert.equal(ssids.sort(), ['CafeOpen', 'HomeNet', 'Neighbour "5G"', 'OldWep'], 'no hidden, no OTHER, no setup network');
  const rep = bodies[1];
  assert.match(rep, /"sequenceNumber":3,"currentProvisioningState":"START_PROVISIONING","registrationState":"COMPLETE","stateTransitionResult":"SUCCESS","wifiNetworkInfoList":\[/);
  const cred = bodies[6];
  assert.match(cred, /,"sequenceNumber":1\}$/);
  // fresh nonce in every request
  const nonces = w.exchanges.map((e) => JSON.parse(e.body).nonce);
  assert.is(new Set(nonces).size, nonces.length);
});

test('WEP and open networks can be filtered out by configuration', () => {
  const w = world({ config: { 'WSS.AllowOpenNetworks': false, 'WSS.AllowWepNetworks': 'false' } as any });
  run(w);
  const list = JSON.parse(w.exchanges.find((e) => e.op === 'postWifiScanData')!.body).wifiScanDataList;
  assert.equal(list.map((e: any) => e.ssid.slice(1, -1)).sort(), ['HomeNet', 'Neighbour "5G"']);
});

test('many networks are posted in batches, the leftover carried to the next post', () => {
  const keys = freshKeys();
  const many: FakeAp[] = [];
  for (let i = 0; i < 40; i++) {
    many.push({ ssid: 'Net-' + i + '-' + 'x'.repeat(20), bssid: '02:00:00:00:01:' + (16 + i).toString(16), security: 'WPA_PSK', key: 'k'.repeat(9), channel: 1, rssi: -90, hidden: false, behind: 'internet' });
  }
  const w = world({ keys, aps: standardAps(keys, many), locker: [{ ssid: 'Net-39-' + 'x'.repeat(20), security: 'WPA_PSK', key: 'k'.repeat(9) }] });
  run(w);
  const posts = w.exchanges.filter((e) => e.op === 'postWifiScanData').map((e) => JSON.parse(e.body));
  assert.ok(posts.length >= 2, 'batched');
  assert.equal(posts.map((p) => p.sequenceNumber), posts.map((_p, i) => i + 1));
  const total = posts.reduce((n, p) => n + p.wifiScanDataList.length, 0);
  assert.is(total, 44);
  for (const e of w.exchanges.filter((x) => x.op === 'postWifiScanData')) assert.ok(e.body.length < 2048);
  assert.ok(w.logs.some((l) => l.includes('Wi-Fi Simple Setup done')));
});

test('fallback to the open hidden simple_setup when no provisioner raises the encoded network (port 443)', () => {
  const keys = freshKeys();
  const w = world({
    keys,
    provisioner: false,
    aps: standardAps(keys, [{ ssid: 'simple_setup', bssid: '02:00:00:00:55:55', security: 'OPEN', key: '', channel: 1, rssi: -30, hidden: true, behind: 'internet' }]),
  });
  run(w);
  assert.equal(ops(w)[0], 'startProvisioningSession@443');
  assert.ok(w.logs.some((l) => l.includes('Wi-Fi Simple Setup done')));
  const codes = attemptCodes(w);
  assert.is(codes.length, 3);
  assert.match(codes[0], /^.{32}=FAILED:3:16:0:1$/);
  assert.is(codes[1], 'simple_setup=ASSOCIATED');
  // 3 connect tries (each with directed probes) for the encoded network, then simple_setup
  assert.is(w.probes.filter((p) => p.length === 32).length, 3);
});

const MAKER = { 'WSS.SetupNetworkSsid': 'maker_setup', 'WSS.SetupNetworkPassphrase': 'maker-pass-1' } as any;
const makerAp = (ssid = 'maker_setup'): FakeAp => ({ ssid, bssid: '02:00:00:00:66:66', security: 'WPA_PSK', key: 'maker-pass-1', channel: 1, rssi: -30, hidden: true, behind: 'internet' });

test('a maker-supplied setup network replaces the simple_setup fallback only: the encoded network first', () => {
  const keys = freshKeys();
  // no provisioner: the encoded network (3 tries), then the maker's network instead of simple_setup
  const w = world({ keys, provisioner: false, config: MAKER, aps: standardAps(keys, [makerAp(), { ...makerAp('simple_setup'), security: 'OPEN', key: '' }]) });
  run(w);
  assert.equal(w.probes.map((p) => (p.length === 32 ? 'encoded' : p)), ['encoded', 'encoded', 'encoded', 'maker_setup']);
  assert.is(ops(w)[0], 'startProvisioningSession@443');
  assert.ok(w.logs.some((l) => l.includes('Wi-Fi Simple Setup done')));
  assert.equal(attemptCodes(w).slice(0, 2).map((c) => c.replace(/^.{32}=/, 'encoded=')), ['encoded=FAILED:3:16:0:1', 'maker_setup=ASSOCIATED']);
  // with the provisioner in range the maker's network is never needed
  const w2 = world({ keys, config: MAKER, aps: standardAps(keys, [makerAp()]) });
  run(w2);
  assert.not.ok(w2.probes.includes('maker_setup'));
  assert.is(ops(w2)[0], 'startProvisioningSession@8888');
});

test('a maker setup-network name equal to the encoded or the fallback name: tried once, as that network', () => {
  const keys = freshKeys();
  // the encoded SSID of this seeded run, learnt from a first run
  const first = world({ keys, seed: 11 });
  run(first);
  const encoded = first.probes[0];
  const w = world({ keys, seed: 11, config: { 'WSS.SetupNetworkSsid': encoded, 'WSS.SetupNetworkPassphrase': 'maker-pass-1' } as any });
  run(w);
  assert.is(w.probes[0], encoded);
  assert.ok(w.logs.some((l) => l.includes('Wi-Fi Simple Setup done')));
  assert.is(ops(w)[0], 'startProvisioningSession@8888', 'joined as the encoded network (its derived passphrase)');
  // the same name and no provisioner: 3 tries of that one name, no second round as the maker's network
  const w2 = world({ keys, seed: 11, provisioner: false, config: { 'WSS.SetupNetworkSsid': encoded } as any });
  run(w2);
  assert.is(w2.probes.length, 3);
  assert.ok(ffsOff(w2));
  // the maker names its network simple_setup: that name with the maker's passphrase
  const w3 = world({ keys, provisioner: false, config: { ...MAKER, 'WSS.SetupNetworkSsid': 'simple_setup' }, aps: standardAps(keys, [makerAp('simple_setup')]) });
  run(w3);
  assert.is(w3.probes.filter((p) => p === 'simple_setup').length, 1);
  assert.ok(w3.logs.some((l) => l.includes('Wi-Fi Simple Setup done')));
});

test('no setup network at all: soft AP with FFS disabled, no reboot', () => {
  const keys = freshKeys();
  const w = world({ keys, provisioner: false });
  run(w);
  assert.is(w.exchanges.length, 0);
  assert.ok(w.accessPoint, 'soft AP up');
  assert.match(w.accessPoint!.ssid, /^FFS-Setup-0042$/);
  assert.ok(w.httpServers[80]);
  assert.ok(ffsOff(w), 'FFS off, nothing keeps running: no loop');
  assert.is(record(w).runs, 0);
});

test('boot without a saved network: the soft AP and FFS side by side (guide: both modes enabled)', () => {
  const w = world();
  startWss(w.hal, {});
  w.clock.run(w.clock.t + 500);
  assert.ok(w.accessPoint, 'the soft AP is up at once, not after FFS failed');
  assert.ok(w.probes.length > 0, 'FFS is looking for its setup network meanwhile');
  w.clock.run(w.clock.t + 600000);
  assert.ok(w.logs.some((l) => l.includes('Wi-Fi Simple Setup done')));
  assert.is(w.accessPoint, null, 'the soft AP closes once FFS joined the home network');
});

test('a power cycle after a failed run: FFS and the soft AP are both back (no ffs=false kept)', () => {
  const keys = freshKeys();
  let once = true;
  const w = world({ keys, fault: (op) => (op === 'startProvisioningSession' && once ? ((once = false), { kind: 'canProceedFalse' }) : null) });
  run(w);
  assert.ok(ffsOff(w));
  const w2 = w.reboot();
  attachProvisioner(w2, keys, 2, base85Decode);
  startWss(w2.hal, {});
  w2.clock.run(w2.clock.t + 500);
  assert.ok(w2.accessPoint, 'soft AP at boot');
  w2.clock.run(w2.clock.t + 600000);
  assert.ok(w2.logs.some((l) => l.includes('Wi-Fi Simple Setup done')), 'FFS ran again and finished');
});

test('the user submits the soft-AP page while FFS runs: FFS gives the radio up, the user network is joined', () => {
  const keys = freshKeys();
  const w = world({ keys });
  startWss(w.hal, {});
  w.clock.run(w.clock.t + 1000);
  assert.ok(w.probes.length > 0);
  const r = w.httpServers[80]({ method: 'POST', path: '/connect', body: 'ssid=HomeNet&passphrase=home-secret-1' })!;
  assert.is(r.status, 202);
  w.clock.run(w.clock.t + 600000);
  assert.ok(w.logs.some((l) => l.includes('state TERMINATED')));
  assert.equal(record(w).network, HOME);
  assert.is(w.exchanges.filter((e) => e.op === 'report').length, 0, 'the stopped flow reported nothing');
  assert.is(w.accessPoint, null);
});

test('no soft AP (SoftAp.Enabled false, as a --no-softap build): never left without a setup path', () => {
  const keys = freshKeys();
  const w = world({ keys, config: { 'SoftAp.Enabled': false } as any, fault: (op, n) => (op === 'startProvisioningSession' && n === 1 ? { kind: 'canProceedFalse' } : null) });
  run(w, 25000);
  assert.is(w.accessPoint, null);
  assert.ok(w.logs.some((l) => l.includes('FFS off')));
  assert.ok(w.clock.pending() > 0, 'a new run is on its way');
  w.clock.run(w.clock.t + 600000);
  assert.ok(w.logs.some((l) => l.includes('Wi-Fi Simple Setup run 1/3')));
  assert.ok(w.logs.some((l) => l.includes('Wi-Fi Simple Setup done')), 'the second run provisions');
  assert.is(w.accessPoint, null, 'no soft AP ever');
});

function expectAttemptCode(w: FakeWorld, ssid: string, code: string) {
  assert.ok(attemptCodes(w).includes(ssid + '=FAILED:' + code), attemptCodes(w).join(' | '));
}

test('3:2:0:1 wrong saved password, then success on the next network', () => {
  const keys = freshKeys();
  const w = world({
    keys,
    aps: standardAps(keys, [{ ssid: 'Second', bssid: '02:00:00:00:77:77', security: 'WPA_PSK', key: 'second-pass', channel: 4, rssi: -45, hidden: false, behind: 'internet' }]),
    locker: [{ ssid: 'HomeNet', security: 'WPA_PSK', key: 'wrong-password' }, { ssid: 'Second', security: 'WPA_PSK', key: 'second-pass' }],
  });
  run(w);
  expectAttemptCode(w, 'HomeNet', '3:2:0:1');
  assert.ok(attemptCodes(w).includes('Second=ASSOCIATED'));
  assert.equal(record(w).network, { ssid: 'Second', security: 'WPA_PSK', key: 'second-pass' });
  assert.ok(w.logs.some((l) => l.includes('Wi-Fi Simple Setup done')));
});

function failingHome(behind: FakeAp['behind'] | 'gone', code: string) {
  const keys = freshKeys();
  const aps = standardAps(keys);
  if (behind === 'gone') aps[0].ssid = 'HomeNet-renamed';
  else aps[0].behind = behind;
  const w = world({ keys, aps, locker: [HOME, { ssid: 'HomeNet-renamed', security: 'WPA_PSK', key: 'nope-nope' }] });
  // the locker only answers for posted SSIDs; for 'gone' the device posted HomeNet-renamed, so return HomeNet anyway
  if (behind === 'gone') (w as any).hal.wifi.scan = ((orig) => (o: any) => orig({ onDone: (e: any, l: any) => o.onDone(e, l && l.concat([{ ssid: 'HomeNet', bssid: 'AA:BB:CC:00:00:09', security: 'WPA_PSK', channel: 6, rssi: -40, hidden: false }])) }))(w.hal.wifi.scan);
  run(w);
  expectAttemptCode(w, 'HomeNet', code);
  const last = w.reports[w.reports.length - 1];
  assert.is(last.currentProvisioningState, 'CONNECTING_TO_USER_NETWORK');
  assert.is(last.stateTransitionResult, 'FAILURE');
  assert.is(last.port, 8888, 'back on the setup network to report the failure');
  assert.is(record(w).network, null, 'nothing saved without a verified connection');
  assert.ok(ffsOff(w), 'soft-AP fallback, FFS off');
  // guide: every network tried has an attempt record, the re-join of the setup network included
  const listed = last.wifiNetworkInfoList.map((a: any) => a.ssid.slice(1, -1) + '=' + a.wifiConnectionState);
  assert.is(listed[listed.length - 1], w.probes[0] + '=ASSOCIATED', listed.join(' | '));
  return w;
}

test('3:4:0:1 captive portal detected by the connectivity probe after association', () => {
  failingHome('captive', '3:4:0:1');
});

test('3:5:0:1 limited connectivity: the DSS host does not resolve', () => {
  failingHome('nodns', '3:5:0:1');
});

test('3:16:0:1 AP not found', () => {
  const w = failingHome('gone', '3:16:0:1');
  assert.is(w.connects.filter((c) => c.ssid === 'HomeNet').length, 2, 'two tries, then give up');
});

test('3:1:0:1 no configured networks when nothing matches the scan', () => {
  const w = world({ locker: [{ ssid: 'ElsewhereNet', security: 'WPA_PSK', key: 'elsewhere-1' }] });
  run(w);
  assert.ok(attemptCodes(w).includes('=FAILED:3:1:0:1'));
  assert.ok(w.accessPoint);
});

test('3:6:0:3 unknown Wi-Fi failure and 99:1:0:99 client error', () => {
  const keys = freshKeys();
  const w = world({
    keys,
    aps: standardAps(keys, [{ ssid: 'Short', bssid: '02:00:00:00:99:99', security: 'WPA_PSK', key: 'abc', channel: 2, rssi: -50, hidden: false, behind: 'internet' }]),
    locker: [HOME, { ssid: 'Short', security: 'WPA_PSK', key: 'abc' }],
  });
  const orig = w.hal.wifi.connect;
  w.hal.wifi.connect = (o) => {
    if (o.ssid === 'HomeNet') return void w.hal.clock.setTimeout(() => o.onDone({ code: 'WIFI_CONNECT_FAIL', message: 'beacon_timeout' }, null), 500);
    orig(o);
  };
  run(w);
  expectAttemptCode(w, 'HomeNet', '3:6:0:3');
  expectAttemptCode(w, 'Short', '99:1:0:99');
});

test('99:1:0:99 for a credential of a security the device cannot use (OTHER)', () => {
  // the account stores the seen WPA network as OTHER (e.g. enterprise)
  const w = world({ locker: [{ ssid: 'HomeNet', security: 'OTHER', key: 'eap' }] });
  run(w);
  expectAttemptCode(w, 'HomeNet', '99:1:0:99');
  assert.ok(w.accessPoint);
});

test('malformed credential entries are skipped, the good one used', () => {
  const w = world({
    extraCredentialEntries: [42, { ssid: 7 }, { ssid: '""', securityProtocol: 'WPA_PSK', key: '"x"' }, { ssid: '"Bad"', securityProtocol: 'WPA3' }, { ssid: '"NoKey"', securityProtocol: 'WPA_PSK' }],
  });
  run(w);
  assert.ok(w.logs.some((l) => l.includes('1 usable, 5 malformed skipped')));
  assert.ok(w.logs.some((l) => l.includes('Wi-Fi Simple Setup done')));
});

test('PIN-based setup when the cloud asks and the device has a PIN', () => {
  const w = world({ pin: '89ABCDEF', config: { 'DeviceInformation.Pin': '89ABCDEF' } as any });
  run(w);
  const pin = w.exchanges.find((e) => e.op === 'startPinBasedSetup')!;
  assert.ok(pin);
  assert.is(JSON.parse(pin.body).hashedPin, 'zbgijVMu30HdCejO57VOwss9IIYnZ4a4TmVUS5XiG5E=');
  assert.ok(w.logs.some((l) => l.includes('Wi-Fi Simple Setup done')));
  // a device without a PIN reports FAILURE and falls back
  const w2 = world({ pin: '89ABCDEF' });
  run(w2);
  assert.ok(w2.reports.some((r) => r.currentProvisioningState === 'START_PIN_BASED_SETUP' && r.stateTransitionResult === 'FAILURE'));
  assert.ok(w2.accessPoint);
});

for (const [name, fault] of [
  ['canProceed:false in a report', (op: string, _n: number, st?: string) => (op === 'report' && st === 'COMPUTE_CONFIGURATION' ? { kind: 'canProceedFalse' } : null)],
  ['canProceed:false in getWifiCredentials', (op: string) => (op === 'getWifiCredentials' ? { kind: 'canProceedFalse' } : null)],
  ['an unknown next state', (op: string, _n: number, st?: string) => (op === 'report' && st === 'POST_WIFI_SCAN_DATA' ? { kind: 'unknownState' } : null)],
  ['a report that keeps failing (5xx)', (op: string, _n: number, st?: string) => (op === 'report' && st === 'GET_WIFI_LIST' ? { kind: 'status', status: 503 } : null)],
  ['a 4xx on startProvisioningSession', (op: string) => (op === 'startProvisioningSession' ? { kind: 'status', status: 403 } : null)],
  ['a report body that is not JSON', (op: string, _n: number, st?: string) => (op === 'report' && st === 'START_PROVISIONING' ? { kind: 'body', body: 'not json' } : null)],
  ['a signed report answer of another session (a replay)', (op: string, _n: number, st?: string) =>
    (op === 'report' && st === 'COMPUTE_CONFIGURATION' ? { kind: 'body', body: '{"canProceed":true,"nextProvisioningState":"POST_WIFI_SCAN_DATA","nonce":"x","sessionId":"amzn1.ffs.wss-wifi-session-id.other"}' } : null)],
  ['a signed credentials page with another sequence number (a replay)', (op: string) =>
    (op === 'getWifiCredentials' ? { kind: 'body', body: '{"allCredentialsReturned":true,"canProceed":true,"nonce":"x","sequenceNumber":2,"sessionId":"amzn1.ffs.wss-wifi-session-id.test-1","wifiCredentialsList":[{"ssid":"\\"HomeNet\\"","securityProtocol":"WPA_PSK","key":"\\"home-secret-1\\""}]}' } : null)],
  ['a signed credentials page without the session id (another unit\'s, recorded)', (op: string) =>
    (op === 'getWifiCredentials' ? { kind: 'body', body: '{"allCredentialsReturned":true,"canProceed":true,"nonce":"x","sequenceNumber":1,"wifiCredentialsList":[{"ssid":"\\"HomeNet\\"","securityProtocol":"WPA_PSK","key":"\\"home-secret-1\\""}]}' } : null)],
  ['a PIN answer without the session id', (op: string) => (op === 'startPinBasedSetup' ? { kind: 'body', body: '{"canProceed":true,"nonce":"x"}' } : null)],
  ['a report answer without the session id', (op: string, _n: number, st?: string) =>
    (op === 'report' && st === 'GET_WIFI_LIST' ? { kind: 'body', body: '{"canProceed":true,"nextProvisioningState":"CONNECTING_TO_USER_NETWORK","nonce":"x"}' } : null)],
] as Array<[string, (op: string, n: number, st?: string) => DssFault | null]>) {
  test(`${name} stops the flow: soft AP, FFS disabled, nothing saved`, () => {
    const w = world({ fault, pin: name.includes('PIN') ? '89ABCDEF' : undefined, config: name.includes('PIN') ? ({ 'DeviceInformation.Pin': '89ABCDEF' } as any) : undefined });
    run(w);
    assert.not.ok(w.logs.some((l) => l.includes('Wi-Fi Simple Setup done')));
    assert.ok(w.logs.some((l) => l.includes('setup failed')));
    assert.ok(ffsOff(w));
    assert.is(record(w).network, null);
    assert.not.ok(w.connects.some((c) => c.ssid === 'HomeNet'), 'no credential from a refused answer was used');
  });
}

test('the soft-AP page joins a network, saves it, closes the AP and starts discovery', () => {
  const keys = freshKeys();
  const w = world({ keys, provisioner: false });
  run(w);
  const page = w.httpServers[80]({ method: 'GET', path: '/', body: '' })!;
  assert.is(page.status, 200);
  assert.match(page.body, '<form method=POST action=/connect>');
  assert.is(w.httpServers[80]({ method: 'POST', path: '/connect', body: 'ssid=HomeNet&passphrase=short' })!.status, 400);
  const r = w.httpServers[80]({ method: 'POST', path: '/connect', body: 'ssid=HomeNet&passphrase=home-secret-1' })!;
  assert.is(r.status, 202);
  w.clock.run();
  assert.equal(record(w).network, HOME);
  assert.is(w.accessPoint, null);
  assert.ok(w.udp[DISCOVERY_PORT]);
});

test('the soft-AP page shows a submitted SSID with &, <, > and " as character references', () => {
  const w = world({ keys: freshKeys(), provisioner: false });
  run(w);
  const r = w.httpServers[80]({ method: 'POST', path: '/connect', body: 'ssid=%3Cb%3E%26%22x&passphrase=home-secret-1' })!;
  assert.is(r.status, 202);
  assert.match(r.body, 'Joining &#60;b&#62;&#38;&#34;x...');
  assert.not.match(r.body, '<b>');
});

test('credentials are saved only after the verified connection, and the hand-off is signed', () => {
  const w = world();
  const ctl = startWss(w.hal, {});
  let savedBeforeConnect = false;
  const origConnect = w.hal.wifi.connect;
  w.hal.wifi.connect = (o) => {
    if (o.ssid === 'HomeNet' && record(w).network) savedBeforeConnect = true;
    origConnect(o);
  };
  w.clock.run();
  assert.not.ok(savedBeforeConnect);
  assert.equal(record(w).network, HOME);
  assert.equal(w.signed, ['amzn1.ffs.wss-wifi-session-token.t1']);
  // the cloud's configuration sets cloud values only, never the maker's local settings
  assert.is(w.hal.config.getConfigurationValue('LocaleConfiguration.Marketplace'), 'ATVPDKIKX0DER');
  assert.is(w.hal.config.getConfigurationValue('DSS.Host'), undefined);
  assert.is(w.hal.config.getConfigurationValue('WSS.SetupNetworkSsid'), undefined);
  const handoff = JSON.parse(w.storage.readString(FILES.handoff)!);
  assert.is(handoff.device.sessionToken, 'amzn1.ffs.wss-wifi-session-token.t1');
  assert.is(handoff.device.id, 'SN-0042');
  ctl.stop();
});

test('hand-off signature verifies with the device public key', () => {
  const keys = freshKeys();
  const w = world({ keys });
  run(w);
  const handoff = JSON.parse(w.storage.readString(FILES.handoff)!);
  const pub = createPublicKey({ key: Buffer.from(keys.devicePublicDer), format: 'der', type: 'spki' });
  assert.ok(verify('sha256', Buffer.from(handoff.device.sessionToken), pub, Buffer.from(handoff.device.signature, 'base64')));
});

test('local discovery answers with identity only, never a secret', () => {
  const w = world();
  run(w);
  let answer = '';
  // the app pads its probe to 512 bytes (discovery answers no probe shorter than its answer: no amplifier)
  w.udp[DISCOVERY_PORT]('FFS_DISCOVER'.padEnd(512, ' '), (a) => (answer = a));
  const a = JSON.parse(answer);
  assert.equal(a, { type: 'ffs-provisionee', deviceDetails: { manufacturer: 'Acme', deviceModel: 'M1', deviceSerial: 'SN-0042', productIndex: 'SIM1' }, ip: '192.168.1.77' });
  for (const secret of ['home-secret-1', 'session-token', 'reg-token']) assert.not.ok(answer.includes(secret));
  let other = '';
  w.udp[DISCOVERY_PORT]('hello', (x) => (other = x));
  assert.is(other, '');
});

test('a reboot mid-flow starts a NEW session (fresh setup nonce) and finishes', () => {
  const keys = freshKeys();
  const w = world({ keys });
  startWss(w.hal, {});
  // power cut while the DSS exchange is in the middle (after computeConfigurationData)
  w.clock.run(w.clock.t + 1);
  while (!w.exchanges.some((e) => e.op === 'computeConfigurationData')) w.clock.run(w.clock.t + 100);
  const firstSsid = w.probes[0];
  const firstSession = JSON.parse(w.exchanges[2].body).sessionId;
  assert.is(record(w).runs, 1);
  const w2 = w.reboot();
  attachProvisioner(w2, keys, 2, base85Decode);
  startWss(w2.hal, {});
  w2.clock.run(w2.clock.t + 600000);
  assert.ok(w2.logs.some((l) => l.includes('last run did not finish: new session')));
  const newSsid = w2.probes[0];
  assert.is.not(newSsid, firstSsid, 'fresh nonce, new SSID');
  const sessions = w2.exchanges.filter((e) => e.op !== 'startProvisioningSession').map((e) => JSON.parse(e.body).sessionId);
  assert.not.ok(sessions.includes(firstSession), 'the old session is never reused');
  assert.ok(w2.logs.some((l) => l.includes('Wi-Fi Simple Setup done')));
  assert.is(record(w2).runs, 0);
});

test('three unfinished runs in a row: FFS off and soft AP instead of a reboot loop', () => {
  const keys = freshKeys();
  let w = world({ keys });
  for (let i = 0; i < 3; i++) {
    startWss(w.hal, {});
    w.clock.run(w.clock.t + 5000);
    w = w.reboot();
    attachProvisioner(w, keys, 2, base85Decode);
  }
  startWss(w.hal, {});
  w.clock.run(w.clock.t + 600000);
  assert.ok(w.logs.some((l) => l.includes('3 runs did not finish')));
  assert.ok(ffsOff(w));
  assert.is(w.exchanges.length, 0);
  // that boot reset the count: the next power cycle runs FFS again
  const w2 = w.reboot();
  attachProvisioner(w2, keys, 2, base85Decode);
  startWss(w2.hal, {});
  w2.clock.run(w2.clock.t + 600000);
  assert.ok(w2.logs.some((l) => l.includes('Wi-Fi Simple Setup done')));
});

test('a provisioned device rejoins its saved network at boot without FFS', () => {
  const keys = freshKeys();
  let w = world({ keys });
  run(w);
  w = w.reboot();
  startWss(w.hal, {});
  w.clock.run(w.clock.t + 60000);
  assert.is(w.exchanges.length, 0);
  assert.is(w.current()!.ssid, 'HomeNet');
  assert.ok(w.udp[DISCOVERY_PORT]);
});

test('clearSetup (short hold): credentials and setup cleared, FFS disabled, soft AP', () => {
  const keys = freshKeys();
  const w = world({ keys });
  const ctl = run(w);
  assert.ok(record(w).network);
  const before = w.exchanges.length;
  ctl.clearSetup();
  w.clock.run(w.clock.t + 10000);
  assert.is(record(w).network, null);
  assert.ok(ffsOff(w));
  assert.is(w.exchanges.length, before, 'no FFS after a short hold');
  assert.is(w.config.get('FFS.SessionToken'), undefined);
  assert.is(w.storage.readString(FILES.handoff), null);
  for (const slot of ['wss.state.a', 'wss.state.b']) assert.not.ok((w.storage.readString(slot) || '').includes('home-secret-1'), slot + ' keeps the old key');
  // guide: a power cycle brings both modes back: the soft AP and a new FFS run
  const w2 = w.reboot();
  attachProvisioner(w2, keys, 2, base85Decode);
  startWss(w2.hal, {});
  w2.clock.run(w2.clock.t + 500);
  assert.ok(w2.accessPoint);
  w2.clock.run(w2.clock.t + 600000);
  assert.ok(w2.logs.some((l) => l.includes('Wi-Fi Simple Setup done')));
});

test('factoryReset (> 10 s): everything erased; after the reboot FFS runs again', () => {
  const keys = freshKeys();
  const w = world({ keys });
  const ctl = run(w);
  ctl.clearSetup();
  w.clock.run(w.clock.t + 10000);
  w.storage.write('ffs.certpem', 'the chain the flash tool wrote');
  ctl.factoryReset();
  w.clock.run(w.clock.t + 1000);
  assert.is(w.storage.readString('wss.state.a'), null);
  assert.is(w.storage.readString('wss.state.b'), null);
  assert.is(w.storage.readString('ffs.certpem'), 'the chain the flash tool wrote', 'the device files stay (the PEM chain is the flash tool\'s, not a cache)');
  const w2 = w.reboot();
  attachProvisioner(w2, keys, 2, base85Decode);
  startWss(w2.hal, {});
  w2.clock.run(w2.clock.t + 600000);
  assert.ok(w2.logs.some((l) => l.includes('Wi-Fi Simple Setup done')));
});

test('a power cut at any step of a factory reset: the device as it was, or factory with both modes on', () => {
  const keys = freshKeys();
  for (let cutAt = 0; ; cutAt++) {
    const w = world({ keys });
    const ctl = run(w);
    assert.ok(record(w).network && w.config.get('FFS.SessionToken') && w.storage.readString(FILES.handoff));
    // every Storage erase and the configuration reset is one step; the power goes before step cutAt
    let steps = 0;
    const step = () => {
      if (steps++ === cutAt) throw new PowerCut('power cut at step ' + cutAt);
    };
    const erase = w.storage.erase;
    w.storage.erase = (n) => (step(), erase(n));
    const reset = w.hal.config.resetConfiguration;
    w.hal.config.resetConfiguration = () => (step(), reset());
    let cut = false;
    try {
      ctl.factoryReset();
    } catch (e) {
      assert.instance(e, PowerCut);
      cut = true;
    }
    w.storage.erase = erase;
    const w2 = w.reboot();
    attachProvisioner(w2, keys, 2, base85Decode);
    startWss(w2.hal, {});
    w2.clock.run(w2.clock.t + 500);
    if (record(w2).network) {
      // the record (the reset's commit point) was still there: nothing else was touched either
      assert.ok(cut);
      assert.ok(w2.config.get('FFS.SessionToken') && w2.storage.readString(FILES.handoff), 'step ' + cutAt + ': half a reset');
      assert.is(w2.accessPoint, null);
    } else {
      // factory: nothing of the old setup is left, both modes on
      assert.is(w2.config.get('FFS.SessionToken'), undefined, 'step ' + cutAt);
      assert.is(w2.storage.readString(FILES.handoff), null, 'step ' + cutAt);
      assert.ok(w2.accessPoint);
      assert.ok(w2.probes.length > 0);
    }
    if (!cut) break;
  }
});

test.run();
