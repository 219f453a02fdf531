// The elliptic-curve work the provisionee needs (P-256 key pair, key check, ECDH), behind a small
// interface so tests can drive the protocol with fixed keys. Both long steps run in slices.
import type { ClockService } from '../../hal/types';
import { generateKeyPairSliced, isValidPublicKey, ecdhSliced } from '../crypto/p256';

export interface KeyPair {
  privateKey: Uint8Array;
  /** 64 bytes X‖Y */
  publicKey: Uint8Array;
}

export interface MeshEcc {
  generateKeyPair(onDone: (err: string | null, kp: KeyPair | null) => void): void;
  isValidPublicKey(pub64: Uint8Array): boolean;
  /** The 32-byte X coordinate of the shared point, or an error for an invalid peer key. */
  ecdh(privateKey: Uint8Array, peerPub64: Uint8Array, onDone: (err: string | null, secret: Uint8Array | null) => void): void;
}

/** Slice statistics of the last sliced operation (for the benchmark and the logs). */
export interface SliceStats {
  slices: number;
  longestMs: number;
  totalMs: number;
}

/** MeshEcc over firmware/crypto/p256, slicing through the HAL clock and measuring every slice. */
export function createFirmwareEcc(opts: {
  clock: ClockService;
  randomBytes: (n: number) => Uint8Array;
  stats?: { keygen: SliceStats; ecdh: SliceStats };
}): MeshEcc {
  const clock = opts.clock;
  function measuredDefer(stats: SliceStats | undefined): (fn: () => void) => void {
    return function (fn: () => void): void {
      clock.defer(function () {
        const t0 = clock.now();
        fn();
        if (stats) {
          const dt = clock.now() - t0;
          stats.slices++;
          stats.totalMs += dt;
          if (dt > stats.longestMs) stats.longestMs = dt;
        }
      });
    };
  }
  function reset(s: SliceStats | undefined): void {
    if (s) {
      s.slices = 0;
      s.longestMs = 0;
      s.totalMs = 0;
    }
  }
  return {
    generateKeyPair(onDone): void {
      const st = opts.stats ? opts.stats.keygen : undefined;
      reset(st);
      generateKeyPairSliced({
        randomBytes: opts.randomBytes,
        defer: measuredDefer(st),
        onDone: function (err: Error | null, kp?: KeyPair) {
          onDone(err ? String(err.message || err) : null, kp || null);
        },
      });
    },
    isValidPublicKey: isValidPublicKey,
    ecdh(privateKey, peer, onDone): void {
      const st = opts.stats ? opts.stats.ecdh : undefined;
      reset(st);
      ecdhSliced({
        privateKey: privateKey,
        publicKey: peer,
        defer: measuredDefer(st),
        onDone: function (err: Error | null, x?: Uint8Array | null) {
          onDone(err ? String(err.message || err) : x ? null : 'invalid peer key', x || null);
        },
      });
    },
  };
}
