import type { HalError, OnDone } from '../types';

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
