// dist/bench.js: per-operation timings of firmware/crypto on a board (or in the simulator), the same
// operations `npm run bench` times on the host. Built with the firmware's settings and gates.
// Uses the fixed-base tables from Storage (ffs.gtab, ffs.dttab) when the flash tool wrote them.
// Note: in the simulator, time is virtual; synchronous work takes no virtual time unless the
// simulator charges for it, so the numbers there are only meaningful on a real interpreter.
import { aesCmac } from '../firmware/crypto/cmac';
import { ccmEncrypt } from '../firmware/crypto/ccm';
import { sha256 } from '../firmware/crypto/sha256';
import { ecdh, ecdhSliced, generateKeyPair, getPublicKey, parseSpkiPublicKey, sign, useTable, verify } from '../firmware/crypto/p256';
import { hexToBytes } from '../firmware/crypto/bytes';
import { detectNativeCrypto } from '../hal/espruino/crypto-native';
import { FILES } from '../hal/storage-layout';

function now(): number {
  return getTime() * 1000;
}

function report(name: string, ms: number, runs: number): void {
  print('bench ' + name + ': ' + (ms / runs).toFixed(2) + ' ms/op (' + runs + ' run' + (runs > 1 ? 's' : '') + ')');
}

/** Run `fn` `runs` times and report the mean time. */
function time(name: string, runs: number, fn: () => void): void {
  try {
    const t0 = now();
    for (let i = 0; i < runs; i++) fn();
    report(name, now() - t0, runs);
  } catch (e) {
    print('bench ' + name + ': failed: ' + ((e as Error).message || e));
  }
}

// Deterministic inputs (no secrets): a device key, a peer key derived from it, a message hash.
const priv = hexToBytes('529aa0670d72cd6497502ed473502b037e8803b5c60829a5a3caa219505530ba');
const peerPriv = hexToBytes('06a516693c9aa31a6084545d0c5db641b48572b97203ddffb7ac73f7d0457663');
const hash = sha256(hexToBytes('0102030405'));
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

function curve(): { peerPub: Uint8Array; sig: Uint8Array } | null {
  let peerPub: Uint8Array | null = null;
  let sig: Uint8Array | null = null;
  time('P-256 key generation (no table)', 1, () => {
    generateKeyPair(rnd);
  });
  try {
    peerPub = getPublicKey(peerPriv);
    sig = sign(peerPriv, hash, null);
  } catch (e) {
    print('bench P-256 setup failed: ' + ((e as Error).message || e));
    return null;
  }
  const pub = peerPub;
  const s = sig;
  time('P-256 ECDH, unknown peer key', 1, () => {
    ecdh(priv, pub);
  });
  time('P-256 ECDSA verify, no tables', 1, () => {
    if (!verify(pub, hash, s)) throw new Error('verify failed');
  });
  return { peerPub: pub, sig: s };
}

/** Tables from Storage, when the flash tool wrote them (the device-type key's table fits only that key). */
function withTables(keys: { peerPub: Uint8Array; sig: Uint8Array } | null): void {
  let S: any = null;
  try {
    S = require('Storage');
  } catch (e) {
    S = null;
  }
  const g = S ? S.readArrayBuffer(FILES.generatorTable) : undefined;
  if (!g) {
    print('bench: no generator table "' + FILES.generatorTable + '" in Storage: skipping the table timings');
    return;
  }
  try {
    useTable('G', new Uint8Array(g));
  } catch (e) {
    print('bench: generator table rejected: ' + ((e as Error).message || e));
    return;
  }
  time('P-256 key generation (G table)', 1, () => {
    generateKeyPair(rnd);
  });
  if (keys) {
    const k = keys;
    time('P-256 ECDSA verify (G table)', 1, () => {
      if (!verify(k.peerPub, hash, k.sig)) throw new Error('verify failed');
    });
  }
  // The device-type key and its table, as the flash tool writes them: ECDH against it uses the table.
  const dk = S.read(FILES.deviceTypeKey);
  const dt = S.readArrayBuffer(FILES.deviceTypeTable);
  const dtPub = dk ? parseSpkiPublicKey(E.toUint8Array(dk)) : null;
  if (!dtPub || !dt) {
    print('bench: no device-type key/table in Storage: skipping ECDH with a key table');
    return;
  }
  try {
    useTable(dtPub, new Uint8Array(dt));
  } catch (e) {
    print('bench: device-type table rejected: ' + ((e as Error).message || e));
    return;
  }
  time('P-256 ECDH, device-type key with table', 1, () => {
    ecdh(priv, dtPub);
  });
}

function sliced(then: () => void): void {
  const peer = getPublicKey(peerPriv);
  let longest = 0;
  let slices = 0;
  let last = now();
  const t0 = last;
  ecdhSliced({
    privateKey: priv,
    publicKey: peer,
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
      then();
    },
  });
}

print('bench: firmware/crypto on ' + process.env.BOARD + ' Espruino ' + process.env.VERSION);
symmetric('pure');
withTables(curve());
sliced(() => {
  const n = detectNativeCrypto();
  if (n.sha256 || n.aes) symmetric('native');
  else print('bench: no native crypto module');
  print('bench: done');
});
