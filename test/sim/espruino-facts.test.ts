// Facts the Espruino lane measured on the real interpreter (Espruino 2v29, Linux build with the ESP32
// profile, tools/espruino/) where the emulated board disagreed; each is pinned here so the simulator
// stays corrected. Source of each fact: the C function named, and the lane run in docs/ESPRUINO.md.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { world, makeBoard, thrown } from './helpers';

function board() {
  const b = makeBoard(world());
  b.powerOn();
  return b;
}

// src/jswrap_arraybuffer.c jswrap_arraybufferview_subarray: `end` is not clamped to the view's length.
// On the real interpreter `new Uint8Array(3).subarray(0, 8)` has length 8 and reads 0 past the end;
// the firmware's PB-ADV segmentation sent 20 data bytes for a 12-byte PDU because of it.
test('subarray does not clamp its end: a longer view, zeros past the buffer (as Espruino 2v29)', () => {
  const b = board();
  assert.is(b.evaluate('new Uint8Array(3).subarray(0, 8).length'), 8);
  assert.is(b.evaluate('new Uint8Array([1,2,3]).subarray(1, 6).join(",")'), '2,3,0,0,0');
});

test('subarray past the view but inside the buffer sees the buffer (a view, as Espruino 2v29)', () => {
  const b = board();
  // a 4-byte view at offset 2 of a 10-byte buffer: subarray(0, 6) reaches bytes 2..7 of the buffer
  assert.is(b.evaluate('var a=new Uint8Array([1,2,3,4,5,6,7,8,9,10]);var v=new Uint8Array(a.buffer,2,4);v.subarray(0,6).join(",")'), '3,4,5,6,7,8');
  // it is a view: writing through it lands in the buffer
  assert.is(b.evaluate('var a=new Uint8Array(8);var v=new Uint8Array(a.buffer,0,2);v.subarray(0,4)[3]=9;a[3]'), 9);
});

test('subarray inside the view behaves as in V8 (negative indexes, empty when begin > end, end omitted)', () => {
  const b = board();
  assert.is(b.evaluate('new Uint8Array([1,2,3,4]).subarray(-3, -1).join(",")'), '2,3');
  assert.is(b.evaluate('new Uint8Array([1,2,3,4]).subarray(3, 1).length'), 0);
  assert.is(b.evaluate('new Uint8Array([1,2,3,4]).subarray(2).join(",")'), '3,4');
  assert.is(b.evaluate('new Uint16Array(4).subarray(1, 6).length'), 5);
  assert.is(thrown(b, 'new Uint8Array(4).subarray(-9, 2)'), 'byteOffset too large (or negative)');
});

// src/jswrap_modules.c jswrap_modules_addCached -> src/jsparse.c jspEvaluateModule: with a function, its
// CODE is evaluated at once as a module (exports, module, this = exports): it does not see its closure.
// The emulation used to call the function (closure visible, `exports` not defined). Checked on 2v29.
test('Modules.addCached(id, fn) evaluates the code now, as a module, without the closure (as Espruino 2v29)', () => {
  const b = board();
  assert.is(b.evaluate('var count=0;Modules.addCached("m1",function(){count++;exports.self=this===exports;});count'), 1, 'evaluated at addCached');
  assert.is(b.evaluate('require("m1").self+","+count'), 'true,1', 'this is exports; require does not run it again');
  assert.is(b.evaluate('(function(){var hidden=5;Modules.addCached("m2",function(){exports.v=typeof hidden;});})();require("m2").v'), 'undefined');
  assert.is(b.evaluate('Modules.addCached("m3","exports.x = 42;");require("m3").x'), 42, 'a string is module source');
  assert.is(b.evaluate('Modules.addCached("m4",function(){module.exports={y:7};});require("m4").y'), 7);
  assert.is(thrown(b, 'Modules.addCached("m5", 3)'), 'args must be addCached(string, string|function)');
});

test.run();
