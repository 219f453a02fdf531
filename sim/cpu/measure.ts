// Runs ON THE REAL INTERPRETER (built by sim/cpu/calibrate.ts into a temporary file, never part of
// dist/): times the firmware's own crypto and boot work, the numbers sim/cpu/calibration.json holds.
// The boot is timed by a second script the calibration writes. Printed as `CAL <name> <key>=<value>...` lines, then `CAL-END`. Wall-clock (getTime) times: the
// calibration script scales them by the process's CPU share (the machine is shared).
import { aesCmac } from '../../firmware/crypto/cmac';
import { ccmEncrypt } from '../../firmware/crypto/ccm';
import { sha256, hmacSha256, setNativeSha256 } from '../../firmware/crypto/sha256';
import { setNativeAes128 } from '../../firmware/crypto/aes';
import { k1, s1 } from '../../firmware/crypto/mesh-keys';
import {
  generateKeyPairSliced, ecdhSliced, verifySliced, signSliced, getPublicKey, sign, setConvolve,
} from '../../firmware/crypto/p256';
declare const E: { convolve?: (a: unknown, b: unknown, off: number) => number };
import { hexToBytes } from '../../firmware/crypto/bytes';

// Espruino globals (the host type-check sees Node's require/process)
declare function getTime(): number;
declare function print(line: string): void;

const T0 = getTime();
function ms(): number {
  return getTime() * 1000;
}
function line(name: string, fields: string): void {
  print('CAL ' + name + ' ' + fields);
}

// native crypto as the HAL plugs it in (hal/espruino/crypto-native.ts), with call counters
let shaCalls = 0;
let shaBytes = 0;
let aesCalls = 0;
const c = require('crypto');
setNativeSha256(function (d: Uint8Array): Uint8Array {
  shaCalls++;
  shaBytes += d.length;
  return new Uint8Array(c.SHA256(d));
});
const ecb = { mode: 'ECB' };
setNativeAes128(function (key: Uint8Array, block: Uint8Array): Uint8Array {
  aesCalls++;
  return new Uint8Array(c.AES.encrypt(block, key, ecb));
});

/** Time `runs` calls of fn; report ms per call and native calls per call. */
function timeSym(name: string, runs: number, fn: () => void): void {
  shaCalls = shaBytes = aesCalls = 0;
  const t0 = ms();
  for (let i = 0; i < runs; i++) fn();
  const dt = ms() - t0;
  line(name, 'ms=' + (dt / runs).toFixed(4) + ' sha=' + shaCalls / runs + ' shaBytes=' + shaBytes / runs + ' aes=' + aesCalls / runs);
}

const key16 = new Uint8Array(16);
const msg145 = new Uint8Array(145);
const nonce13 = new Uint8Array(13);
const data25 = new Uint8Array(25);
const buf1024 = new Uint8Array(1024);
const key32 = new Uint8Array(32);
for (let i = 0; i < 145; i++) msg145[i] = i;

timeSym('sha256-64', 50, function () {
  sha256(msg145.subarray(0, 64));
});
timeSym('sha256-1024', 50, function () {
  sha256(buf1024);
});
timeSym('hmac-64', 50, function () {
  hmacSha256(key32, msg145.subarray(0, 64));
});
timeSym('cmac-145', 50, function () {
  aesCmac(key16, msg145);
});
timeSym('ccm-25', 50, function () {
  ccmEncrypt({ key: key16, nonce: nonce13, plaintext: data25, micLength: 8 });
});
timeSym('k1', 50, function () {
  k1(key16, s1(msg145.subarray(0, 4)), msg145.subarray(0, 4));
});

// P-256: every slice timed (a synchronous defer queue: the slices run back to back)
const priv = hexToBytes('529aa0670d72cd6497502ed473502b037e8803b5c60829a5a3caa219505530ba');
const peerPriv = hexToBytes('06a516693c9aa31a6084545d0c5db641b48572b97203ddffb7ac73f7d0457663');
const hash = sha256(hexToBytes('0102030405'));
let counter = 0;
function rnd(n: number): Uint8Array {
  counter++;
  return sha256(new Uint8Array([counter & 255, counter >> 8])).subarray(0, n);
}

interface Sliced {
  defer: (fn: () => void) => void;
  onDone: (err: Error | null, v?: unknown) => void;
}

function timeSliced(name: string, start: (o: Sliced) => void): void {
  let next: (() => void) | null = null;
  let slices = 0;
  let total = 0;
  let longest = 0;
  let peak = 0;
  const base = (process as any).memory().usage;
  let done = false;
  let failed = '';
  const o: Sliced = {
    defer: function (fn) {
      next = fn;
    },
    onDone: function (err) {
      done = true;
      if (err) failed = err.message || String(err);
    },
  };
  start(o);
  while (!done && next) {
    const fn: () => void = next;
    next = null;
    const t0 = ms();
    fn();
    const dt = ms() - t0;
    slices++;
    total += dt;
    if (dt > longest) longest = dt;
    if (slices % 8 === 1) {
      const u = (process as any).memory(false).usage - base;
      if (u > peak) peak = u;
    }
  }
  if (failed) line(name, 'failed=' + failed);
  else line(name, 'slices=' + slices + ' ms=' + total.toFixed(2) + ' perSlice=' + (total / slices).toFixed(3) + ' longest=' + longest.toFixed(2) + ' peakVars=' + peak);
}

const peerPub = getPublicKey(peerPriv);
const sig = sign(peerPriv, hash, null);
/** The four sliced operations, each line prefixed (p256 = the portable convolve, p256n = the native one). */
function p256ops(prefix: string): void {
  timeSliced(prefix + '-keygen', function (o) {
    generateKeyPairSliced({ randomBytes: rnd, defer: o.defer, onDone: o.onDone });
  });
  timeSliced(prefix + '-ecdh', function (o) {
    ecdhSliced({ privateKey: priv, publicKey: peerPub, defer: o.defer, onDone: o.onDone });
  });
  timeSliced(prefix + '-verify', function (o) {
    verifySliced({ publicKey: peerPub, hash: hash, signature: sig, defer: o.defer, onDone: o.onDone });
  });
  timeSliced(prefix + '-sign', function (o) {
    signSliced({ privateKey: priv, hash: hash, randomBytes: rnd, defer: o.defer, onDone: o.onDone });
  });
}
// the portable convolve, then the native E.convolve (what the firmware runs once its HAL plugs it in)
p256ops('p256');
if (typeof E.convolve === 'function') {
  setConvolve(E.convolve as any);
  p256ops('p256n');
}
// (no fixed-base tables: the flash tool writes them only on request, the simulator's images have none)

// one empty event-loop callback (setTimeout 0), 200 in a chain
let left = 200;
const tc = ms();
function tick(): void {
  if (--left > 0) {
    setTimeout(tick, 0);
    return;
  }
  line('callback', 'ms=' + ((ms() - tc) / 200).toFixed(4));
  line('memory', 'usage=' + (process as any).memory().usage);
  line('wall', 'ms=' + ((getTime() - T0) * 1000).toFixed(1));
  print('CAL-END');
}
setTimeout(tick, 0);
