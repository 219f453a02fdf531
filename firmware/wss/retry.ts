// When to resend a DSS request (integration guide, "Retry, timeout, and factory reset guidance"):
//  1. network connectivity error: retry 3 times, exponential back-off starting at 2 s (2, 4, 8 s);
//  2. 5xx from the server: retry up to 3 times, 2-5 s apart;
//  3. 4xx: never resend the same input (the request bodies here do not change on a resend, so never).
// A response whose signature is missing or does not verify is treated like a network error: the
// bytes were damaged or forged on the way (TLS does not authenticate the server on stock Espruino),
// and the resend carries the same input. Pure: the caller owns the clock and the randomness.

export type FailureKind = 'network' | 'server' | 'client' | 'integrity' | 'fatal';

/**
 * Milliseconds to wait before retry number `retriesSoFar + 1` (at most 3), or -1 to give up:
 * network and integrity failures 2, 4, 8 s; 5xx 2-5 s, `random01` in [0, 1) spreading them so a
 * fleet does not resend in step; anything else never.
 */
export function retryDelayMs(kind: FailureKind, retriesSoFar: number, random01: number): number {
  if (retriesSoFar > 2) return -1;
  if (kind === 'network' || kind === 'integrity') return 2000 << retriesSoFar;
  return kind === 'server' ? 2000 + Math.floor((random01 >= 0 && random01 < 1 ? random01 : 0) * 3000) : -1;
}

/** What an HTTP status means to the DSS client. */
export function classifyStatus(status: number): 'ok' | 'redirect' | 'server' | 'client' {
  return status >= 200 && status < 300 ? 'ok' : status === 307 || status === 308 ? 'redirect' : status >= 500 && status < 600 ? 'server' : 'client';
}
