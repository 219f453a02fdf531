import { test } from 'uvu';
import * as assert from 'uvu/assert';
import net from 'node:net';
import { VirtualClock, HoldTimeoutError } from '../../sim/clock';
import { Rng } from '../../sim/rng';

test('timers fire in (time, insertion) order and advance virtual time', async () => {
  const clock = new VirtualClock();
  const log: string[] = [];
  clock.setTimer(() => log.push('c@30:' + clock.now()), 30);
  clock.setTimer(() => log.push('a@10:' + clock.now()), 10);
  clock.setTimer(() => log.push('b@10:' + clock.now()), 10);
  clock.setTimer(() => {
    log.push('d@0');
    clock.setTimer(() => log.push('e@0+0'), 0); // same instant, after everything already queued for it
  }, 0);
  const r = await clock.run();
  assert.is(r, 'idle');
  assert.equal(log, ['d@0', 'e@0+0', 'a@10:10', 'b@10:10', 'c@30:30']);
  assert.is(clock.now(), 30);
});

test('random schedules come out sorted, equal times in insertion order', async () => {
  const clock = new VirtualClock();
  const rng = new Rng(3);
  const fired: Array<[number, number]> = [];
  for (let i = 0; i < 2000; i++) {
    const t = rng.int(0, 50);
    clock.setTimer(() => fired.push([clock.now(), i]), t);
  }
  await clock.run();
  assert.is(fired.length, 2000);
  for (let k = 1; k < fired.length; k++) {
    const [t0, i0] = fired[k - 1];
    const [t1, i1] = fired[k];
    assert.ok(t0 < t1 || (t0 === t1 && i0 < i1), `out of order at ${k}`);
  }
});

test('clearTimer and cancelOwner drop timers; until and stop end a run', async () => {
  const clock = new VirtualClock();
  const log: string[] = [];
  const a = clock.setTimer(() => log.push('a'), 5);
  clock.setTimer(() => log.push('b1'), 6, 'board-b');
  clock.setTimer(() => log.push('b2'), 7, 'board-b');
  clock.setTimer(() => log.push('c'), 8, 'board-c');
  clock.setTimer(() => log.push('late'), 100);
  clock.clearTimer(a);
  assert.is(clock.pending('board-b'), 2);
  assert.is(clock.cancelOwner('board-b'), 2);
  assert.is(clock.pending('board-b'), 0);
  assert.is(await clock.run({ until: 50 }), 'until');
  assert.equal(log, ['c']);
  assert.is(clock.now(), 50);
  let n = 0;
  for (let i = 0; i < 10; i++) clock.setTimer(() => n++, 60 + i);
  assert.is(await clock.run({ stop: () => n >= 3 }), 'stopped');
  assert.is(n, 3);
});

test('many cancelled timers are compacted without losing live ones', async () => {
  const clock = new VirtualClock();
  let fired = 0;
  const ids: number[] = [];
  for (let i = 0; i < 5000; i++) ids.push(clock.setTimer(() => fired++, 1000 + i));
  for (let i = 0; i < 5000; i += 2) clock.clearTimer(ids[i]);
  await clock.run();
  assert.is(fired, 2500);
  assert.is(clock.pending(), 0);
});

test('a hold keeps virtual time still while real loopback I/O completes', async () => {
  const server = net.createServer((s) => s.on('data', (d) => setTimeout(() => s.end(d), 30)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const clock = new VirtualClock();
  const seen: string[] = [];
  clock.setTimer(() => {
    const release = clock.hold('echo socket');
    const sock = net.connect(port, '127.0.0.1', () => sock.write('ping'));
    sock.on('data', (d) => {
      seen.push(`reply ${d} at ${clock.now()}`);
      clock.setTimer(() => seen.push(`after reply at ${clock.now()}`), 0);
      release();
    });
  }, 10);
  clock.setTimer(() => seen.push(`timer at ${clock.now()}`), 11);
  await clock.run();
  server.close();
  // 30 real ms passed on the server, yet the device saw the reply at virtual 10 ms, before the 11 ms timer
  assert.equal(seen, ['reply ping at 10', 'after reply at 10', 'timer at 11']);
});

test('the watchdog names a hold that never releases', async () => {
  const clock = new VirtualClock({ holdWatchdogMs: 40 });
  clock.setTimer(() => {
    clock.hold('dss TLS socket to 127.0.0.1:443');
  }, 5);
  clock.setTimer(() => undefined, 10);
  let err: unknown;
  try {
    await clock.run();
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof HoldTimeoutError, 'expected HoldTimeoutError');
  assert.match((err as Error).message, /"dss TLS socket to 127\.0\.0\.1:443"/);
  assert.is(clock.now(), 5);
});

test('realtime pacing waits on the wall clock', async () => {
  const clock = new VirtualClock();
  let at = 0;
  clock.setTimer(() => (at = clock.now()), 40);
  const t0 = Date.now();
  await clock.run({ realtime: true });
  assert.is(at, 40);
  assert.ok(Date.now() - t0 >= 35, 'ran faster than the wall clock');
});

test('seeded rng: same seed same stream, forks independent and stable', () => {
  const a = new Rng(42);
  const b = new Rng(42);
  const c = new Rng(43);
  const sa = Array.from({ length: 8 }, () => a.next());
  const sb = Array.from({ length: 8 }, () => b.next());
  const sc = Array.from({ length: 8 }, () => c.next());
  assert.equal(sa, sb);
  assert.not.equal(sa, sc);
  assert.is(new Rng(42).fork('x').next(), new Rng(42).fork('x').next());
  assert.is.not(new Rng(42).fork('x').next(), new Rng(42).fork('y').next());
  const r = new Rng(1);
  for (let i = 0; i < 1000; i++) {
    const v = r.int(3, 9);
    assert.ok(v >= 3 && v <= 9 && Number.isInteger(v));
  }
});

test.run();
