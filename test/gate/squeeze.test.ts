// The last pass (build/squeeze.mjs): constants inlined, adjacent declarations merged, strings written
// often read from one variable. The
// output of hand-written code with every case it must refuse computes exactly what the input
// computes (both run in node:vm), and the real firmware bundle gets shorter by it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import vm from 'node:vm';
import { readFileSync, existsSync } from 'node:fs';
// @ts-ignore plain ESM module without types
import { squeeze } from '../../build/squeeze.mjs';

const run = (code: string): unknown => {
  const box: { out?: unknown } = {};
  vm.runInNewContext(code, { box });
  return JSON.stringify(box.out);
};

const CASES = `(()=>{
var A=20;var B=3,C=A+1;
var S=7,W=9,T=1;
function f(A){return A+B}              // a parameter of the same name is not the constant
let o={S},h=W.toString(16);            // shorthand property, member object: kept
var K=5;K++;                           // written: kept
var D=4;for(var E in {x:1,y:2})D++;    // D written
var F=6;[F]=[8];                       // destructuring target: kept
var G=10;let g=()=>G*G;                // read in a closure: inlined
for(var i=0,N=2;i<N;i++);              // a for-head declaration: kept
const L=1e3,M=0x10;let P=L+M;
var Q="ffs.mesh",R=/a/g;let z=Q+R.source;
box.out=[A,B,C,f(1),o,h,K,D,F,g(),i,N,P,T,z];
})();`;

test('same result, the refused cases kept as bindings', () => {
  const r = squeeze(CASES, null);
  assert.is(run(r.code), run(CASES));
  assert.ok(r.code.length < CASES.length);
  for (const kept of ['S', 'W', 'K', 'D', 'F', 'N', 'R']) assert.not.ok(r.inlined.includes(kept), kept + ' must stay a binding');
  for (const gone of ['A', 'B', 'G', 'L', 'M', 'T', 'Q']) assert.ok(r.inlined.includes(gone), gone + ' inlined');
  assert.match(r.code, /\{S\}/);
  assert.match(r.code, /W\.toString/);
});

test('a long literal used often stays a name (only when shorter)', () => {
  const code = '(()=>{var q=123456789;box.out=[q,q,q,q,q,q]})();';
  const r = squeeze(code, null);
  assert.equal(r.inlined, []);
  assert.is(r.code, code);
});

test('merging: one kind, one block, nothing in between', () => {
  const code = '(()=>{var a=1;var b=a+1;let c=b;let d=c;const e=d;var f=e;{let g=f;let h=g;box.out=[a,b,c,d,e,f,g,h]}})();';
  const r = squeeze(code, null);
  assert.is(run(r.code), run(code));
  assert.match(r.code, /let c=b,d=c;/);
  assert.match(r.code, /let g=f,h=g;/);
});

test('strings written often read from one variable; keys, directives, member names, global calls keep theirs', () => {
  const code =
    '(()=>{var aa=1;aa++;"use strict";let o={"warning-level":1},k=["warning-level","warning-level","warning-level","warning-level"];' +
    'let t=typeof o=="warning-level"||typeof k=="warning-level";let m=o["warning-level"];let r=RegExp("warning-level");' +
    'box.out=[o,k,t,m,r.source,aa,"warning-level"]})();';
  const r = squeeze(code, null);
  assert.is(run(r.code), run(code));
  assert.equal(r.hoisted, ['"warning-level"']);
  assert.ok(r.code.length < code.length);
  // the declaration joins the first `var` statement; the kept spellings are still literals
  assert.match(r.code, /^\(\(\)=>\{var [a-zA-Z$_]+="warning-level",aa=1;aa\+\+;/);
  assert.match(r.code, /\{"warning-level":1\}/);
  assert.match(r.code, /o\["warning-level"\]/);
  assert.match(r.code, /RegExp\("warning-level"\)/);
});

test('a name where the literal touched a keyword gets its space', () => {
  const code = '(()=>{function f(x){switch(x){case"abcdefgh":return"abcdefgh";default:return"abcdefgh"in{abcdefgh:1}}}' +
    'box.out=[f("abcdefgh"),f(1),typeof"abcdefgh"]})();';
  const r = squeeze(code, null);
  assert.is(run(r.code), run(code));
  assert.equal(r.hoisted, ['"abcdefgh"']);
});

test('a first-statement var read only inside the once-run holder moves into it; the others stay', () => {
  // L: the lazy holder (build/lazy.mjs's shape); s, f: only L reads them; e: read outside too; w: written
  // inside; n: a call, not a literal or a global read
  const code =
    '(()=>{var s="only-lazy",f=Math.floor,e="both",w="w",n=String(1),$C;' +
    'function $L(i){return($C||($C=function(){var k=[2];function g(x){return s+f(x)+e+w+k+n}w="v";return[g,s]}()))[i]}' +
    'box.out=[e,$L(0)(2.5),$L(1),$L(0)(1)]})();';
  const r = squeeze(code, null);
  assert.is(run(r.code), run(code));
  assert.equal(r.sunk, ['s', 'f']);
  assert.match(r.code, /\$C=function\(\)\{var s="only-lazy",f=Math\.floor;var k=\[2\];/);
  assert.match(r.code, /^\(\(\)=>\{var e="both",w="w",n=String\(1\),\$C;/);
  // nothing moves without a once-run holder
  const plain = '(()=>{var s="x";function g(){return s}box.out=[g(),g()]})();';
  assert.equal(squeeze(plain, null).sunk, []);
});

test('the firmware bundle: nothing left that a second squeeze would change', () => {
  const file = 'dist/firmware.js';
  if (!existsSync(file)) return;
  const code = readFileSync(file, 'utf8');
  const again = squeeze(code, null);
  assert.equal(again.inlined, [], 'squeeze ran in the build');
  assert.is(again.merged, 0);
  assert.equal(again.hoisted, []);
  assert.equal(again.sunk, []);
});

test.run();
