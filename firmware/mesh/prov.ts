// The provisioning protocol, device side (Mesh Profile 1.0.1 ≈§5.4): one session per open link.
// One handler per PDU type, a length table, an expected-type check, the 60 s protocol timeout
// restarted on every PDU in either direction, and the security checks in the order the spec needs:
// reflected key/confirmation/random rejected, the provisioner's confirmation verified before our
// random is revealed, the Data MIC verified before anything is used.
import { meshLog } from './log';
import type { ClockService, HalError, LogService } from '../../hal/types';
import type { KeyPair, MeshEcc } from './ecc';
import type { KeyHolder } from './keys';
import {
  PDU_INVITE, PDU_CAPABILITIES, PDU_START, PDU_PUBLIC_KEY, PDU_CONFIRMATION, PDU_RANDOM, PDU_DATA,
  PDU_COMPLETE, PDU_FAILED, PDU_LENGTHS, AUTH_STATIC_OOB,
  ERR_INVALID_PDU, ERR_INVALID_FORMAT, ERR_UNEXPECTED_PDU, ERR_CONFIRMATION_FAILED, ERR_OUT_OF_RESOURCES,
  ERR_DECRYPTION_FAILED, ERR_UNEXPECTED_ERROR, checkStart, pduName,
} from './pdu';
import { equalBytes, wipe, copyBytes } from '../crypto/bytes';
import { provisioningSalt, sessionKey, sessionNonce, deviceKey } from '../crypto/mesh-keys';
import { saltFor, keyFor, confirmationFor, valueLength } from './alg';
import { ccmDecrypt } from '../crypto/ccm';

export const PROTOCOL_TIMEOUT_MS = 60000;

/** What Provisioning Data carries, plus the derived device key. */
export interface ProvisionedData {
  netKey: Uint8Array;
  keyIndex: number;
  flags: number;
  ivIndex: number;
  address: number;
  devKey: Uint8Array;
}

export type SessionEnd = 'complete' | 'failed' | 'timeout';

export interface SessionOptions {
  clock: ClockService;
  log: LogService;
  ecc: MeshEcc;
  keys: KeyHolder;
  randomBytes: (n: number) => Uint8Array;
  /** The 11 Capabilities parameters this device sends. */
  capabilities: Uint8Array;
  /** Static OOB, zero-padded to 32 bytes (the CMAC algorithm uses its first 16). A secret. */
  staticOob: Uint8Array;
  allowNoOob: boolean;
  elements: number;
  send: (pdu: Uint8Array) => void;
  close: (reason: number) => void;
  /** Persist the result atomically; an error fails provisioning with Out of Resources. */
  store: (data: ProvisionedData) => HalError | null;
  /** The session is over from the protocol's point of view (the link may still be open). */
  onEnd: (end: SessionEnd, detail: string) => void;
}

export interface Session {
  onPdu(pdu: Uint8Array): void;
  /** The link closed: stop timers and wipe every secret. */
  stop(): void;
  /** 'invite'|'start'|'public-key'|'confirmation'|'random'|'data'|'complete'|'failed' */
  state(): string;
}

const ST_INVITE = 0;
const ST_START = 1;
const ST_PUBKEY = 2;
const ST_CONFIRM = 3;
const ST_RANDOM = 4;
const ST_DATA = 5;
const ST_COMPLETE = 6;
const ST_FAILED = 7;
const STATE_NAMES = ['invite', 'start', 'public-key', 'confirmation', 'random', 'data', 'complete', 'failed'];
const EXPECTED = [PDU_INVITE, PDU_START, PDU_PUBLIC_KEY, PDU_CONFIRMATION, PDU_RANDOM, PDU_DATA];
const ERROR_NAMES = [
  'Prohibited', 'Invalid PDU', 'Invalid Format', 'Unexpected PDU', 'Confirmation Failed', 'Out of Resources',
  'Decryption Failed', 'Unexpected Error', 'Cannot Assign Addresses',
];
/** A PDU of the protocol held while the key pair or the ECDH is still being computed. */
const MAX_HELD = 4;

export function errorName(code: number): string {
  return code < ERROR_NAMES.length ? ERROR_NAMES[code] : 'error 0x' + code.toString(16);
}

export function createSession(o: SessionOptions): Session {
  const L = meshLog(o.log);
  let st = ST_INVITE;
  let timer: number | null = null;
  let busy = false;
  let held: Uint8Array[] = [];
  let lastRx: Uint8Array | null = null;
  // ConfirmationInputs: Invite(1) ‖ Capabilities(11) ‖ Start(5) ‖ PubKeyProvisioner(64) ‖ PubKeyDevice(64)
  const inputs = new Uint8Array(145);
  let authValue: Uint8Array | null = null;
  let kp: KeyPair | null = null;
  let ecdhSecret: Uint8Array | null = null;
  let confSalt: Uint8Array | null = null;
  let confKey: Uint8Array | null = null;
  let provConfirmation: Uint8Array | null = null;
  let devRandom: Uint8Array | null = null;
  let devConfirmation: Uint8Array | null = null;
  let sessKey: Uint8Array | null = null;
  let sessNonce: Uint8Array | null = null;
  let devKey: Uint8Array | null = null;
  let ended = false;
  let alg = 0;
  let vlen = 16;
  // Late-bound: the ECDH callback resumes the held PDUs through this (declared before its callers).
  const resume = { drain: function (): void {} };

  function wipeAll(): void {
    wipe(authValue);
    wipe(ecdhSecret);
    wipe(confSalt);
    wipe(confKey);
    wipe(devRandom);
    wipe(sessKey);
    wipe(sessNonce);
    wipe(devKey);
    authValue = ecdhSecret = confSalt = confKey = devRandom = sessKey = sessNonce = devKey = null;
    held = [];
  }

  function restartTimer(): void {
    if (timer !== null) o.clock.clearTimeout(timer);
    timer = o.clock.setTimeout(onTimeout, PROTOCOL_TIMEOUT_MS);
  }

  function stopTimer(): void {
    if (timer !== null) o.clock.clearTimeout(timer);
    timer = null;
  }

  function end(how: SessionEnd, detail: string): void {
    if (ended) return;
    ended = true;
    o.onEnd(how, detail);
  }

  function onTimeout(): void {
    timer = null;
    L.w('provisioning protocol timeout in state ' + STATE_NAMES[st]);
    const wasDone = st === ST_COMPLETE || st === ST_FAILED;
    if (!wasDone) st = ST_FAILED;
    wipeAll();
    end('timeout', 'protocol timeout');
    o.close(0x01);
  }

  function send(pdu: Uint8Array): void {
    L.d('tx ' + pduName(pdu[0]) + ' (' + pdu.length + ' bytes)');
    restartTimer();
    o.send(pdu);
  }

  function fail(code: number): void {
    L.w('provisioning failed: ' + errorName(code) + ' in state ' + STATE_NAMES[st]);
    st = ST_FAILED;
    wipeAll();
    send(new Uint8Array([PDU_FAILED, code]));
    end('failed', errorName(code));
  }

  function pdu1(type: number, params: Uint8Array): Uint8Array {
    const p = new Uint8Array(1 + params.length);
    p[0] = type;
    p.set(params, 1);
    return p;
  }

  // ---- handlers, one per PDU type the provisioner may send --------------------------------------

  function onInvite(p: Uint8Array): void {
    inputs[0] = p[1];
    L.i('invited (attention ' + p[1] + ' s)');
    inputs.set(o.capabilities, 1);
    st = ST_START;
    send(pdu1(PDU_CAPABILITIES, o.capabilities));
  }

  function onStart(p: Uint8Array): void {
    const params = p.subarray(1, 6);
    const err = checkStart(params, o.capabilities, o.allowNoOob);
    if (err !== null) {
      fail(err);
      return;
    }
    inputs.set(params, 12);
    alg = params[0];
    vlen = valueLength(alg);
    authValue = new Uint8Array(vlen);
    if (params[2] === AUTH_STATIC_OOB) authValue.set(o.staticOob.subarray(0, vlen));
    L.i('start: ' + (params[2] === AUTH_STATIC_OOB ? 'static OOB' : 'no OOB') + (alg ? ', HMAC-SHA-256' : ', CMAC'));
    st = ST_PUBKEY;
    o.keys.prepare();
  }

  function onPublicKey(p: Uint8Array): void {
    const peer = copyBytes(p.subarray(1, 65));
    if (!o.ecc.isValidPublicKey(peer)) {
      fail(ERR_UNEXPECTED_ERROR);
      return;
    }
    busy = true;
    o.keys.whenReady(function (pair) {
      if (st !== ST_PUBKEY || ended) return;
      if (!pair) {
        busy = false;
        fail(ERR_OUT_OF_RESOURCES);
        return;
      }
      kp = pair;
      if (equalBytes(peer, pair.publicKey)) {
        // The provisioner reflected our own key (BlueZ rejects this too).
        busy = false;
        fail(ERR_INVALID_PDU);
        return;
      }
      inputs.set(peer, 17);
      inputs.set(pair.publicKey, 81);
      st = ST_CONFIRM;
      send(pdu1(PDU_PUBLIC_KEY, pair.publicKey));
      // The ECDH starts now and runs in slices; the bearer keeps acking and retransmitting meanwhile.
      o.ecc.ecdh(pair.privateKey, peer, function (err, secret) {
        if (st !== ST_CONFIRM || ended) {
          wipe(secret);
          return;
        }
        busy = false;
        if (err || !secret) {
          fail(ERR_UNEXPECTED_ERROR);
          return;
        }
        ecdhSecret = secret;
        confSalt = saltFor(alg, inputs);
        confKey = keyFor(alg, secret, confSalt, authValue as Uint8Array);
        L.d('ECDH done (secret ' + secret.length + ' bytes)');
        resume.drain();
      });
    });
  }

  function onConfirmation(p: Uint8Array): void {
    provConfirmation = copyBytes(p.subarray(1, 1 + vlen));
    devRandom = o.randomBytes(vlen);
    devConfirmation = confirmationFor(alg, confKey as Uint8Array, devRandom, authValue as Uint8Array);
    if (equalBytes(provConfirmation, devConfirmation)) {
      fail(ERR_INVALID_PDU);
      return;
    }
    st = ST_RANDOM;
    send(pdu1(PDU_CONFIRMATION, devConfirmation));
  }

  function onRandom(p: Uint8Array): void {
    const provRandom = copyBytes(p.subarray(1, 1 + vlen));
    const rnd = devRandom as Uint8Array;
    if (equalBytes(provRandom, rnd)) {
      fail(ERR_INVALID_PDU);
      return;
    }
    // Check the provisioner's confirmation BEFORE revealing our random.
    const expected = confirmationFor(alg, confKey as Uint8Array, provRandom, authValue as Uint8Array);
    const ok = equalBytes(expected, provConfirmation as Uint8Array);
    wipe(expected);
    if (!ok) {
      fail(ERR_CONFIRMATION_FAILED);
      return;
    }
    const provSalt = provisioningSalt(confSalt as Uint8Array, provRandom, rnd);
    const secret = ecdhSecret as Uint8Array;
    sessKey = sessionKey(secret, provSalt);
    sessNonce = sessionNonce(secret, provSalt);
    devKey = deviceKey(secret, provSalt);
    wipe(provSalt);
    wipe(confKey);
    wipe(authValue);
    confKey = authValue = null;
    st = ST_DATA;
    send(pdu1(PDU_RANDOM, rnd));
  }

  function onData(p: Uint8Array): void {
    const plain = ccmDecrypt({ key: sessKey as Uint8Array, nonce: sessNonce as Uint8Array, data: p.subarray(1, 34), micLength: 8 });
    if (!plain) {
      fail(ERR_DECRYPTION_FAILED);
      return;
    }
    const address = (plain[23] << 8) | plain[24];
    const last = address + o.elements - 1;
    if (address === 0 || address > 0x7fff || last > 0x7fff) {
      // Not a unicast range for our elements: the data is authentic but unusable.
      wipe(plain);
      fail(ERR_INVALID_FORMAT);
      return;
    }
    const data: ProvisionedData = {
      netKey: new Uint8Array(plain.subarray(0, 16)),
      keyIndex: ((plain[16] << 8) | plain[17]) & 0x0fff,
      flags: plain[18],
      ivIndex: plain[19] * 0x1000000 + ((plain[20] << 16) | (plain[21] << 8) | plain[22]),
      address: address,
      devKey: devKey as Uint8Array,
    };
    wipe(plain);
    let err: HalError | null = null;
    try {
      err = o.store(data);
    } catch (e) {
      err = { code: 'STORE', message: String(e) };
    }
    wipe(data.netKey);
    if (err) {
      L.e('could not store the provisioning data: ' + err.code);
      fail(ERR_OUT_OF_RESOURCES);
      return;
    }
    st = ST_COMPLETE;
    wipeAll();
    send(new Uint8Array([PDU_COMPLETE]));
    end('complete', 'address 0x' + address.toString(16));
  }

  const handlers = [onInvite, null, onStart, onPublicKey, null, onConfirmation, onRandom, onData];

  function process(p: Uint8Array): void {
    if (st === ST_COMPLETE || st === ST_FAILED) return;
    if (lastRx && equalBytes(p, lastRx)) {
      L.d('repeat of ' + pduName(p[0]) + ' ignored');
      return;
    }
    if (p.length === 0) {
      fail(ERR_INVALID_FORMAT);
      return;
    }
    const type = p[0];
    L.d('rx ' + pduName(type & 0x3f) + ' (' + p.length + ' bytes)');
    if (type > PDU_FAILED) {
      // RFU types and non-zero padding bits.
      fail(ERR_INVALID_PDU);
      return;
    }
    if (type !== EXPECTED[st]) {
      fail(ERR_UNEXPECTED_PDU);
      return;
    }
    const want = (type === PDU_CONFIRMATION || type === PDU_RANDOM) ? 1 + vlen : PDU_LENGTHS[type];
    if (p.length !== want) {
      fail(ERR_INVALID_FORMAT);
      return;
    }
    lastRx = copyBytes(p);
    const h = handlers[type];
    if (h) h(p);
  }

  function drain(): void {
    while (!busy && held.length > 0 && st !== ST_COMPLETE && st !== ST_FAILED) {
      const p = held[0];
      held.splice(0, 1);
      process(p);
    }
  }

  resume.drain = drain;
  restartTimer();

  return {
    onPdu(p: Uint8Array): void {
      if (ended && (st === ST_COMPLETE || st === ST_FAILED)) return; // after Failed: wait for the close
      restartTimer();
      if (busy) {
        if (lastRx && equalBytes(p, lastRx)) return;
        if (held.length < MAX_HELD) held.push(copyBytes(p));
        return;
      }
      process(p);
    },
    stop(): void {
      stopTimer();
      wipeAll();
      ended = true;
    },
    state: () => STATE_NAMES[st],
  };
}
