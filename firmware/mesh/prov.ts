// The provisioning protocol, device side (Mesh Profile 1.0.1 ≈§5.4): one session per open link.
// One handler per PDU type, a length table, an expected-type check, the 60 s protocol timeout
// restarted on every PDU we send and every received PDU that advances the state (a repeated or held
// one does not: nobody keeps a session alive without progress), and the security checks in the order the spec needs:
// reflected key/confirmation/random rejected, the provisioner's confirmation verified before our
// random is revealed, the Data MIC verified before anything is used.
import { meshLog } from './log';
import type { ClockService, HalError, LogService } from '../../hal/types';
import type { MeshEcc } from './ecc';
import type { KeyHolder } from './keys';
import {
  PDU_INVITE, PDU_CAPABILITIES, PDU_START, PDU_PUBLIC_KEY, PDU_CONFIRMATION, PDU_RANDOM, PDU_DATA,
  PDU_COMPLETE, PDU_FAILED, PDU_LENGTHS,
  ERR_INVALID_PDU, ERR_INVALID_FORMAT, ERR_UNEXPECTED_PDU, ERR_CONFIRMATION_FAILED, ERR_OUT_OF_RESOURCES,
  ERR_DECRYPTION_FAILED, ERR_UNEXPECTED_ERROR, checkStart, pduName,
} from './pdu';
import { CLOSE_TIMEOUT } from './bearer';
import { clearTimer } from './timer';
import { equalBytes, wipe, copyBytes, bytesToHex, concatBytes } from '../crypto/bytes';
import type { MeshNode } from './state';
import { provisioningSalt, sessionKey, sessionNonce, deviceKey } from '../crypto/mesh-keys';
import { saltFor, keyFor, confirmationFor } from './alg';
import { ccmDecrypt } from '../crypto/ccm';

export const PROTOCOL_TIMEOUT_MS = 60000;
/**
 * Our Public Key waits for the ECDH (started the moment the provisioner's key arrives) at most this
 * long: BlueZ gives up 30 s after it sends a transaction (its Public Key), so 20 s leaves 10 s for
 * losses and a busy CPU; its Confirmation then gives the ECDH another 30 s (docs/MESH.md "Device time").
 */
export const KEY_HOLD_MS = 20000;

/** What Provisioning Data carries, plus the derived device key, as the node record stores it (keys in hex). */
export type ProvisionedData = MeshNode;

export interface SessionOptions {
  clock: ClockService;
  log: LogService;
  ecc: MeshEcc;
  keys: KeyHolder;
  randomBytes: (n: number) => Uint8Array;
  /** The 11 Capabilities parameters this device sends (the first: its Number of Elements). */
  capabilities: Uint8Array;
  /** Static OOB, zero-padded to 32 bytes (the CMAC algorithm uses its first 16). A secret. */
  staticOob: Uint8Array;
  allowNoOob: boolean;
  send: (pdu: Uint8Array) => void;
  close: (reason: number) => void;
  /** Persist the result atomically; an error fails provisioning with Out of Resources. */
  store: (data: ProvisionedData) => HalError | null;
  /**
   * The session is over from the protocol's point of view (the link may still be open). Failed or timed
   * out: `reason` says so for the maker ('provisioning failed: <error name>' or 'protocol timeout') and
   * `code` is the error name (Mesh Profile 5.4.1.10) or 'timeout'. Provisioned: `reason` is '' and
   * `address` is the node's unicast address.
   */
  onEnd: (reason: string, code: string, address?: number) => void;
}

export interface Session {
  onPdu(pdu: Uint8Array): void;
  /** The link closed: stop timers and wipe every secret. */
  stop(): void;
}

// The state is the type of the PDU expected next (Invite, Start, Public Key, Confirmation, Random,
// Data); PDU_COMPLETE and PDU_FAILED mark a session that is over.

export function createSession(o: SessionOptions): Session {
  const L = meshLog(o.log);
  let st = PDU_INVITE;
  let timer: number | null = null;
  /** The KEY_HOLD_MS deadline of our Public Key (cleared when the key goes out or the session stops:
   * a pending timer would keep the session, and the controller's scope with it, for 20 s). */
  let keyTimer: number | null = null;
  let busy = false;
  let held: Uint8Array[] = [];
  let lastRx: Uint8Array | null = null;
  // ConfirmationInputs: Invite(1) ‖ Capabilities(11) ‖ Start(5) ‖ PubKeyProvisioner(64) ‖ PubKeyDevice(64)
  const inputs = new Uint8Array(145);
  /** Every secret of the session, wiped together when it ends. */
  let secrets: Uint8Array[] = [];
  let authValue: Uint8Array;
  let ecdhSecret: Uint8Array;
  let confSalt: Uint8Array;
  let confKey: Uint8Array;
  let provConfirmation: Uint8Array;
  let devRandom: Uint8Array;
  let sessKey: Uint8Array;
  let sessNonce: Uint8Array;
  let devKey: Uint8Array;
  let alg = 0;
  let vlen = 16;
  // Late-bound: the ECDH callback resumes the held PDUs through this (assigned once process exists).
  let drain!: () => void;

  function wipeAll(): void {
    secrets.map(wipe);
    secrets = [];
    held = [];
  }

  function restartTimer(): void {
    clearTimer(o.clock, timer);
    timer = o.clock.setTimeout(onTimeout, PROTOCOL_TIMEOUT_MS);
  }

  function onTimeout(): void {
    timer = null;
    L.w('protocol timeout awaiting ' + pduName(st));
    // After Failed or Complete the session has already ended: the timer only closes the link.
    if (st < PDU_COMPLETE) {
      st = PDU_FAILED;
      o.onEnd('protocol timeout', 'timeout');
    }
    wipeAll();
    o.close(CLOSE_TIMEOUT);
  }

  /** Send the PDU of `type` with `params`; PDUs are logged by name and length only (never their parameters). */
  function send(type: number, params: ArrayLike<number>): void {
    L.d('tx ' + pduName(type) + ' (' + (params.length + 1) + ' bytes)');
    restartTimer();
    o.send(concatBytes([[type], params]));
  }

  function fail(code: number): void {
    // the codes this device sends are 0x01..0x07 (the names split here: a module-level array of them costs ~30 JsVars)
    const name = 'Invalid PDU,Invalid Format,Unexpected PDU,Confirmation Failed,Out of Resources,Decryption Failed,Unexpected Error'.split(',')[code - 1];
    L.w('provisioning failed: ' + name + ' awaiting ' + pduName(st));
    st = PDU_FAILED;
    wipeAll();
    send(PDU_FAILED, [code]);
    o.onEnd('provisioning failed: ' + name, name);
  }

  // ---- handlers, one per PDU type the provisioner may send ----------------------------------------
  // Each returns the Failed error code of a check that fails at once (process sends it); a check in a
  // later callback calls fail itself.

  function onInvite(p: Uint8Array): number | void {
    inputs[0] = p[1];
    L.i('invite, attention ' + p[1] + ' s');
    inputs.set(o.capabilities, 1);
    st = PDU_START;
    send(PDU_CAPABILITIES, o.capabilities);
  }

  function onStart(p: Uint8Array): number | void {
    const params = p.subarray(1, 6);
    const err = checkStart(params, o.capabilities, o.allowNoOob);
    if (err) return err;
    inputs.set(params, 12);
    alg = params[0];
    vlen = alg ? 32 : 16; // octets of Random, Confirmation and AuthValue (HMAC-SHA-256: 32)
    secrets.push((authValue = new Uint8Array(vlen)));
    // the method is AUTH_STATIC_OOB (1) or AUTH_NO_OOB (0) after checkStart: its truth says which
    if (params[2]) authValue.set(o.staticOob.subarray(0, vlen));
    L.i('start: ' + (params[2] ? 'static OOB' : 'no OOB') + (alg ? ', HMAC-SHA-256' : ', CMAC'));
    st = PDU_PUBLIC_KEY;
    o.keys.prepare();
  }

  const onPublicKey = function (p: Uint8Array): number | void {
    const peer = p.subarray(1, 65); // (p is our own copy, never written)
    if (!o.ecc.isValidPublicKey(peer)) return ERR_UNEXPECTED_ERROR;
    busy = true;
    o.keys.whenReady(function (pair) {
      if (st !== PDU_PUBLIC_KEY) return;
      if (!pair) return fail(ERR_OUT_OF_RESOURCES);
      // The provisioner reflected our own key (BlueZ rejects this too).
      if (equalBytes(peer, pair.publicKey)) return fail(ERR_INVALID_PDU);
      inputs.set(peer, 17);
      inputs.set(pair.publicKey, 81);
      st = PDU_CONFIRMATION;
      // Our key goes out when the ECDH is done or KEY_HOLD_MS from now, whichever is first: the
      // provisioner's wait for our Confirmation starts only when it has our key. Once: whoever comes
      // second finds the timer gone; never after the session ended (fail, timeout and stop leave the state).
      keyTimer = o.clock.setTimeout(function () {
        keyTimer = null; // Espruino throws "Unknown Timeout" when clearing a timer that already fired
        if (st === PDU_CONFIRMATION) send(PDU_PUBLIC_KEY, pair.publicKey);
      }, KEY_HOLD_MS);
      // The ECDH runs in slices; the bearer keeps acking and retransmitting meanwhile.
      o.ecc.ecdh(pair.privateKey, peer, function (err, x) {
        if (st !== PDU_CONFIRMATION) {
          wipe(x);
          return;
        }
        busy = false;
        if (err || !x) return fail(ERR_UNEXPECTED_ERROR);
        // (arguments run in order: confSalt is set before keyFor reads it)
        secrets.push((ecdhSecret = x), (confSalt = saltFor(alg, inputs)), (confKey = keyFor(alg, x, confSalt, authValue)));
        L.d('ECDH done');
        if (keyTimer !== null) {
          keyTimer = clearTimer(o.clock, keyTimer);
          send(PDU_PUBLIC_KEY, pair.publicKey);
        }
        drain();
      });
    });
  };

  function onConfirmation(p: Uint8Array): number | void {
    provConfirmation = p.subarray(1);
    secrets.push((devRandom = o.randomBytes(vlen)));
    const mine = confirmationFor(alg, confKey, devRandom, authValue);
    if (equalBytes(provConfirmation, mine)) return ERR_INVALID_PDU;
    st = PDU_RANDOM;
    send(PDU_CONFIRMATION, mine);
  }

  function onRandom(p: Uint8Array): number | void {
    const provRandom = p.subarray(1);
    if (equalBytes(provRandom, devRandom)) return ERR_INVALID_PDU;
    // Check the provisioner's confirmation BEFORE revealing our random.
    const expected = confirmationFor(alg, confKey, provRandom, authValue);
    const ok = equalBytes(expected, provConfirmation);
    wipe(expected);
    if (!ok) return ERR_CONFIRMATION_FAILED;
    const provSalt = provisioningSalt(confSalt, provRandom, devRandom);
    secrets.push((sessKey = sessionKey(ecdhSecret, provSalt)), (sessNonce = sessionNonce(ecdhSecret, provSalt)), (devKey = deviceKey(ecdhSecret, provSalt)));
    wipe(provSalt);
    wipe(confKey);
    wipe(authValue);
    st = PDU_DATA;
    send(PDU_RANDOM, devRandom);
  }

  function onData(p: Uint8Array): number | void {
    const plain = ccmDecrypt({ key: sessKey, nonce: sessNonce, data: p.subarray(1), micLength: 8 });
    if (!plain) return ERR_DECRYPTION_FAILED;
    secrets.push(plain);
    const address = (plain[23] << 8) | plain[24];
    // Not a unicast range for our elements: the data is authentic but unusable.
    const elements = o.capabilities[0];
    if (address === 0 || address + elements - 1 > 0x7fff) return ERR_INVALID_FORMAT;
    const data: ProvisionedData = {
      netKey: bytesToHex(plain.subarray(0, 16)),
      keyIndex: ((plain[16] << 8) | plain[17]) & 0x0fff,
      flags: plain[18],
      ivIndex: ((plain[19] << 24) | (plain[20] << 16) | (plain[21] << 8) | plain[22]) >>> 0,
      address: address,
      devKey: bytesToHex(devKey),
      elements: elements,
    };
    let err: any = null;
    try {
      err = o.store(data);
    } catch (e) {
      err = e;
    }
    if (err) {
      L.e('store failed: ' + (err.code || err));
      return ERR_OUT_OF_RESOURCES;
    }
    st = PDU_COMPLETE;
    wipeAll();
    send(PDU_COMPLETE, []);
    o.onEnd('', '', address);
  }

  const handlers = [onInvite, null, onStart, onPublicKey, null, onConfirmation, onRandom, onData];

  /** (only while the session is not over: both callers check) */
  function process(p: Uint8Array): void {
    const type = p[0];
    L.d('rx ' + pduName(type & 0x3f) + ' (' + p.length + ' bytes)');
    if (lastRx && equalBytes(p, lastRx)) return L.d('repeat');
    // RFU types and non-zero padding bits; then the expected type; then the length table.
    let err: number | void = !p.length ? ERR_INVALID_FORMAT : type > PDU_FAILED ? ERR_INVALID_PDU : type !== st ? ERR_UNEXPECTED_PDU :
      p.length !== (type === PDU_CONFIRMATION || type === PDU_RANDOM ? 1 + vlen : PDU_LENGTHS[type]) ? ERR_INVALID_FORMAT : 0;
    if (!err) {
      // It advances the state: the protocol timer starts again. Handlers get our own copy.
      restartTimer();
      lastRx = p; // (our own copy: every PDU comes through `held`)
      err = (handlers[type] as (p: Uint8Array) => number | void)(p);
    }
    if (err) fail(err);
  }

  drain = function (): void {
    while (!busy && held.length > 0 && st < PDU_COMPLETE) process(held.shift() as Uint8Array);
  };
  restartTimer();

  return {
    onPdu(p: Uint8Array): void {
      // Nothing after Failed or Complete (we wait for the close). A copy of each PDU goes through
      // `held`, processed at once unless the key pair or the ECDH is being computed: then at most 4
      // are held (a repeat of the last one is not).
      if (st < PDU_COMPLETE && held.length < 4 && !(busy && lastRx && equalBytes(p, lastRx))) {
        held.push(copyBytes(p));
        drain();
      }
    },
    stop(): void {
      timer = clearTimer(o.clock, timer);
      keyTimer = clearTimer(o.clock, keyTimer);
      wipeAll();
      if (st < PDU_COMPLETE) st = PDU_FAILED; // the link is gone: nothing more happens in this session
    },
  };
}
