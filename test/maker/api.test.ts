// firmware/api.ts pieces that need no board: the mesh failure code, services made on first use.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { meshFailureCode, onFirstUse } from '../../firmware/api.ts';

test('a mesh failure line gives the Provisioning Failed error name, a timeout gives "timeout"', () => {
  assert.is(meshFailureCode('provisioning failed: Confirmation Failed awaiting Random'), 'Confirmation Failed');
  assert.is(meshFailureCode('pb-adv: provisioning failed: Decryption Failed awaiting Complete'), 'Decryption Failed');
  assert.is(meshFailureCode('protocol timeout awaiting Confirmation'), 'timeout');
});

test('a first-use service is made once, on its first read, and not at all when never read', () => {
  let made = 0;
  const o: { svc?: { n: number }; other?: number } = {};
  onFirstUse(o, 'svc', () => ({ n: ++made }));
  assert.is(made, 0);
  assert.ok('svc' in o, 'the property is there before it is made');
  assert.is(o.svc!.n, 1);
  assert.is(o.svc!.n, 1);
  assert.is(made, 1);
  // reached through a prototype (how api.ts hands the HAL to the flows): still made once, on the board's HAL
  let made2 = 0;
  const board: { svc?: { n: number } } = {};
  onFirstUse(board, 'svc', () => ({ n: ++made2 }));
  const child = Object.create(board);
  assert.is(made2, 0);
  assert.is(child.svc.n, 1);
  assert.is(board.svc!.n, 1);
  assert.is(made2, 1);
  const untouched: { svc?: number } = {};
  onFirstUse(untouched, 'svc', () => {
    throw new Error('must not be made');
  });
  assert.equal(Object.keys(untouched), ['svc']);
});

test.run();
