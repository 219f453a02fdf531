// The Echo's provisioning engine: an independent Bluetooth Mesh provisioner (Mesh Profile 1.0.1,
// Static OOB) built ONLY on Node's `crypto` — P-256 via createECDH('prime256v1'), AES-CMAC built here
// on aes-128-ecb (RFC 4493), aes-128-ccm with an 8-byte MIC. It never imports firmware/.
// Three layers: the protocol (ProvisionerProtocol), the PB-ADV generic provisioning client
// (PbAdvClient) and the PB-GATT proxy client (proxy SAR helpers). Faults for the scenarios live here.
import { createCipheriv, createECDH, createHmac, randomBytes as nodeRandom, type ECDH } from 'node:crypto';
import { deviceIdentity, type WorldContext, type WorldPlugin } from '../scenario.ts';
import { airFor, type Air, type GattLink, type Radio, type AirPacket } from './air.ts';

// ---------------------------------------------------------------------------------------------
// Security functions (Mesh Profile ≈§3.8.2), independent of firmware/crypto
// ---------------------------------------------------------------------------------------------

function aesEcb(key: Buffer, block: Buffer): Buffer {
  const c = createCipheriv('aes-128-ecb', key, null);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]);
}

function dbl(b: Buffer): Buffer {
  const out = Buffer.alloc(16);
  let carry = 0;
  for (let i = 15; i >= 0; i--) {
    const v = (b[i] << 1) | carry;
    out[i] = v & 0xff;
    carry = b[i] >> 7;
  }
  if (b[0] & 0x80) out[15] ^= 0x87;
  return out;
}

/** RFC 4493 AES-CMAC. */
export function cmac(key: Buffer, msg: Buffer): Buffer {
  const l = aesEcb(key, Buffer.alloc(16));
  const k1 = dbl(l);
  const k2 = dbl(k1);
  const n = Math.max(1, Math.ceil(msg.length / 16));
  const complete = msg.length > 0 && msg.length % 16 === 0;
  const last = Buffer.alloc(16);
  msg.copy(last, 0, (n - 1) * 16);
  if (!complete) last[msg.length - (n - 1) * 16] = 0x80;
  const sub = complete ? k1 : k2;
  for (let i = 0; i < 16; i++) last[i] ^= sub[i];
  let x: Buffer = Buffer.alloc(16);
  for (let b = 0; b < n - 1; b++) {
    const y = Buffer.alloc(16);
    for (let i = 0; i < 16; i++) y[i] = x[i] ^ msg[b * 16 + i];
    x = aesEcb(key, y);
  }
  for (let i = 0; i < 16; i++) last[i] ^= x[i];
  return aesEcb(key, last);
}

export const s1 = (m: Buffer): Buffer => cmac(Buffer.alloc(16), m);
const hmac = (k: Buffer, m: Buffer): Buffer => createHmac('sha256', k).update(m).digest();
/** Mesh 1.1: s2(M) = HMAC-SHA-256 with a zero key; k5(N, SALT, P) = HMAC_T(P), T = HMAC_SALT(N). */
export const s2 = (m: Buffer): Buffer => hmac(Buffer.alloc(32), m);
export const k5 = (n: Buffer, salt: Buffer, p: Buffer): Buffer => hmac(hmac(salt, n), p);
export const k1 = (n: Buffer, salt: Buffer, p: Buffer): Buffer => cmac(cmac(salt, n), p);

export function ccmEncrypt(key: Buffer, nonce: Buffer, plain: Buffer): Buffer {
  const c = createCipheriv('aes-128-ccm', key, nonce, { authTagLength: 8 });
  c.setAAD(Buffer.alloc(0), { plaintextLength: plain.length });
  const ct = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([ct, c.getAuthTag()]);
}

/** FCS of PB-ADV: 3GPP TS 27.010 CRC-8, reflected 0xE0, init 0xFF, result 0xFF - crc. */
export function fcs(data: Buffer): number {
  let crc = 0xff;
  for (const byte of data) {
    crc ^= byte;
    for (let b = 0; b < 8; b++) crc = crc & 1 ? (crc >> 1) ^ 0xe0 : crc >> 1;
  }
  return 0xff - crc;
}

// ---------------------------------------------------------------------------------------------
// The provisioning protocol, provisioner side
// ---------------------------------------------------------------------------------------------

/** Ways the Echo can misbehave on purpose (scenarios and tests). */
export type ProtocolFault =
  | 'none'
  | 'wrong-oob'
  | 'bad-mic'
  | 'rfu-type'
  | 'padding-bits'
  | 'bad-length'
  | 'prohibited-start'
  | 'unadvertised-method'
  | 'nonzero-action'
  | 'invalid-public-key'
  | 'unexpected-order'
  | 'repeat-invite';

export const PROTOCOL_FAULTS: ProtocolFault[] = [
  'none', 'wrong-oob', 'bad-mic', 'rfu-type', 'padding-bits', 'bad-length', 'prohibited-start', 'unadvertised-method',
  'nonzero-action', 'invalid-public-key', 'unexpected-order', 'repeat-invite',
];

export interface ProvisionerOptions {
  /** the device's static OOB from its manufacturing record (zero-padded to 16 bytes here) */
  staticOob: Buffer;
  netKey: Buffer;
  keyIndex: number;
  flags: number;
  ivIndex: number;
  address: number;
  attention?: number;
  fault?: ProtocolFault;
  /** test seam: fixed provisioner private key (32 bytes) */
  privateKey?: Buffer;
  /** test seam: fixed provisioner random (16 bytes, 32 for HMAC) */
  random?: Buffer;
  /** 'hmac': choose BTM_ECDH_P256_HMAC_SHA256_AES_CCM when the device offers it (Mesh 1.1) */
  algorithm?: 'cmac' | 'hmac';
}

export interface ProtocolStep {
  /** PDUs to send, in order */
  send: Buffer[];
  /** set when the exchange is over */
  done?: 'complete' | 'failed' | 'error';
  /** Failed error code from the device, or a local reason */
  code?: number;
  reason?: string;
}

const NAMES = ['Invite', 'Capabilities', 'Start', 'Public Key', 'Input Complete', 'Confirmation', 'Random', 'Data', 'Complete', 'Failed'];
export const pduName = (t: number): string => NAMES[t] ?? `type 0x${t.toString(16)}`;
export const FAILED_NAMES = [
  'Prohibited', 'Invalid PDU', 'Invalid Format', 'Unexpected PDU', 'Confirmation Failed', 'Out of Resources',
  'Decryption Failed', 'Unexpected Error', 'Cannot Assign Addresses',
];

export class ProvisionerProtocol {
  private ecdh: ECDH;
  private pub: Buffer;
  private inputs: Buffer[] = [];
  private auth: Buffer;
  private oob32: Buffer;
  private random: Buffer;
  private hmacAlg = false;
  private confKey: Buffer | null = null;
  private confSalt: Buffer | null = null;
  private secret: Buffer | null = null;
  private devConfirmation: Buffer | null = null;
  private state: 'caps' | 'pubkey' | 'confirm' | 'random' | 'complete' | 'done' = 'caps';
  readonly fault: ProtocolFault;
  /** the device key, once derived (for checks) */
  devKey: Buffer | null = null;
  /** every PDU exchanged, for transcripts */
  readonly transcript: Array<{ dir: 'tx' | 'rx'; pdu: Buffer }> = [];

  constructor(private readonly o: ProvisionerOptions) {
    this.fault = o.fault ?? 'none';
    this.ecdh = createECDH('prime256v1');
    if (o.privateKey) this.ecdh.setPrivateKey(o.privateKey);
    else this.ecdh.generateKeys();
    this.pub = this.ecdh.getPublicKey().subarray(1);
    const oob = Buffer.alloc(32);
    o.staticOob.copy(oob, 0, 0, Math.min(32, o.staticOob.length));
    if (this.fault === 'wrong-oob') oob[0] ^= 0x01;
    this.oob32 = oob;
    this.auth = oob.subarray(0, 16);
    this.random = o.random ? Buffer.from(o.random) : nodeRandom(16);
  }

  private out(list: Buffer[], extra?: Partial<ProtocolStep>): ProtocolStep {
    for (const p of list) this.transcript.push({ dir: 'tx', pdu: p });
    return { send: list, ...extra };
  }

  /** The first PDU: Invite (or a malformed one, per the fault). */
  start(): ProtocolStep {
    const attention = this.o.attention ?? 0;
    const invite = Buffer.from([0x00, attention]);
    this.inputs = [invite.subarray(1)];
    switch (this.fault) {
      case 'rfu-type':
        return this.out([Buffer.from([0x0a, 0x00])]);
      case 'padding-bits':
        return this.out([Buffer.from([0x40, attention])]);
      case 'bad-length':
        return this.out([Buffer.from([0x00, attention, 0x00])]);
      case 'unexpected-order':
        return this.out([Buffer.from([0x02, 0x00, 0x00, 0x01, 0x00, 0x00])]); // Start before Invite
      case 'repeat-invite':
        return this.out([invite, Buffer.from(invite)]);
      default:
        return this.out([invite]);
    }
  }

  onPdu(pdu: Buffer): ProtocolStep {
    this.transcript.push({ dir: 'rx', pdu: Buffer.from(pdu) });
    const type = pdu[0];
    if (type === 0x09) {
      this.state = 'done';
      return { send: [], done: 'failed', code: pdu[1], reason: FAILED_NAMES[pdu[1]] ?? 'code ' + pdu[1] };
    }
    switch (this.state) {
      case 'caps':
        return this.onCapabilities(pdu);
      case 'pubkey':
        return this.onPublicKey(pdu);
      case 'confirm':
        return this.onConfirmation(pdu);
      case 'random':
        return this.onRandom(pdu);
      case 'complete':
        if (type === 0x08 && pdu.length === 1) {
          this.state = 'done';
          return { send: [], done: 'complete' };
        }
        return this.error('expected Complete, got ' + pduName(type));
      default:
        return { send: [] };
    }
  }

  private error(reason: string): ProtocolStep {
    this.state = 'done';
    return { send: [], done: 'error', reason };
  }

  private onCapabilities(p: Buffer): ProtocolStep {
    if (p[0] !== 0x01 || p.length !== 12) return this.error('expected Capabilities, got ' + pduName(p[0]));
    const caps = p.subarray(1);
    if (caps[0] === 0) return this.error('capabilities: zero elements');
    if (!(caps[4] & 1)) return this.error('device offers no static OOB');
    this.inputs.push(caps);
    this.hmacAlg = this.o.algorithm === 'hmac' && !!(caps[2] & 0x02);
    if (this.hmacAlg) {
      this.auth = this.oob32;
      this.random = this.o.random && this.o.random.length === 32 ? Buffer.from(this.o.random) : nodeRandom(32);
    }
    let start = Buffer.from([0x02, this.hmacAlg ? 0x01 : 0x00, 0x00, 0x01, 0x00, 0x00]);
    if (this.fault === 'prohibited-start') start = Buffer.from([0x02, 0x05, 0x00, 0x01, 0x00, 0x00]);
    if (this.fault === 'unadvertised-method') start = Buffer.from([0x02, 0x00, 0x00, 0x02, 0x00, 0x04]);
    if (this.fault === 'nonzero-action') start = Buffer.from([0x02, 0x00, 0x00, 0x01, 0x01, 0x00]);
    this.inputs.push(start.subarray(1));
    let key = this.pub;
    if (this.fault === 'invalid-public-key') {
      key = Buffer.from(this.pub);
      key[63] ^= 0x01; // off the curve
    }
    this.state = 'pubkey';
    this.inputs.push(key);
    return this.out([start, Buffer.concat([Buffer.from([0x03]), key])]);
  }

  private onPublicKey(p: Buffer): ProtocolStep {
    if (p[0] !== 0x03 || p.length !== 65) return this.error('expected Public Key, got ' + pduName(p[0]));
    const devPub = p.subarray(1);
    try {
      this.secret = this.ecdh.computeSecret(Buffer.concat([Buffer.from([0x04]), devPub]));
    } catch {
      return this.error('device public key is not on the curve');
    }
    this.inputs.push(devPub);
    const inputs = Buffer.concat(this.inputs);
    if (inputs.length !== 145) return this.error('confirmation inputs are ' + inputs.length + ' bytes');
    this.confSalt = this.hmacAlg ? s2(inputs) : s1(inputs);
    this.confKey = this.hmacAlg
      ? k5(Buffer.concat([this.secret, this.auth]), this.confSalt, Buffer.from('prck256'))
      : k1(this.secret, this.confSalt, Buffer.from('prck'));
    const conf = this.confirm(this.random);
    this.state = 'confirm';
    return this.out([Buffer.concat([Buffer.from([0x05]), conf])]);
  }

  private confirm(random: Buffer): Buffer {
    return this.hmacAlg ? hmac(this.confKey!, random) : cmac(this.confKey!, Buffer.concat([random, this.auth]));
  }

  private get vlen(): number {
    return this.hmacAlg ? 32 : 16;
  }

  private onConfirmation(p: Buffer): ProtocolStep {
    if (p[0] !== 0x05 || p.length !== 1 + this.vlen) return this.error('expected Confirmation, got ' + pduName(p[0]));
    this.devConfirmation = Buffer.from(p.subarray(1));
    this.state = 'random';
    return this.out([Buffer.concat([Buffer.from([0x06]), this.random])]);
  }

  private onRandom(p: Buffer): ProtocolStep {
    if (p[0] !== 0x06 || p.length !== 1 + this.vlen) return this.error('expected Random, got ' + pduName(p[0]));
    const devRandom = p.subarray(1);
    const check = this.confirm(devRandom);
    if (!check.equals(this.devConfirmation!)) return this.error('device confirmation does not match its random');
    const provSalt = s1(Buffer.concat([this.confSalt!, this.random, devRandom]));
    const sessionKey = k1(this.secret!, provSalt, Buffer.from('prsk'));
    const nonce = k1(this.secret!, provSalt, Buffer.from('prsn')).subarray(3);
    this.devKey = k1(this.secret!, provSalt, Buffer.from('prdk'));
    const data = Buffer.alloc(25);
    this.o.netKey.copy(data, 0);
    data.writeUInt16BE(this.o.keyIndex, 16);
    data[18] = this.o.flags;
    data.writeUInt32BE(this.o.ivIndex >>> 0, 19);
    data.writeUInt16BE(this.o.address, 23);
    const enc = ccmEncrypt(sessionKey, nonce, data);
    if (this.fault === 'bad-mic') enc[enc.length - 1] ^= 0x01;
    this.state = 'complete';
    return this.out([Buffer.concat([Buffer.from([0x07]), enc])]);
  }
}

// ---------------------------------------------------------------------------------------------
// PB-ADV generic provisioning, provisioner side
// ---------------------------------------------------------------------------------------------

export interface Timers {
  now(): number;
  set(fn: () => void, ms: number): number;
  clear(id: number): void;
}

/** Bearer-level faults: dropping our own acks, or going silent after some PDU. */
export interface PbAdvClientOptions {
  uuid: Buffer;
  linkId: number;
  timers: Timers;
  /** put one AD structure (the PB-ADV packet) on the air */
  transmit: (ad: Buffer) => void;
  onOpen: () => void;
  onPdu: (pdu: Buffer) => void;
  onClose: (reason: number, byDevice: boolean) => void;
  /** never send Transaction Acks (the device must take our next transaction as the ack) */
  suppressAcks?: boolean;
  /** copies of each packet per transmission (a real radio sends several) */
  repeats?: number;
  /**
   * BlueZ 5.66 (mesh/pb-adv.c send_adv_segs): every transaction it sends re-arms a 30 s tx_timeout that
   * an ack does NOT clear; only its next transaction re-arms it. So the device must make the Echo
   * send again (answer with its next PDU) within this many ms of each Echo transaction (default 30000).
   */
  txWaitMs?: number;
  log?: (line: string) => void;
}

export const PB_ADV_TYPE = 0x29;

export function pbAdvAd(linkId: number, tn: number, gpdu: Buffer): Buffer {
  const b = Buffer.alloc(7 + gpdu.length);
  b[0] = 6 + gpdu.length;
  b[1] = PB_ADV_TYPE;
  b.writeUInt32BE(linkId >>> 0, 2);
  b[6] = tn;
  gpdu.copy(b, 7);
  return b;
}

export function segmentGeneric(pdu: Buffer): Buffer[] {
  const segN = pdu.length <= 20 ? 0 : Math.ceil((pdu.length - 20) / 23);
  const out = [Buffer.concat([Buffer.from([segN << 2, pdu.length >> 8, pdu.length & 0xff, fcs(pdu)]), pdu.subarray(0, 20)])];
  for (let i = 1; i <= segN; i++) out.push(Buffer.concat([Buffer.from([(i << 2) | 2]), pdu.subarray(20 + (i - 1) * 23, 20 + i * 23)]));
  return out;
}

export class PbAdvClient {
  private open = false;
  private closed = false;
  private tn = -1;
  private queue: Buffer[] = [];
  private outstanding: Buffer[] | null = null;
  private retransmit: number | null = null;
  private txTimeout: number | null = null;
  private openTimer: number | null = null;
  private openDeadline = 0;
  private rxTn = -1;
  private rxLast = -1;
  private rxSegs: Map<number, Buffer> = new Map();
  private rxTotal = 0;
  private rxSegN = -1;
  private rxFcs = 0;
  readonly stats = { sent: 0, retransmissions: 0, acksSent: 0, acksHeard: 0, implicitAcks: 0 };

  constructor(private readonly o: PbAdvClientOptions) {}

  private tx(tn: number, gpdu: Buffer): void {
    const ad = pbAdvAd(this.o.linkId, tn, gpdu);
    for (let i = 0; i < (this.o.repeats ?? 1); i++) this.o.transmit(ad);
    this.stats.sent++;
  }

  /** Link Open every 200 ms until the Link Ack, for up to 60 s. */
  openLink(): void {
    this.openDeadline = this.o.timers.now() + 60000;
    const attempt = (): void => {
      this.openTimer = null;
      if (this.open || this.closed) return;
      if (this.o.timers.now() >= this.openDeadline) {
        this.closed = true;
        this.o.onClose(0x01, false);
        return;
      }
      this.tx(0, Buffer.concat([Buffer.from([0x03]), this.o.uuid]));
      this.openTimer = this.o.timers.set(attempt, 200);
    };
    attempt();
  }

  isOpen(): boolean {
    return this.open && !this.closed;
  }

  send(pdu: Buffer): void {
    this.queue.push(pdu);
    if (!this.outstanding) this.next();
  }

  private next(): void {
    if (!this.open || this.closed || this.queue.length === 0) return;
    const pdu = this.queue.shift()!;
    this.tn = (this.tn + 1) & 0x7f;
    const segs = segmentGeneric(pdu);
    this.outstanding = segs;
    for (const s of segs) this.tx(this.tn, s);
    this.retransmit = this.o.timers.set(() => this.resend(), 500);
    if (this.txTimeout !== null) this.o.timers.clear(this.txTimeout);
    const wait = this.o.txWaitMs ?? 30000;
    this.txTimeout = this.o.timers.set(() => {
      this.txTimeout = null;
      this.o.log?.(`no new transaction ${wait / 1000} s after transaction 0x${this.tn.toString(16)} (BlueZ tx_timeout)`);
      this.close(0x01);
      this.o.onClose(0x01, false);
    }, wait);
  }

  private resend(): void {
    if (!this.outstanding || this.closed) return;
    this.stats.retransmissions++;
    for (const s of this.outstanding) this.tx(this.tn, s);
    this.retransmit = this.o.timers.set(() => this.resend(), 500);
  }

  private acked(): void {
    // the ack stops the retransmissions; the 30 s tx_timeout stays armed (BlueZ)
    if (this.retransmit !== null) this.o.timers.clear(this.retransmit);
    this.retransmit = null;
    this.outstanding = null;
    this.next();
  }

  close(reason: number): void {
    if (this.closed) return;
    this.closed = true;
    this.open = false;
    if (this.retransmit !== null) this.o.timers.clear(this.retransmit);
    if (this.txTimeout !== null) this.o.timers.clear(this.txTimeout);
    if (this.openTimer !== null) this.o.timers.clear(this.openTimer);
    for (let i = 0; i < 3; i++) this.tx(0, Buffer.from([0x0b, reason]));
  }

  /** Feed the payload of a heard PB-ADV AD structure (after the 0x29 type octet). */
  onPayload(p: Buffer): void {
    if (this.closed || p.length < 6 || p.readUInt32BE(0) !== this.o.linkId >>> 0) return;
    const tn = p[4];
    const g = p.subarray(5);
    const gpcf = g[0] & 3;
    if (gpcf === 3) {
      const op = g[0] >> 2;
      if (op === 1 && !this.open) {
        this.open = true;
        if (this.openTimer !== null) this.o.timers.clear(this.openTimer);
        this.openTimer = null;
        this.o.onOpen();
        this.next();
      } else if (op === 2 && g.length === 2) {
        this.closed = true;
        this.open = false;
        this.o.onClose(g[1], true);
      }
      return;
    }
    if (!this.open) return;
    if (gpcf === 1) {
      if (this.outstanding && tn === this.tn) {
        this.stats.acksHeard++;
        this.acked();
      }
      return;
    }
    if (tn < 0x80) return;
    if (tn === this.rxLast) {
      if (gpcf === 0) this.ack(tn);
      return;
    }
    // a late copy of an earlier device transaction (numbers 0x80..0xFF, wrapping)
    if (this.rxLast >= 0 && ((tn - this.rxLast) & 0x7f) >= 0x40) return;
    if (this.outstanding) {
      this.stats.implicitAcks++;
      this.acked();
    }
    if (tn !== this.rxTn) {
      this.rxTn = tn;
      this.rxSegs = new Map();
      this.rxSegN = -1;
    }
    if (gpcf === 0) {
      this.rxSegN = g[0] >> 2;
      this.rxTotal = g.readUInt16BE(1);
      this.rxFcs = g[3];
      this.rxSegs.set(0, Buffer.from(g.subarray(4)));
    } else {
      this.rxSegs.set(g[0] >> 2, Buffer.from(g.subarray(1)));
    }
    if (this.rxSegN < 0 || this.rxSegs.size !== this.rxSegN + 1) return;
    const parts: Buffer[] = [];
    for (let i = 0; i <= this.rxSegN; i++) {
      const s = this.rxSegs.get(i);
      if (!s) return;
      parts.push(s);
    }
    const pdu = Buffer.concat(parts);
    if (pdu.length !== this.rxTotal || fcs(pdu) !== this.rxFcs) {
      this.o.log?.('bad transaction from the device (length or FCS)');
      this.rxTn = -1;
      return;
    }
    this.rxLast = tn;
    this.rxTn = -1;
    this.ack(tn);
    this.o.onPdu(pdu);
  }

  private ack(tn: number): void {
    if (this.o.suppressAcks) return;
    this.stats.acksSent++;
    this.tx(tn, Buffer.from([0x01]));
  }
}

// ---------------------------------------------------------------------------------------------
// PB-GATT proxy SAR, client side
// ---------------------------------------------------------------------------------------------

export function proxySegments(pdu: Buffer, mtu: number): Buffer[] {
  const room = mtu - 4;
  if (pdu.length <= room) return [Buffer.concat([Buffer.from([0x03]), pdu])];
  const out: Buffer[] = [];
  for (let from = 0; from < pdu.length; from += room) {
    const to = Math.min(pdu.length, from + room);
    const sar = from === 0 ? 1 : to === pdu.length ? 3 : 2;
    out.push(Buffer.concat([Buffer.from([(sar << 6) | 0x03]), pdu.subarray(from, to)]));
  }
  return out;
}

export class ProxyReassembler {
  private buf: Buffer[] | null = null;
  /** Returns a whole Provisioning PDU, null while incomplete; throws on a SAR violation. */
  push(seg: Buffer): Buffer | null {
    const sar = seg[0] >> 6;
    if ((seg[0] & 0x3f) !== 0x03) throw new Error('not a provisioning proxy PDU');
    const body = seg.subarray(1);
    if (sar === 0) {
      if (this.buf) throw new Error('complete PDU inside a segmented one');
      return Buffer.from(body);
    }
    if (sar === 1) {
      if (this.buf) throw new Error('first segment twice');
      this.buf = [Buffer.from(body)];
      return null;
    }
    if (!this.buf) throw new Error('continuation without a first segment');
    this.buf.push(Buffer.from(body));
    if (sar === 3) {
      const whole = Buffer.concat(this.buf);
      this.buf = null;
      return whole;
    }
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// The Echo as a world actor: scans the air, finds unprovisioned devices it holds BSS credentials for
// (the manufacturing record: Device UUID + static OOB, as the packaging barcode carries them), opens
// a PB-ADV link or connects over PB-GATT, provisions, and reports on the timeline.
// World section "echo": see ECHO_KEYS below and docs/MESH.md.
// ---------------------------------------------------------------------------------------------


export interface EchoConfig {
  /** which bearer to use: 'pb-adv' (beacon → Link Open), 'pb-gatt' (connectable advert → GATT), 'auto' */
  bearer: 'pb-adv' | 'pb-gatt' | 'auto';
  /** the Echo starts scanning at this virtual time */
  startAtMs: number;
  fault: ProtocolFault;
  /** stop answering (walk away) after the device sent this many PDUs */
  vanishAfter: number | null;
  /** close the link after the device sent this many PDUs */
  closeAfter: number | null;
  /** never send Transaction Acks (PB-ADV) */
  suppressAcks: boolean;
  /** ATT_MTU the Echo negotiates (the ESP32 firmware never learns it) */
  mtu: number;
  /** copies of each PB-ADV packet the Echo transmits (advertising events) */
  repeats: number;
  /** provision again when a device beacons again (after a factory reset or a failed attempt) */
  again: boolean;
  /** give up on a link without progress after this long (Mesh protocol timeout: 60 s) */
  timeoutMs: number;
  /** PB-ADV: close the link when the device has not made the Echo send again this long after its last
   *  transaction (BlueZ tx_timeout: 30 s, re-armed per transaction sent, not cleared by acks) */
  txWaitMs: number;
  attention: number;
  /** first unicast address handed out */
  address: number;
  ivIndex: number;
  keyIndex: number;
  /** 'hmac': use the Mesh 1.1 HMAC-SHA-256 algorithm when the device offers it */
  algorithm: 'cmac' | 'hmac';
}

const ECHO_KEYS = ['algorithm', 'bearer', 'startAtMs', 'fault', 'vanishAfter', 'closeAfter', 'suppressAcks', 'mtu', 'repeats', 'again', 'timeoutMs', 'txWaitMs', 'attention', 'address', 'ivIndex', 'keyIndex'];

export const DEFAULT_ECHO: EchoConfig = {
  bearer: 'auto', startAtMs: 0, fault: 'none', vanishAfter: null, closeAfter: null, suppressAcks: false, mtu: 23,
  repeats: 3, again: false, timeoutMs: 60000, txWaitMs: 30000, attention: 5, address: 0x0100, ivIndex: 0, keyIndex: 0, algorithm: 'cmac',
};

export function validateEcho(section: unknown): string[] {
  if (!section || typeof section !== 'object' || Array.isArray(section)) return ['world.echo: expected an object'];
  const s = section as Record<string, unknown>;
  const p: string[] = [];
  for (const k of Object.keys(s)) if (!ECHO_KEYS.includes(k)) p.push(`world.echo.${k}: unknown field (known: ${ECHO_KEYS.join(', ')})`);
  if (s.algorithm !== undefined && s.algorithm !== 'cmac' && s.algorithm !== 'hmac') p.push('world.echo.algorithm: expected "cmac" or "hmac"');
  if (s.bearer !== undefined && !['pb-adv', 'pb-gatt', 'auto'].includes(s.bearer as string)) p.push('world.echo.bearer: expected "pb-adv", "pb-gatt" or "auto"');
  if (s.fault !== undefined && !PROTOCOL_FAULTS.includes(s.fault as ProtocolFault)) p.push(`world.echo.fault: expected one of ${PROTOCOL_FAULTS.join(', ')}`);
  for (const k of ['startAtMs', 'timeoutMs', 'txWaitMs', 'attention', 'ivIndex', 'keyIndex']) {
    if (s[k] !== undefined && !(Number.isInteger(s[k]) && (s[k] as number) >= 0)) p.push(`world.echo.${k}: expected a non-negative integer`);
  }
  for (const k of ['vanishAfter', 'closeAfter']) {
    if (s[k] !== undefined && s[k] !== null && !(Number.isInteger(s[k]) && (s[k] as number) >= 1)) p.push(`world.echo.${k}: expected a PDU count >= 1 or null`);
  }
  if (s.mtu !== undefined && !(Number.isInteger(s.mtu) && (s.mtu as number) >= 23 && (s.mtu as number) <= 517)) p.push('world.echo.mtu: expected an ATT_MTU from 23 to 517');
  if (s.repeats !== undefined && !(Number.isInteger(s.repeats) && (s.repeats as number) >= 1 && (s.repeats as number) <= 10)) p.push('world.echo.repeats: expected 1..10');
  if (s.address !== undefined && !(Number.isInteger(s.address) && (s.address as number) >= 1 && (s.address as number) <= 0x7fff)) p.push('world.echo.address: expected a unicast address 1..0x7fff');
  for (const k of ['suppressAcks', 'again']) if (s[k] !== undefined && typeof s[k] !== 'boolean') p.push(`world.echo.${k}: expected true or false`);
  return p;
}

interface Credential {
  boardId: string;
  uuid: Buffer;
  staticOob: Buffer;
}

function parseAds(data: Uint8Array): Array<{ type: number; body: Buffer }> {
  const out: Array<{ type: number; body: Buffer }> = [];
  for (let i = 0; i < data.length; ) {
    const len = data[i];
    if (!len || i + 1 + len > data.length) break;
    out.push({ type: data[i + 1], body: Buffer.from(data.subarray(i + 2, i + 1 + len)) });
    i += 1 + len;
  }
  return out;
}

export class Echo {
  readonly radio: Radio = { id: 'echo', address: 'ec:00:00:00:00:01', onPacket: null, owner: 'echo' };
  private creds = new Map<string, Credential>();
  private busy = false;
  private done = new Set<string>();
  private nextAddress: number;
  private netKey: Buffer;
  readonly results: Array<{ uuid: string; done: string; code?: number; reason?: string }> = [];

  constructor(
    private readonly ctx: WorldContext,
    private readonly air: Air,
    readonly cfg: EchoConfig,
  ) {
    this.nextAddress = cfg.address;
    this.netKey = Buffer.from(ctx.rng.fork('echo:netkey').bytes(16));
    air.join(this.radio);
    ctx.clock.setTimer(() => {
      this.radio.onPacket = (p) => this.heard(p);
      this.emit('scan', `scanning for unprovisioned devices (bearer ${cfg.bearer})`);
    }, cfg.startAtMs, 'echo');
  }

  /** The BSS credential of a board (Device UUID + static OOB from its manufacturing record). */
  addCredential(c: Credential): void {
    this.creds.set(c.uuid.toString('hex'), c);
  }

  private emit(kind: string, summary: string, bytes?: Buffer): void {
    this.ctx.timeline.emit({ actor: 'echo', kind, summary, bytes: bytes?.toString('hex') });
  }

  private timers(): Timers {
    const clock = this.ctx.clock;
    return { now: () => clock.now(), set: (fn, ms) => clock.setTimer(fn, ms, 'echo'), clear: (id) => clock.clearTimer(id) };
  }

  private heard(p: AirPacket): void {
    if (this.busy) {
      this.onLinkPacket?.(p);
      return;
    }
    for (const ad of parseAds(p.data)) {
      let uuid: Buffer | null = null;
      let via: 'pb-adv' | 'pb-gatt' | null = null;
      if (ad.type === 0x2b && ad.body[0] === 0x00 && ad.body.length >= 19) {
        uuid = ad.body.subarray(1, 17);
        via = 'pb-adv';
      } else if (ad.type === 0x16 && ad.body.length >= 20 && ad.body[0] === 0x27 && ad.body[1] === 0x18 && p.connectable) {
        uuid = ad.body.subarray(2, 18);
        via = 'pb-gatt';
      }
      if (!uuid || !via) continue;
      if (this.cfg.bearer !== 'auto' && this.cfg.bearer !== via) continue;
      const key = uuid.toString('hex');
      const cred = this.creds.get(key);
      if (!cred || (this.done.has(key) && !this.cfg.again)) continue;
      this.busy = true;
      this.emit('scan', `found ${cred.boardId} uuid ${key} via ${via === 'pb-adv' ? 'unprovisioned beacon' : 'PB-GATT advertisement'}`);
      this.ctx.clock.setTimer(() => this.provision(cred, via!, p.address), 50, 'echo');
      return;
    }
  }

  private onLinkPacket: ((p: AirPacket) => void) | null = null;
  private attempts = 0;
  /** walked away for good (vanishAfter) */
  private away = false;

  private provision(cred: Credential, bearer: 'pb-adv' | 'pb-gatt', address: string): void {
    // Faults apply to the first attempt only; later attempts (again: true) behave.
    const first = this.attempts++ === 0;
    const cfg: EchoConfig = first ? this.cfg : { ...this.cfg, fault: 'none', vanishAfter: null, closeAfter: null, suppressAcks: false };
    const key = cred.uuid.toString('hex');
    const unicast = this.nextAddress;
    const protocol = new ProvisionerProtocol({
      staticOob: cred.staticOob, netKey: this.netKey, keyIndex: cfg.keyIndex, flags: 0, ivIndex: cfg.ivIndex,
      address: unicast, attention: cfg.attention, fault: cfg.fault, algorithm: cfg.algorithm,
    });
    let deviceTx = 0;
    let gone = false;
    let finished = false;
    let outcome: { done: string; code?: number; reason?: string } | null = null;
    let progress = this.ctx.clock.now();
    let send: (pdu: Buffer) => void = () => undefined;
    let close: (reason: number) => void = () => undefined;
    const timers = this.timers();

    const finish = (how: string, detail: string): void => {
      if (finished || this.away) return;
      finished = true;
      this.onLinkPacket = null;
      const r = outcome ?? { done: how, reason: detail };
      this.results.push({ uuid: key, ...r });
      if (r.done === 'complete') {
        this.done.add(key);
        this.nextAddress++;
        this.emit('state', `provisioned ${cred.boardId} over ${bearer}: unicast 0x${unicast.toString(16).padStart(4, '0')}`);
        this.checkDevKey(cred.boardId, protocol.devKey);
        this.ctx.setOutcome('provisioned', cred.boardId);
      } else {
        this.emit('state', `provisioning ${cred.boardId} ended: ${r.done}${r.code !== undefined ? ` (${FAILED_NAMES[r.code] ?? r.code})` : ''}${r.reason ? ' ' + r.reason : ''}`);
        this.ctx.setOutcome(r.done === 'failed' ? 'provisioningFailed' : 'linkClosed', cred.boardId);
        if (cfg.again) this.done.delete(key);
      }
      // scan again after a pause (a device that beacons again can be provisioned again with `again`)
      timers.set(() => {
        this.busy = false;
      }, 2000);
    };

    const watchdog = (): void => {
      if (finished || gone) return;
      if (this.ctx.clock.now() - progress >= cfg.timeoutMs) {
        this.emit('state', `no progress for ${cfg.timeoutMs / 1000} s: closing the link`);
        close(0x01);
        finish('timeout', 'provisioner timeout');
        return;
      }
      timers.set(watchdog, 1000);
    };

    const onDevicePdu = (pdu: Buffer): void => {
      deviceTx++;
      progress = this.ctx.clock.now();
      // Provisioning PDUs are what goes over the air anyway (Data is encrypted): the trace shows them.
      this.emit('pdu', `rx ${pduName(pdu[0])} (${pdu.length} bytes)${pdu[0] === 0x09 ? ': ' + (FAILED_NAMES[pdu[1]] ?? pdu[1]) : ''}`, pdu);
      if (gone) return;
      if (cfg.vanishAfter !== null && deviceTx >= cfg.vanishAfter) {
        gone = true;
        this.away = true;
        this.emit('fault', `walks away after ${deviceTx} device PDU(s)`);
        this.onLinkPacket = null;
        this.radio.onPacket = null;
        return;
      }
      if (cfg.closeAfter !== null && deviceTx >= cfg.closeAfter) {
        this.emit('fault', `closes the link after ${deviceTx} device PDU(s)`);
        close(0x02);
        finish('closed', 'closed midway by the Echo');
        return;
      }
      const step = protocol.onPdu(pdu);
      for (const p of step.send) send(p);
      if (step.done) {
        outcome = { done: step.done, code: step.code, reason: step.reason };
        timers.set(() => {
          close(step.done === 'complete' ? 0x00 : 0x02);
          finish(step.done!, step.reason ?? '');
        }, 500);
      }
    };
    const sendLogged = (raw: (pdu: Buffer) => void) => (pdu: Buffer): void => {
      if (gone) return;
      this.emit('pdu', `tx ${pduName(pdu[0] & 0x3f)} (${pdu.length} bytes)`, pdu);
      raw(pdu);
    };

    if (bearer === 'pb-adv') {
      const linkId = this.ctx.rng.fork('echo:link:' + key + ':' + this.ctx.clock.now()).int(1, 0x7fffffff);
      const client = new PbAdvClient({
        uuid: cred.uuid,
        linkId,
        timers,
        suppressAcks: cfg.suppressAcks,
        repeats: 1,
        txWaitMs: cfg.txWaitMs,
        transmit: (ad) => {
          if (gone) return;
          for (let i = 0; i < cfg.repeats; i++) timers.set(() => !gone && this.air.transmit(this.radio, ad, false), i * 20);
        },
        onOpen: () => {
          this.emit('link', `PB-ADV link 0x${linkId.toString(16)} open with ${cred.boardId}`);
          progress = this.ctx.clock.now();
          for (const p of protocol.start().send) send(p);
          timers.set(watchdog, 1000);
        },
        onPdu: onDevicePdu,
        onClose: (reason, byDevice) => {
          this.emit('link', `PB-ADV link closed by ${byDevice ? 'the device' : 'the Echo'} (reason ${reason})`);
          finish(byDevice ? 'closed-by-device' : 'timeout', `link closed (reason ${reason})`);
        },
        log: (line) => this.emit('warn', line),
      });
      send = sendLogged((pdu) => client.send(pdu));
      close = (reason) => client.close(reason);
      this.onLinkPacket = (p) => {
        if (gone) return;
        for (const ad of parseAds(p.data)) if (ad.type === 0x29) client.onPayload(ad.body);
      };
      this.emit('link', `opening a PB-ADV link to ${cred.boardId} (link id 0x${linkId.toString(16)})`);
      client.openLink();
      return;
    }

    // PB-GATT
    const reasm = new ProxyReassembler();
    let link: GattLink | null = null;
    link = this.air.connect(address, {
      owner: 'echo',
      onNotify: (char, data) => {
        if (char !== 0x2adc || gone) return;
        let pdu: Buffer | null = null;
        try {
          pdu = reasm.push(Buffer.from(data));
        } catch (e) {
          this.emit('warn', 'bad proxy PDU from the device: ' + (e as Error).message);
          return;
        }
        if (pdu) onDevicePdu(pdu);
      },
      onDisconnect: (reason) => {
        this.emit('link', `GATT disconnected (reason 0x${reason.toString(16)})`);
        finish(outcome ? outcome.done : 'closed-by-device', 'disconnected');
      },
    }, cfg.mtu);
    if (!link) {
      this.emit('warn', `could not connect to ${address}`);
      finish('error', 'connect failed');
      return;
    }
    const l = link;
    send = sendLogged((pdu) => {
      for (const seg of proxySegments(pdu, cfg.mtu)) l.write(0x2adb, seg);
    });
    close = () => l.disconnect('client', 0x13);
    // service discovery and enabling notifications take a few connection events
    timers.set(() => {
      progress = this.ctx.clock.now();
      for (const p of protocol.start().send) send(p);
      timers.set(watchdog, 1000);
    }, 200);
  }

  /** Compare the device key the Echo derived with the one the device stored (end-to-end check). */
  private checkDevKey(boardId: string, devKey: Buffer | null): void {
    const board = this.ctx.boards.find((b) => b.id === boardId);
    if (!board || !devKey) return;
    const slots = ['ffs.meshnet.a', 'ffs.meshnet.b'].map((n) => board.storage.readString(n)).filter((s): s is string => !!s);
    const agree = slots.some((s) => s.includes(devKey.toString('hex')));
    this.emit('check', agree ? `${boardId} stored the same device key` : `${boardId} did NOT store the device key the Echo derived`);
  }
}

export const worldPlugin: WorldPlugin = {
  key: 'echo',
  validate: (section) => validateEcho(section),
  async attach(ctx, section) {
    const cfg: EchoConfig = { ...DEFAULT_ECHO, ...(section as Partial<EchoConfig>) };
    const air = airFor(ctx);
    const echo = new Echo(ctx, air, cfg);
    ctx.onBoard((board) => {
      // The identity the board was flashed with: its BSS triple is what Amazon holds.
      const id = deviceIdentity(ctx.scenario, board.id);
      echo.addCredential({
        boardId: board.id,
        uuid: Buffer.from(id.bss.deviceUuid.replace(/-/g, ''), 'hex'),
        staticOob: Buffer.from(id.bss.oobData, 'hex'),
      });
    });
  },
};
