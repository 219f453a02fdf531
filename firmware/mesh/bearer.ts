// The one interface between the provisioning protocol and its bearers (PB-ADV, PB-GATT).
// A bearer owns link establishment, reliability and framing; the protocol only sees whole PDUs.

/** Link Close reasons (≈§5.3.1.4.3); PB-GATT uses them for its own teardown reports too. */
export const CLOSE_SUCCESS = 0x00;
export const CLOSE_TIMEOUT = 0x01;
export const CLOSE_FAIL = 0x02;

/** One provisioning link (each bearer object is its own one link: it carries one at a time). */
export interface BearerLink {
  /** Send one whole Provisioning PDU (segmented, acked and retransmitted by the bearer). */
  send(pdu: Uint8Array): void;
  /** Close the link from our side (PB-ADV Link Close with `reason`, PB-GATT disconnect). */
  close(reason: number): void;
}

/** What a bearer reports upwards. */
export interface BearerEvents {
  /** A peer opened a link; return false to refuse it (busy or provisioned). */
  onLinkOpen(link: BearerLink): boolean;
  onPdu(link: BearerLink, pdu: Uint8Array): void;
  /** The link ended: closed by the peer, lost, or given up by the bearer (`byPeer` false). */
  onLinkClose(link: BearerLink, reason: number, byPeer: boolean): void;
}
