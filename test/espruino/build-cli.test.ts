// espruino:build refuses bad input with one line and a non-zero exit, leaving nothing behind.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkProfile } from '../../tools/espruino/profile-check.mjs';

const BUILD = path.resolve('tools/espruino/build.mjs');

function build(args: string[], out: string) {
  const r = spawnSync(process.execPath, [BUILD, ...args, '--out', out], { encoding: 'utf8' });
  return { status: r.status, err: r.stderr.trim(), out: r.stdout };
}

function fakeCheckout(version: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fake-espruino-'));
  for (const d of ['src', 'targets/linux', 'scripts']) mkdirSync(path.join(dir, d), { recursive: true });
  for (const f of ['Makefile', 'src/jsflash.c', 'targets/linux/jshardware.c', 'scripts/build_platform_config.py']) writeFileSync(path.join(dir, f), '');
  writeFileSync(path.join(dir, 'src/jsutils.h'), `#define JS_VERSION "${version}"\n`);
  return dir;
}

test('a folder that is not an Espruino checkout: one line naming what is missing, exit 2', () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'eb-out-'));
  const r = build([os.tmpdir()], out);
  assert.is(r.status, 2);
  assert.is(r.err.split('\n').length, 1);
  assert.match(r.err, /is not an Espruino source checkout \(missing .*src\/jsutils\.h/);
  assert.not.ok(existsSync(path.join(out, 'espruino')));
  rmSync(out, { recursive: true, force: true });
});

test('another Espruino version: refused before anything is copied or compiled', () => {
  const src = fakeCheckout('2v28');
  const out = mkdtempSync(path.join(os.tmpdir(), 'eb-out-'));
  const r = build([src], out);
  assert.is(r.status, 2);
  assert.match(r.err, /Espruino 2v28 is not supported: the profile and its patch are made for 2v29/);
  assert.equal(readdirSync(out), []);
  rmSync(src, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
});

test('a checkout the patch does not fit: one line, no binary, no scratch folder left', () => {
  const src = fakeCheckout('2v29');
  mkdirSync(path.join(src, 'boards'));
  const out = mkdtempSync(path.join(os.tmpdir(), 'eb-out-'));
  const r = build([src], out);
  assert.is(r.status, 1);
  assert.is(r.err.split('\n').length, 1);
  assert.match(r.err, /no 32-bit toolchain|patch does not apply/);
  assert.equal(readdirSync(out).filter((f) => f !== 'build.log'), []);
  rmSync(src, { recursive: true, force: true });
  rmSync(out, { recursive: true, force: true });
});

test('bad arguments: usage or the option named, exit 2', () => {
  const out = mkdtempSync(path.join(os.tmpdir(), 'eb-out-'));
  assert.match(build([], out).err, /^espruino:build: usage: npm run espruino:build -- <path/);
  const r = build(['x', '--jobs', '0'], out);
  assert.is(r.status, 2);
  assert.match(r.err, /--jobs must be a positive integer, got "0"/);
  assert.match(build(['a', 'b'], out).err, /one checkout path only/);
  rmSync(out, { recursive: true, force: true });
});

test('the profile check refuses a binary that is not Espruino, and a missing one', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'eb-bin-'));
  const fake = path.join(dir, 'espruino');
  writeFileSync(fake, '#!/bin/sh\necho hello\n');
  chmodSync(fake, 0o755);
  const r = checkProfile(fake);
  assert.is(r.ok, false);
  assert.match(r.why, /did not run the probe \(not an Espruino interpreter\?\)/);
  assert.match(checkProfile(path.join(dir, 'nope')).why, /no such file/);
  rmSync(dir, { recursive: true, force: true });
});

test.run();
