// Issue 14 item 1: both consoles are closed before anything can fail. A boot error (here: the DRBG
// seed ffs.seed missing or short, so the HAL cannot be built) must leave no REPL open on BLE UART or
// telnet, and must end in one clear error line instead of an uncaught exception.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FILES } from '../../hal/storage-layout';
import { bootEdited } from './support';

const cases: Array<[string, (f: { name: string; data: Uint8Array }) => { name: string; data: Uint8Array } | null]> = [
  ['ffs.seed missing', (f) => (f.name === FILES.seed ? null : f)],
  ['ffs.seed shorter than 32 bytes', (f) => (f.name === FILES.seed ? { name: f.name, data: f.data.subarray(0, 7) } : f)],
];

for (const [what, edit] of cases) {
  test(`boot with ${what}: consoles closed, one clear error, no REPL left open`, async () => {
    const { b, texts } = await bootEdited((files) => files.map(edit).filter((f): f is { name: string; data: Uint8Array } => !!f));
    assert.equal(b.consoles, { telnet: false, bleUart: false }, texts.join('\n'));
    assert.ok(texts.some((t) => t.includes('telnet console (port 23) closed')));
    assert.ok(texts.some((t) => t.includes('BLE UART console closed')));
    assert.ok(texts.some((t) => /error boot: .*ffs\.seed/.test(t)), 'one clear error line naming the seed');
    assert.not.ok(texts.some((t) => t.includes('Uncaught')), 'no uncaught exception');
  });
}

test('a good boot still closes both consoles and prints the boot line', async () => {
  const { b, texts } = await bootEdited((files) => files);
  assert.equal(b.consoles, { telnet: false, bleUart: false });
  assert.ok(texts.some((t) => t.includes('FFS provisionee booted')));
});

test.run();
