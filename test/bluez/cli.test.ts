// tools/bluez/run.mjs: a missing prerequisite or bad input is one line and exit 2, before anything runs
// (no interpreter, meshd or bus is started: these finish in well under a second).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const run = (args: string[], env: Record<string, string>) =>
  spawnSync(process.execPath, [path.join(root, 'tools/bluez/run.mjs'), ...args], { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 60000 });

test('no bluetooth-meshd: one line naming it and how to install it, exit 2', () => {
  const r = run(['--factor', '30'], { BLUEZ_MESHD: '/nonexistent/bluetooth-meshd' });
  assert.is(r.status, 2);
  assert.is(r.stdout, '');
  const lines = r.stderr.trim().split('\n');
  assert.is(lines.length, 1, r.stderr);
  assert.match(lines[0], process.platform === 'linux' ? /^bluez: missing: no bluetooth-meshd at \/nonexistent\/bluetooth-meshd .*apt-get install/ : /^bluez: missing: /);
});

test('no Python with dbus: one line, exit 2', () => {
  const r = run([], { BLUEZ_MESHD: process.execPath, BLUEZ_PYTHON: '/nonexistent/python3' });
  assert.is(r.status, 2);
  assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /^bluez: missing: /);
});

test('bad options: one line each, exit 2, whatever is installed', () => {
  for (const [args, re] of [
    [['--factor', '0'], /^bluez: bad --factor 0: a number >= 1/],
    [['--factor', '30,abc'], /^bluez: bad --factor abc/],
    [['--factor', '-5'], /^bluez: bad --factor -5/],
    [['--runs', '0'], /^bluez: bad --runs 0/],
    [['--runs', '2.5'], /^bluez: bad --runs 2\.5/],
    [['--timeout', 'x'], /^bluez: bad --timeout x/],
  ] as Array<[string[], RegExp]>) {
    const r = run(args, { BLUEZ_MESHD: '/nonexistent/bluetooth-meshd' });
    assert.is(r.status, 2, args.join(' '));
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, re);
  }
});

test('--help prints the usage and runs nothing', () => {
  const r = run(['--help'], { BLUEZ_MESHD: '/nonexistent/bluetooth-meshd' });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /--factor LIST/);
});

test.run();
