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
  ready(): boolean;
  stop(): void;
}

export function createKeyHolder(opts: { ecc: MeshEcc; log: LogService; defer: (fn: () => void) => void }): KeyHolder {
  const L = meshLog(opts.log);
  let pair: KeyPair | null = null;
  let making = false;
  let failed = false;
  let stopped = false;
  let generation = 0;
  let waiters: Array<(kp: KeyPair | null) => void> = [];

  function flush(): void {
    const list = waiters;
    waiters = [];
    for (let i = 0; i < list.length; i++) list[i](failed ? null : pair);
  }

  function make(): void {
    if (making || pair || stopped) return;
    making = true;
    failed = false;
    const mine = ++generation;
    L.d('making the provisioning key pair (sliced)');
    opts.ecc.generateKeyPair(function (err, kp) {
      if (mine !== generation) {
        if (kp) wipe(kp.privateKey);
        return;
      }
      making = false;
      if (err || !kp) {
        failed = true;
        L.e('key pair generation failed: ' + err);
      } else {
        pair = kp;
        L.d('provisioning key pair ready');
      }
      flush();
    });
  }

  return {
    prepare: make,
    whenReady(fn): void {
      if (pair || failed) {
        opts.defer(function () {
          fn(failed ? null : pair);
        });
        return;
      }
      waiters.push(fn);
      make();
    },
    renew(): void {
      if (pair) wipe(pair.privateKey);
      pair = null;
      failed = false;
      if (making) {
        generation++;
        making = false;
      }
      make();
    },
    ready: () => pair !== null,
    stop(): void {
      stopped = true;
      generation++;
      making = false;
      if (pair) wipe(pair.privateKey);
      pair = null;
      waiters = [];
    },
  };
}
