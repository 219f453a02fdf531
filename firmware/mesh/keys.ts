// The device's provisioning key pair: made while idle (sliced) before any link opens, used by at most
// one provisioning attempt, then wiped and replaced.
import { meshLog } from './log';
import type { LogService } from '../../hal/types';
import type { KeyPair, MeshEcc } from './ecc';
import { wipe } from '../crypto/bytes';

export interface KeyHolder {
  /** Start making a key pair now unless one is ready or being made. */
  prepare(): void;
  /** Call `fn` (asynchronously) with the key pair once ready, or with null if generation failed. */
  whenReady(fn: (kp: KeyPair | null) => void): void;
  /** The current pair was exposed to a peer: wipe it and make a fresh one. */
  renew(): void;
  stop(): void;
}

export function createKeyHolder(ecc: MeshEcc, log: LogService, defer: (fn: () => void) => void): KeyHolder {
  const L = meshLog(log);
  let pair: KeyPair | null = null;
  let making = false;
  let stopped = false;
  /** Bumped to abandon a generation in progress (its result is wiped when it arrives). */
  let generation = 0;
  let waiters: Array<(kp: KeyPair | null) => void> = [];

  function make(): void {
    if (making || pair || stopped) return;
    making = true;
    const mine = ++generation;
    L.d('making the key pair');
    ecc.generateKeyPair(function (err, kp) {
      if (mine !== generation) {
        if (kp) wipe(kp.privateKey);
        return;
      }
      making = false;
      // A failure is handed to the waiters as null; the next request tries again.
      if (err || !kp) L.e('keygen failed: ' + err);
      else pair = kp;
      const list = waiters;
      waiters = [];
      list.map(function (fn) {
        fn(pair);
      });
    });
  }

  /** Wipe the pair and abandon any generation in progress. */
  function drop(): void {
    if (pair) wipe(pair.privateKey);
    pair = null;
    generation++;
    making = false;
  }

  return {
    prepare: make,
    whenReady(fn): void {
      if (!pair) {
        waiters.push(fn);
        return make();
      }
      defer(function () {
        fn(pair);
      });
    },
    renew(): void {
      drop();
      make();
    },
    stop(): void {
      stopped = true;
      drop();
      waiters = [];
    },
  };
}
