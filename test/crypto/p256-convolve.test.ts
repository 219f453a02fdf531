// E.convolve, the native operation P-256's products run on: the emulated board (sim/board/globals.ts)
// must give exactly what the real interpreter gives. The reference line below was printed by this same
// script on the real Espruino 2v29 (Linux build, ESP32 profile built by npm run espruino:build, commit
// 6106910b8) on 2026-12-07: Int32Array operands with 24-bit signed limbs, offsets past both ends,
// a Float64Array with a 2^52-sized term, plain arrays, and a sum just below 2^53.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { makeBoard, world } from '../sim/helpers.ts';

const SCRIPT = `
var a=new Int32Array([8388608,-8388608,16777215,-1,0,123456,-7654321,8000000,-8000000,1,2]);
var b=new Int32Array(42);for(var i=0;i<42;i++)b[i]=((i*2654435761)%16777216)-8388608;
var f=new Float64Array([4503599627370495,-1,3,0.5]);
var out=[];
for (var o=0;o<42;o+=5) out.push(E.convolve(a,b,o));
out.push(E.convolve(a,b,-3));
out.push(E.convolve(a,b,100));
out.push(E.convolve(f,new Float64Array([1,2,3]),1));
out.push(E.convolve([1,2,3],[4,5],1));
out.push(E.convolve(new Int32Array([33554432,33554432]),new Int32Array([134217727,134217727]),0));
print('conv '+out.join(','));
`;
const REAL =
  'conv -53534042593390,-40580391782558,-27626724194510,-14673056606462,132498338981586,145452023346850,' +
  '24187962934898,-244333334515420,-247113642732430,163511516427224,153161030631570,9007199254740991,28,9007199187632128';

test('the emulated E.convolve matches the real interpreter bit for bit', async () => {
  const w = world();
  const b = makeBoard(w, { '.bootcde': SCRIPT });
  b.powerOn();
  await w.clock.run({ until: 1000 });
  const line = b.console.find((l: string) => l.startsWith('conv '));
  assert.is(line, REAL);
});

test.run();
