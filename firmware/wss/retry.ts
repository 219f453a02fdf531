// When to resend a DSS request (integration guide, "Retry, timeout, and factory reset guidance"):
//  1. network connectivity error: retry 3 times, exponential back-off starting at 2 s (2, 4, 8 s);
//  2. 5xx from the server: retry up to 3 times, 2-5 s apart;
//  3. 4xx: never resend the same input (the request bodies here do not change on a resend, so never).
// A response whose signature is missing or does not verify is treated like a network error: the
// bytes were damaged or forged on the way (TLS does not authenticate the server on stock Espruino),
// and the resend carries the same input. Pure: the caller owns the clock and the randomness.

export type FailureKind = 'network' | 'server' | 'client' | 'integrity' | 'fatal';

export const MAX_RETRIES = 3;
export const NETWORK_FIRST_DELAY_MS = 2000;
export const SERVER_MIN_DELAY_MS = 2000;
export const SERVER_MAX_DELAY_MS = 5000;

/**
 * Milliseconds to wait before retry number `retriesSoFar + 1`, or -1 to give up.
 * `random01` in [0, 1) spreads 5xx retries over 2-5 s so a fleet does not resend in step.
 */
export function retryDelayMs(kind: FailureKind, retriesSoFar: number, random01: number): number {
  if (retriesSoFar >= MAX_RETRIES) return -1;
  if (kind === 'network' || kind === 'integrity') {
    let d = NETWORK_FIRST_DELAY_MS;
    for (let i = 0; i < retriesSoFar; i++) d = d * 2;
    return d;
  }
  if (kind === 'server') {
    const r = random01 >= 0 && random01 < 1 ? random01 : 0;
    return SERVER_MIN_DELAY_MS + Math.floor(r * (SERVER_MAX_DELAY_MS - SERVER_MIN_DELAY_MS));
  }
  return -1;
}

/** What an HTTP status means to the DSS client. */
export function classifyStatus(status: number): 'ok' | 'redirect' | 'server' | 'client' {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 307 || status === 308) return 'redirect';
  if (status >= 500 && status < 600) return 'server';
  return 'client';
}

/** HAL network error codes that are worth a resend (everything but an oversized body). */
export function isRetryableNetworkError(code: string): boolean {
  return code !== 'NET_TOO_LARGE' && code !== 'NET_PROTOCOL';
}
