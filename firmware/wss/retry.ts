// When to resend a DSS request (integration guide, "Retry, timeout, and factory reset guidance"):
//  1. network connectivity error: retry 3 times, exponential back-off starting at 2 s (2, 4, 8 s);
//  2. 5xx from the server: retry up to 3 times, 2-5 s apart;
//  3. 4xx: never resend the same input (the request bodies here do not change on a resend, so never).
// A response whose signature is missing or does not verify is treated like a network error: the
// bytes were damaged or forged on the way (TLS does not authenticate the server on stock Espruino),
// and the resend carries the same input. Pure: the caller owns the clock and the randomness.

/** What a DSS call's answer (or its absence) means to the client; numbers, so the bundle spells no names. */
export const enum Outcome {
  /** 2xx */
  ok = 0,
  /** 307 / 308: followed by the client */
  redirect = 1,
  /** no answer, a dropped connection */
  network = 2,
  /** a missing, malformed or wrong signature: resent like a network failure */
  integrity = 3,
  /** 5xx */
  server = 4,
  /** 4xx and anything unexpected */
  client = 5,
  /** an answer that would come back the same (oversized, not HTTP) */
  fatal = 6,
}

/**
 * Milliseconds to wait before retry number `retriesSoFar + 1` (at most 3), or -1 to give up:
 * network and integrity failures 2, 4, 8 s; 5xx 2-5 s, `random01` in [0, 1) spreading them so a
 * fleet does not resend in step; anything else never.
 */
export function retryDelayMs(kind: Outcome, retriesSoFar: number, random01: number): number {
  if (retriesSoFar > 2) return -1;
  if (kind === Outcome.network || kind === Outcome.integrity) return 2000 << retriesSoFar;
  return kind === Outcome.server ? 2000 + Math.floor(random01 * 3000) : -1;
}

/** What an HTTP status means to the DSS client. */
export function classifyStatus(status: number): Outcome {
  return status >= 200 && status < 300 ? Outcome.ok : status === 307 || status === 308 ? Outcome.redirect : status >= 500 && status < 600 ? Outcome.server : Outcome.client;
}
