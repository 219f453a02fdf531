// The DSS client: signature rules (every tampering case), redirects, and the retry policy on the
// virtual clock (integration guide "Retry, timeout, and factory reset guidance").
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { createDssClient, extractSignature, hostOfLocation, MAX_REDIRECTS } from '../../firmware/wss/dss-client.ts';
import { classifyStatus, Outcome, retryDelayMs } from '../../firmware/wss/retry.ts';
import { createWorld, freshKeys, realRunKeys, type DssFault, type FakeWorld } from './support/fake-hal.ts';

const vector = JSON.parse(readFileSync(new URL('./support/wss-real-run.json', import.meta.url), 'utf8'));

/** A world whose only AP is a connected home network with internet behind it. */
function connectedWorld(fault?: (op: string, n: number) => DssFault | null, extra: any = {}): FakeWorld {
  const keys = freshKeys();
  const w = createWorld({
    keys,
    fault,
    aps: [{ ssid: 'Home', bssid: '02:00:00:00:00:01', security: 'OPEN', key: '', channel: 1, rssi: -40, hidden: false, behind: 'internet' }],
    ...extra,
  });
  w.hal.wifi.addConfiguration({ ssid: 'Home', security: 'OPEN', key: '', hidden: false, priority: 0 });
  w.hal.wifi.connect({ ssid: 'Home', onDone: () => undefined });
  w.clock.run();
  return w;
}

function call(w: FakeWorld, op = 'startProvisioningSession', body = '{"nonce":"NONCE"}') {
  const client = createDssClient(w.hal);
  let sends = 0;
  const out: { err: any; body: string | null; at: number } = { err: undefined, body: null, at: -1 };
  const t0 = w.clock.t;
  client.call(op, () => body.replace('NONCE', String(++sends).padStart(31, 'N')), (err, b) => {
    out.err = err;
    out.body = b;
    out.at = w.clock.t - t0;
  });
  assert.is(out.err, undefined, 'never synchronous');
  w.clock.run();
  return { out, client };
}

/** The host the client's next call goes to (the DSS host it holds now). */
function nextHost(w: FakeWorld, client: ReturnType<typeof createDssClient>): string {
  const before = w.exchanges.length;
  client.call('report', () => '{"nonce":"' + 'H'.repeat(31) + '"}', () => undefined);
  w.clock.run();
  assert.ok(w.exchanges.length > before, 'the call was sent');
  return w.exchanges[before].host;
}

test('retry policy: network errors 3 retries at 2, 4, 8 s; 5xx 3 retries 2-5 s; 4xx never', () => {
  assert.equal([0, 1, 2, 3].map((n) => retryDelayMs(Outcome.network, n, 0.5)), [2000, 4000, 8000, -1]);
  assert.equal([0, 1, 2, 3].map((n) => retryDelayMs(Outcome.integrity, n, 0.5)), [2000, 4000, 8000, -1], 'a bad signature: resent like a network failure');
  for (const k of [Outcome.ok, Outcome.redirect, Outcome.client, Outcome.fatal]) assert.is(retryDelayMs(k, 0, 0.5), -1);
  for (const r of [0, 0.3, 0.999]) {
    for (let n = 0; n < 3; n++) {
      const d = retryDelayMs(Outcome.server, n, r);
      assert.ok(d >= 2000 && d <= 5000, 'server delay ' + d);
    }
    assert.is(retryDelayMs(Outcome.server, 3, r), -1);
    assert.is(retryDelayMs(Outcome.client, 0, r), -1);
  }
  assert.is(classifyStatus(200), Outcome.ok);
  assert.is(classifyStatus(307), Outcome.redirect);
  assert.is(classifyStatus(308), Outcome.redirect);
  assert.is(classifyStatus(302), Outcome.client);
  assert.is(classifyStatus(404), Outcome.client);
  assert.is(classifyStatus(503), Outcome.server);
});

test('real production bodies verify with the real device-type key and reach the caller unchanged', () => {
  for (const r of vector.dssResponses) {
    const keys = realRunKeys(vector);
    const w = createWorld({ keys });
    w.hal.http.execute = (o) =>
      w.hal.clock.setTimeout(() => o.onDone(null, { statusCode: 200, headers: [['x-amzn-dss-signature', r.signatureBase64]], body: r.body }), 10);
    const { out } = call(w, r.operation);
    assert.is(out.err, '');
    assert.is(out.body, r.body);
  }
});

test('the same production body with a trailing newline is refused (no stripping)', () => {
  const r = vector.dssResponses[0];
  const w = createWorld({ keys: realRunKeys(vector) });
  let sends = 0;
  w.hal.http.execute = (o) => {
    sends++;
    w.hal.clock.setTimeout(() => o.onDone(null, { statusCode: 200, headers: [['x-amzn-dss-signature', r.signatureBase64]], body: r.body + '\n' }), 10);
  };
  const { out } = call(w, 'report');
  assert.is(out.body, '');
  assert.is(out.err, 'signature does not verify');
  assert.is(sends, 4, 'resent like a damaged response: 1 + 3 retries');
});

/** What the caller is told for each tampering (the reason a failed setup reports). */
const SIGNATURE_FAILURES = {
  noSignature: 'not signed',
  duplicateSignature: '2 signature headers',
  badSignature: 'signature does not verify',
  malformedSignature: 'malformed signature',
  tamper: 'signature does not verify',
  trailingNewline: 'signature does not verify',
};

for (const kind of ['noSignature', 'duplicateSignature', 'badSignature', 'malformedSignature', 'tamper', 'trailingNewline'] as const) {
  test(`a response with ${kind} fails the call and its body is never handed out`, () => {
    const w = connectedWorld(() => ({ kind }));
    const { out } = call(w);
    assert.is(out.body, '');
    assert.match(out.err, SIGNATURE_FAILURES[kind]);
    assert.is(w.exchanges.length, 4);
    // back-off of an integrity failure: 2 + 4 + 8 s between the four sends
    const gaps = w.exchanges.slice(1).map((e, i) => e.at - w.exchanges[i].at);
    assert.equal(gaps.map((g) => Math.round(g / 1000)), [2, 4, 8]);
  });
}

test('a signature fault that clears on the retry lets the call succeed', () => {
  const w = connectedWorld((op, n) => (n === 1 ? { kind: 'duplicateSignature' } : null));
  const { out } = call(w);
  assert.is(out.err, '');
  assert.ok(JSON.parse(out.body!).sessionId);
  assert.is(w.exchanges.length, 2);
});

test('every resend is built again: a fresh nonce each time', () => {
  const w = connectedWorld(() => ({ kind: 'status', status: 502 }));
  call(w);
  const nonces = w.exchanges.map((e) => JSON.parse(e.body).nonce);
  assert.is(nonces.length, 4);
  assert.is(new Set(nonces).size, 4);
});

test('network errors: 3 retries with back-off 2, 4, 8 s on the virtual clock', () => {
  const w = connectedWorld(() => ({ kind: 'network', code: 'NET_RESET' }));
  const { out } = call(w);
  assert.is(out.err, 'dropped', "the HAL's error message");
  assert.is(out.body, '');
  const at = w.exchanges.map((e) => e.at);
  assert.is(at.length, 4);
  assert.equal(at.slice(1).map((t, i) => t - at[i]), [2100, 4100, 8100], 'each gap = 100 ms answer + back-off');
  assert.ok(w.logs.some((l) => l.includes('retry 3 of startProvisioningSession in 8000 ms')));
});

test('5xx: up to 3 retries 2-5 s apart, then the call fails; success in between stops retrying', () => {
  const w = connectedWorld(() => ({ kind: 'status', status: 503 }));
  const { out } = call(w);
  assert.is(out.err, 'HTTP 503 from startProvisioningSession');
  assert.is(w.exchanges.length, 4);
  for (let i = 1; i < 4; i++) {
    const gap = w.exchanges[i].at - w.exchanges[i - 1].at - 100;
    assert.ok(gap >= 2000 && gap <= 5000, 'gap ' + gap);
  }
  const w2 = connectedWorld((op, n) => (n <= 2 ? { kind: 'status', status: 500 } : null));
  const r2 = call(w2);
  assert.is(r2.out.err, '');
  assert.is(w2.exchanges.length, 3);
});

test('4xx: never resent', () => {
  for (const status of [400, 403, 404, 429]) {
    const w = connectedWorld(() => ({ kind: 'status', status }));
    const { out } = call(w);
    assert.is(out.err, 'HTTP ' + status + ' from startProvisioningSession');
    assert.is(w.exchanges.length, 1);
  }
});

test('307 redirects one call only; 308 persists DSS.Host; only the host of Location is used', () => {
  const w = connectedWorld((op, n) => (n === 1 ? { kind: 'redirect', status: 307, location: 'https://dss-b.example:9999/x/y' } : null), {
    dssHosts: ['dp-sps-na.amazon.com', 'dss-b.example', 'dss-c.example'],
  });
  const { out, client } = call(w);
  assert.is(out.err, '');
  assert.equal(w.exchanges.map((e) => e.host + ':' + e.port), ['dp-sps-na.amazon.com:443', 'dss-b.example:443']);
  assert.is(nextHost(w, client), 'dp-sps-na.amazon.com');
  assert.is(w.config.get('DSS.Host'), undefined);

  const w2 = connectedWorld((op, n) => (n === 1 ? { kind: 'redirect', status: 308, location: 'https://DSS-C.example/api/v1/startProvisioningSession' } : null), {
    dssHosts: ['dp-sps-na.amazon.com', 'dss-c.example'],
  });
  const r2 = call(w2);
  assert.is(r2.out.err, '');
  assert.is(nextHost(w2, r2.client), 'dss-c.example');
  assert.is(w2.config.get('DSS.Host'), 'dss-c.example');
  // a new client (next boot) starts from the persisted host
  assert.is(nextHost(w2, createDssClient(w2.hal)), 'dss-c.example');
});

test('an unsigned 308 never moves DSS.Host: only a verified answer from the new host does', () => {
  const w = connectedWorld((op, n) => (n === 1 ? { kind: 'redirect', status: 308, location: 'https://evil.example/' } : { kind: 'badSignature' }), {
    dssHosts: ['dp-sps-na.amazon.com', 'evil.example'],
  });
  const { out, client } = call(w);
  assert.is(out.err, 'signature does not verify');
  assert.ok(w.exchanges.some((e) => e.host === 'evil.example'));
  assert.is(w.config.get('DSS.Host'), undefined);
  assert.is(nextHost(w, client), 'dp-sps-na.amazon.com');
  assert.is(nextHost(w, createDssClient(w.hal)), 'dp-sps-na.amazon.com');
});

test('more than 3 redirects fail the call', () => {
  const w = connectedWorld(() => ({ kind: 'redirect', status: 307, location: 'https://dp-sps-na.amazon.com/' }));
  const { out } = call(w);
  assert.is(out.err, 'bad redirect');
  assert.is(w.exchanges.length, MAX_REDIRECTS + 1);
});

test('Location parsing keeps the host only and refuses odd ones', () => {
  assert.is(hostOfLocation('https://a.b.c:8443/p?q'), 'a.b.c');
  assert.is(hostOfLocation('HTTPS://Up.Example'), 'up.example');
  assert.is(hostOfLocation('/relative/path'), '');
  assert.is(hostOfLocation('https://user@evil.example/'), '');
  assert.is(hostOfLocation('https://bad host/'), '');
});

test('extractSignature: exactly one header, base64 of a DER SEQUENCE of at most 72 bytes', () => {
  const sig = vector.dssResponses[0].signatureBase64;
  const res = (h: Array<[string, string]>) => ({ statusCode: 200, headers: h, body: '' });
  const der = extractSignature(res([['X-AMZN-DSS-SIGNATURE', sig]]));
  assert.ok(der instanceof Uint8Array && Buffer.from(der).equals(Buffer.from(sig, 'base64')), 'the DER bytes');
  assert.is(extractSignature(res([])), 'not signed');
  assert.is(extractSignature(res([['x-amzn-dss-signature', sig], ['x-amzn-dss-signature', sig]])), '2 signature headers');
  assert.is(extractSignature(res([['x-amzn-dss-signature', Buffer.alloc(80, 0x30).toString('base64')]])), 'malformed signature');
  assert.is(extractSignature(res([['x-amzn-dss-signature', 'AAAA']])), 'malformed signature');
});

test('oversized and malformed HTTP answers are not retried', () => {
  const w = connectedWorld();
  let n = 0;
  w.hal.http.execute = (o) => {
    n++;
    w.hal.clock.setTimeout(() => o.onDone({ code: 'NET_TOO_LARGE', message: 'big' }, null), 10);
  };
  const { out } = call(w);
  assert.is(out.err, 'big');
  assert.is(n, 1);
});

test('a HAL error without a message still fails the call (never read as an empty, successful reason)', () => {
  const w = connectedWorld();
  let n = 0;
  w.hal.http.execute = (o) => {
    n++;
    w.hal.clock.setTimeout(() => o.onDone({ code: 'NET_RESET', message: '' }, null), 10);
  };
  const { out } = call(w);
  assert.is(out.err, 'no response');
  assert.is(out.body, '');
  assert.is(n, 4, 'retried as a network error');
});

test.run();
