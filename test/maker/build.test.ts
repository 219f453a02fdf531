// The maker's build (build/maker.mjs, `npm run build -- --app <dir>`): a wrong pin, an output on an
// input-only pin, a soft-AP page too large or without the setup form is one clear line naming the
// maker's file; a construct the interpreter cannot run is a gate finding at the maker's file and line.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
// @ts-ignore plain ESM build script
import { loadMakerApp, appArg, MAX_SOFTAP_PAGE } from '../../build/maker.mjs';
import { MAX_SOFTAP_PAGE as FIRMWARE_MAX_PAGE } from '../../firmware/api.ts';
import { buildApp, root } from './support.ts';

const F = 'test/maker/fixtures/';

function error(dir: string): string {
  try {
    loadMakerApp(dir, root);
  } catch (e) {
    assert.is((e as Error).name, 'Error');
    return (e as Error).message;
  }
  throw new Error('no error for ' + dir);
}

test('the example smart plug is a valid app', () => {
  const app = loadMakerApp('examples/smart-plug', root);
  assert.ok(app.entry.endsWith('examples/smart-plug/main.ts'));
  assert.equal(app.config.pins.relay, 'D12');
  assert.ok(app.page!.includes('%STATUS%') && app.page!.length <= MAX_SOFTAP_PAGE);
});

test('a pin the ESP32 does not have is one line naming ffs-app.json and the pin', () => {
  const m = error(F + 'bad-pin');
  assert.is(m, F + 'bad-pin/ffs-app.json: pins.relay "D40" is not a pin of the ESP32 (D0-D5, D12-D19, D21-D23, D25-D27, D32-D39)');
  assert.not.ok(m.includes('\n'));
});

test('an output (the LED) on an input-only GPIO is refused', () => {
  assert.match(error(F + 'output-on-input'), /ffs-app\.json: pins\.led D34 is input-only on the ESP32/);
});

test('a soft-AP page over the limit, or without the setup form, is refused at build time', () => {
  assert.is(MAX_SOFTAP_PAGE, FIRMWARE_MAX_PAGE, 'build and firmware agree on the limit');
  assert.match(error(F + 'big-page'), new RegExp('big-page/page.html: soft-AP page is \\d+ bytes, over the ' + MAX_SOFTAP_PAGE + '-byte limit'));
  assert.match(error(F + 'no-form'), /no-form\/page\.html: soft-AP page needs a form posting "ssid" and "passphrase" to \/connect/);
});

test('a missing folder, config or --app argument is one clear line', () => {
  assert.match(error(F + 'nothing-here'), /nothing-here: no such app folder/);
  assert.match(error('test/maker'), /test\/maker\/ffs-app\.json: missing/);
  assert.is(appArg(['--no-mesh']), null);
  assert.is(appArg(['--app', 'examples/smart-plug']), 'examples/smart-plug');
  assert.throws(() => appArg(['--app']), /--app needs the app folder/);
});

test('a construct the interpreter cannot run fails the gate at the maker\'s file and line', async () => {
  const r = await buildApp(F + 'bad-construct');
  const mine = r.findings.filter((f) => f.startsWith(F + 'bad-construct/main.ts:'));
  assert.equal(mine.length, 1, r.findings.join('\n'));
  assert.match(mine[0], /^test\/maker\/fixtures\/bad-construct\/main\.ts:6:1: array-length-assign/);
});

test('the example product builds into one bundle that passes every gate but the budget', async () => {
  const r = await buildApp('examples/smart-plug');
  const other = r.findings.filter((f) => !/bundle-size/.test(f));
  assert.equal(other, [], other.join('\n'));
});

test('a flow built out through the API entry is gone from the bundle (--no-wss, --no-mesh)', async () => {
  // @ts-ignore plain ESM build script
  const { buildBundle } = await import('../../esbuild.config.mjs');
  const { mkdtempSync, readFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(tmpdir() + '/ffs-flags-');
  const built = async (flag: string): Promise<string> => {
    await buildBundle('firmware/main.ts', dir + '/f.js', flag ? [flag] : [], {}, { lazy: true });
    return readFileSync(dir + '/f.js', 'utf8');
  };
  const all = await built('');
  assert.ok(all.includes('startProvisioningSession') && all.includes('Confirmation'), 'both flows in the default build');
  const noWss = await built('--no-wss');
  assert.not.ok(noWss.includes('startProvisioningSession'), 'the DSS client is gone');
  assert.ok(all.length - noWss.length > 10000, 'WSS is more than 10 KB: ' + (all.length - noWss.length));
  const noMesh = await built('--no-mesh');
  assert.ok(all.length - noMesh.length > 10000, 'mesh is more than 10 KB: ' + (all.length - noMesh.length));
});

test.run();
