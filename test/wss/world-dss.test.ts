// The simulated DSS tested with a plain Node HTTPS client: signatures verify with Node crypto, JSON is
// compact and key-sorted, credentials only for posted SSIDs, strict request checks, faults.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { world, startDss, post, verifies, nonce } from './world-helpers.ts';
import type { DssFault } from '../../sim/world/dss.ts';
import { sortedJson } from '../../sim/world/wss-codec.ts';
import { validateDss } from '../../sim/world/dss.ts';

async function rejects(p: Promise<unknown>, what: string): Promise<void> {
  let failed = false;
  try {
    await p;
  } catch {
    failed = true;
  }
  assert.ok(failed, what + ' should fail');
}

const account = { networks: [
  { ssid: 'home', securityProtocol: 'WPA_PSK' as const, key: 'secret123', priority: 1 },
  { ssid: 'cafe', securityProtocol: 'OPEN' as const, priority: 0 },
  { ssid: 'away', securityProtocol: 'WPA_PSK' as const, key: 'not-posted' },
] };

async function session(faults: DssFault[] = []) {
  const w = world();
  const dss = await startDss({ ...w, account, faults });
  const a = await post(dss, w.pki, 'startProvisioningSession', { nonce: nonce() });
  return { w, dss, a, sid: a.status === 200 ? JSON.parse(a.body).sessionId as string : '' };
}

test('every answer is compact key-sorted JSON signed with the device-type key over the exact bytes', async () => {
  const { w, dss, a } = await session();
  assert.is(a.status, 200);
  assert.is(a.signatures.length, 1);
  assert.ok(verifies(w.pki, a.body, a.signatures[0]));
  assert.not.ok(verifies(w.pki, a.body + '\n', a.signatures[0]), 'a trailing newline must break the signature');
  assert.is(a.body, sortedJson(JSON.parse(a.body)));
  assert.match(JSON.parse(a.body).sessionId, /^amzn1\.ffs\.wss-wifi-session-id\.[0-9a-f-]{36}$/);
  assert.ok(a.rawHeaders.includes('x-amzn-RequestId'));
  await dss.stop();
});

test('credentials only for SSIDs the device posted, WPA first, quoted', async () => {
  const { w, dss, sid } = await session();
  const p = await post(dss, w.pki, 'postWifiScanData', { nonce: nonce(1), sessionId: sid, sequenceNumber: 1,
    wifiScanDataList: [{ ssid: '"home"', bssid: 'AA:BB:CC:DD:EE:01', securityProtocol: 'WPA_PSK', rssi: -40, frequency: 6 },
      { ssid: '"cafe"', securityProtocol: 'OPEN' }] });
  assert.is(p.status, 200);
  const pb = JSON.parse(p.body);
  assert.is(pb.totalCredentialsFound, 2);
  assert.is(pb.allCredentialsFound, false);
  const g = await post(dss, w.pki, 'getWifiCredentials', { nonce: nonce(2), sessionId: sid, sequenceNumber: 1 });
  const list = JSON.parse(g.body).wifiCredentialsList;
  assert.equal(list.map((c: any) => c.ssid), ['"home"', '"cafe"']);
  assert.is(list[0].key, '"secret123"');
  assert.not.ok(g.body.includes('not-posted'));
  const logged = JSON.stringify(w.timeline.events);
  assert.not.ok(logged.includes('secret123'), 'the customer\'s Wi-Fi key must not reach the timeline');
  assert.ok(logged.includes('<9 characters, redacted>'));
  assert.ok(verifies(w.pki, g.body, g.signatures[0]));
  await dss.stop();
});

test('strict checks: unquoted SSID, bad nonce, unknown session and lower-case BSSID are 400 with a reason', async () => {
  const { w, dss, sid } = await session();
  const cases: Array<[string, unknown, RegExp]> = [
    ['postWifiScanData', { nonce: nonce(3), sessionId: sid, sequenceNumber: 1, wifiScanDataList: [{ ssid: 'home', securityProtocol: 'WPA_PSK' }] }, /literal quotes/],
    ['postWifiScanData', { nonce: 'short', sessionId: sid, sequenceNumber: 1, wifiScanDataList: [] }, /31 base64/],
    ['report', { nonce: nonce(4), sessionId: 'nope', sequenceNumber: 3, currentProvisioningState: 'START_PROVISIONING', registrationState: 'COMPLETE', stateTransitionResult: 'SUCCESS' }, /unknown sessionId/],
    ['postWifiScanData', { nonce: nonce(5), sessionId: sid, sequenceNumber: 1, wifiScanDataList: [{ ssid: '"x"', bssid: 'aa:bb:cc:dd:ee:ff', securityProtocol: 'OPEN' }] }, /upper case/],
  ];
  for (const [op, body, why] of cases) {
    const r = await post(dss, w.pki, op, body);
    assert.is(r.status, 400, op);
    assert.match(JSON.parse(r.body).message, why);
  }
  const empty = await post(dss, w.pki, 'report', null, { raw: '' });
  assert.is(empty.status, 400);
  assert.match(JSON.parse(empty.body).message, /Content-Length/);
  await dss.stop();
});

test('report drives the state machine to DONE; a FAILURE report ends the session', async () => {
  const { w, dss, sid } = await session();
  const states = ['START_PROVISIONING', 'COMPUTE_CONFIGURATION', 'POST_WIFI_SCAN_DATA', 'GET_WIFI_LIST', 'CONNECTING_TO_USER_NETWORK', 'CONNECTED_TO_USER_NETWORK'];
  const nexts: string[] = [];
  for (let i = 0; i < states.length; i++) {
    const r = await post(dss, w.pki, 'report', { nonce: nonce(10 + i), sessionId: sid, sequenceNumber: 3 * (i + 1),
      currentProvisioningState: states[i], registrationState: 'COMPLETE', stateTransitionResult: 'SUCCESS' });
    assert.is(r.status, 200);
    nexts.push(JSON.parse(r.body).nextProvisioningState);
  }
  assert.equal(nexts, [...states.slice(1), 'DONE']);
  assert.is(dss.provisioned.size, 1);
  const s2 = await post(dss, w.pki, 'startProvisioningSession', { nonce: nonce(30) });
  const sid2 = JSON.parse(s2.body).sessionId;
  const f = await post(dss, w.pki, 'report', { nonce: nonce(31), sessionId: sid2, sequenceNumber: 3, currentProvisioningState: 'START_PROVISIONING',
    registrationState: 'COMPLETE', stateTransitionResult: 'FAILURE', wifiNetworkInfoList: [{ ssid: '"home"', securityProtocol: 'WPA_PSK',
      wifiConnectionState: 'FAILED', errorDetails: { operation: 'CONNECTING_TO_NETWORK', code: '3:2:0:1' } }] });
  assert.is(JSON.parse(f.body).canProceed, false);
  assert.is(dss.attempts[0].errorDetails?.code, '3:2:0:1');
  await dss.stop();
});

test('faults: tamper, bad, duplicate and missing signatures, 5xx then recovery, redirect, drop', async () => {
  const { w, dss } = await session([
    { op: 'computeConfigurationData', do: 'tamper' },
    { op: 'computeConfigurationData', do: 'badSignature', call: 2 },
    { op: 'computeConfigurationData', do: 'duplicateSignature', call: 3 },
    { op: 'computeConfigurationData', do: 'noSignature', call: 4 },
    { op: 'computeConfigurationData', do: 'status', status: 503, call: 5 },
    { op: 'computeConfigurationData', do: 'redirect', status: 308, location: 'dp-sps-eu.amazon.com', call: 6 },
  ]);
  const start = await post(dss, w.pki, 'startProvisioningSession', { nonce: nonce(40) });
  const sid = JSON.parse(start.body).sessionId;
  const ask = (i: number) => post(dss, w.pki, 'computeConfigurationData', { nonce: nonce(41 + i), sessionId: sid });
  const t = await ask(0);
  assert.not.ok(verifies(w.pki, t.body, t.signatures[0]), 'tampered body must not verify');
  const b = await ask(1);
  assert.not.ok(verifies(w.pki, b.body, b.signatures[0]));
  const d = await ask(2);
  assert.is(d.signatures.length, 2);
  const n = await ask(3);
  assert.is(n.signatures.length, 0);
  const s = await ask(4);
  assert.is(s.status, 503);
  const r = await ask(5);
  assert.is(r.status, 308);
  assert.ok(r.rawHeaders.includes('https://dp-sps-eu.amazon.com/api/v1/computeConfigurationData'));
  const ok = await ask(6);
  assert.is(ok.status, 200);
  assert.ok(verifies(w.pki, ok.body, ok.signatures[0]));
  assert.ok(JSON.parse(ok.body).configuration['FFS.SessionToken'].startsWith('amzn1.ffs.wss-wifi-session-token.'));
  await dss.stop();
  const x = await session([{ op: 'startProvisioningSession', do: 'drop', call: 2 }]);
  await rejects(post(x.dss, x.w.pki, 'startProvisioningSession', { nonce: nonce(50) }), 'a dropped connection');
  await x.dss.stop();
});

test('client certificates: an untrusted chain and no certificate are refused at the TLS handshake', async () => {
  const w = world();
  const other = world('someone-else');
  const dss = await startDss({ ...w, account, clientCaPem: [other.pki.dhaRootPem.replace('x', 'x')] });
  // the DSS trusts only a root that is not the device's: the handshake fails
  const w2 = world('z');
  const dss2 = await startDss({ ...w2, account, clientCaPem: [(await import('../../sim/world/test-pki.ts')).makeWssPki({ seed: 'q', rootLabel: 'elsewhere' }).dhaRootPem] });
  await rejects(post(dss2, w2.pki, 'startProvisioningSession', { nonce: nonce() }), 'an untrusted client chain');
  await dss2.stop();
  await dss.stop();
});

test('requireSni refuses the stock firmware name and accepts the real host', async () => {
  const w = world();
  const dss = await startDss({ ...w, account, requireSni: true });
  await rejects(post(dss, w.pki, 'startProvisioningSession', { nonce: nonce() }, { servername: 'mbed TLS Server 1' }), 'the stock server name');
  const ok = await post(dss, w.pki, 'startProvisioningSession', { nonce: nonce() });
  assert.is(ok.status, 200);
  await dss.stop();
});

test('the retry policy is visible: the DSS names the gap after a failure and a 4xx resent unchanged', async () => {
  const { w, dss, sid } = await session([{ op: 'getWifiCredentials', do: 'status', status: 400 }, { op: 'getWifiCredentials', do: 'status', status: 503, call: 2 }]);
  const events: string[] = [];
  w.timeline.on((e) => events.push(e.kind + ' ' + e.summary));
  const body = (i: number) => ({ nonce: nonce(60 + i), sessionId: sid, sequenceNumber: 1 });
  assert.is((await post(dss, w.pki, 'getWifiCredentials', body(0))).status, 400);
  w.clock.setTimer(() => undefined, 2500);
  await w.clock.run({});
  assert.is((await post(dss, w.pki, 'getWifiCredentials', body(1))).status, 503);
  assert.ok(events.includes('retry getWifiCredentials again 2.50 s after 400'), events.join('\n'));
  assert.ok(events.some((e) => e.startsWith('resent getWifiCredentials resent unchanged after 400')));
  await dss.stop();
});

test('PIN-based setup: the DSS checks base64(SHA-256(PIN + salt)) (formula checked on the SDK vector)', async () => {
  const v = JSON.parse((await import('node:fs')).readFileSync(new URL('./support/wss-real-run.json', import.meta.url), 'utf8')).hashedPin;
  const { createHash } = await import('node:crypto');
  const h = (pin: string, salt: string) => createHash('sha256').update(pin + salt, 'latin1').digest('base64');
  assert.is(h(v.pin, v.salt), v.hashedPin);
  const w = world();
  const dss = await startDss({ ...w, account: { ...account, pin: v.pin } });
  const a = await post(dss, w.pki, 'startProvisioningSession', { nonce: nonce(70) });
  const { sessionId, salt } = JSON.parse(a.body);
  const rep = await post(dss, w.pki, 'report', { nonce: nonce(71), sessionId, sequenceNumber: 3, currentProvisioningState: 'START_PROVISIONING',
    registrationState: 'COMPLETE', stateTransitionResult: 'SUCCESS' });
  assert.is(JSON.parse(rep.body).nextProvisioningState, 'START_PIN_BASED_SETUP');
  const bad = await post(dss, w.pki, 'startPinBasedSetup', { nonce: nonce(72), sessionId, hashedPin: h('00000000', salt) });
  assert.is(JSON.parse(bad.body).canProceed, false);
  const good = await post(dss, w.pki, 'startPinBasedSetup', { nonce: nonce(73), sessionId, hashedPin: h(v.pin, salt) });
  assert.is(JSON.parse(good.body).canProceed, true);
  assert.ok(verifies(w.pki, good.body, good.signatures[0]));
  await dss.stop();
});

test('a new session supersedes the old one; a reused nonce is flagged, a shrinking report counter refused', async () => {
  const { w, dss, sid } = await session();
  const events: string[] = [];
  w.timeline.on((e) => events.push(e.kind + ' ' + e.summary));
  const rep = (n: string, seq: number, id = sid, state = 'COMPUTE_CONFIGURATION') => post(dss, w.pki, 'report', { nonce: n, sessionId: id, sequenceNumber: seq,
    currentProvisioningState: state, registrationState: 'COMPLETE', stateTransitionResult: 'SUCCESS' });
  assert.is((await rep(nonce(80), 6, sid, 'START_PROVISIONING')).status, 200);
  const shrunk = await rep(nonce(80), 3);
  assert.ok(events.some((e) => e.startsWith('warn report: nonce') && e.includes('reused')), events.join('\n'));
  assert.is(shrunk.status, 400);
  assert.match(JSON.parse(shrunk.body).message, /sequenceNumber 3 after 6/);
  const again = await post(dss, w.pki, 'startProvisioningSession', { nonce: nonce(81) });
  assert.is(again.status, 200);
  const stale = await rep(nonce(82), 9);
  assert.is(stale.status, 400);
  assert.match(JSON.parse(stale.body).message, /superseded/);
  await dss.stop();
});

test('a report is applied once: the same sequence number again gets the stored answer, even after DONE', async () => {
  const { w, dss, sid } = await session();
  const events: string[] = [];
  w.timeline.on((e) => events.push(e.kind + ' ' + e.summary));
  const rep = (i: number, seq: number, state: string, result = 'SUCCESS') => post(dss, w.pki, 'report', { nonce: nonce(90 + i), sessionId: sid,
    sequenceNumber: seq, currentProvisioningState: state, registrationState: 'COMPLETE', stateTransitionResult: result });
  const first = await rep(0, 3, 'START_PROVISIONING');
  const resent = await rep(1, 3, 'START_PROVISIONING');
  assert.is(resent.status, 200);
  assert.is(resent.body, first.body, 'the same answer');
  assert.ok(events.some((e) => e.startsWith('repeat report START_PROVISIONING sequenceNumber 3 again')));
  // the session moved on once, not twice
  assert.is(JSON.parse(first.body).nextProvisioningState, 'COMPUTE_CONFIGURATION');
  // the same number for another report, and a report for a state the session is not in: refused
  const reused = await rep(2, 3, 'START_PROVISIONING', 'FAILURE');
  assert.is(reused.status, 400);
  assert.match(JSON.parse(reused.body).message, /reused for another report/);
  const skipped = await rep(3, 6, 'GET_WIFI_LIST');
  assert.is(skipped.status, 400);
  assert.match(JSON.parse(skipped.body).message, /report for GET_WIFI_LIST while the session is in COMPUTE_CONFIGURATION/);
  // walk to DONE; the last report re-sent after DONE still gets its DONE answer
  let seq = 6;
  for (const st of ['COMPUTE_CONFIGURATION', 'POST_WIFI_SCAN_DATA', 'GET_WIFI_LIST', 'CONNECTING_TO_USER_NETWORK', 'CONNECTED_TO_USER_NETWORK']) {
    assert.is((await rep(seq, seq, st)).status, 200, st);
    seq += 3;
  }
  const done = await rep(50, seq - 3, 'CONNECTED_TO_USER_NETWORK');
  assert.is(done.status, 200);
  assert.is(JSON.parse(done.body).nextProvisioningState, 'DONE');
  assert.is(dss.provisioned.size, 1);
  // anything else in a finished session is refused
  assert.is((await rep(51, seq + 3, 'CONNECTED_TO_USER_NETWORK')).status, 400);
  await dss.stop();
});

test('every answer after startProvisioningSession carries the sessionId; computeConfigurationData also nextProvisioningState', async () => {
  const w = world();
  const dss = await startDss({ ...w, account: { ...account, pin: '89ABCDEF' } });
  const a = await post(dss, w.pki, 'startProvisioningSession', { nonce: nonce(100) });
  const { sessionId, salt } = JSON.parse(a.body);
  const { createHash } = await import('node:crypto');
  const call = async (i: number, op: string, more: Record<string, unknown>) => JSON.parse((await post(dss, w.pki, op, { nonce: nonce(101 + i), sessionId, ...more })).body);
  const answers = [
    await call(0, 'report', { sequenceNumber: 3, currentProvisioningState: 'START_PROVISIONING', registrationState: 'COMPLETE', stateTransitionResult: 'SUCCESS' }),
    await call(1, 'startPinBasedSetup', { hashedPin: createHash('sha256').update('89ABCDEF' + salt, 'latin1').digest('base64') }),
    await call(2, 'report', { sequenceNumber: 6, currentProvisioningState: 'START_PIN_BASED_SETUP', registrationState: 'COMPLETE', stateTransitionResult: 'SUCCESS' }),
    await call(3, 'computeConfigurationData', {}),
    await call(4, 'postWifiScanData', { sequenceNumber: 1, wifiScanDataList: [{ ssid: '"home"', securityProtocol: 'WPA_PSK' }] }),
    await call(5, 'getWifiCredentials', { sequenceNumber: 1 }),
  ];
  for (const x of answers) assert.is(x.sessionId, sessionId, JSON.stringify(x));
  assert.is(answers[3].nextProvisioningState, 'COMPUTE_CONFIGURATION');
  await dss.stop();
});

test('faults after processing: lostAnswer closes without an answer (the state moved on), staleAnswer sends an earlier one', async () => {
  const { w, dss, sid } = await session([
    { op: 'report', do: 'lostAnswer' },
    { op: 'getWifiCredentials', do: 'staleAnswer', call: 2 },
  ]);
  const rep = (i: number) => post(dss, w.pki, 'report', { nonce: nonce(110 + i), sessionId: sid, sequenceNumber: 3,
    currentProvisioningState: 'START_PROVISIONING', registrationState: 'COMPLETE', stateTransitionResult: 'SUCCESS' });
  await rejects(rep(0), 'a lost answer');
  const resent = await rep(1);
  assert.is(resent.status, 200);
  assert.is(JSON.parse(resent.body).nextProvisioningState, 'COMPUTE_CONFIGURATION', 'applied once, answered on the re-send');
  await post(dss, w.pki, 'postWifiScanData', { nonce: nonce(120), sessionId: sid, sequenceNumber: 1, wifiScanDataList: [{ ssid: '"home"', securityProtocol: 'WPA_PSK' }] });
  const g1 = await post(dss, w.pki, 'getWifiCredentials', { nonce: nonce(121), sessionId: sid, sequenceNumber: 1 });
  const g2 = await post(dss, w.pki, 'getWifiCredentials', { nonce: nonce(122), sessionId: sid, sequenceNumber: 2 });
  assert.is(g2.body, g1.body, 'the earlier answer again (sequenceNumber 1), validly signed');
  assert.ok(verifies(w.pki, g2.body, g2.signatures[0]));
  await dss.stop();
});

test('a repeated credentials page is the same page (the last, shorter one too)', async () => {
  const w = world();
  const dss = await startDss({ ...w, account, credentialsPageSize: 2 });
  const { sessionId } = JSON.parse((await post(dss, w.pki, 'startProvisioningSession', { nonce: nonce(130) })).body);
  await post(dss, w.pki, 'postWifiScanData', { nonce: nonce(131), sessionId, sequenceNumber: 1,
    wifiScanDataList: [{ ssid: '"home"', securityProtocol: 'WPA_PSK' }, { ssid: '"cafe"', securityProtocol: 'OPEN' }, { ssid: '"away"', securityProtocol: 'WPA_PSK' }] });
  const page = async (i: number, seq: number) => JSON.parse((await post(dss, w.pki, 'getWifiCredentials', { nonce: nonce(132 + i), sessionId, sequenceNumber: seq })).body);
  const p1 = await page(0, 1);
  const p2 = await page(1, 2);
  const p2again = await page(2, 2);
  assert.equal(p1.wifiCredentialsList.map((c: any) => c.ssid), ['"away"', '"home"']);
  assert.equal(p2.wifiCredentialsList.map((c: any) => c.ssid), ['"cafe"']);
  assert.equal(p2again.wifiCredentialsList, p2.wifiCredentialsList);
  assert.is(p2again.allCredentialsReturned, true);
  await dss.stop();
});

test('scenario validation names each bad field on its own line', () => {
  const p = validateDss({ account: { networks: [{ ssid: '', securityProtocol: 'WPA3' }] }, faults: [{ op: 'nope', do: 'explode' }], color: 1 });
  assert.ok(p.some((l) => l.startsWith('world.dss.color:')));
  assert.ok(p.some((l) => l.startsWith('world.dss.account.networks[0].ssid:')));
  assert.ok(p.some((l) => l.startsWith('world.dss.account.networks[0].securityProtocol:')));
  assert.ok(p.some((l) => l.startsWith('world.dss.faults[0].op:')));
  assert.ok(p.some((l) => l.startsWith('world.dss.faults[0].do:')));
  assert.equal(validateDss({ account }), []);
});

test.run();
