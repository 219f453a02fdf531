// Issue 14 items 4 and 5: the soft-AP setup server (firmware/wss/softap.ts over hal/espruino/net.ts) on
// a stand-in of Espruino's http server (./espruino-http.ts, semantics from socketserver.c and checked
// on the real 2v29 interpreter). A host on the home network must not be able to finish a held
// POST /connect after the soft AP stopped or after a network was saved, and one station must not be
// able to hold the server's sockets or fill the JsVar pool.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createNet } from '../../hal/espruino/net';
import { startSoftAp, SOFTAP_HTTP_PORT } from '../../firmware/wss/softap';
import { espruinoWorld, withEspruino, type EspruinoWorld } from './espruino-http';

function setup() {
  const w = espruinoWorld();
  const joins: string[] = [];
  let finish: ((ok: boolean, why: string) => void) | null = null;
  const logs: string[] = [];
  const hal: any = {
    log: { log: (l: string, t: string, m: string) => logs.push(`${l} ${t}: ${m}`) },
    config: { getConfigurationValue: () => undefined },
    wifi: {
      startAccessPoint: (o: any) => w.setTimeout(() => o.onDone(null, null), 10),
      stopAccessPoint: (o: any) => w.setTimeout(() => o.onDone(null, null), 10),
    },
  };
  const ap = withEspruino(w, () => {
    hal.net = createNet({ log: hal.log });
    const a = startSoftAp(hal, {
      onCredentials: (ssid, pass, done) => {
        joins.push(ssid + '/' + pass);
        finish = done;
      },
    });
    w.run(50);
    return a;
  });
  const run = (ms: number) => withEspruino(w, () => w.run(ms));
  const stop = () => withEspruino(w, () => ap.stop());
  return { w, ap, joins, logs, run, stop, finish: (ok: boolean) => withEspruino(w, () => finish!(ok, ok ? '' : 'failed')) };
}

function post(w: EspruinoWorld, body: string, hold = 0, extraHeaders = '') {
  const c = w.connect(SOFTAP_HTTP_PORT)!;
  c.send(`POST /connect HTTP/1.1\r\nHost: 192.168.4.1\r\n${extraHeaders}Content-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\n\r\n` + body.substring(0, body.length - hold));
  return { c, rest: () => c.send(body.substring(body.length - hold)) };
}

const FORM = 'ssid=EvilNet&passphrase=evil-pass-1';
const status = (c: { received: string }) => Number(c.received.substring(9, 12)) || 0;

// ---- item 4 ----

test('a POST /connect held back by one byte and finished after the soft AP stopped is never used', () => {
  const s = setup();
  const { c, rest } = post(s.w, FORM, 1);
  s.run(200);
  s.stop();
  s.run(200);
  assert.ok(c.closed, 'the held connection is ended when the soft AP stops');
  rest();
  s.run(200);
  assert.equal(s.joins, [], 'never dispatched');
});

test('a held POST /connect finished after the page saved a network is refused', () => {
  const s = setup();
  const good = post(s.w, 'ssid=HomeNet&passphrase=home-secret-1');
  s.run(100);
  assert.is(status(good.c), 202);
  const evil = post(s.w, FORM, 1);
  s.run(100);
  s.finish(true); // the page's network joined and saved
  evil.rest();
  s.run(200);
  assert.equal(s.joins, ['HomeNet/home-secret-1']);
  const again = post(s.w, FORM);
  s.run(200);
  assert.equal(s.joins, ['HomeNet/home-secret-1'], 'a new /connect is refused once a network is saved');
  assert.is(status(again.c), 409);
});

test('a request whose sender closes before its body is complete is never dispatched (not at the deadline either)', () => {
  const s = setup();
  const { c } = post(s.w, FORM, 1);
  s.run(100);
  c.close(); // Espruino keeps the connection (body owed): no 'close' until the server ends it
  s.run(11000);
  assert.equal(s.joins, []);
});

// ---- item 5 ----

test('a body over the limit is answered 413 and the connection closed: nothing more is taken in', () => {
  const s = setup();
  const big = 'ssid=' + 'A'.repeat(600000);
  const { c } = post(s.w, big);
  s.run(3000);
  assert.is(status(c), 413);
  assert.ok(c.closed, 'closed on reject');
  assert.ok(s.w.stats.dataBytes < 4096, `${s.w.stats.dataBytes} body bytes taken in`);
  assert.equal(s.joins, []);
});

test('headers over the limit are refused (431) and the connection closed', () => {
  const s = setup();
  const { c } = post(s.w, FORM, 0, 'X-Pad: ' + 'p'.repeat(3000) + '\r\n');
  s.run(300);
  assert.is(status(c), 431);
  assert.ok(c.closed);
  assert.equal(s.joins, []);
});

test('a connection that never finishes its request is ended at the deadline', () => {
  const s = setup();
  const { c } = post(s.w, FORM, 3);
  s.run(9000);
  assert.not.ok(c.closed, 'still open before the deadline');
  s.run(2000);
  assert.ok(c.closed, 'ended by the 10 s deadline');
  assert.equal(s.joins, []);
});

test('at most 2 connections: a third is refused and closed; the held two time out; a phone then sets up', () => {
  const s = setup();
  const a = post(s.w, FORM, 2);
  const b = post(s.w, FORM, 2);
  s.run(100);
  const third = post(s.w, FORM);
  s.run(200);
  assert.is(status(third.c), 503);
  assert.ok(third.c.closed, 'closed on reject');
  assert.ok(s.w.stats.maxOpen <= 3);
  s.run(11000);
  assert.ok(a.c.closed && b.c.closed);
  const phone = post(s.w, 'ssid=HomeNet&passphrase=home-secret-1');
  s.run(200);
  assert.is(status(phone.c), 202);
  assert.equal(s.joins, ['HomeNet/home-secret-1']);
});

test('the setup page still works: GET / then POST /connect', () => {
  const s = setup();
  const g = s.w.connect(SOFTAP_HTTP_PORT)!;
  g.send('GET / HTTP/1.1\r\nHost: 192.168.4.1\r\n\r\n');
  s.run(100);
  assert.is(status(g), 200);
  assert.match(g.received, '<form method=POST action=/connect>');
  assert.ok(g.closed);
  const p = post(s.w, 'ssid=HomeNet&passphrase=home-secret-1');
  s.run(100);
  assert.is(status(p.c), 202);
  assert.ok(p.c.closed);
});

test.run();
