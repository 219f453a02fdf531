// HMAC_DRBG with SHA-256 (NIST SP 800-90A Rev. 1 §10.1.2), without prediction resistance.
// Security strength 256 bits; the caller supplies the entropy (the HAL: device seed, boot counter,
// timer jitter). Checked against the CAVP HMAC_DRBG SHA-256 vectors (test/vectors/hmac-drbg-sha256.json).

import { concatBytes, wipe } from './bytes';
import { hmacSha256 } from './sha256';

/** SP 800-90A Table 2: at most 2^19 bits (65536 bytes) per request; reseed after at most 2^48 requests. */
const MAX_BYTES_PER_REQUEST = 65536;
const RESEED_INTERVAL = 281474976710656;

const EMPTY = new Uint8Array(0);

export class HmacDrbg {
  private k: Uint8Array;
  private v: Uint8Array;
  private counter: number;

  /** Instantiate (§10.1.2.3): Key = 0x00.., V = 0x01.., Update(entropy ‖ nonce ‖ personalization). */
  constructor(entropy: Uint8Array, nonce: Uint8Array, personalization: Uint8Array | null) {
    this.k = new Uint8Array(32);
    this.v = new Uint8Array(32);
    this.v.fill(1);
    this.counter = 1;
    this.seed(entropy, [nonce, personalization || EMPTY]);
  }

  /** Update(entropy ‖ rest) and restart the reseed counter (instantiate and reseed, §10.1.2.3-4). */
  private seed(entropy: Uint8Array, rest: Uint8Array[]): void {
    if (entropy.length < 32) throw new Error('drbg: entropy must be at least 32 bytes');
    const seed = concatBytes([entropy].concat(rest));
    this.update(seed);
    wipe(seed);
    this.counter = 1;
  }

  /** HMAC_DRBG_Update (§10.1.2.2). */
  private update(provided: Uint8Array): void {
    for (let round = 0; round < 2; round++) {
      if (round === 1 && provided.length === 0) return;
      const m = concatBytes([this.v, new Uint8Array([round]), provided]);
      const k = hmacSha256(this.k, m);
      wipe(m);
      wipe(this.k);
      this.k = k;
      const v = hmacSha256(this.k, this.v);
      wipe(this.v);
      this.v = v;
    }
  }

  /** Reseed (§10.1.2.4) with fresh entropy and optional additional input. */
  reseed(entropy: Uint8Array, additional?: Uint8Array): void {
    this.seed(entropy, [additional || EMPTY]);
  }

  /** Generate (§10.1.2.5) `n` bytes, optionally mixing in additional input. */
  generate(n: number, additional?: Uint8Array): Uint8Array {
    if (n < 0 || n > MAX_BYTES_PER_REQUEST) throw new Error('drbg: request too large');
    if (this.counter > RESEED_INTERVAL) throw new Error('drbg: reseed required');
    const extra = additional || EMPTY;
    if (extra.length) this.update(extra);
    const out = new Uint8Array(n);
    for (let o = 0; o < n; o += 32) {
      const v = hmacSha256(this.k, this.v);
      wipe(this.v);
      this.v = v;
      out.set(n - o < 32 ? v.subarray(0, n - o) : v, o);
    }
    this.update(extra);
    this.counter++;
    return out;
  }

  /** Forget the state (K and V are zeroed; further use gives predictable output, so do not). */
  destroy(): void {
    wipe(this.k);
    wipe(this.v);
  }
}
