// dist/bench.js: per-operation timings of firmware/crypto on a board (or in the simulator), the same
// operations `npm run bench` times on the host. Built with the firmware's settings and gates.
// Uses the fixed-base tables from Storage (ffs.gtab, ffs.dttab) when the flash tool wrote them.
// Each P-256 line also gives the peak JsVars the operation holds: its sliced form is run once first
// with process.memory().usage sampled before every slice (the peak above the usage before it).
// Note: in the simulator, time is virtual; synchronous work takes no virtual time unless the
// simulator charges for it, so the numbers there are only meaningful on a real interpreter
// (bench/espruino.ts runs this file on the real one, with the Storage the flash tool writes).
import { aesCmac } from '../firmware/crypto/cmac';
import { ccmEncrypt } from '../firmware/crypto/ccm';
import { sha256 } from '../firmware/crypto/sha256';
import {
  ecdh,
  ecdhSliced,
  generateKeyPair,
  generateKeyPairSliced,
  getPublicKey,
  parseSpkiPublicKey,
  setConvolve,
  sign,
  useTable,
  verify,
  verifySliced,
} from '../firmware/crypto/p256';
import { hexToBytes } from '../firmware/crypto/bytes';
import { detectNativeCrypto } from '../hal/espruino/crypto-native';
import { FILES } from '../hal/storage-layout';

if (typeof E.convolve === 'function') setConvolve(E.convolve);

function now(): number {
  return getTime() * 1000;
}

function line(name: string, ms: number, runs: number, extra: string): void {
  print('bench ' + name + ': ' + (ms / runs).toFixed(2) + ' ms/op (' + runs + ' run' + (runs > 1 ? 's' : '') + extra + ')');
}

/** Run `fn` `runs` times and report the mean time (and `extra`, e.g. the peak JsVars). */
function time(name: string, runs: number, fn: () => void, extra?: string): void {
  try {
    const t0 = now();
    for (let i = 0; i < runs; i++) fn();
    line(name, now() - t0, runs, extra || '');
  } catch (e) {
    print('bench ' + name + ': failed: ' + ((e as Error).message || e));
  }
}

function usage(): number {
  return process.memory().usage;
}

type Defer = (fn: () => void) => void;
/**
 * Run a sliced operation once with a defer that samples the JsVars in use before every slice, then
 * call then(', peak N JsVars'). Slices run on setTimeout, so the board keeps working between them.
 */
function peak(start: (defer: Defer, onDone: (err: Error | null) => void) => void, then: (extra: string) => void): void {
  const base = usage();
  let max = base;
  start(
    (fn) => {
      const u = usage();
      if (u > max) max = u;
      setTimeout(fn, 0);
    },
    (err) => then(err ? ', peak: failed: ' + err.message : ', peak ' + (max - base) + ' JsVars'),
  );
}

// Deterministic inputs (no secrets): a device key, a peer key derived from it, a message hash.
const priv = hexToBytes('529aa0670d72cd6497502ed473502b037e8803b5c60829a5a3caa219505530ba');
const peerPriv = hexToBytes('06a516693c9aa31a6084545d0c5db641b48572b97203ddffb7ac73f7d0457663');
const hash = sha256(hexToBytes('0102030405'));
// A real DSS response signature by the device-type key (test/vectors/selftest-ecc.json, wss.signatures[0]):
// SHA-256 of the body, and the DER signature. Verified against the ffs.dtkey the flash tool writes.
const dssHash = hexToBytes('8ca0bf0d9343592609a2d7e27c5649034ac58aaf99650b9d087bfaead0a23a51');
const dssSig = hexToBytes(
  '304402203f41de17e1125239be7ba05a686181e77778a044c3e40dd691bc894bf2a4ed7402201c1c9fbb40b060699dbd6c0487e5cdd0548b56bb1a946a3b7b487e3c4c866db2',
);
let counter = 0;
const rnd = (n: number): Uint8Array => {
  counter++;
  return sha256(new Uint8Array([counter & 255, counter >> 8])).subarray(0, n);
};
const cmacKey = new Uint8Array(16);
const msg145 = new Uint8Array(145);
const nonce13 = new Uint8Array(13);
const data25 = new Uint8Array(25);

function symmetric(tag: string): void {
  time('AES-CMAC 145 bytes (' + tag + ')', 20, () => {
    aesCmac(cmacKey, msg145);
  });
  time('AES-CCM encrypt 25 bytes (' + tag + ')', 20, () => {
    ccmEncrypt({ key: cmacKey, nonce: nonce13, plaintext: data25, micLength: 8 });
  });
  time('SHA-256 64 bytes (' + tag + ')', 20, () => {
    sha256(msg145.subarray(0, 64));
  });
}

/** The tasks, run one after the other (each calls next when done). */
const tasks: ((next: () => void) => void)[] = [];
function next(): void {
  const t = tasks.shift();
  if (t) setTimeout(() => t(next), 0);
}

/** A key-generation line: peak of the sliced form, then the timing of the sync form. */
function keygen(name: string): (next: () => void) => void {
  return (done) =>
    peak(
      (defer, onDone) => generateKeyPairSliced({ randomBytes: rnd, defer: defer, onDone: onDone }),
      (extra) => {
        time(name, 1, () => generateKeyPair(rnd), extra);
        done();
      },
    );
}

function verifyLine(name: string, pub: () => Uint8Array, h: Uint8Array, sig: () => Uint8Array): (next: () => void) => void {
  return (done) =>
    peak(
      (defer, onDone) => verifySliced({ publicKey: pub(), hash: h, signature: sig(), defer: defer, onDone: onDone }),
      (extra) => {
        time(name, 1, () => {
          if (!verify(pub(), h, sig())) throw new Error('verify failed');
        }, extra);
        done();
      },
    );
}

function ecdhLine(name: string, pub: () => Uint8Array): (next: () => void) => void {
  return (done) =>
    peak(
      (defer, onDone) => ecdhSliced({ privateKey: priv, publicKey: pub(), defer: defer, onDone: onDone }),
      (extra) => {
        time(name, 1, () => ecdh(priv, pub()), extra);
        done();
      },
    );
}

let peerPub = new Uint8Array(64);
let sig = new Uint8Array(0);
let dtPub = new Uint8Array(64);
let S: any = null;
try {
  S = require('Storage');
} catch (e) {
  S = null;
}

tasks.push((done) => {
  symmetric('pure');
  done();
});
tasks.push(keygen('P-256 key generation (no table)'));
tasks.push((done) => {
  try {
    peerPub = getPublicKey(peerPriv);
    sig = sign(peerPriv, hash, null);
  } catch (e) {
    print('bench P-256 setup failed: ' + ((e as Error).message || e));
  }
  done();
});
tasks.push(ecdhLine('P-256 ECDH, unknown peer key', () => peerPub));
tasks.push(
  verifyLine(
    'P-256 ECDSA verify, no tables',
    () => peerPub,
    hash,
    () => sig,
  ),
);

/** The sliced ECDH as the mesh runs it: wall time, slice count and the longest slice. */
tasks.push((done) => {
  let longest = 0;
  let slices = 0;
  let last = now();
  const t0 = last;
  ecdhSliced({
    privateKey: priv,
    publicKey: peerPub,
    defer: (fn: () => void) => {
      const t = now();
      if (t - last > longest) longest = t - last;
      slices++;
      setTimeout(() => {
        last = now();
        fn();
      }, 0);
    },
    onDone: (err: Error | null) => {
      print(
        'bench P-256 ECDH sliced: ' + (err ? 'failed: ' + err.message : (now() - t0).toFixed(0) + ' ms wall, ' + slices + ' slices, longest slice ' + longest.toFixed(1) + ' ms'),
      );
      done();
    },
  });
});

// Tables from Storage, when the flash tool wrote them (the device-type key's table fits only that key).
tasks.push((done) => {
  const g = S ? S.readArrayBuffer(FILES.generatorTable) : undefined;
  if (!g) {
    print('bench: no generator table "' + FILES.generatorTable + '" in Storage: skipping the table timings');
    tasks.splice(0, tasks.length - 1); // only the native symmetric timings are left
  } else {
    try {
      useTable('G', new Uint8Array(g));
    } catch (e) {
      print('bench: generator table rejected: ' + ((e as Error).message || e));
      tasks.splice(0, tasks.length - 1);
    }
  }
  done();
});
tasks.push(keygen('P-256 key generation (G table)'));
tasks.push(
  verifyLine(
    'P-256 ECDSA verify (G table)',
    () => peerPub,
    hash,
    () => sig,
  ),
);
tasks.push((done) => {
  // The device-type key and its table, as the flash tool writes them.
  const dk = S.read(FILES.deviceTypeKey);
  const dt = S.readArrayBuffer(FILES.deviceTypeTable);
  const k = dk ? parseSpkiPublicKey(E.toUint8Array(dk)) : null;
  if (!k || !dt) {
    print('bench: no device-type key/table in Storage: skipping the device-type timings');
    tasks.splice(0, tasks.length - 1);
  } else {
    dtPub = k;
    try {
      useTable(dtPub, new Uint8Array(dt));
    } catch (e) {
      print('bench: device-type table rejected: ' + ((e as Error).message || e));
      tasks.splice(0, tasks.length - 1);
    }
  }
  done();
});
tasks.push(
  verifyLine(
    'P-256 ECDSA verify (G and device-type tables)',
    () => dtPub,
    dssHash,
    () => dssSig,
  ),
);
tasks.push(ecdhLine('P-256 ECDH, device-type key with table', () => dtPub));
tasks.push(() => {
  const n = detectNativeCrypto();
  if (n.sha256 || n.aes) symmetric('native');
  else print('bench: no native crypto module');
  print('bench: done');
});

print('bench: firmware/crypto on ' + process.env.BOARD + ' Espruino ' + process.env.VERSION);
next();
