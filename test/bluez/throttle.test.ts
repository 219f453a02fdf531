// tools/bluez/throttle.ts: the CPU-throttle arithmetic (no cgroup or process touched here).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cfsQuota, dutyCycle, measuredFactor, parseFactor, MIN_QUOTA_US } from '../../tools/bluez/throttle.ts';

test('CFS quota: 1/N of a 100 ms period; the period grows when the quota would be under 1 ms', () => {
  assert.equal(cfsQuota(1), { periodUs: 100000, quotaUs: 100000 });
  assert.equal(cfsQuota(10), { periodUs: 100000, quotaUs: 10000 });
  assert.equal(cfsQuota(30), { periodUs: 100000, quotaUs: 3333 });
  assert.equal(cfsQuota(100), { periodUs: 100000, quotaUs: 1000 });
  const q = cfsQuota(150);
  assert.ok(q.quotaUs >= MIN_QUOTA_US);
  assert.equal(q, { periodUs: 150000, quotaUs: 1000 });
  assert.ok(Math.abs(q.periodUs / q.quotaUs - 150) < 1e-9);
  assert.equal(cfsQuota(20, 50000), { periodUs: 50000, quotaUs: 2500 });
});

test('factors under 1, not numbers, or needing a period over 1 s are refused', () => {
  for (const f of [0, 0.5, -3, NaN, Infinity]) assert.throws(() => cfsQuota(f), /factor/);
  assert.throws(() => cfsQuota(2000), /over 1 s/);
  assert.throws(() => dutyCycle(0.9), /factor/);
  assert.throws(() => dutyCycle(2, 0), /period/);
});

test('the SIGSTOP/SIGCONT duty cycle: run 1/N of the period', () => {
  const d = dutyCycle(30, 100);
  assert.ok(Math.abs(d.runMs - 100 / 30) < 1e-9);
  assert.ok(Math.abs(d.runMs + d.stopMs - 100) < 1e-9);
  assert.equal(dutyCycle(1, 100), { runMs: 100, stopMs: 0 });
  assert.equal(dutyCycle(4, 200), { runMs: 50, stopMs: 150 });
});

test('--factor parsing: plain positive numbers >= 1 only', () => {
  assert.is(parseFactor('30'), 30);
  assert.is(parseFactor('2.5'), 2.5);
  assert.is(parseFactor(' 1 '), 1);
  for (const s of ['0', '0.5', '-1', 'abc', '', '1e3', '30x', undefined]) assert.is(parseFactor(s), null, String(s));
});

test('measured factor: throttled wall time over the unthrottled time of the same work', () => {
  assert.is(measuredFactor(148, 4440), 30);
  assert.throws(() => measuredFactor(0, 10));
});

test.run();
