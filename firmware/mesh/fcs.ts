// PB-ADV Frame Check Sequence: the 3GPP TS 27.010 CRC-8 (x^8+x^2+x+1, reflected 0xE0, init 0xFF,
// result 0xFF - crc), over the whole reassembled Provisioning PDU (≈§5.3.1.2).

export function fcs(data: Uint8Array): number {
  let crc = 0xff;
  for (let i = 0; i < data.length; i++) {
    crc ^= data[i];
    for (let b = 0; b < 8; b++) crc = crc & 1 ? (crc >> 1) ^ 0xe0 : crc >> 1;
  }
  return 0xff - crc;
}
