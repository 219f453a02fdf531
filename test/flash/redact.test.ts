import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { redact } from '../../flash/link.ts';

test('file contents sent as atob("...") never reach the tool log, whole or cut off mid-line', () => {
  assert.is(redact('S.write("ffs.devkey",atob("MHcCAQEEIBBB"))'), 'S.write("ffs.devkey",atob(<redacted>))');
  assert.is(redact('\\x10S.write("ffs.seed",atob(\\"AAAA\\"),0,32)'), '\\x10S.write("ffs.seed",atob(<redacted>),0,32)');
  const cut = redact('Sending S.write("ffs.devkey",atob("MHcCAQEEIBBB');
  assert.not.ok(cut.includes('MHcC'), cut);
  assert.is(redact('print(process.env)'), 'print(process.env)');
});

test.run();
