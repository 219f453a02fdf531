// PB-ADV bearer and the Generic Provisioning layer, device side (Mesh Profile ≈§5.2.1, §5.3).
// Packet: [len][0x29][Link ID:4][Transaction Number:1][Generic Provisioning PDU:1..24].
// Links: Link Open (our UUID) → Link Ack; Link Close. Transactions: the device numbers its own
// 0x80..0xFF; segments of 20 (start) and 23 (continuation) octets; FCS over the whole PDU; the peer
// acks a complete transaction; retransmission every 500 ms until acked or the peer's next
// transaction arrives (implicit ack); give up after 30 s. Duplicate and out-of-order segments are
// handled; a repeated complete transaction is acked again and not delivered twice.
import { meshLog } from './log';
import type { ClockService, LogService } from '../../hal/types';
import type { Bearer, BearerEvents, BearerLink } from './bearer';
import { CLOSE_TIMEOUT } from './bearer';
import type { Advertiser } from './advertiser';
import { AD_PB_ADV } from './ad';
import { fcs } from './fcs';
import { equalBytes } from '../crypto/bytes';

export const RETRANSMIT_MS = 500;
export const TRANSACTION_TIMEOUT_MS = 30000;
/** Link Close goes out this many times (Zephyr sends 3). */
export const CLOSE_REPEATS = 3;

const START_DATA = 20;
const CONT_DATA = 23;
/** Room for Provisioning PDUs up to 89 octets (the largest legal one is 65): segments 0..3. */
const MAX_SEG = 3;
const MAX_PDU = START_DATA + CONT_DATA * MAX_SEG;

const GPCF_START = 0;
const GPCF_ACK = 1;
const GPCF_CONT = 2;
const GPCF_CTRL = 3;
const OP_LINK_OPEN = 0;
const OP_LINK_ACK = 1;
const OP_LINK_CLOSE = 2;

/** Split a Provisioning PDU into Generic Provisioning PDUs (Transaction Start + Continuations). */
export function segmentPdu(pdu: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const segN = pdu.length <= START_DATA ? 0 : Math.ceil((pdu.length - START_DATA) / CONT_DATA);
  const firstLen = pdu.length < START_DATA ? pdu.length : START_DATA;
  const start = new Uint8Array(4 + firstLen);
  start[0] = segN << 2;
  start[1] = (pdu.length >> 8) & 0xff;
  start[2] = pdu.length & 0xff;
  start[3] = fcs(pdu, 0, pdu.length);
  start.set(pdu.subarray(0, firstLen), 4);
  out.push(start);
  for (let i = 1; i <= segN; i++) {
    const from = START_DATA + (i - 1) * CONT_DATA;
    const to = from + CONT_DATA < pdu.length ? from + CONT_DATA : pdu.length;
    const seg = new Uint8Array(1 + to - from);
    seg[0] = (i << 2) | GPCF_CONT;
    seg.set(pdu.subarray(from, to), 1);
    out.push(seg);
  }
  return out;
}

/** The whole AD structure for one Generic Provisioning PDU on a link. */
export function pbAdvPacket(linkId: number, tn: number, gpdu: Uint8Array): Uint8Array {
  const p = new Uint8Array(7 + gpdu.length);
  p[0] = 6 + gpdu.length;
  p[1] = AD_PB_ADV;
  p[2] = (linkId >>> 24) & 0xff;
  p[3] = (linkId >>> 16) & 0xff;
  p[4] = (linkId >>> 8) & 0xff;
  p[5] = linkId & 0xff;
  p[6] = tn;
  p.set(gpdu, 7);
  return p;
}

export interface PbAdv extends Bearer {
  /** Feed the payload of one heard AD structure of type 0x29 (after the type octet). */
  onAdPayload(payload: Uint8Array): void;
  /** Whether a link is open. */
  linkOpen(): boolean;
}

export function createPbAdv(o: {
  clock: ClockService;
  log: LogService;
  uuid: Uint8Array;
  advertiser: Advertiser;
  events: BearerEvents;
}): PbAdv {
  const L = meshLog(o.log);
  let running = false;
  let active = false;
  let linkId = 0;
  // transmit side
  let txTn = 0x7f; // the first transaction takes 0x80
  let txPackets: Uint8Array[] | null = null;
  /** Complete and Failed expect no reply: only an explicit ack (or the link closing) ends them. */
  let txAwaitsReply = false;
  let txRetransmit: number | null = null;
  let txTimeout: number | null = null;
  // receive side
  let rxLastTn = -1; // last completed provisioner transaction
  let rxTn = -1; // transaction being reassembled
  let rxHaveStart = false;
  let rxSegN = 0;
  let rxTotal = 0;
  let rxFcs = 0;
  let rxGot = 0;
  const rxLens = new Uint8Array(MAX_SEG + 1);
  const rxBuf = new Uint8Array(MAX_PDU);

  function u32(p: Uint8Array, i: number): number {
    return p[i] * 0x1000000 + ((p[i + 1] << 16) | (p[i + 2] << 8) | p[i + 3]);
  }

  /** Acks and link control jump the queue of segment (re)transmissions. */
  function emit(tn: number, gpdu: Uint8Array): void {
    o.advertiser.burst(pbAdvPacket(linkId, tn, gpdu), true);
  }

  function stopTx(): void {
    if (txRetransmit !== null) o.clock.clearInterval(txRetransmit);
    if (txTimeout !== null) o.clock.clearTimeout(txTimeout);
    txRetransmit = txTimeout = null;
    txPackets = null;
  }

  function resetRx(tn: number): void {
    rxTn = tn;
    rxHaveStart = false;
    rxGot = 0;
    rxSegN = 0;
    rxTotal = 0;
  }

  function teardown(): void {
    stopTx();
    resetRx(-1);
    active = false;
    o.advertiser.flush();
  }

  const link: BearerLink = {
    bearer: 'pb-adv',
    send(pdu: Uint8Array): void {
      if (!active) return;
      stopTx();
      txTn = txTn >= 0xff ? 0x80 : txTn + 1;
      txAwaitsReply = pdu[0] !== 0x08 && pdu[0] !== 0x09;
      const segs = segmentPdu(pdu);
      const packets: Uint8Array[] = [];
      for (let i = 0; i < segs.length; i++) packets.push(pbAdvPacket(linkId, txTn, segs[i]));
      txPackets = packets;
      for (let i = 0; i < packets.length; i++) o.advertiser.burst(packets[i], false);
      txRetransmit = o.clock.setInterval(function () {
        if (!txPackets) return;
        for (let i = 0; i < txPackets.length; i++) o.advertiser.burst(txPackets[i], false);
      }, RETRANSMIT_MS);
      txTimeout = o.clock.setTimeout(function () {
        txTimeout = null;
        L.w('pb-adv: transaction 0x' + txTn.toString(16) + ' not acked in 30 s, closing the link');
        link.close(CLOSE_TIMEOUT);
        o.events.onLinkClose(link, CLOSE_TIMEOUT, false);
      }, TRANSACTION_TIMEOUT_MS);
    },
    close(reason: number): void {
      if (!active) return;
      const id = linkId;
      teardown();
      linkId = id;
      for (let i = 0; i < CLOSE_REPEATS; i++) emit(0, new Uint8Array([(OP_LINK_CLOSE << 2) | GPCF_CTRL, reason]));
      L.i('pb-adv: link closed by us (reason ' + reason + ')');
    },
  };

  function acked(how: string): void {
    if (!txPackets) return;
    // The provisioner's next transaction acks ours only when ours asked for a reply: after Failed it
    // may still send PDUs it queued before hearing the Failed (e.g. Public Key right after Start).
    if (how === 'implicit' && !txAwaitsReply) return;
    L.d('pb-adv: transaction 0x' + txTn.toString(16) + ' acked (' + how + ')');
    stopTx();
    o.advertiser.flush(); // queued retransmissions of it are pointless now
  }

  function onControl(id: number, g: Uint8Array): void {
    const op = g[0] >> 2;
    if (op === OP_LINK_OPEN) {
      if (g.length !== 17 || !equalBytes(g.subarray(1, 17), o.uuid)) return;
      if (active) {
        if (id === linkId) emit(0, new Uint8Array([(OP_LINK_ACK << 2) | GPCF_CTRL])); // our ack was lost
        return;
      }
      if (!o.events.onLinkOpen(link)) return;
      active = true;
      linkId = id;
      txTn = 0x7f;
      rxLastTn = -1;
      resetRx(-1);
      L.i('pb-adv: link open (link id 0x' + (id >>> 0).toString(16) + ')');
      emit(0, new Uint8Array([(OP_LINK_ACK << 2) | GPCF_CTRL]));
      return;
    }
    if (op === OP_LINK_CLOSE && active && id === linkId && g.length === 2) {
      teardown();
      L.i('pb-adv: link closed by the provisioner (reason ' + g[1] + ')');
      o.events.onLinkClose(link, g[1], true);
    }
    // Link Ack from a peer and unknown opcodes: nothing to do on the device side.
  }

  function lastSegLen(): number {
    return rxSegN === 0 ? rxTotal : rxTotal - START_DATA - CONT_DATA * (rxSegN - 1);
  }

  function checkSegments(): boolean {
    for (let i = 1; i <= MAX_SEG; i++) {
      if (!(rxGot & (1 << i))) continue;
      if (i > rxSegN) return false;
      const want = i < rxSegN ? CONT_DATA : lastSegLen();
      if (rxLens[i] !== want) return false;
    }
    return true;
  }

  function tryComplete(tn: number): void {
    if (!rxHaveStart || rxGot !== (1 << (rxSegN + 1)) - 1) return;
    if (fcs(rxBuf, 0, rxTotal) !== rxFcs) {
      L.d('pb-adv: FCS mismatch, transaction 0x' + tn.toString(16) + ' dropped');
      resetRx(-1);
      return;
    }
    const pdu = new Uint8Array(rxBuf.subarray(0, rxTotal));
    rxLastTn = tn;
    resetRx(-1);
    emit(tn, new Uint8Array([GPCF_ACK]));
    o.events.onPdu(link, pdu);
  }

  /** A transaction at or before the last completed one (numbers wrap within 0x00..0x7F). */
  function isOld(tn: number): boolean {
    return rxLastTn >= 0 && ((tn - rxLastTn) & 0x7f) >= 0x40;
  }

  function onStart(tn: number, g: Uint8Array): void {
    if (g.length < 5) return;
    if (tn === rxLastTn) {
      emit(tn, new Uint8Array([GPCF_ACK])); // the peer missed our ack
      return;
    }
    if (isOld(tn)) return; // a late copy of an earlier transaction (reordered on the air)
    const segN = g[0] >> 2;
    const total = (g[1] << 8) | g[2];
    const data = g.subarray(4);
    if (total === 0 || total > MAX_PDU || segN > MAX_SEG) return;
    const fits = segN === 0 ? data.length === total : data.length === START_DATA && total > START_DATA + CONT_DATA * (segN - 1) && total <= START_DATA + CONT_DATA * segN;
    if (!fits) return;
    acked('implicit');
    if (tn !== rxTn) resetRx(tn);
    if (rxHaveStart) return; // duplicate
    rxHaveStart = true;
    rxSegN = segN;
    rxTotal = total;
    rxFcs = g[3];
    rxGot |= 1;
    rxBuf.set(data, 0);
    if (!checkSegments()) {
      resetRx(-1);
      return;
    }
    tryComplete(tn);
  }

  function onContinuation(tn: number, g: Uint8Array): void {
    const idx = g[0] >> 2;
    const data = g.subarray(1);
    if (tn === rxLastTn || isOld(tn) || idx === 0 || idx > MAX_SEG || data.length === 0 || data.length > CONT_DATA) return;
    acked('implicit');
    if (tn !== rxTn) resetRx(tn);
    if (rxGot & (1 << idx)) return; // duplicate
    if (rxHaveStart) {
      if (idx > rxSegN) return;
      if (data.length !== (idx < rxSegN ? CONT_DATA : lastSegLen())) return;
    }
    rxBuf.set(data, START_DATA + CONT_DATA * (idx - 1));
    rxLens[idx] = data.length;
    rxGot |= 1 << idx;
    tryComplete(tn);
  }

  return {
    name: 'pb-adv',
    start(): boolean {
      running = true;
      return true;
    },
    stop(): void {
      if (active) link.close(0x02);
      running = false;
    },
    linkOpen: () => active,
    onAdPayload(p: Uint8Array): void {
      if (!running || p.length < 6) return;
      const id = u32(p, 0);
      const tn = p[4];
      const g = p.subarray(5);
      const gpcf = g[0] & 3;
      if (gpcf === GPCF_CTRL) {
        onControl(id, g);
        return;
      }
      if (!active || id !== linkId) return;
      if (gpcf === GPCF_ACK) {
        if (txPackets && tn === txTn && g.length === 1) acked('ack');
        return;
      }
      if (tn >= 0x80) return; // the provisioner numbers 0x00..0x7F
      if (gpcf === GPCF_START) onStart(tn, g);
      else onContinuation(tn, g);
    },
  };
}
