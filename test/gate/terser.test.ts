// build/terser.mjs: terser runs last over every bundle; its options keep what the interpreter needs.
// Each case here fails with terser's default compress options (checked when the options were chosen).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
// @ts-ignore plain ESM build script
import { terse } from '../../build/terser.mjs';
// @ts-ignore
import { checkSource } from '../../build/check.mjs';
// @ts-ignore
import { parseScript } from '../../build/scope.mjs';

/** How many functions enclose the text `marker` (the first occurrence) in `code`. */
function depthOf(code: string, marker: string): number {
  const at = code.indexOf(marker);
  let depth = 0;
  (function walk(n: any): void {
    if (!n || typeof n.type !== 'string' || n.start > at || n.end < at) return;
    if (/Function/.test(n.type)) depth++;
    for (const k of Object.keys(n)) {
      const v = n[k];
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v.type === 'string') walk(v);
    }
  })(parseScript(code));
  return depth;
}

test('a function used once stays where it was declared: its closures keep only the scopes they kept', async () => {
  // watch() is declared in the bundle's function; inlined into boot(), the handler it makes would keep
  // boot's scope (and `parsed`) alive for as long as the watch lives: Espruino keeps a closure's whole chain.
  const src = '"use strict";(()=>{var watch=(hw,cb)=>{hw.setWatch(()=>cb("pressed"))};' +
    'var boot=(hw)=>{var parsed=hw.readJSON("ffs.cfg");hw.log(parsed.flows);watch(hw,(w)=>hw.log(w))};boot(globalThis.HW)})();';
  const out = await terse(src, null);
  assert.is(depthOf(src, '.setWatch('), 2, 'the fixture: the handler is made two functions deep');
  assert.is(depthOf(out.code, '.setWatch('), 2, 'the handler is still made two functions deep: ' + out.code);
});

test('no inlined parameter becomes a `var` after `return` (Espruino does not hoist var)', async () => {
  const src = '"use strict";(()=>{var on=false;var set=(v)=>{on=v;globalThis.out(v);globalThis.log("relay "+(v?"on":"off"))};' +
    'globalThis.api({press:()=>set(!on)})})();';
  const out = await terse(src, null);
  assert.equal(checkSource(out.code, { budget: Infinity }).map((f: any) => f.text), []);
  assert.not.match(out.code, /return[^}]*;var /);
});

test('the program scope keeps its names and the bundle keeps its meaning', async () => {
  const src = '"use strict";var $F=(e)=>{var t=e[0];e=0;return[()=>t+1]};var $C;function $L(i){return($C||($C=$F([41])))[i]}' +
    '(()=>{globalThis.R=$L(0)()})();';
  const out = await terse(src, null);
  assert.match(out.code, /\$F=/);
  assert.match(out.code, /function \$L\(/);
  assert.match(out.code, /\[0\];[\w$]+=0;/, 'the hand-over array is let go (a dead store to terser, memory on the board)');
  const g: any = {};
  g.globalThis = g;
  (0, eval)('(function(globalThis){' + out.code.replace('"use strict";', '') + '})')(g);
  assert.is(g.R, 42);
});

test.run();
