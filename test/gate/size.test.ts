// `npm run size` (build/size.mjs): per-module minified and gzip figures, totals, the budget line,
// and the failures (dist missing, over budget).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { gzipSync, deflateRawSync, constants } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-ignore plain ESM module without types
import { bundleReport, formatReport } from '../../build/size.mjs';
import { buildBundle } from '../../esbuild.config.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const tmp = mkdtempSync(path.join(tmpdir(), 'size-'));
const size = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(root, 'build/size.mjs'), ...args], { cwd: root, encoding: 'utf8' });

test('per-module figures come from the metafile and the source map; totals from the file', async () => {
  await buildBundle('test/gate/fixtures/src/clean.ts', path.join(tmp, 'clean.js'));
  const meta = JSON.parse(readFileSync(path.join(tmp, 'clean.meta.json'), 'utf8'));
  const code = readFileSync(path.join(tmp, 'clean.js'));
  const r = bundleReport(tmp, 'clean');
  const key = 'test/gate/fixtures/src/clean.ts';
  const m = r.modules.find((x: any) => x.path === key) as { bytes: number; gzip: number };
  assert.ok(m, 'module row for ' + key);
  const outKey = Object.keys(meta.outputs).find((k) => k.endsWith('clean.js'))!;
  assert.is(m.bytes, meta.outputs[outKey].inputs[key].bytesInOutput);
  assert.ok(m.gzip > 0 && m.gzip < m.bytes + 10);
  assert.is(r.bytes, code.length);
  assert.is(r.gzip, gzipSync(code, { level: constants.Z_BEST_COMPRESSION }).length);
  // the module's slice is most of this one-module file; compressed alone it is close to the whole
  assert.ok(Math.abs(m.gzip - deflateRawSync(code, { level: 9 }).length) < 40);
  const text = formatReport(r);
  assert.match(text, /test\/gate\/fixtures\/src\/clean\.ts\s+\d+\s+\d+\s+[\d.]+%/);
  assert.match(text, new RegExp('budget: ' + r.bytes + ' of 65,536 bytes \\([\\d.]+%\\), [\\d,]+ left'));
});

test('the command prints the table and exits 0 within budget', () => {
  const r = size('--dist', tmp, '--bundle', 'clean');
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /^clean \(dist\/clean\.js\)/);
  assert.match(r.stdout, /total \(whole file; gzip -9 of the file\)/);
});

test('over the budget: the table says so and the command exits 1', async () => {
  // a bundle whose one module is 70 kB of string constant
  const entry = path.join(tmp, 'fat.ts');
  writeFileSync(entry, 'declare function print(s: string): void;\nprint("' + 'abcdefghij'.repeat(7000) + '");\n');
  await buildBundle(entry, path.join(tmp, 'fat.js'));
  const r = size('--dist', tmp, '--bundle', 'fat');
  assert.is(r.status, 1);
  assert.match(r.stdout, /OVER BUDGET by [\d,]+ bytes/);
  assert.match(r.stderr, /^size: over the 65,536-byte budget: fat/);
});

test('dist missing: one clear line telling to run npm run build, exit 1', () => {
  const r = size('--dist', path.join(tmp, 'no-such-dist'));
  assert.is(r.status, 1);
  assert.is(r.stdout, '');
  assert.match(r.stderr.trim(), /^size: .*no-such-dist\/ is missing: run `npm run build` first$/);
  const r2 = size('--dist', tmp, '--bundle', 'firmware');
  assert.is(r2.status, 1);
  assert.match(r2.stderr.trim(), /^size: .*firmware\.js is missing: run `npm run build` first$/);
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();
