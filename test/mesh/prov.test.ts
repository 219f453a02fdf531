// The provisioning protocol session (firmware/mesh/prov.ts) driven PDU by PDU by the Echo's independent
// provisioner, with the device key pair and random injected through the test seams (MeshEcc, randomBytes).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { createSession, PROTOCOL_TIMEOUT_MS, KEY_HOLD_MS, type ProvisionedData, type Session } from '../../firmware/mesh/prov.ts';
import { createKeyHolder } from '../../firmware/mesh/keys.ts';
import { capabilitiesParams, ALG_BIT_CMAC, ALG_BIT_HMAC } from '../../firmware/mesh/pdu.ts';
import type { MeshEcc } from '../../firmware/mesh/ecc.ts';
import { getPublicKey, ecdhSliced, isValidPublicKey } from '../../firmware/crypto/p256.ts';
import { ProvisionerProtocol, type ProtocolFault } from '../../sim/world/echo.ts';
import { FakeClock, nodeEcc, hex, unhex } from './support.ts';
import { NET } from './harness.ts';

const CHAINS = JSON.parse(readFileSync(new URL('../vectors/mesh-provisioning-chains.json', import.meta.url), 'utf8'));
const G = CHAINS.derived_static_oob_cmac;

/** MeshEcc on the real firmware P-256, with the device private key fixed (seam). */
function firmwareEccFixed(clock: FakeClock, priv: Buffer): MeshEcc {
  return {
    generateKeyPair(onDone) {
      const privateKey = new Uint8Array(priv);
      const publicKey = getPublicKey(privateKey);
      clock.defer(() => onDone(null, { privateKey, publicKey }));
    },
    isValidPublicKey,
    ecdh(privateKey, publicKey, onDone) {
      ecdhSliced({ privateKey, publicKey, defer: clock.defer, onDone: (err, x) => onDone(err ? String(err) : x ? null : 'invalid', x ?? null) });
    },
  };
}

interface Rig {
  clock: FakeClock;
  session: Session;
  sent: Buffer[];
  stored: ProvisionedData[];
  closes: number[];
  ends: string[];
  logs: string[];
}

function rig(opts: { ecc?: MeshEcc; random?: Buffer; staticOob?: Buffer; storeError?: boolean; clock?: FakeClock; hmac?: boolean } = {}): Rig {
  const clock = opts.clock ?? new FakeClock();
  const logs: string[] = [];
  const log = { log: (l: string, t: string, m: string) => void logs.push(l + ' ' + t + ': ' + m) };
  const ecc = opts.ecc ?? nodeEcc(clock);
  const keys = createKeyHolder(ecc, log, clock.defer);
  keys.prepare();
  const r: Rig = { clock, sent: [], stored: [], closes: [], ends: [], logs, session: null as unknown as Session };
  const oob = Buffer.alloc(32);
  (opts.staticOob ?? unhex(G.auth_value)).copy(oob);
  r.session = createSession({
    clock: clock as any,
    log,
    ecc,
    keys,
    randomBytes: (n) => (opts.random ? new Uint8Array(opts.random) : new Uint8Array(n).fill(0x5a)),
    capabilities: capabilitiesParams(1, opts.hmac ? ALG_BIT_CMAC | ALG_BIT_HMAC : ALG_BIT_CMAC),
    staticOob: new Uint8Array(oob),
    allowNoOob: false,
    send: (p) => void r.sent.push(Buffer.from(p)),
    close: (reason) => void r.closes.push(reason),
    store: (d) => {
      if (opts.storeError) return { code: 'STORAGE_FULL', message: 'full' };
      r.stored.push({ ...d });
      return null;
    },
    // as 'complete:address 0x..', 'failed:<error name>' or 'timeout:'
    onEnd: (reason, code, address) => {
      if (!reason) return void r.ends.push('complete:address 0x' + address!.toString(16));
      assert.is(reason, code === 'timeout' ? 'protocol timeout' : 'provisioning failed: ' + code);
      r.ends.push(code === 'timeout' ? 'timeout:' : 'failed:' + code);
    },
  });
  clock.run(10);
  return r;
}

/** Pump PDUs between the session and an Echo protocol until quiet. */
function converse(r: Rig, echo: ProvisionerProtocol, first?: Buffer[]): { done?: string; code?: number } {
  let outcome: { done?: string; code?: number } = {};
  const queue: Buffer[] = first ?? echo.start().send;
  let seen = 0;
  for (let guard = 0; guard < 50; guard++) {
    while (queue.length) r.session.onPdu(new Uint8Array(queue.shift()!));
    r.clock.run(200);
    if (r.sent.length === seen) break;
    while (seen < r.sent.length) {
      const step = echo.onPdu(r.sent[seen++]);
      queue.push(...step.send);
      if (step.done) outcome = { done: step.done, code: step.code };
    }
  }
  return outcome;
}

test('Mesh 1.1 HMAC-SHA-256 with a 32-byte static OOB (behind the flag) matches the 1.1 sample data', () => {
  const H = JSON.parse(readFileSync(new URL('./vectors/mesh-bearers.json', import.meta.url), 'utf8')).mesh11_8_7_hmac_sha256_static_oob;
  const clock = new FakeClock();
  const r = rig({ clock, hmac: true, staticOob: unhex(H.auth_value), ecc: firmwareEccFixed(clock, unhex(H.device_private_key)), random: unhex(H.random_device) });
  const echo = new ProvisionerProtocol({
    staticOob: unhex(H.auth_value), ...NET, attention: 0, algorithm: 'hmac',
    privateKey: unhex(G.provisioner_private_key), random: unhex(H.random_provisioner),
  });
  assert.is(hex(echo.start().send[0]), '00' + H.invite_params);
  const outcome = converse(r, echo, [Buffer.from('00' + H.invite_params, 'hex')]);
  assert.equal(outcome, { done: 'complete', code: undefined });
  const t = echo.transcript.filter((e) => e.dir === 'rx').map((e) => hex(e.pdu));
  assert.is(t[0], '01' + H.capabilities_params);
  assert.is(t[1], '03' + H.device_public_key);
  assert.is(t[2], '05' + H.confirmation_device);
  assert.is(t[3], '06' + H.random_device);
  const tx = echo.transcript.filter((e) => e.dir === 'tx').map((e) => hex(e.pdu));
  assert.ok(tx.includes('02' + H.start_params));
  assert.ok(tx.includes('05' + H.confirmation_provisioner));
  assert.ok(tx.includes('07' + H.encrypted_data_and_mic));
  assert.is(r.stored[0].netKey, H.provisioning_data.slice(0, 32));
});

const echoFor = (fault: ProtocolFault = 'none', extra: object = {}) =>
  new ProvisionerProtocol({ staticOob: unhex(G.auth_value), ...NET, attention: 0, fault, ...extra });

test('golden transcript: fixed keys, randoms and OOB give the derived Static-OOB chain byte for byte', () => {
  const clock = new FakeClock();
  const r = rig({ clock, ecc: firmwareEccFixed(clock, unhex(G.device_private_key)), random: unhex(G.random_device) });
  const echo = echoFor('none', { privateKey: unhex(G.provisioner_private_key), random: unhex(G.random_provisioner) });
  const outcome = converse(r, echo);
  assert.equal(outcome, { done: 'complete', code: undefined });
  const t = echo.transcript.map((e) => e.dir + ' ' + hex(e.pdu));
  assert.equal(t, [
    'tx ' + G.pdu_invite,
    'rx ' + G.pdu_capabilities,
    'tx ' + G.pdu_start,
    'tx ' + G.pdu_public_key_provisioner,
    'rx ' + G.pdu_public_key_device,
    'tx ' + G.pdu_confirmation_provisioner,
    'rx ' + G.pdu_confirmation_device,
    'tx ' + G.pdu_random_provisioner,
    'rx ' + G.pdu_random_device,
    'tx ' + G.pdu_data,
    'rx ' + G.pdu_complete,
  ]);
  assert.is(r.stored.length, 1);
  assert.is(r.stored[0].devKey, G.device_key);
  assert.is(r.stored[0].netKey, G.net_key);
  assert.is(r.stored[0].keyIndex, parseInt(G.key_index, 16));
  assert.is(r.stored[0].ivIndex, parseInt(G.iv_index, 16));
  assert.is(r.stored[0].address, parseInt(G.unicast_address, 16));
  assert.equal(r.ends, ['complete:address 0x' + parseInt(G.unicast_address, 16).toString(16)]);
  // Secrets never appear in the log: no key, OOB, random or ECDH bytes.
  const all = r.logs.join('\n');
  for (const s of [G.device_key, G.net_key, G.auth_value, G.random_device, G.ecdh_secret, G.session_key, G.confirmation_key]) assert.not.ok(all.includes(s), 'log leaks ' + s.slice(0, 6));
});

test('wrong static OOB: Confirmation Failed before the device random is revealed, nothing stored', () => {
  const r = rig({ random: unhex(G.random_device) });
  const outcome = converse(r, echoFor('wrong-oob'));
  assert.equal(outcome, { done: 'failed', code: 0x04 });
  assert.is(r.stored.length, 0);
  assert.not.ok(r.sent.some((p) => p[0] === 0x06), 'no Random PDU sent');
  assert.not.ok(r.sent.some((p) => hex(p).includes(G.random_device)), 'device random never on the wire');
  assert.ok(r.ends[0].startsWith('failed:Confirmation Failed'));
});

test('short static OOB is zero-padded to 16 bytes on both sides', () => {
  const oob = unhex('a1b2c3');
  const r = rig({ staticOob: oob });
  const outcome = converse(r, new ProvisionerProtocol({ staticOob: oob, ...NET }));
  assert.is(outcome.done, 'complete');
});

const MALFORMED: Array<[ProtocolFault, number, string]> = [
  ['rfu-type', 0x01, 'RFU PDU type → Invalid PDU'],
  ['padding-bits', 0x01, 'non-zero padding bits → Invalid PDU'],
  ['bad-length', 0x02, 'wrong length → Invalid Format'],
  ['prohibited-start', 0x02, 'prohibited algorithm → Invalid Format'],
  ['unadvertised-method', 0x02, 'Output OOB not advertised → Invalid Format'],
  ['nonzero-action', 0x02, 'action with static OOB → Invalid Format'],
  ['invalid-public-key', 0x07, 'key off the curve → Unexpected Error'],
  ['unexpected-order', 0x03, 'Start before Invite → Unexpected PDU'],
  ['bad-mic', 0x06, 'Data MIC wrong → Decryption Failed'],
];
for (const [fault, code, what] of MALFORMED) {
  test('malformed: ' + what, () => {
    const r = rig();
    const outcome = converse(r, echoFor(fault));
    assert.equal(outcome, { done: 'failed', code });
    assert.is(r.stored.length, 0);
    assert.is(r.ends.length, 1);
    assert.ok(r.ends[0].startsWith('failed:'), r.ends[0]);
    // After Failed the device waits for the provisioner to close: further PDUs get no answer.
    const n = r.sent.length;
    r.session.onPdu(new Uint8Array([0x00, 0x00]));
    r.clock.run(100);
    assert.is(r.sent.length, n);
  });
}

test('exact repeat of the previous PDU is ignored (duplicate Invite)', () => {
  const r = rig();
  const outcome = converse(r, echoFor('repeat-invite'));
  assert.is(outcome.done, 'complete');
  assert.is(r.sent.filter((p) => p[0] === 0x01).length, 1, 'one Capabilities');
});

test('a Device→Provisioner type and an out-of-order Random are Unexpected PDU', () => {
  for (const bad of ['0100010001000000000000', '0600000000000000000000000000000000', '08', '0902']) {
    const r = rig();
    r.session.onPdu(new Uint8Array([0x00, 0x00]));
    r.session.onPdu(new Uint8Array(unhex(bad)));
    r.clock.run(10);
    assert.is(hex(r.sent[r.sent.length - 1]), '0903', bad);
  }
});

test('reflected public key (our own key sent back) → Invalid PDU', () => {
  const clock = new FakeClock();
  const priv = unhex(G.device_private_key);
  const r = rig({ clock, ecc: nodeEcc(clock, priv) });
  r.session.onPdu(new Uint8Array(unhex(G.pdu_invite)));
  r.session.onPdu(new Uint8Array(unhex(G.pdu_start)));
  r.session.onPdu(new Uint8Array(unhex(G.pdu_public_key_device)));
  clock.run(100);
  assert.is(hex(r.sent[r.sent.length - 1]), '0901');
  assert.not.ok(r.sent.some((p) => p[0] === 0x03), 'device key not sent');
});

test('reflected confirmation → Invalid PDU; reflected random → Invalid PDU (before the confirmation check)', () => {
  for (const which of ['confirmation', 'random']) {
    const clock = new FakeClock();
    const r = rig({ clock, ecc: firmwareEccFixed(clock, unhex(G.device_private_key)), random: unhex(G.random_device) });
    r.session.onPdu(new Uint8Array(unhex(G.pdu_invite)));
    r.session.onPdu(new Uint8Array(unhex(G.pdu_start)));
    r.session.onPdu(new Uint8Array(unhex(G.pdu_public_key_provisioner)));
    clock.run(500);
    assert.is(hex(r.sent[1]), G.pdu_public_key_device);
    if (which === 'confirmation') {
      // The device's confirmation is known here only because the random is fixed by the seam.
      r.session.onPdu(new Uint8Array(unhex(G.pdu_confirmation_device)));
      clock.run(10);
      assert.is(hex(r.sent[r.sent.length - 1]), '0901');
    } else {
      r.session.onPdu(new Uint8Array(unhex(G.pdu_confirmation_provisioner)));
      clock.run(10);
      assert.is(hex(r.sent[2]), G.pdu_confirmation_device);
      r.session.onPdu(new Uint8Array(unhex(G.pdu_random_device)));
      clock.run(10);
      assert.is(hex(r.sent[r.sent.length - 1]), '0901');
    }
    assert.not.ok(r.sent.some((p) => p[0] === 0x06), 'random not revealed');
  }
});

/** Node ECC whose ECDH takes `ms` virtual ms (a slow board), with the device key fixed. */
function slowEcc(clock: FakeClock, priv: Buffer, ms: number): MeshEcc {
  const fast = nodeEcc(clock, priv);
  return {
    generateKeyPair: fast.generateKeyPair,
    isValidPublicKey: fast.isValidPublicKey,
    ecdh(privateKey, peer, onDone) {
      fast.ecdh(privateKey, peer, (err, x) => void clock.setTimeout(() => onDone(err, x), ms));
    },
  };
}

test('the ECDH starts when the provisioner key arrives; our key goes out when it is done, a Confirmation meanwhile is held', () => {
  const clock = new FakeClock();
  const r = rig({ clock, ecc: slowEcc(clock, unhex(G.device_private_key), 5000), random: unhex(G.random_device) });
  r.session.onPdu(new Uint8Array(unhex(G.pdu_invite)));
  r.session.onPdu(new Uint8Array(unhex(G.pdu_start)));
  r.session.onPdu(new Uint8Array(unhex(G.pdu_public_key_provisioner)));
  clock.run(4000);
  assert.is(r.sent.length, 1, 'only Capabilities: our key waits for the ECDH');
  clock.run(1100);
  assert.is(hex(r.sent[1]), G.pdu_public_key_device);
  r.session.onPdu(new Uint8Array(unhex(G.pdu_confirmation_provisioner)));
  clock.run(10);
  assert.is(hex(r.sent[r.sent.length - 1]), G.pdu_confirmation_device);
});

test('a slow ECDH: our key goes out KEY_HOLD_MS after the provisioner key, the Confirmation is held until the ECDH ends', () => {
  const clock = new FakeClock();
  const r = rig({ clock, ecc: slowEcc(clock, unhex(G.device_private_key), 45000), random: unhex(G.random_device) });
  r.session.onPdu(new Uint8Array(unhex(G.pdu_invite)));
  r.session.onPdu(new Uint8Array(unhex(G.pdu_start)));
  r.session.onPdu(new Uint8Array(unhex(G.pdu_public_key_provisioner)));
  clock.run(KEY_HOLD_MS - 10);
  assert.is(r.sent.length, 1);
  clock.run(20);
  assert.is(hex(r.sent[1]), G.pdu_public_key_device, 'sent at the hold deadline');
  r.session.onPdu(new Uint8Array(unhex(G.pdu_confirmation_provisioner)));
  clock.run(10);
  assert.is(r.sent.filter((p) => p[0] === 0x05).length, 0, 'not answered before the ECDH');
  clock.run(45000 - KEY_HOLD_MS);
  assert.is(hex(r.sent[r.sent.length - 1]), G.pdu_confirmation_device);
  assert.equal(r.closes, []);
  assert.is(r.sent.filter((p) => p[0] === 0x03).length, 1, 'our key sent once');
});

test('a link that ends while our key is held sends nothing later (the hold timer is cleared)', () => {
  const clock = new FakeClock();
  const r = rig({ clock, ecc: slowEcc(clock, unhex(G.device_private_key), 45000) });
  r.session.onPdu(new Uint8Array(unhex(G.pdu_invite)));
  r.session.onPdu(new Uint8Array(unhex(G.pdu_start)));
  r.session.onPdu(new Uint8Array(unhex(G.pdu_public_key_provisioner)));
  clock.run(1000);
  r.session.stop();
  clock.run(60000);
  assert.is(r.sent.length, 1, 'nothing after Capabilities');
});

test('an ECDH done before the hold deadline clears the hold timer (no timer keeps the session alive)', () => {
  const clock = new FakeClock();
  const r = rig({ clock, ecc: slowEcc(clock, unhex(G.device_private_key), 1000) });
  r.session.onPdu(new Uint8Array(unhex(G.pdu_invite)));
  r.session.onPdu(new Uint8Array(unhex(G.pdu_start)));
  const before = clock.pending(); // the protocol timeout (and nothing else of the session)
  r.session.onPdu(new Uint8Array(unhex(G.pdu_public_key_provisioner)));
  clock.run(1500);
  assert.is(hex(r.sent[r.sent.length - 1]), G.pdu_public_key_device, 'our key went out after the ECDH');
  assert.is(clock.pending(), before, 'only the protocol timeout is pending: the KEY_HOLD_MS timer is gone');
  r.session.stop();
  assert.is(clock.pending(), 0, 'stop leaves no timer');
});

test('storage failure on Complete → Out of Resources, no Complete sent', () => {
  const r = rig({ storeError: true });
  const outcome = converse(r, echoFor());
  assert.equal(outcome, { done: 'failed', code: 0x05 });
  assert.not.ok(r.sent.some((p) => p[0] === 0x08));
});

test('protocol timeout: 60 s, restarted by a PDU that advances the state, closes the link with reason Timeout', () => {
  const r = rig();
  r.clock.run(PROTOCOL_TIMEOUT_MS - 100);
  assert.equal(r.closes, []);
  r.session.onPdu(new Uint8Array([0x00, 0x00])); // the Invite: restarts the timer
  r.clock.run(PROTOCOL_TIMEOUT_MS - 100);
  assert.equal(r.closes, []);
  r.clock.run(200);
  assert.equal(r.closes, [0x01]);
  assert.ok(r.ends[0].startsWith('timeout'));
});

test('issue 14.3: the same Invite resent every 55 s does not keep the session alive', () => {
  const r = rig();
  const invite = new Uint8Array([0x00, 0x05]);
  r.session.onPdu(invite);
  r.clock.run(10);
  assert.is(r.sent.length, 1, 'Capabilities');
  for (let i = 0; i < 4 && !r.closes.length; i++) {
    r.clock.run(55000);
    r.session.onPdu(invite);
  }
  // the Capabilities at ~0 s were the last progress: the link closes 60 s later, not never
  assert.equal(r.closes, [0x01]);
  assert.ok(r.clock.t < PROTOCOL_TIMEOUT_MS + 55000 + 100, `closed at ${r.clock.t} ms`);
  assert.ok(r.ends[0].startsWith('timeout'));
  assert.is(r.sent.length, 1, 'the repeats get no answer');
});

test('issue 14.3: held PDUs (during the ECDH) do not restart the protocol timer', () => {
  const clock = new FakeClock();
  const r = rig({ clock, ecc: slowEcc(clock, unhex(G.device_private_key), 10 * 60000) });
  r.session.onPdu(new Uint8Array(unhex(G.pdu_invite)));
  r.session.onPdu(new Uint8Array(unhex(G.pdu_start)));
  r.session.onPdu(new Uint8Array(unhex(G.pdu_public_key_provisioner)));
  // our key went out at KEY_HOLD_MS (the last progress); junk keeps arriving and is held or dropped
  for (let i = 0; i < 20 && !r.closes.length; i++) {
    clock.run(5000);
    r.session.onPdu(new Uint8Array(unhex(G.pdu_confirmation_provisioner)));
  }
  assert.equal(r.closes, [0x01]);
  assert.ok(clock.t <= KEY_HOLD_MS + PROTOCOL_TIMEOUT_MS + 5000, `closed at ${clock.t} ms`);
});

test('a provisioned Data with a non-unicast address is refused and not stored', () => {
  const r = rig();
  const outcome = converse(r, new ProvisionerProtocol({ staticOob: unhex(G.auth_value), ...NET, address: 0xc000 }));
  assert.equal(outcome, { done: 'failed', code: 0x02 });
  assert.is(r.stored.length, 0);
});

test.run();
