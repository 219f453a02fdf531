// HMAC_DRBG with SHA-256 (NIST SP 800-90A Rev. 1 §10.1.2), without prediction resistance.
// Security strength 256 bits; the caller supplies the entropy (the HAL: device seed, boot counter,
// timer jitter). Checked against the CAVP HMAC_DRBG SHA-256 vectors (test/vectors/hmac-drbg-sha256.json).

import { concatBytes, wipe } from './bytes';
import { hmacSha256 } from './sha256';

/** SP 800-90A Table 2: at most 2^19 bits (65536 bytes) per request; reseed after at most 2^48 requests. */
const MAX_BYTES_PER_REQUEST = 65536;
const RESEED_INTERVAL = 281474976710656;

const EMPTY = new Uint8Array(0);

export interface HmacDrbg {
  /** Reseed (§10.1.2.4) with fresh entropy and optional additional input. */
  reseed(entropy: Uint8Array, additional?: Uint8Array): void;
  /** Generate (§10.1.2.5) `n` bytes, optionally mixing in additional input. */
  generate(n: number, additional?: Uint8Array): Uint8Array;
  /** Forget the state (K and V are zeroed; further use gives predictable output, so do not). */
  destroy(): void;
}

/** Instantiate (§10.1.2.3): Key = 0x00.., V = 0x01.., Update(entropy ‖ nonce ‖ personalization). */
export function createHmacDrbg(entropy: Uint8Array, nonce: Uint8Array, personalization: Uint8Array | null): HmacDrbg {
  let k: Uint8Array = new Uint8Array(32);
  let v: Uint8Array = new Uint8Array(32);
  let counter = 1;
  v.fill(1);

  /** V = HMAC(K, V) (the old V wiped). */
  function nextV(): Uint8Array {
    const n = hmacSha256(k, v);
    wipe(v);
    return (v = n);
  }

  /** HMAC_DRBG_Update (§10.1.2.2). */
  function update(provided: Uint8Array): void {
    for (let round = 0; round < 2; round++) {
      if (round && !provided.length) return;
      const m = concatBytes([v, [round], provided]);
      const n = hmacSha256(k, m);
      wipe(m);
      wipe(k);
      k = n;
      nextV();
    }
  }

  /** Update(entropy ‖ rest) and restart the reseed counter (instantiate and reseed, §10.1.2.3-4). */
  function seed(entropy: Uint8Array, rest: Uint8Array[]): void {
    if (entropy.length < 32) throw new Error('drbg: entropy under 32 bytes');
    const m = concatBytes([entropy].concat(rest));
    update(m);
    wipe(m);
    counter = 1;
  }

  seed(entropy, [nonce, personalization || EMPTY]);
  return {
    reseed(entropy: Uint8Array, additional?: Uint8Array): void {
      seed(entropy, [additional || EMPTY]);
    },
    generate(n: number, additional?: Uint8Array): Uint8Array {
      if (n < 0 || n > MAX_BYTES_PER_REQUEST) throw new Error('drbg: request too large');
      if (counter > RESEED_INTERVAL) throw new Error('drbg: reseed required');
      const extra = additional || EMPTY;
      if (extra.length) update(extra);
      const out = new Uint8Array(n);
      for (let o = 0; o < n; o += 32) out.set(n - o < 32 ? nextV().subarray(0, n - o) : nextV(), o);
      update(extra);
      counter++;
      return out;
    },
    destroy(): void {
      wipe(k);
      wipe(v);
    },
  };
}

/** `new HmacDrbg(entropy, nonce, personalization)`: a constructor returning the closure object above (or call createHmacDrbg). */
export const HmacDrbg = createHmacDrbg as unknown as new (entropy: Uint8Array, nonce: Uint8Array, personalization: Uint8Array | null) => HmacDrbg;
