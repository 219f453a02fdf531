// The crypto self-test behind dist/selftest.js (entry: firmware/selftest.ts). It runs spec vectors
// through firmware/crypto, first on the pure-TypeScript path, then again with the board's native
// SHA-256/AES plugged in when the firmware has them, runs one ECDH in slices while a timer chain keeps
// firing (the radios' share of the event loop), and prints `N passed, M failed` last.
// Pure: everything it needs from the board comes in through `io`.
import { aes128Encrypt, aes128PureEncryptor, setNativeAes128 } from './crypto/aes';
import { aesCmac } from './crypto/cmac';
import { ccmDecrypt, ccmEncrypt } from './crypto/ccm';
import { confirmationKey, confirmationSalt, confirmationValue, deviceKey, k1, k2, k3, k4, provisioningSalt, s1, sessionKey, sessionNonce } from './crypto/mesh-keys';
import { hmacSha256, setNativeSha256, sha256, sha256Pure } from './crypto/sha256';
import { HmacDrbg } from './crypto/drbg';
import { base64Decode, base64Encode } from './crypto/base64';
import { base85Decode, base85Encode } from './crypto/base85';
import { bytesToHex, concatBytes, equalBytes, hexToBytes } from './crypto/bytes';
import { ecdhSliced, generateKeyPairSliced, isValidPublicKey, parsePrivateKey, parseSpkiPublicKey, setConvolve, verifySliced } from './crypto/p256';
import { pureConvolve, type Convolve } from './crypto/p256-field';
import V from './selftest-vectors.json';

/** What the self-test needs from the board. */
export interface SelftestIo {
  /** print one console line */
  print: (line: string) => void;
  /** run `fn` on a later turn of the event loop */
  later: (fn: () => void) => void;
  /** plug in the board's native SHA-256/AES when it has them; says what it found */
  useNative: () => { sha256: boolean; aes: boolean };
  /** the board's E.convolve, for P-256's products (without it they run on a pure-JS convolve) */
  convolve?: Convolve;
}

let passed = 0;
let failed = 0;
let print: (line: string) => void = () => {};
let later: (fn: () => void) => void = () => {};
const h = hexToBytes;

function check(name: string, ok: boolean): void {
  if (ok) passed++;
  else {
    failed++;
    print('FAIL ' + name);
  }
}

function same(name: string, got: Uint8Array | null, want: string): void {
  check(name, got !== null && bytesToHex(got) === want);
}

/** Run one group; an exception fails the group with its message instead of stopping the test. */
function group(name: string, fn: () => void): void {
  try {
    fn();
  } catch (e) {
    failed++;
    print('FAIL ' + name + ': ' + ((e as Error).message || e));
  }
}

function symmetric(tag: string): void {
  group(tag + ' AES-128', () => {
    for (const v of V.aes) same(tag + ' AES ' + v[0], aes128Encrypt(h(v[0]), h(v[1])), v[2]);
  });
  group(tag + ' SHA-256', () => {
    for (const v of V.sha) same(tag + ' SHA-256 ' + v[0], sha256(h(v[0])), v[1]);
    for (const v of V.hmac) same(tag + ' HMAC ' + v[2], hmacSha256(h(v[0]), h(v[1])), v[2]);
  });
  group(tag + ' AES-CMAC', () => {
    for (const v of V.cmac) same(tag + ' CMAC ' + v[2], aesCmac(h(v[0]), h(v[1])), v[2]);
  });
  group(tag + ' AES-CCM', () => {
    for (const v of V.ccm) {
      const key = h(v[0] as string);
      const nonce = h(v[1] as string);
      const aad = h(v[2] as string);
      const micLength = v[5] as number;
      const c = ccmEncrypt({ key: key, nonce: nonce, aad: aad, micLength: micLength, plaintext: h(v[3] as string) });
      same(tag + ' CCM enc ' + v[1], c, v[4] as string);
      same(tag + ' CCM dec ' + v[1], ccmDecrypt({ key: key, nonce: nonce, aad: aad, micLength: micLength, data: c }), v[3] as string);
      c[c.length - 1] ^= 1;
      check(tag + ' CCM tampered MIC ' + v[1], ccmDecrypt({ key: key, nonce: nonce, aad: aad, micLength: micLength, data: c }) === null);
    }
  });
  group(tag + ' mesh s1/k1..k4', () => {
    for (const v of V.s1) same(tag + ' s1 ' + v[1], s1(h(v[0])), v[1]);
    for (const v of V.k1) same(tag + ' k1 ' + v[3], k1(h(v[0]), h(v[1]), h(v[2])), v[3]);
    for (const v of V.k2) {
      const r = k2(h(v[0]), h(v[1]));
      check(tag + ' k2 ' + v[3], r.nid === parseInt(v[2], 16) && bytesToHex(r.encryptionKey) === v[3] && bytesToHex(r.privacyKey) === v[4]);
    }
    for (const v of V.k3) same(tag + ' k3 ' + v[1], k3(h(v[0])), v[1]);
    for (const v of V.k4) check(tag + ' k4 ' + v[1], k4(h(v[0])) === parseInt(v[1], 16));
  });
  for (let i = 0; i < V.chains.length; i++) {
    const v = V.chains[i];
    const t = tag + ' chain' + i + ' ';
    group(t, () => {
      const secret = h(v[0]);
      const salt = confirmationSalt(h(v[1]));
      same(t + 'ConfirmationSalt', salt, v[2]);
      const ck = confirmationKey(secret, salt);
      same(t + 'ConfirmationKey', ck, v[3]);
      same(t + 'ConfirmationProvisioner', confirmationValue(ck, h(v[4]), h(v[6])), v[7]);
      same(t + 'ConfirmationDevice', confirmationValue(ck, h(v[5]), h(v[6])), v[8]);
      const ps = provisioningSalt(salt, h(v[4]), h(v[5]));
      same(t + 'ProvisioningSalt', ps, v[9]);
      const sk = sessionKey(secret, ps);
      const sn = sessionNonce(secret, ps);
      same(t + 'SessionKey', sk, v[10]);
      same(t + 'SessionNonce', sn, v[11]);
      same(t + 'DeviceKey', deviceKey(secret, ps), v[12]);
      same(t + 'Provisioning Data', ccmDecrypt({ key: sk, nonce: sn, data: h(v[13]), micLength: 8 }), v[14]);
    });
  }
  group(tag + ' HMAC-DRBG', () => {
    for (const v of V.drbg) {
      const d = new HmacDrbg(h(v[0]), h(v[1]), h(v[2]));
      if (v[3]) d.reseed(h(v[3]));
      d.generate(128);
      same(tag + ' DRBG ' + v[0].substr(0, 8), sha256(d.generate(128)), v[4]);
    }
  });
  group(tag + ' setup network', () => {
    const n = V.wss;
    const mac = hmacSha256(h(n[4]), h(n[2]));
    same(tag + ' setup-network HMAC', mac, n[5]);
    check(tag + ' setup-network passphrase (base64)', base64Encode(mac) === n[6]);
    check(tag + ' base64 round trip', equalBytes(base64Decode(n[6]) || new Uint8Array(0), mac));
    const ami = h(n[0]);
    const body = concatBytes([ami.subarray(1), h(n[1]), h(n[2])]);
    const head = base64Encode(new Uint8Array([ami[0] >> 4, (ami[0] & 15) << 4])).substr(0, 2);
    check(tag + ' setup-network SSID (base85)', head + base85Encode(body) === n[3]);
    check(tag + ' base85 round trip', equalBytes(base85Decode(n[3].substr(2)) || new Uint8Array(0), body));
    check(tag + ' hashed PIN', base64Encode(sha256(h(n[7]))) === n[8]);
  });
}

/** Run `steps` one after another; each calls `next` when done (asynchronously for the sliced ones). */
function sequence(steps: Array<(next: () => void) => void>, then: () => void): void {
  let i = 0;
  const next = (): void => {
    if (i < steps.length) {
      const step = steps[i++];
      try {
        step(next);
      } catch (e) {
        failed++;
        print('FAIL step ' + i + ': ' + ((e as Error).message || e));
        later(next);
      }
    } else then();
  };
  next();
}

/**
 * P-256 vectors, every scalar multiplication in slices (a long synchronous one could starve the
 * board's watchdog): the §8.7 public key and ECDH, an off-curve key, two real DSS signatures.
 */
function curve(then: () => void): void {
  const m = V.ecc.mesh;
  const steps: Array<(next: () => void) => void> = [];
  steps.push((next) => {
    // the device key as "random bytes" makes key generation compute its public key
    generateKeyPairSliced({
      randomBytes: () => h(m[0]),
      defer: later,
      onDone: (err, kp) => {
        same('P-256 public key of the 8.7 device key', kp && !err ? kp.publicKey : null, m[1]);
        next();
      },
    });
  });
  steps.push((next) => {
    check('P-256 provisioner key valid', isValidPublicKey(h(m[2])));
    ecdhSliced({
      privateKey: h(m[0]),
      publicKey: h(m[2]),
      defer: later,
      onDone: (err, x) => {
        same('P-256 ECDH 8.7', x && !err ? x : null, m[3]);
        next();
      },
    });
  });
  steps.push((next) => {
    const bad = h(m[2]);
    bad[63] ^= 1;
    check('P-256 off-curve key rejected', !isValidPublicKey(bad));
    ecdhSliced({
      privateKey: h(m[0]),
      publicKey: bad,
      defer: later,
      onDone: (err, x) => {
        check('P-256 ECDH with an off-curve key gives no secret', !x);
        next();
      },
    });
  });
  const pub = parseSpkiPublicKey(h(V.ecc.dtKey));
  check('P-256 device-type key parses', pub !== null);
  for (let i = 0; i < V.ecc.sigs.length && pub; i++) {
    const s = V.ecc.sigs[i];
    const hash = sha256(h(s[0]));
    const tampered = new Uint8Array(hash);
    tampered[0] ^= 1;
    const verifyStep = (digest: Uint8Array, want: boolean, name: string) => (next: () => void) => {
      verifySliced({
        publicKey: pub,
        hash: digest,
        signature: h(s[1]),
        defer: later,
        onDone: (err, ok) => {
          check(name, !err && ok === want);
          next();
        },
      });
    };
    steps.push(verifyStep(hash, true, 'P-256 DSS signature ' + i + ' verifies'));
    steps.push(verifyStep(tampered, false, 'P-256 DSS signature ' + i + ' on a tampered body rejected'));
  }
  sequence(steps, then);
}

/** ECDH in slices with a timer running: it must finish, be right, and the timer must keep firing. */
function slicedEcdh(then: () => void): void {
  const priv = parsePrivateKey(h(V.ecc.devKey));
  const pub = parseSpkiPublicKey(h(V.ecc.dtKey));
  if (!priv || !pub) {
    check('P-256 encoded-setup-network keys parse', false);
    then();
    return;
  }
  // A timer chain standing in for Wi-Fi/BLE/button work: it re-arms itself until ECDH is done.
  let ticks = 0;
  let done = false;
  const tick = (): void => {
    ticks++;
    if (!done) later(tick);
  };
  later(tick);
  ecdhSliced({
    privateKey: priv,
    publicKey: pub,
    defer: later,
    onDone: (err: Error | null, x?: Uint8Array | null) => {
      done = true;
      check('P-256 sliced ECDH finished without error', !err && !!x);
      if (x) same('P-256 sliced ECDH: SHA-256(x) of the encoded setup network', sha256(x), V.ecc.ecdhHash);
      check('timers fired between ECDH slices (' + ticks + ' ticks)', ticks > 0);
      then();
    },
  });
}

function finish(): void {
  print(passed + ' passed, ' + failed + ' failed');
}

/** Run every check; the last line printed is `N passed, M failed`. */
export function runSelftest(io: SelftestIo): void {
  print = io.print;
  later = io.later;
  passed = 0;
  failed = 0;
  // The portable SHA-256/AES first (the oracles; a native-only firmware does not carry them), then
  // the board's native ones in their place.
  setNativeSha256(sha256Pure);
  setNativeAes128((key, block) => {
    const out = new Uint8Array(16);
    const e = aes128PureEncryptor(key);
    e(block, out);
    e();
    return out;
  });
  symmetric('pure');
  if (io.convolve) {
    // the native dot products must equal their definition exactly, at the sizes P-256 uses
    const a = new Int32Array(32);
    const b = new Int32Array(42);
    let ok = true;
    for (let i = 0; i < 42; i++) {
      b[i] = ((i * 2654435761) % 16777216) - 8388608;
      if (i < 32) a[i] = 8388607 - i * 524287;
    }
    for (let k = 0; k < 42; k++) if (io.convolve(a, b, k) !== pureConvolve(a, b, k)) ok = false;
    check('P-256: native E.convolve equals its definition', ok);
    setConvolve(io.convolve);
  }
  print('P-256 products on ' + (io.convolve ? 'the native E.convolve' : 'the pure-JS convolve'));
  curve(() => {
    slicedEcdh(() => {
      const n = io.useNative();
      print('native crypto: SHA-256 ' + (n.sha256 ? 'yes' : 'no') + ', AES ' + (n.aes ? 'yes' : 'no'));
      if (n.sha256 || n.aes) symmetric('native');
      finish();
    });
  });
}
