import type { HalError, OnDone } from '../types';
import { FILES } from '../storage-layout';

/** Bytes of device seed the DRBG needs (256-bit security strength). */
export const SEED_BYTES = 32;

/**
 * Throws the boot error of a missing or short device seed (written by the flash tool): without it the
 * DRBG has nothing trustworthy. Checked at boot (index.ts) and before the DRBG is made (crypto.ts).
 */
export function checkSeed(seed: { length: number } | null): void {
  if (!seed || seed.length < SEED_BYTES) {
    throw new Error('crypto: device seed "' + FILES.seed + '" is ' + (seed ? 'shorter than 32 bytes' : 'missing') + ': provision the device with the flash tool');
  }
}

/** A HalError (`code` for machines, `message` for people; an Error or a driver's text becomes its string). */
export function halError(code: string, message: unknown): HalError {
  return { code: code, message: String(message) };
}

/** The error a service gives on a build (or board) that lacks it. Always delivered asynchronously. */
export function unavailable(what: string): HalError {
  return halError('UNAVAILABLE', what + ' is not available in this build');
}

/** Run `fn` on a later turn of the event loop (callbacks are never called synchronously). */
export function later(fn: () => void): void {
  setTimeout(fn, 0);
}

export function failLater<T>(what: string, onDone: OnDone<T>): void {
  later(() => onDone(unavailable(what), null));
}
