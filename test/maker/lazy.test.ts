// build/lazy.mjs: setup-only modules are moved into one function that runs on first use, so a set-up
// board does not keep their declarations in memory. Same results, gate-clean, source map kept.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import sourceMapJs from 'source-map-js';
// @ts-ignore plain ESM build scripts
import { buildBundle, featureDefines } from '../../esbuild.config.mjs';
// @ts-ignore
import { lazify, isLazySource, isLazyDeclaration } from '../../build/lazy.mjs';
// @ts-ignore
import { checkFile } from '../../build/check.mjs';

const FIX = 'test/maker/fixtures/lazy/';

async function fixture(): Promise<{ code: string; map: any; file: string }> {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'ffs-lazy-')), 'b.js');
  // as the lazy pass sees a bundle in the build: before terser (build/terser.mjs) runs last
  await buildBundle(FIX + 'entry.ts', file, ['--no-terser'], { define: featureDefines([]) });
  return { code: readFileSync(file, 'utf8'), map: JSON.parse(readFileSync(file + '.map', 'utf8')), file };
}

function run(code: string): { boot: (s: boolean) => number } {
  const ctx: any = { globalThis: {} };
  ctx.globalThis = ctx;
  vm.runInNewContext(code, ctx);
  return ctx.RESULT;
}

test('the firmware\'s lazy list names setup modules only', () => {
  assert.ok(isLazySource('../firmware/wss/provisionee.ts'));
  assert.ok(isLazySource('../firmware/mesh/prov.ts'));
  assert.ok(isLazySource('../firmware/crypto/p256-field.ts'));
  assert.not.ok(isLazySource('../firmware/mesh/index.ts'), 'mesh/index decides at boot');
  assert.not.ok(isLazySource('../firmware/wss/index.ts'));
  assert.not.ok(isLazySource('../firmware/api.ts'));
  assert.not.ok(isLazySource('../hal/espruino/wifi.ts'));
  assert.ok(isLazySource('../hal/espruino/http.ts'), 'both entries make the TLS client on first use');
  assert.ok(isLazySource('../hal/espruino/ble.ts'));
  assert.ok(isLazySource('../firmware/crypto/drbg.ts'));
  assert.not.ok(isLazySource('../hal/espruino/index.ts'), 'the HAL builder runs at boot');
  // setup-only declarations of modules a set-up board uses
  assert.ok(isLazyDeclaration('../firmware/wss/messages.ts', 'parseResponse'));
  assert.not.ok(isLazyDeclaration('../firmware/wss/messages.ts', 'deviceDetails'), 'local discovery answers with it at rest');
  assert.ok(isLazyDeclaration('../firmware/crypto/sha256.ts', 'hmacSha256'));
  assert.not.ok(isLazyDeclaration('../firmware/crypto/sha256.ts', 'sha256'), 'the records are checked with it at boot');
});

test('moved declarations run on first use only, with the same results', async () => {
  const b = await fixture();
  const plain = run(b.code);
  const r = lazify(b.code, b.map, { isLazySource: (s: string) => !!s && s.endsWith('heavy.ts') });
  assert.is(r.moved, 5, 'loaded, twice, build, table, heavyWork moved');
  assert.equal(r.lazy.length, 1, 'only heavyWork is handed out: ' + r.lazy.join(','));
  const lazy = run(r.code);
  assert.is(lazy.boot(true), plain.boot(true));
  assert.is(lazy.boot(false), plain.boot(false));
  assert.is(lazy.boot(false), 46);
  // before first use, the moved module has not run: its `table` is not built yet
  const ctx: any = {};
  ctx.globalThis = ctx;
  assert.ok(r.code.includes('.push('), 'the table loop is in the bundle');
  vm.runInNewContext(r.code.replace('.push(', '.push(globalThis.BUILT=1,'), ctx);
  assert.is(ctx.BUILT, undefined, 'nothing of heavy.ts ran at load');
  ctx.RESULT.boot(false);
  assert.is(ctx.BUILT, 1, 'heavy.ts ran at first use');
});

test('the lazified bundle passes the gate and its map still names the TypeScript line', async () => {
  const b = await fixture();
  const r = lazify(b.code, b.map, { isLazySource: (s: string) => !!s && s.endsWith('heavy.ts') });
  const out = b.file.replace(/b\.js$/, 'l.js');
  writeFileSync(out, r.code);
  writeFileSync(out + '.map', JSON.stringify(r.map));
  assert.equal(checkFile(out).map((p: any) => p.text), []);
  const c = new sourceMapJs.SourceMapConsumer(r.map);
  const fn = r.code.indexOf('.count++'); // loaded.count++ in heavyWork
  const lines = r.code.slice(0, fn).split('\n');
  const p = c.originalPositionFor({ line: lines.length, column: lines[lines.length - 1].length });
  assert.ok(p.source && p.source.endsWith('heavy.ts'), String(p.source));
  const want = readFileSync(FIX + 'heavy.ts', 'utf8').split('\n').findIndex((l) => l.includes('loaded.count++')) + 1;
  assert.is(p.line, want);
});

test('`new` of a moved class keeps its meaning: new ($L(i))(...)', () => {
  const code = '(()=>{class K{constructor(v){this.v=v}}function m(){return new K(7).v}globalThis.R=m()})();\n';
  const gen = new sourceMapJs.SourceMapGenerator({ file: 'z.js' });
  for (const [needle, src] of [['class K', 'lazy.ts'], ['function m', 'core.ts'], ['globalThis', 'core.ts']]) {
    gen.addMapping({ generated: { line: 1, column: code.indexOf(needle) }, original: { line: 1, column: 0 }, source: src });
  }
  const r = lazify(code, gen.toJSON(), { isLazySource: (s: string) => s === 'lazy.ts' });
  assert.is(r.moved, 1);
  assert.ok(/new \(\$\w+\(0\)\)\(7\)/.test(r.code), r.code);
  const ctx: any = {};
  ctx.globalThis = ctx;
  vm.runInNewContext(r.code, ctx);
  assert.is(ctx.R, 7);
});

test('a declaration eager code writes stays eager; one reached while loading before $L stays eager', () => {
  // hand-written bundle shape: the IIFE with a load-time call that reaches a "lazy" function
  const code = '(()=>{function a(){return 1}function b(){return a()+1}var c=b();function d(){return 5}var e=0;function f(){e=2;return d()}globalThis.R=[c,f()]})();\n';
  const map = { version: 3, sources: ['lazy.ts', 'core.ts'], names: [], mappings: '' };
  // every declaration maps to lazy.ts except the last statement: build a map by hand
  const gen = new sourceMapJs.SourceMapGenerator({ file: 'x.js' });
  for (const [needle, src] of [['function a', 'lazy.ts'], ['function b', 'lazy.ts'], ['c=b', 'lazy.ts'], ['function d', 'lazy.ts'], ['e=0', 'lazy.ts'], ['function f', 'core.ts'], ['globalThis', 'core.ts']]) {
    gen.addMapping({ generated: { line: 1, column: code.indexOf(needle) }, original: { line: 1, column: 0 }, source: src });
  }
  Object.assign(map, gen.toJSON());
  const r = lazify(code, map, { isLazySource: (s: string) => s === 'lazy.ts' });
  // e is written by eager f: it stays; a, b, c, d move (c=b() runs at the first use, and the only
  // load-time reader comes after $L)
  assert.equal(r.moved, 4, r.code);
  const moved = /var \$\w+=function\(\$\w+\)\{[\s\S]*?return\[[^\]]*\]\};/.exec(r.code);
  assert.ok(moved, 'the moved declarations are in $F: ' + r.code);
  assert.ok(!moved![0].includes('e=0') && r.code.includes('var e=0'), 'e stays outside $F: ' + r.code);
  const ctx: any = {};
  ctx.globalThis = ctx;
  vm.runInNewContext(r.code, ctx);
  assert.is(JSON.stringify(ctx.R), '[2,5]');
  // a load-time call placed before an eager declaration the moved code needs (k): $L cannot be declared
  // before it, so a stays eager
  const code2 = '(()=>{function a(){return k()}var x=a();function k(){return 1}function g(){return x}globalThis.R=g()})();\n';
  const gen2 = new sourceMapJs.SourceMapGenerator({ file: 'y.js' });
  for (const [needle, src] of [['function a', 'lazy.ts'], ['x=a', 'core.ts'], ['function k', 'core.ts'], ['function g', 'core.ts'], ['globalThis', 'core.ts']]) {
    gen2.addMapping({ generated: { line: 1, column: code2.indexOf(needle) }, original: { line: 1, column: 0 }, source: src });
  }
  const r2 = lazify(code2, gen2.toJSON(), { isLazySource: (s: string) => s === 'lazy.ts' });
  assert.is(r2.lazy.length, 0, r2.code);
});

test('the moved code is a function of the program scope (after the prologue), with copies of the eager bindings it uses', () => {
  // a (lazy) reads k, a constant: it moves, and $F declares k again; b (lazy) reads s, which eager
  // code assigns later: a copy taken when $L runs would be stale, so b stays eager
  const code = '"use strict";(()=>{var k=3;var s=0;function set(){s=4}function u(){return k*2}function a(){return k+1}function b(){return s}globalThis.R=[a(),(set(),b()),u()]})();\n';
  const gen = new sourceMapJs.SourceMapGenerator({ file: 'w.js' });
  for (const [needle, src] of [['k=3', 'core.ts'], ['s=0', 'core.ts'], ['function set', 'core.ts'], ['function u', 'core.ts'], ['function a', 'lazy.ts'], ['function b', 'lazy.ts'], ['globalThis', 'core.ts']]) {
    gen.addMapping({ generated: { line: 1, column: code.indexOf(needle) }, original: { line: 1, column: 0 }, source: src });
  }
  const r = lazify(code, gen.toJSON(), { isLazySource: (s: string) => s === 'lazy.ts' });
  assert.is(r.moved, 1, r.code);
  assert.ok(/^"use strict";var \$\w+=function\(\$\w+\)\{var k=3;function a\(\)\{return k\+1\}return\[a\]\};\(\(\)=>\{/.test(r.code), r.code);
  assert.ok(/function b\(\)\{return s\}/.test(r.code.slice(r.code.indexOf('(()=>{'))), 'b stays in the bundle function: ' + r.code);
  const ctx: any = {};
  ctx.globalThis = ctx;
  vm.runInNewContext(r.code, ctx);
  assert.is(JSON.stringify(ctx.R), '[4,4,6]');
  // an eager binding that is not a constant is handed over in the array
  const code2 = '(()=>{var t={v:9};function a(){return t.v}globalThis.R=a()})();\n';
  const gen2 = new sourceMapJs.SourceMapGenerator({ file: 'v.js' });
  for (const [needle, src] of [['t={', 'core.ts'], ['function a', 'lazy.ts'], ['globalThis', 'core.ts']]) {
    gen2.addMapping({ generated: { line: 1, column: code2.indexOf(needle) }, original: { line: 1, column: 0 }, source: src });
  }
  const r2 = lazify(code2, gen2.toJSON(), { isLazySource: (s: string) => s === 'lazy.ts' });
  assert.ok(/=function\((\$\w+)\)\{var t=\1\[0\];/.test(r2.code) && /\(\[t\]\)/.test(r2.code), r2.code);
  const ctx2: any = {};
  ctx2.globalThis = ctx2;
  vm.runInNewContext(r2.code, ctx2);
  assert.is(ctx2.R, 9);
});

test('a group of moved modules is evaluated on its own first use; groups reach each other through their $L', () => {
  // a, k: group 0 (main); b, c: group 1 (dss.ts), b uses a and k; eager code calls a first, then b
  const code = '(()=>{var k=2;function a(){return k+1}function b(){return a()*10}var c=[b];function m(){return a()}function n(){return c[0]()}globalThis.R=[m()];globalThis.S=n})();\n';
  const gen = new sourceMapJs.SourceMapGenerator({ file: 'g.js' });
  for (const [needle, src] of [['k=2', 'core.ts'], ['function a', 'lazy.ts'], ['function b', 'dss.ts'], ['c=[b]', 'dss.ts'], ['function m', 'core.ts'], ['function n', 'core.ts'], ['globalThis', 'core.ts']]) {
    gen.addMapping({ generated: { line: 1, column: code.indexOf(needle) }, original: { line: 1, column: 0 }, source: src });
  }
  const r = lazify(code, gen.toJSON(), { isLazySource: (s: string) => s === 'lazy.ts' || s === 'dss.ts', groups: [[/dss\.ts$/]] });
  assert.equal(r.groups, [1, 2], r.code);
  // two functions of the program scope, and b reaches a through group 0's $L
  const fs = r.code.match(/var \$\w+=function\(\$\w+\)\{/g) || [];
  assert.is(fs.length, 2, r.code);
  assert.ok(/function b\(\)\{return \$\w+\(\d\)\(\)\*10\}/.test(r.code), 'b calls a through $L: ' + r.code);
  const ctx: any = {};
  ctx.globalThis = ctx;
  // count the evaluations of each group's $F
  const counted = r.code.replace(/var (\$\w+)=function\((\$\w+)\)\{/g, (_m: string, f: string, e: string) => 'var ' + f + '=function(' + e + '){globalThis.N=(globalThis.N||0)+1;');
  vm.runInNewContext(counted, ctx);
  assert.is(JSON.stringify(ctx.R), '[3]');
  assert.is(ctx.N, 1, 'only the main group ran');
  assert.is(ctx.S(), 30);
  assert.is(ctx.N, 2, 'the second group ran at its first use');
  ctx.S();
  assert.is(ctx.N, 2, 'once');
});


test('a long string constant or global path the eager code keeps too is handed to $F, not written twice; a short one is declared again', () => {
  const long = '"ABCDEFGHIJKLMNOPQRSTUVWXYZ"';
  const code = '(()=>{var L=' + long + ';var s="ab";var j=JSON.stringify;var o=' + long.replace('A', 'Z') + ';function e(){return L+s+j(1)}function a(){return L.length+s+o+j(2)}globalThis.R=[e(),a()]})();\n';
  const gen = new sourceMapJs.SourceMapGenerator({ file: 's.js' });
  for (const [needle, src] of [['L=', 'core.ts'], ['s="ab"', 'core.ts'], ['j=', 'core.ts'], ['o=', 'core.ts'], ['function e', 'core.ts'], ['function a', 'lazy.ts'], ['globalThis', 'core.ts']]) {
    gen.addMapping({ generated: { line: 1, column: code.indexOf(needle) }, original: { line: 1, column: 0 }, source: src });
  }
  const r = lazify(code, gen.toJSON(), { isLazySource: (s: string) => s === 'lazy.ts' });
  assert.is(r.moved, 1, r.code);
  // L (long, read eagerly too): once in the file, handed over; s (short): declared again in $F;
  // o (long, read only by the moved code): only in $F
  assert.is(r.code.split(long).length - 1, 1, r.code);
  assert.ok(/=function\((\$\w+)\)\{var [^;]*L=\1\[0\]/.test(r.code), r.code);
  assert.ok(/=function\(\$\w+\)\{var [^;]*s="ab"/.test(r.code) && r.code.split('"ab"').length - 1 === 2, r.code);
  assert.is(r.code.split(long.replace('A', 'Z')).length - 1, 1, r.code);
  // j (a global path longer than its hand-over): handed over too
  assert.is(r.code.split('JSON.stringify').length - 1, 1, r.code);
  assert.ok(r.code.indexOf(long.replace('A', 'Z')) < r.code.indexOf('(()=>{'), 'o is declared in $F only: ' + r.code);
  const ctx: any = {};
  ctx.globalThis = ctx;
  vm.runInNewContext(r.code, ctx);
  assert.is(JSON.stringify(ctx.R), JSON.stringify(['ABCDEFGHIJKLMNOPQRSTUVWXYZab1', '26abZBCDEFGHIJKLMNOPQRSTUVWXYZ2']));
});

test.run();
