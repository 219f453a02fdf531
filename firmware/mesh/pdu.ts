// Provisioning PDUs (Mesh Profile 1.0.1 ≈§5.4.1): type octet, length table, error codes.
// A PDU is [Type:1][Parameters]; the type sits in bits 0-5, bits 6-7 are padding (must be 0).

export const PDU_INVITE = 0x00;
export const PDU_CAPABILITIES = 0x01;
export const PDU_START = 0x02;
export const PDU_PUBLIC_KEY = 0x03;
export const PDU_INPUT_COMPLETE = 0x04;
export const PDU_CONFIRMATION = 0x05;
export const PDU_RANDOM = 0x06;
export const PDU_DATA = 0x07;
export const PDU_COMPLETE = 0x08;
export const PDU_FAILED = 0x09;

/** Total PDU sizes including the type octet, indexed by type (BlueZ expected_pdu_size). */
export const PDU_LENGTHS = [2, 12, 6, 65, 1, 17, 17, 34, 1, 2];

/** Provisioning Failed error codes (≈§5.4.1.10). */
export const ERR_PROHIBITED = 0x00;
export const ERR_INVALID_PDU = 0x01;
export const ERR_INVALID_FORMAT = 0x02;
export const ERR_UNEXPECTED_PDU = 0x03;
export const ERR_CONFIRMATION_FAILED = 0x04;
export const ERR_OUT_OF_RESOURCES = 0x05;
export const ERR_DECRYPTION_FAILED = 0x06;
export const ERR_UNEXPECTED_ERROR = 0x07;
export const ERR_CANNOT_ASSIGN_ADDRESSES = 0x08;

/**
 * A name for logs; never includes parameters. The names are split at each call: a literal inside a
 * function stays in flash, an array of them kept by the module costs ~34 JsVars (measured).
 */
export function pduName(type: number): string {
  return 'Invite,Capabilities,Start,Public Key,Input Complete,Confirmation,Random,Data,Complete,Failed'.split(',')[type] || 'type ' + type;
}

/** Algorithms bitmask bits (Capabilities) and Start algorithm values. */
export const ALG_BIT_CMAC = 0x0001;
export const ALG_BIT_HMAC = 0x0002;
export const ALG_CMAC = 0x00;
export const ALG_HMAC = 0x01;

/** Authentication methods in Start. */
export const AUTH_NO_OOB = 0x00;
export const AUTH_STATIC_OOB = 0x01;

/** The 11 Capabilities parameters: Static OOB offered, no OOB public key, no Output or Input OOB. */
export function capabilitiesParams(elements: number, algorithms: number): Uint8Array {
  return new Uint8Array([elements, algorithms >> 8, algorithms, 0, 1, 0, 0, 0, 0, 0, 0]);
}

/**
 * Validates Start parameters against what Capabilities advertised (BlueZ prov_start_check facts).
 * `caps` are capabilitiesParams(): they offer Static OOB, never an OOB public key, Output or Input OOB.
 * Returns null when acceptable, else the Failed error code (always Invalid Format here).
 */
export function checkStart(start: Uint8Array, caps: Uint8Array, allowNoOob: boolean): number | null {
  const alg = start[0];
  const ok =
    alg < 2 && caps[2] & (1 << alg) && // an advertised algorithm (bit 0 CMAC, bit 1 HMAC)
    !start[1] && // no OOB public key (never advertised)
    // Static OOB, or No OOB if configured
    (start[2] === AUTH_STATIC_OOB || (start[2] === AUTH_NO_OOB && allowNoOob)) &&
    !start[3] && !start[4]; // no action or size with No/Static OOB
  return ok ? null : ERR_INVALID_FORMAT;
}
