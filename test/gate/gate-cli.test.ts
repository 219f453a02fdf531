// The gate as a command and inside the build: bad input, source-mapped findings, the budget, the
// post-pass (no `of`/`let`/`static` names, no require shim) and the real bundles.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import vm from 'node:vm';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
// @ts-ignore plain ESM module without types
import { checkFile, checkSource } from '../../build/check.mjs';
// @ts-ignore plain ESM module without types
import { parseScript, analyze } from '../../build/scope.mjs';
import { buildBundle, buildOptions, bundles } from '../../esbuild.config.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const tmp = mkdtempSync(path.join(tmpdir(), 'gate-'));

function cli(...args: string[]) {
  return spawnSync(process.execPath, [path.join(root, 'build/check.mjs'), ...args], { cwd: root, encoding: 'utf8' });
}

/** One line on stderr, no stack trace, exit 2. */
function assertOneClearError(r: ReturnType<typeof cli>, pattern: RegExp) {
  assert.is(r.status, 2, 'exit status: ' + r.status + ' ' + r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.is(lines.length, 1, 'expected one line, got:\n' + r.stderr);
  assert.match(lines[0], pattern);
  assert.not.match(r.stderr, /\n\s+at /);
}

test('bad input: a missing file is one clear line, exit 2', () => {
  assertOneClearError(cli(path.join(tmp, 'nope.js')), /^check: .*nope\.js: no such file$/);
});

test('bad input: no arguments prints the usage, exit 2', () => {
  assertOneClearError(cli(), /^usage: node build\/check\.mjs/);
});

test('bad input: a malformed bundle is a parse-error finding with its position, exit 1', () => {
  const f = path.join(tmp, 'malformed.js');
  writeFileSync(f, 'var a = 1;\nfunction (x {\n');
  const r = cli(f);
  assert.is(r.status, 1);
  assert.match(r.stdout, /malformed\.js:2:10: parse-error: Unexpected token/);
  assert.not.match(r.stdout + r.stderr, /\n\s+at /);
});

test('bad input: a corrupt source map beside the bundle is one clear line, exit 2', () => {
  const f = path.join(tmp, 'corrupt.js');
  writeFileSync(f, 'var a = 1;\n//# sourceMappingURL=corrupt.js.map\n');
  writeFileSync(f + '.map', '{"version":3,"sources":["a.ts"],"mappings":"AAAA,Y');
  assertOneClearError(cli(f), /corrupt\.js\.map: corrupt source map: not JSON/);
  writeFileSync(f + '.map', '{"version":3,"sources":["a.ts"],"names":[],"mappings":"!!!!"}');
  assertOneClearError(cli(f), /corrupt\.js\.map: corrupt source map: /);
  writeFileSync(f + '.map', '{"version":2}');
  assertOneClearError(cli(f), /corrupt source map: not a version 3 map/);
});

test('bad input: a source map named by sourceMappingURL but missing is one clear line, exit 2', () => {
  const f = path.join(tmp, 'nomap.js');
  writeFileSync(f, 'var a = 1;\n//# sourceMappingURL=nomap.js.map\n');
  assertOneClearError(cli(f), /nomap\.js: source map .*nomap\.js\.map named by its sourceMappingURL is missing/);
  assertOneClearError(cli('--map', path.join(tmp, 'other.map'), f), /source map .*other\.map is missing/);
  const ok = cli('--no-map', f);
  assert.is(ok.status, 0, ok.stderr);
});

test('findings are mapped back to the TypeScript source, with the bundle position', async () => {
  const out = path.join(tmp, 'mapped.js');
  await buildBundle('test/gate/fixtures/src/mapped.ts', out);
  const findings = checkFile(out);
  assert.is(findings.length, 1, findings.map((f: any) => f.text).join('\n'));
  const src = path.relative(process.cwd(), path.join(root, 'test/gate/fixtures/src/mapped.ts'));
  assert.ok(findings[0].text.startsWith(src + ':9:3: array-length-assign: '), findings[0].text);
  assert.match(findings[0].text, /\[.*mapped\.js:1:\d+\]$/);
  // same through the command line
  const r = cli(out);
  assert.is(r.status, 1);
  assert.match(r.stdout, /fixtures\/src\/mapped\.ts:9:3: array-length-assign: .*\[.*mapped\.js:1:\d+\]/);
});

test('the build leaves Espruino require() calls plain: no __require shim, no Proxy', async () => {
  const out = path.join(tmp, 'clean.js');
  await buildBundle('test/gate/fixtures/src/clean.ts', out);
  const code = readFileSync(out, 'utf8');
  assert.match(code, /require\("Storage"\)/);
  assert.not.match(code, /Proxy|Dynamic require/);
  assert.equal(checkFile(out).map((f: any) => f.text), []);
  // and esbuild alone would have emitted the shim (so this test can fail)
  const raw = await esbuild.build({ ...buildOptions('test/gate/fixtures/src/clean.ts', out), write: false });
  assert.match(raw.outputFiles!.find((f) => f.path.endsWith('.js'))!.text, /Proxy/);
});

test('budget: 65,536 bytes pass, 65,537 fail with bundle-size', () => {
  const body = (n: number) => {
    const head = 'var s="';
    const tail = '";\n';
    return head + 'x'.repeat(n - head.length - tail.length) + tail;
  };
  const at = path.join(tmp, 'at-budget.js');
  const over = path.join(tmp, 'over-budget.js');
  writeFileSync(at, body(65536));
  writeFileSync(over, body(65537));
  assert.is(readFileSync(over).length, 65537);
  assert.equal(checkFile(at), []);
  const r = cli(over);
  assert.is(r.status, 1);
  assert.match(r.stdout, /over-budget\.js:1:1: bundle-size: 65537 bytes is over the 65,536-byte budget by 1/);
});

test('post-pass: esbuild names a local `of`; the built bundle renames it and still computes the same', async () => {
  // 3000 locals in one function push esbuild's minifier into two-letter names, `of` among them
  // (it happened on tweetnacl-ts). esbuild 0.28 has no option to reserve identifier names.
  const n = 3000;
  let src = 'export function big(): number[] {\n';
  for (let i = 0; i < n; i++) src += `  let v${i} = (globalThis as any).q${i % 7} + ${i};\n`;
  src += '  return [' + Array.from({ length: n }, (_, i) => 'v' + i).join(', ') + '];\n}\n(globalThis as any).out = big();\n';
  const entry = path.join(tmp, 'big.ts');
  writeFileSync(entry, src);
  const out = path.join(tmp, 'big.js');
  const raw = await esbuild.build({ ...buildOptions(entry, out), write: false });
  const rawCode = raw.outputFiles!.find((f) => f.path.endsWith('.js'))!.text;
  const rawNames = analyze(parseScript(rawCode)).bindings.map((b: any) => b.name);
  assert.ok(rawNames.includes('of'), 'esbuild no longer emits `of` here: make the test harder');
  assert.ok(checkSource(rawCode, { budget: Infinity }).some((f: any) => f.rule === 'keyword-identifier'));

  const built = await buildBundle(entry, out);
  const code = readFileSync(out, 'utf8');
  const names = analyze(parseScript(code)).bindings.map((b: any) => b.name);
  for (const bad of ['of', 'let', 'static']) assert.not.ok(names.includes(bad), 'bundle still binds ' + bad);
  assert.ok(built.renamed.some((r: any) => r.from === 'of'));
  assert.equal(checkSource(code, { budget: Infinity }).map((f: any) => f.text), []);

  const run = (js: string) => {
    const g: any = { q0: 1, q1: 2, q2: 3, q3: 4, q4: 5, q5: 6, q6: 7 };
    g.globalThis = g;
    vm.runInNewContext(js, g);
    return JSON.stringify(g.out);
  };
  assert.is(run(code), run(rawCode));
});

test('esbuild helpers that work on the interpreter pass (__export getters, __publicField, enums, namespaces); CommonJS interop does not', async () => {
  const dir = 'test/gate/fixtures/src/esbuild-patterns/';
  const ok = path.join(tmp, 'patterns.js');
  await buildBundle(dir + 'main.ts', ok);
  const code = readFileSync(ok, 'utf8');
  assert.match(code, /get:/); // the namespace object really is built with getters
  assert.equal(checkFile(ok).map((f: any) => f.text), []);
  const g: any = { out: '' };
  g.print = (s: string) => { g.out += s; };
  vm.runInNewContext(code, g);
  assert.is(g.out, '42 2 0');

  const en = path.join(tmp, 'enum.js');
  await buildBundle(dir + 'enum.ts', en);
  assert.equal(checkFile(en).map((f: any) => f.text), []);
  const g2: any = { out: '' };
  g2.print = (s: string) => { g2.out += s; };
  vm.runInNewContext(readFileSync(en, 'utf8'), g2);
  assert.is(g2.out, '1Green1');

  const cjs = path.join(tmp, 'cjs.js');
  await buildBundle(dir + 'cjs.ts', cjs);
  const rules = checkFile(cjs).map((f: any) => f.rule).sort();
  assert.equal(rules, ['loop-closure', 'prototype-builtin']);
});

test('tweetnacl-ts: esbuild names a local `of` in it; the post-pass renames it (the bug seen in the field)', async () => {
  const entry = 'test/gate/fixtures/src/nacl-probe.ts';
  const out = path.join(tmp, 'nacl.js');
  const raw = await esbuild.build({ ...buildOptions(entry, out), write: false });
  const rawCode = raw.outputFiles!.find((f) => f.path.endsWith('.js'))!.text;
  assert.ok(analyze(parseScript(rawCode)).bindings.some((b: any) => b.name === 'of'));
  const built = await buildBundle(entry, out);
  assert.ok(built.renamed.some((r: any) => r.from === 'of'));
  // the renamed bundle computes exactly what esbuild's output computes
  const run = (js: string) => {
    const g: any = { out: '' };
    g.print = (x: string) => { g.out += x; };
    g.require = (m: string) => ({ randomBytes: (n: number) => new Uint8Array(n), module: m });
    vm.runInNewContext(js, g);
    return g.out;
  };
  assert.ok(run(rawCode).length > 0);
  assert.is(run(readFileSync(out, 'utf8')), run(rawCode));
  const rules = checkFile(out).map((f: any) => f.text);
  // what is left is tweetnacl-ts's own Array.prototype.slice (src/server/convert.ts)
  assert.is(rules.length, 1);
  assert.match(rules[0], /tweetnacl-ts\/src\/server\/convert\.ts:\d+:\d+: prototype-builtin: Array\.prototype\.slice/);
});

test('@noble/hashes 2.4 (sha256 + hmac) cannot be built for the interpreter', async () => {
  const entry = 'test/gate/fixtures/src/noble-probe.ts';
  let errors: any[] = [];
  try {
    await buildBundle(entry, path.join(tmp, 'noble.js'));
  } catch (e: any) {
    errors = e.errors || [];
  }
  const kinds = new Set(errors.map((m) => /Transforming (.+?) to the configured/.exec(m.text)?.[1]));
  assert.ok(kinds.has('destructuring') && kinds.has('default arguments') && kinds.has('rest arguments'), [...kinds].join(', '));
  // built with native syntax, the gate lists what else the interpreter lacks
  await buildBundle(entry, path.join(tmp, 'noble-native.js'), [], { supported: {} });
  const found = checkFile(path.join(tmp, 'noble-native.js')).map((f: any) => f.message).join('\n');
  for (const m of ['Uint32Array.from', 'Uint8Array.from', 'ArrayBuffer.isView', 'Object.hasOwn', 'Object.freeze', 'RangeError', 'Number.isSafeInteger', '** operator']) {
    assert.ok(found.includes(m), 'expected a finding about ' + m);
  }
});

test('syntax esbuild would lower into code the interpreter cannot run is reported at its TypeScript line', async () => {
  const out = path.join(tmp, 'lowered.js');
  await buildBundle('test/gate/fixtures/src/lowered.ts', out);
  const src = path.relative(process.cwd(), path.join(root, 'test/gate/fixtures/src/lowered.ts'));
  const texts = checkFile(out).map((f) => f.text).join('\n');
  const at = (line: number, rule: string) => new RegExp('^' + src.replace(/[.]/g, '\\.') + ':' + line + ':\\d+: ' + rule + ': ', 'm');
  assert.match(texts, at(3, 'spread-rest'));
  assert.match(texts, at(4, 'missing-builtin'));
  assert.match(texts, at(5, 'exponent'));
  assert.not.match(readFileSync(out, 'utf8'), /\?\./); // ?. was lowered
});

test('the real bundles (firmware, selftest, bench) pass every gate', async () => {
  const problems: string[] = [];
  for (const b of bundles) {
    const out = path.join(tmp, b.name + '.js');
    try {
      await buildBundle(b.entry, out);
    } catch (e: any) {
      problems.push(b.name + ': build failed: ' + (e.errors || []).map((m: any) => (m.location ? m.location.file + ':' + m.location.line + ': ' : '') + m.text).join('; '));
      continue;
    }
    for (const f of checkFile(out)) problems.push(f.text);
  }
  assert.equal(problems, []);
});

test('dist/firmware.js as built by npm run build passes the gate (when built)', () => {
  const dist = path.join(root, 'dist/firmware.js');
  if (!existsSync(dist)) return; // not built yet: the previous test builds the same bundle from source
  assert.equal(checkFile(dist).map((f: any) => f.text), []);
});

test.after(() => rmSync(tmp, { recursive: true, force: true }));
test.run();
