// The arrows pass (build/arrows.mjs): functions that use no `this` written as arrows. Hand-written code
// with every case the pass must refuse computes exactly what it computed before (both run in node:vm), the
// refused functions stay `function`s, and the real firmware bundle gets shorter and still passes the gate.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import vm from 'node:vm';
import { readFileSync, existsSync } from 'node:fs';
// @ts-ignore plain ESM module without types
import { arrowify } from '../../build/arrows.mjs';

const run = (code: string): string => {
  const box: { out?: unknown } = {};
  vm.runInNewContext(code, { box });
  return JSON.stringify(box.out);
};

const CASES = `(function(){
function add(a,b){return a+b}                       // called only: an arrow
function pair(a){return {a:a}}                      // object literal body: parenthesised
function both(a){return a++,a}                      // comma body: parenthesised
function Ctor(x){return {x:x}}                      // new-ed through a copy: kept
var Copy=Ctor;
function Proto(){}Proto.prototype.k=1;              // member access: kept
function self(){return this===undefined?0:this.v}   // uses this: kept
function args(){return arguments.length}            // uses arguments: kept
function outer(){var f=function(){return this};return typeof f}  // nested function's this is its own
function later(){return 3}later=function(){return 4}             // written: kept
var o={m:function(x){return x*2},n(x){return x}};   // property value: an arrow; method shorthand: kept
var fact=function f(n){return n<2?1:n*f(n-1)};       // named and uses its name: kept
var cb=[1,2,3].map(function(x){return x+1});        // call argument: an arrow
var t=(function(){return 5})();                     // callee: kept
var lo=true||function(){return 1};                  // operand: kept
if(true){function inBlock(){return 9}}              // in a nested block: kept
box.out=[add(1,2),pair(1),both(1),new Copy(2),new Proto().k,self.call({v:7}),args(1,2),outer(),later(),
  o.m(2),o.n(3),fact(5),cb,t,typeof lo,inBlock()];
})();`;

test('same results; each refused function stays a function', () => {
  const r = arrowify(CASES, null);
  assert.is(run(r.code), run(CASES));
  assert.ok(r.code.length < CASES.length, 'shorter');
  assert.match(r.code, /var add=\(a,b\)=>a\+b;/);
  assert.match(r.code, /var pair=a=>\(\{a:a\}\);/);
  assert.match(r.code, /var both=a=>\(a\+\+,a\);/);
  assert.match(r.code, /m:x=>x\*2/);
  assert.match(r.code, /map\(x=>x\+1\)/);
  for (const kept of ['function Ctor(', 'function Proto(', 'function self(', 'function args(', 'function later(',
    'n(x){', 'function f(n)', '(function(){return 5})', 'function(){return 1}', 'function inBlock(', 'function(){return this}']) {
    assert.ok(r.code.includes(kept), 'kept: ' + kept);
  }
  assert.ok(r.arrows >= 6, 'arrows: ' + r.arrows);
});

test('a `new` whose constructor comes from a parameter: only called declarations become arrows', () => {
  const code = `(function(){
function make(C){return new C()}
function stored(){return 1}
function called(){return 2}
var holder={s:stored};
box.out=[called(),holder.s(),typeof make];
})();`;
  const r = arrowify(code, null);
  assert.is(run(r.code), run(code));
  assert.match(r.code, /var called=\(\)=>2/);
  assert.ok(r.code.includes('function stored('), 'a stored function may be new-ed by make: kept');
});

test('a function handed to a call, or a function expression, stays a function where some new is not followed back', () => {
  const code = `(function(){
function make(C){return new C().v}
function cb(){return {v:7}}
var expr=function(){return {v:8}};
box.out=[make(cb),make(expr)];
})();`;
  const r = arrowify(code, null);
  assert.is(run(r.code), run(code));
  assert.ok(r.code.includes('function cb('), 'handed to make, which new-s it: kept');
  assert.ok(r.code.includes('expr=function('), 'a function expression: kept');
});

test('a function expression a new reaches through its variable stays a function', () => {
  const code = `(function(){
var Ctor=function(x){return {x:x}};
var plain=function(x){return x+1};
box.out=[new Ctor(3).x,plain(1)];
})();`;
  const r = arrowify(code, null);
  assert.is(run(r.code), run(code));
  assert.ok(r.code.includes('Ctor=function('), 'new-ed: kept');
});

test('a constructor handed over in an array (build/lazy.mjs: `$F([a,b])`, then `var x=$0[k]`) stays a function', () => {
  const code = `(function(){
function Made(x){return {x:x}}
function helper(y){return y+1}
var F=function(h){var M=h[0],k=h[1];h=0;return [new M(1).x,k(1)]};
box.out=F([Made,helper]);
})();`;
  const r = arrowify(code, null);
  assert.is(run(r.code), run(code));
  assert.ok(r.code.includes('function Made('), 'new-ed through the hand-over: kept');
  assert.match(r.code, /var helper=y=>y\+1/);
});

test('the firmware bundle: arrows written, and it still passes the gate', async () => {
  if (!existsSync('dist/firmware.js')) return;
  const code = readFileSync('dist/firmware.js', 'utf8');
  assert.ok((code.match(/=>/g) || []).length > 300, 'the bundle is written with arrows');
  // @ts-ignore plain ESM module without types
  const { checkFile } = await import('../../build/check.mjs');
  const findings = checkFile('dist/firmware.js') as { text: string }[];
  assert.is(findings.length, 0, findings.slice(0, 3).map((f) => f.text).join('\n'));
});

test.run();
