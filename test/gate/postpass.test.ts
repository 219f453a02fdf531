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

test('built-ins called often get one alias; member reads, shadowed names and calls the gate must see stay', () => {
  const src = '"use strict";(()=>{var out=[];' +
    'for(var i=0;i<9;i++)out.push(new Uint8Array(i).length, new Int32Array(2)[0]);' +
    'out.push(typeof Uint8Array.from, new Error("x").message);' +
    'function f(Uint8Array){return new Uint8Array(3)}out.push(f(Array).length);' +
    'var e1=new Error("a"),e2=new Error("b",{cause:1}),e3=new Error("c"),e4=new Error("d"),e5=new Error("e"),e6=new Error("f");' +
    'var a1=new Uint8Array(1),a2=new Uint8Array(2),a3=new Uint8Array(3),a4=new Uint8Array(4),a5=new Uint8Array(5);' +
    'out.push(a1.length+a2.length+a3.length+a4.length+a5.length, e1.message+e2.message+e3.message+e4.message+e5.message+e6.message);' +
    'for(var j=0;j<3;j++)out.push(parseInt("1"+j,16),parseInt("7",8),parseInt("ff",16),parseInt("9",10),JSON.parse("[1]")[0]);' +
    'var t=JSON.stringify({a:1},null,2),t2=JSON.stringify(1),t3=JSON.stringify(2),t4=JSON.stringify(3);out.push(t,t2+t3+t4);' +
    'globalThis.result=JSON.stringify(out);})();';
  const r = postProcess(src, null);
  assert.equal(r.aliased.map((x: any) => x.name), ['Uint8Array', 'parseInt']);
  assert.ok(r.code.includes('JSON.stringify({a:1},null,2)'), 'JSON.stringify is not aliased when one call has a replacer (the gate must see it)');
  assert.ok(/^"use strict";\(\(\)=>\{var [a-z]+=Uint8Array,[a-z]+=parseInt;/.test(r.code), r.code.slice(0, 60));
  assert.ok(r.code.includes('Uint8Array.from'), 'member reads keep the global');
  assert.ok(r.code.includes('new Uint8Array(3)'), 'a shadowing parameter keeps its own name');
  assert.ok(r.code.includes('new Error("b",{cause:1})'), 'Error is not aliased when one use has a second argument (the gate must see it)');
  const run = (code: string) => {
    const ctx: any = { Uint8Array, Int32Array, Error, Array, JSON, parseInt };
    vm.runInNewContext(code, ctx);
    return ctx.result;
  };
  assert.is(run(r.code), run(src));
  assert.ok(r.code.length < src.length);
});

test('a local named require next to the shim is refused rather than miscompiled', () => {
  const src = `var s=(t=>typeof require<"u"?require:t)(function(t){if(typeof require<"u")return require.apply(this,arguments);throw Error('Dynamic require of "'+t+'" is not supported')});function f(require){return s("Storage")}`;
  assert.throws(() => postProcess(src, null), /shadows a require\(\) call/);
  const ok = postProcess(src.replace('function f(require)', 'function f(q)'), null);
  assert.match(ok.code, /^function f\(q\)\{return require\("Storage"\)\}$/);
});

test.run();
