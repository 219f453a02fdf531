import type { HalError, OnDone } from '../types';

/** The error a service gives on a build (or board) that lacks it. Always delivered asynchronously. */
export function unavailable(what: string): HalError {
  return { code: 'UNAVAILABLE', message: what + ' is not available in this build' };
}

export function failLater<T>(what: string, onDone: OnDone<T>): void {
  setTimeout(() => onDone(unavailable(what), null), 0);
}
