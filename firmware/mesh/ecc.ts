// The elliptic-curve work the provisionee needs (P-256 key pair, key check, ECDH), behind a small
// interface so tests can drive the protocol with fixed keys. Both long steps run in slices.
import type { ClockService } from '../../hal/types';
import { generateKeyPairSliced, isValidPublicKey, ecdhSliced } from '../crypto/p256';

export interface KeyPair {
  privateKey: Uint8Array;
  /** 64 bytes X‖Y */
  publicKey: Uint8Array;
}

/** Results come as (error, value): an error, or a missing value, means the step failed. */
export interface MeshEcc {
  generateKeyPair(onDone: (err: unknown, kp?: KeyPair | null) => void): void;
  isValidPublicKey(pub64: Uint8Array): boolean;
  /** The 32-byte X coordinate of the shared point; no value for an invalid peer key. */
  ecdh(privateKey: Uint8Array, peerPub64: Uint8Array, onDone: (err: unknown, secret?: Uint8Array | null) => void): void;
}

/** Slice statistics of the last sliced operation (for the benchmark and the logs). */
export interface SliceStats {
  slices: number;
  longestMs: number;
  totalMs: number;
}

/** MeshEcc over firmware/crypto/p256, each step sliced through the HAL clock's defer (the device's). */
export function firmwareEcc(clock: ClockService, randomBytes: (n: number) => Uint8Array): MeshEcc {
  return {
    generateKeyPair(onDone): void {
      generateKeyPairSliced({ randomBytes: randomBytes, defer: clock.defer, onDone: onDone });
    },
    isValidPublicKey: isValidPublicKey,
    ecdh(privateKey, peer, onDone): void {
      ecdhSliced({ privateKey: privateKey, publicKey: peer, defer: clock.defer, onDone: onDone });
    },
  };
}

/**
 * The same with slice statistics (the benchmark, bench/mesh-provision.ts): each step resets its
 * SliceStats and then counts every slice. Not in the device bundle.
 */
export function createFirmwareEcc(
  clock: ClockService,
  randomBytes: (n: number) => Uint8Array,
  stats?: { keygen: SliceStats; ecdh: SliceStats },
): MeshEcc {
  /** A defer for one sliced operation; with `s`, it is reset and then counts every slice. */
  function defer(s: SliceStats | undefined): (fn: () => void) => void {
    if (s) s.slices = s.longestMs = s.totalMs = 0;
    return function (fn: () => void): void {
      clock.defer(function () {
        const t0 = clock.now();
        fn();
        if (!s) return;
        const dt = clock.now() - t0;
        s.slices++;
        s.totalMs += dt;
        if (dt > s.longestMs) s.longestMs = dt;
      });
    };
  }
  return {
    generateKeyPair(onDone): void {
      generateKeyPairSliced({ randomBytes: randomBytes, defer: defer(stats && stats.keygen), onDone: onDone });
    },
    isValidPublicKey: isValidPublicKey,
    ecdh(privateKey, peer, onDone): void {
      ecdhSliced({ privateKey: privateKey, publicKey: peer, defer: defer(stats && stats.ecdh), onDone: onDone });
    },
  };
}
