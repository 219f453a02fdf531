// The emulated Espruino `crypto` module (sim/board/crypto.ts) inside a board's vm realm.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createCipheriv, createHash, pbkdf2Sync } from 'node:crypto';
import { makeBoard, world } from '../sim/helpers.ts';
import { makeCryptoModule } from '../../sim/board/crypto.ts';

async function board() {
  const w = world();
  const b = makeBoard(w);
  b.powerOn();
  await w.clock.run({ until: 10 });
  return b;
}

const hexOf = (b: any, expr: string): string =>
  b.evaluate(`(function(){ var r = ${expr}; return r === undefined ? 'undefined' : E.toString(new Uint8Array(r)).split('').map(function(c){ return (256 + c.charCodeAt(0)).toString(16).substr(1); }).join(''); })()`) as string;

test('SHA* return the vm realm ArrayBuffer; the IDF5 build has no SHA512', async () => {
  const b = await board();
  assert.is(b.evaluate(`require('crypto').SHA256('abc') instanceof ArrayBuffer`), true);
  assert.is(hexOf(b, `require('crypto').SHA256('abc')`), createHash('sha256').update('abc').digest('hex'));
  assert.is(hexOf(b, `require('crypto').SHA1(new Uint8Array([97,98,99]))`), createHash('sha1').update('abc').digest('hex'));
  assert.is(hexOf(b, `require('crypto').SHA224([97,98,99])`), createHash('sha224').update('abc').digest('hex'));
  assert.is(hexOf(b, `require('crypto').SHA384('abc')`), createHash('sha384').update('abc').digest('hex'));
  assert.is(b.evaluate(`typeof require('crypto').SHA512`), 'undefined');
  const full = makeCryptoModule('full')({ realm: { Uint8Array, ArrayBuffer, Error } }) as any;
  assert.is(Buffer.from(full.SHA512('abc')).toString('hex'), createHash('sha512').update('abc').digest('hex'));
});

test('PBKDF2: keySize in 32-bit words (default 4), iterations default 1, SHA1 default', async () => {
  const b = await board();
  assert.is(hexOf(b, `require('crypto').PBKDF2('pw', 'salt')`), pbkdf2Sync('pw', 'salt', 1, 16, 'sha1').toString('hex'));
  assert.is(hexOf(b, `require('crypto').PBKDF2('pw', 'salt', {keySize: 8, iterations: 10, hasher: 'SHA256'})`), pbkdf2Sync('pw', 'salt', 10, 32, 'sha256').toString('hex'));
  assert.match(String(b.evaluate(`(function(){ try { require('crypto').PBKDF2('a','b',{hasher:'MD5'}); } catch (e) { return e.message; } })()`)), /Unknown Hasher/);
});

test('AES: ECB/CBC as OpenSSL, CTR ignores the iv, OFB and bad lengths print an error and return undefined', async () => {
  const b = await board();
  const key = Buffer.alloc(16, 7);
  const iv = Buffer.alloc(16, 9);
  const data = Buffer.alloc(32, 1);
  const ossl = (alg: string, iv: Buffer | null, d: Buffer) => {
    const c = createCipheriv(alg, key, iv).setAutoPadding(false);
    return Buffer.concat([c.update(d), c.final()]).toString('hex');
  };
  const K = `new Uint8Array(16).fill(7)`;
  const IV = `new Uint8Array(16).fill(9)`;
  const D = `new Uint8Array(32).fill(1)`;
  assert.is(hexOf(b, `require('crypto').AES.encrypt(${D}, ${K}, {mode:'ECB'})`), ossl('aes-128-ecb', null, data));
  assert.is(hexOf(b, `require('crypto').AES.encrypt(${D}, ${K}, {iv:${IV}})`), ossl('aes-128-cbc', iv, data));
  assert.is(hexOf(b, `require('crypto').AES.decrypt(require('crypto').AES.encrypt(${D}, ${K}, {iv:${IV}}), ${K}, {iv:${IV}})`), data.toString('hex'));
  assert.is(hexOf(b, `require('crypto').AES.encrypt(${D}, ${K}, {mode:'CTR', iv:${IV}})`), ossl('aes-128-ctr', Buffer.alloc(16), data));
  assert.is(hexOf(b, `require('crypto').AES.encrypt(new Uint8Array(20), ${K}, {mode:'ECB'})`).slice(32), '00'.repeat(4));
  const before = b.console.length;
  assert.is(hexOf(b, `require('crypto').AES.encrypt(${D}, ${K}, {mode:'OFB'})`), 'undefined');
  assert.is(hexOf(b, `require('crypto').AES.encrypt(new Uint8Array(20), ${K})`), 'undefined');
  assert.equal(b.console.slice(before), ['ERROR: Feature unavailable', 'ERROR: Invalid input length']);
  assert.match(String(b.evaluate(`(function(){ try { require('crypto').AES.encrypt('x', 'k', {mode:'XTS'}); } catch (e) { return e instanceof Error && e.message; } })()`)), /Unknown Crypto mode/);
});

test.run();
