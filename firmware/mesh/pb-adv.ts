// PB-ADV bearer and the Generic Provisioning layer, device side (Mesh Profile ≈§5.2.1, §5.3).
// Packet: [len][0x29][Link ID:4][Transaction Number:1][Generic Provisioning PDU:1..24].
// Links: Link Open (our UUID) → Link Ack; Link Close. Transactions: the device numbers its own
// 0x80..0xFF; segments of 20 (start) and 23 (continuation) octets; FCS over the whole PDU; the peer
// acks a complete transaction; retransmission every 500 ms until acked or the peer's next
// transaction arrives (implicit ack); give up after 30 s. Duplicate and out-of-order segments are
// handled; a repeated complete transaction is acked again and not delivered twice.
import { meshLog } from './log';
import type { ClockService, LogService } from '../../hal/types';
import type { BearerEvents, BearerLink } from './bearer';
import { CLOSE_TIMEOUT } from './bearer';
import type { Advertiser } from './advertiser';
import { AD_PB_ADV } from './ad';
import { fcs } from './fcs';
import { equalBytes, concatBytes } from '../crypto/bytes';

export const RETRANSMIT_MS = 500;
export const TRANSACTION_TIMEOUT_MS = 30000;
/** Link Close goes out this many times (Zephyr sends 3). */
export const CLOSE_REPEATS = 3;

const START_DATA = 20;
const CONT_DATA = 23;
/** Room for Provisioning PDUs up to 89 octets (the largest legal one is 65): segments 0..3. */
const MAX_SEG = 3;
const MAX_PDU = 89; // START_DATA + CONT_DATA * MAX_SEG

// Generic Provisioning Control Format (low 2 bits of the first octet; 0 = Transaction Start) and
// the control PDUs.
const GPCF_ACK = 1;
const GPCF_CONT = 2;
const GPCF_CTRL = 3;
const LINK_OPEN = 0x03; // opcode 0
const LINK_ACK = 0x07; // opcode 1
const LINK_CLOSE = 0x0b; // opcode 2

/** Split a Provisioning PDU into Generic Provisioning PDUs (Transaction Start + Continuations). */
export function segmentPdu(pdu: Uint8Array): Uint8Array[] {
  const n = pdu.length;
  // Espruino's subarray does not clamp its end to the length (it reads past it): every end is clamped here
  const start = concatBytes([[0, n >> 8, n, fcs(pdu)], pdu.subarray(0, n < START_DATA ? n : START_DATA)]);
  const out: Uint8Array[] = [start];
  for (let from = START_DATA; from < n; from += CONT_DATA) {
    out.push(concatBytes([[(out.length << 2) | GPCF_CONT], pdu.subarray(from, from + CONT_DATA < n ? from + CONT_DATA : n)])); // SegmentIndex
  }
  start[0] = (out.length - 1) << 2; // SegN
  return out;
}

/** The whole AD structure for one Generic Provisioning PDU on a link. */
export function pbAdvPacket(linkId: number, tn: number, gpdu: ArrayLike<number>): Uint8Array {
  return concatBytes([[6 + gpdu.length, AD_PB_ADV, linkId >>> 24, linkId >>> 16, linkId >>> 8, linkId, tn], gpdu]);
}

/** The bearer is its one link (send, close: a no-op when no link is open) and the scan handler. */
export interface PbAdv extends BearerLink {
  /** Feed one heard advertising packet (its AD structures; those of type 0x29 are PB-ADV): the PbAdv
   *  itself is the scan handler (`ble.startScan(pbAdv)`). */
  onPacket(data: Uint8Array): void;
}

export function createPbAdv(o: {
  clock: ClockService;
  log: LogService;
  uuid: Uint8Array;
  advertiser: Advertiser;
  events: BearerEvents;
}): PbAdv {
  const L = meshLog(o.log);
  let active = false;
  let linkId = 0;
  // transmit side
  let txTn = 0x7f; // the first transaction takes 0x80
  let txTimer: number | null = null;
  /** Complete and Failed expect no reply: only an explicit ack (or the link closing) ends them. */
  let txAwaitsReply = false;
  // receive side: the last completed provisioner transaction, and the one being reassembled with
  // its Generic Provisioning PDUs by segment index (0 = Transaction Start)
  let rxLastTn = -1;
  let rxTn = -1;
  let rxSegs: Uint8Array[] = [];

  /** Acks and link control jump the queue of segment (re)transmissions. */
  function emit(tn: number, gpdu: ArrayLike<number>): void {
    o.advertiser.burst(pbAdvPacket(linkId, tn, gpdu), true);
  }

  function stopTx(): void {
    if (txTimer !== null) o.clock.clearInterval(txTimer);
    txTimer = null;
  }

  function resetRx(tn: number): void {
    rxTn = tn;
    rxSegs = [];
  }

  /** Also readies the state for the next link: our numbering restarts at 0x80, nothing received. */
  function teardown(): void {
    stopTx();
    resetRx(-1);
    active = false;
    txTn = 0x7f;
    rxLastTn = -1;
    o.advertiser.flush();
  }

  const link: PbAdv = {
    send(pdu: Uint8Array): void {
      if (!active) return;
      stopTx();
      txTn = ((txTn + 1) & 0x7f) | 0x80; // 0x80..0xFF, then 0x80 again
      txAwaitsReply = pdu[0] < 0x08; // not Complete, not Failed
      // the packets of the transaction (the link and the number stay while it is sent)
      const packets = segmentPdu(pdu).map(function (g) {
        return pbAdvPacket(linkId, txTn, g);
      });
      let ticks = 0;
      const burst = function (): void {
        packets.map(function (p) {
          o.advertiser.burst(p, false);
        });
      };
      burst();
      // Retransmit every 500 ms; after 30 s without an ack, give the link up.
      txTimer = o.clock.setInterval(function () {
        if (++ticks * RETRANSMIT_MS < TRANSACTION_TIMEOUT_MS) return burst();
        L.w('pb-adv: transaction 0x' + txTn.toString(16) + ' not acked in 30 s');
        link.close(CLOSE_TIMEOUT);
        o.events.onLinkClose(link, CLOSE_TIMEOUT, false);
      }, RETRANSMIT_MS);
    },
    close(reason: number): void {
      if (!active) return;
      teardown();
      for (let i = 0; i < CLOSE_REPEATS; i++) emit(0, [LINK_CLOSE, reason]);
      L.i('pb-adv: closing (reason ' + reason + ')');
    },
    onPacket(data: Uint8Array): void {
      // each well-formed AD structure in turn (ad.ts eachAd, written out: no closure per packet); stop at a malformed one
      for (let i = 0, n = 0; i < data.length && (n = data[i]) && i + 1 + n <= data.length; i += 1 + n) {
        if (data[i + 1] === AD_PB_ADV && n > 6) onPayload(data.subarray(i + 2, i + 1 + n));
      }
    },
  };

  function acked(explicit: boolean): void {
    // The provisioner's next transaction acks ours only when ours asked for a reply: after Failed it
    // may still send PDUs it queued before hearing the Failed (e.g. Public Key right after Start).
    if (txTimer === null || !(explicit || txAwaitsReply)) return;
    L.d('pb-adv: transaction 0x' + txTn.toString(16) + ' acked (' + (explicit ? 'ack' : 'implicit') + ')');
    stopTx();
    o.advertiser.flush(); // queued retransmissions of it are pointless now
  }

  function onControl(id: number, g: Uint8Array): void {
    if (g[0] === LINK_OPEN) {
      if (g.length !== 17 || !equalBytes(g.subarray(1), o.uuid)) return;
      // Open: another link id is ignored, ours again means our ack was lost. Closed: the controller decides.
      if (active ? id !== linkId : !o.events.onLinkOpen(link)) return;
      if (!active) {
        active = true;
        linkId = id;
        L.i('pb-adv: open 0x' + id.toString(16));
      }
      emit(0, [LINK_ACK]);
    } else if (g[0] === LINK_CLOSE && active && id === linkId && g.length === 2) {
      teardown();
      o.events.onLinkClose(link, g[1], true);
    }
    // Link Ack from a peer and unknown opcodes: nothing to do on the device side.
  }

  /** Reassemble once every segment 0..SegN is in; lengths, SegN and FCS are checked here. */
  function tryComplete(tn: number): void {
    const start = rxSegs[0];
    if (!start) return;
    const segN = start[0] >> 2;
    const total = (start[1] << 8) | start[2];
    const parts: Uint8Array[] = [];
    let ok = rxSegs.length <= segN + 1; // no segment beyond SegN
    for (let i = 0; i <= segN; i++) {
      const s = rxSegs[i];
      if (!s) return; // still waiting
      const data = s.subarray(i ? 1 : 4);
      // Every continuation but the last is full, so index order is byte order.
      if (i && i < segN && data.length !== CONT_DATA) ok = false;
      parts.push(data);
    }
    const pdu = concatBytes(parts);
    resetRx(-1);
    if (!ok || pdu.length !== total || fcs(pdu) !== start[3]) {
      L.d('pb-adv: transaction 0x' + tn.toString(16) + ' dropped');
      return;
    }
    rxLastTn = tn;
    emit(tn, [GPCF_ACK]);
    o.events.onPdu(link, pdu);
  }

  /** One Transaction Start (GPCF 0) or Continuation (GPCF 2) of the provisioner (tn 0x00..0x7F). */
  function onSegment(tn: number, g: Uint8Array): void {
    const cont = (g[0] & 3) === GPCF_CONT;
    const slot = cont ? g[0] >> 2 : 0; // SegmentIndex, or 0 for the start
    if (tn === rxLastTn) {
      if (!cont) emit(tn, [GPCF_ACK]); // the peer missed our ack
      return;
    }
    // A transaction at or before the last completed one (numbers wrap within 0x00..0x7F) is a late
    // copy reordered on the air.
    if (rxLastTn >= 0 && ((tn - rxLastTn) & 0x7f) >= 0x40) return;
    if (cont) {
      if (!slot || slot > MAX_SEG || g.length < 2 || g.length > 24 /* 1 + CONT_DATA */) return;
    } else {
      const segN = g[0] >> 2;
      const total = (g[1] << 8) | g[2];
      const n = g.length - 4;
      if (n < 1 || total > MAX_PDU || segN > MAX_SEG) return;
      // (START_DATA + CONT_DATA * (segN - 1) is CONT_DATA * segN - 3)
      if (segN ? n !== START_DATA || total <= CONT_DATA * segN - 3 || total > START_DATA + CONT_DATA * segN : n !== total) return;
    }
    acked(false);
    if (tn !== rxTn) resetRx(tn);
    if (rxSegs[slot]) return; // duplicate
    rxSegs[slot] = new Uint8Array(g);
    tryComplete(tn);
  }

  /** One AD structure of type 0x29: [Link ID:4][Transaction Number:1][Generic Provisioning PDU], 6+ octets. */
  function onPayload(p: Uint8Array): void {
    const id = ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
    const tn = p[4];
    const g = p.subarray(5);
    const gpcf = g[0] & 3;
    if (gpcf === GPCF_CTRL) return onControl(id, g);
    if (!active || id !== linkId) return;
    if (gpcf === GPCF_ACK) {
      if (tn === txTn && g.length === 1) acked(true);
    } else if (tn < 0x80) {
      onSegment(tn, g);
    }
  }

  return link;
}
