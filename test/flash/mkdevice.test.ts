import { test } from 'uvu';
import * as assert from 'uvu/assert';
import path from 'node:path';
import { readFileSync, statSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { runCli, tmpDir } from './harness.ts';
import { identityFromJson, makeIdentity } from '../../flash/identity.ts';
import { derToPem, devRootCertificate } from '../../flash/certs.ts';
import { barcodePayload, parseBarcodePayload, dataMatrixSvg } from '../../flash/barcode.ts';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

test('barcode payload: Amazon key:value; form, validated fields, DataMatrix SVG', () => {
  const p = barcodePayload({ pid: '5K2k', serial: 'G090XG0123456789', upc: '012345678905' });
  assert.is(p, 'ABV:OB04;PID:5K2k;UPC:012345678905;SERNUM:G090XG0123456789;');
  assert.equal(parseBarcodePayload(p), [['ABV', 'OB04'], ['PID', '5K2k'], ['UPC', '012345678905'], ['SERNUM', 'G090XG0123456789']]);
  assert.throws(() => barcodePayload({ pid: '5K2' }), /PID/);
  assert.throws(() => barcodePayload({ pid: '5K2k', upc: '123' }), /UPC/);
  assert.throws(() => barcodePayload({ pid: '5K2k', serial: 'a;b' }), /bad value/);
  assert.throws(() => barcodePayload({ pid: '5K2k', upc: '012345678905', ean: '12345678' }), /not both/);
  const svg = dataMatrixSvg(p);
  assert.match(svg, /^<svg viewBox="0 0 (\d+) \1"/);
  assert.is.not(dataMatrixSvg(p + 'X:1;'), svg, 'the symbol depends on the payload');
});

test('development batch: identities (0600), barcodes, CSV, dev root; no secret on the terminal', async () => {
  const out = tmpDir('mk');
  const r = await runCli(['mkdevice', '--out', out, '--serial', 'DEVSN0000001', '--serial', 'DEVSN0000002', '--seed', 'batch', '--product-index', '5K2k']);
  assert.is(r.code, 0, r.stderr);
  const csv = readFileSync(path.join(out, 'devices.csv'), 'utf8').trim().split('\n');
  assert.is(csv.length, 3);
  assert.is(statSync(path.join(out, 'devices.csv')).mode & 0o777, 0o600);
  for (const [i, sn] of ['DEVSN0000001', 'DEVSN0000002'].entries()) {
    const file = path.join(out, `${sn}.identity.json`);
    assert.is(statSync(file).mode & 0o777, 0o600, sn);
    const id = identityFromJson(JSON.parse(readFileSync(file, 'utf8')));
    assert.is(id.deviceDetails.serialNumber, sn);
    assert.is(id.productIndex, '5K2k');
    assert.is(id.kind, 'development');
    const cols = csv[i + 1].split(',');
    assert.is(cols[0], sn);
    assert.is(cols[4], id.bss.deviceUuid);
    assert.is(cols[5], 'static');
    assert.is(cols[6], id.bss.oobData);
    assert.is(readFileSync(path.join(out, `${sn}.barcode.txt`), 'utf8').trim(), `ABV:OB04;PID:5K2k;SERNUM:${sn};`);
    assert.ok(readFileSync(path.join(out, `${sn}.datamatrix.svg`), 'utf8').startsWith('<svg'));
    const terminal = r.stdout + r.stderr;
    assert.not.ok(terminal.includes(hex(id.deviceKey).slice(-64)), 'private key not printed');
    assert.not.ok(terminal.includes(id.bss.oobData), 'static OOB not printed');
    assert.ok(terminal.includes(id.bss.deviceUuid), 'the public Device UUID is shown');
  }
  assert.is(readFileSync(path.join(out, 'dev-root.pem'), 'utf8'), derToPem(devRootCertificate()));
  // same seed, same identities: reproducible development batches; never overwritten
  const again = await runCli(['mkdevice', '--out', out, '--serial', 'DEVSN0000001', '--seed', 'batch']);
  assert.is(again.code, 2);
  assert.match(again.stderr, /exists: identities are never overwritten/);
});

test('production batch: needs the device-type key and the maker\'s keys and chains; imports them per serial', async () => {
  const out = tmpDir('prod');
  let r = await runCli(['mkdevice', '--out', out, '--production', '--serial', 'PRODSN000001']);
  assert.is(r.code, 2);
  assert.match(r.stderr.trim(), /^mkdevice: missing key: a production batch needs --device-type-key/);

  const keys = tmpDir('maker');
  const maker = makeIdentity({ seed: 'maker-prod', serialNumber: 'PRODSN000001' });
  writeFileSync(path.join(keys, 'dt.pem'), derToPem(maker.deviceTypeKey, 'PUBLIC KEY'));
  r = await runCli(['mkdevice', '--out', out, '--production', '--serial', 'PRODSN000001', '--device-type-key', path.join(keys, 'dt.pem')]);
  assert.is(r.code, 2);
  assert.match(r.stderr, /missing key: a production batch needs the maker's device keys/);

  mkdirSync(path.join(keys, 'import'));
  const pem = createPrivateKey({ key: Buffer.from(maker.deviceKey), format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }) as string;
  writeFileSync(path.join(keys, 'import', 'PRODSN000001.key.pem'), pem, { mode: 0o600 });
  writeFileSync(path.join(keys, 'import', 'PRODSN000001.chain.pem'), maker.certChain.map((c) => derToPem(c)).join(''));
  r = await runCli(['mkdevice', '--out', out, '--production', '--serial', 'PRODSN000001', '--device-type-key', path.join(keys, 'dt.pem'), '--import-dir', path.join(keys, 'import')]);
  assert.is(r.code, 0, r.stderr);
  const id = identityFromJson(JSON.parse(readFileSync(path.join(out, 'PRODSN000001.identity.json'), 'utf8')));
  assert.is(id.kind, 'production');
  assert.is(id.world, undefined, 'no world-side secret in a production identity');
  assert.is(hex(id.certChain[0]), hex(maker.certChain[0]), 'the maker\'s chain, not a dev chain');
  assert.is(hex(id.deviceTypeKey), hex(maker.deviceTypeKey));
  assert.ok(new X509Certificate(Buffer.from(id.certChain[0])).subject.includes('PRODSN000001'));
  assert.not.ok(existsSync(path.join(out, 'dev-root.pem')));

  // a key that does not match its chain is refused
  writeFileSync(path.join(keys, 'import', 'PRODSN000002.key.pem'), pem);
  writeFileSync(path.join(keys, 'import', 'PRODSN000002.chain.pem'), makeIdentity({ seed: 'other' }).certChain.map((c) => derToPem(c)).join(''));
  r = await runCli(['mkdevice', '--out', out, '--production', '--serial', 'PRODSN000002', '--device-type-key', path.join(keys, 'dt.pem'), '--import-dir', path.join(keys, 'import')]);
  assert.is(r.code, 2);
  assert.match(r.stderr.trim(), /^mkdevice: PRODSN000002: .*does not belong to the device private key$/);
  // a missing key file
  r = await runCli(['mkdevice', '--out', out, '--production', '--serial', 'PRODSN000003', '--device-type-key', path.join(keys, 'dt.pem'), '--import-dir', path.join(keys, 'import')]);
  assert.is(r.code, 2);
  assert.match(r.stderr.trim(), /^mkdevice: missing key: no device key for PRODSN000003 file at/);
});

test.run();
