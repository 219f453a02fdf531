// The post-pass renamer (build/postpass.mjs) on hand-written sloppy-mode code full of the names the
// interpreter rejects, with shadowing of every kind: the output must bind none of them and compute
// exactly what the input computes (run both in node:vm).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import vm from 'node:vm';
// @ts-ignore plain ESM module without types
import { postProcess } from '../../build/postpass.mjs';
// @ts-ignore plain ESM module without types
import { parseScript, analyze } from '../../build/scope.mjs';

const TRICKY = `
var out = [];
var of = 1, a = 2;
function let(static) {                 // function and parameter
  var of = static + 10;                // shadows the global 'of'
  function inner() { return of * 2; }  // closes over the local one
  return inner() + static;
}
out.push(let(3), of);
var obj = { of: of, static: 5, let: function () { return of; } };  // property names stay
out.push(obj.of, obj.static, obj.let());
var short = { of };                    // shorthand property keeps its key
out.push(short.of);
try { throw 7; } catch (of) { out.push(of + 1); }   // catch parameter
out.push(of);
var fe = function of(n) { return n ? of(n - 1) + 1 : 0; };  // named function expression
out.push(fe(4));
var K = class of { who() { return typeof of; } };   // class inner name
out.push(new K().who());
{ let of = 'block'; out.push(of); }    // block scope
out.push(of);
for (var i = 0, let2 = []; i < 3; i++) { let2.push(function (of) { return of + i; }); }
out.push(let2[0](1));
function undefinedParam(undefined) { return undefined === 5; }
out.push(undefinedParam(5));
var x = 'of'; out.push(x, typeof of);
(function () { var static = of + 100; out.push(static); })();
`;

function run(code: string) {
  const g: any = {};
  vm.runInNewContext(code + '\n;this.__out = JSON.stringify(out);', g);
  return g.__out;
}

test('renamed code binds no of/let/static (nor an undefined parameter) and computes the same', () => {
  const before = run(TRICKY);
  const r = postProcess(TRICKY, null);
  const names = analyze(parseScript(r.code)).bindings.map((b: any) => b.name);
  for (const bad of ['of', 'let', 'static', 'undefined']) assert.not.ok(names.includes(bad), bad + ' still bound');
  assert.ok(r.renamed.length >= 8, 'renamed ' + r.renamed.length);
  assert.is(run(r.code), before);
  // property names and strings are untouched
  assert.match(r.code, /\{ of: [a-zA-Z_$]+, static: 5, let: function/);
  assert.match(r.code, /var x = 'of'/);
  assert.match(r.code, /\{ of:[a-zA-Z_$]+ \}/);
});

test('a fresh name never collides with a name already in the file', () => {
  const src = 'var a = 1, b = 2, c = "d", of = a + b; this.r = [a, b, c, of];';
  const r = postProcess(src, null);
  const g: any = {};
  vm.runInNewContext(r.code, g);
  assert.is(JSON.stringify(g.r), '[1,2,"d",3]');
  assert.ok(!['a', 'b', 'c', 'd'].includes(r.renamed[0].to));
});

test('a local named require next to the shim is refused rather than miscompiled', () => {
  const src = `var s=(t=>typeof require<"u"?require:t)(function(t){if(typeof require<"u")return require.apply(this,arguments);throw Error('Dynamic require of "'+t+'" is not supported')});function f(require){return s("Storage")}`;
  assert.throws(() => postProcess(src, null), /shadows a require\(\) call/);
  const ok = postProcess(src.replace('function f(require)', 'function f(q)'), null);
  assert.match(ok.code, /^function f\(q\)\{return require\("Storage"\)\}$/);
});

test.run();
