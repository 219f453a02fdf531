import type { HalError, OnDone } from '../types';

/** A HalError (`code` for machines, `message` for people). */
export function halError(code: string, message: string): HalError {
  return { code: code, message: message };
}

/** The error a service gives on a build (or board) that lacks it. Always delivered asynchronously. */
export function unavailable(what: string): HalError {
  return halError('UNAVAILABLE', what + ' is not available in this build');
}

export function failLater<T>(what: string, onDone: OnDone<T>): void {
  setTimeout(() => onDone(unavailable(what), null), 0);
}
