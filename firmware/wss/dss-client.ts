// The DSS client (wss-protocol.md 3.2-3.3): POST /api/v1/<operation> over mutual TLS, redirects
// (307 this call only, 308 persists DSS.Host; at most 3; only the host of Location is used), the
// retry policy (retry.ts), and the response signature: exactly one `x-amzn-dss-signature` header,
// base64 of a DER ECDSA signature (<= 72 bytes) over the exact body bytes, verified with the
// device-type key BEFORE the body is handed to anyone. A missing, duplicate, malformed or wrong
// signature fails the call; there is no switch that skips the check.
import type { Hal, HttpResponse } from '../../hal/types';
import { base64Decode } from '../crypto/base64';
import { binaryStringToBytes } from '../crypto/bytes';
import { configPort, configString } from './config';
import { classifyStatus, Outcome, retryDelayMs } from './retry';
import { info, warn } from './log';

export const DEFAULT_DSS_HOST = 'dp-sps-na.amazon.com';
export const MAX_REDIRECTS = 3;
export const MAX_SIGNATURE_BYTES = 72;
export const REQUEST_TIMEOUT_MS = 20000;
export const MAX_RESPONSE_BYTES = 6144;

export interface DssClient {
  /** true while on the encoded setup network (DSS.SetupPort, 8888: FFS_TRANSPARENT_SOCKS_PORT,
   *  DSS through the provisioner), else DSS.Port (443) */
  setViaProvisioner(on: boolean): void;
  port(): number;
  /** The sequence number for the next report (the client-wide counter, +1 per call and +1 per report). */
  beginReport(): number;
  /**
   * POST the body `build()` makes; `onDone('', verifiedBody)` only after the signature verified, else
   * `onDone(why, '')` once the retry policy gave up. Every send (retries too) calls `build()` again,
   * so each carries a fresh nonce.
   */
  call(operation: string, build: () => string, onDone: (err: string, body: string) => void): void;
  /** For good: a pending retry timer is cleared, later callbacks are dropped and later calls send nothing. */
  cancel(): void;
}

/** The host part of a Location header value (scheme, port and path ignored), or '' when unusable. */
export function hostOfLocation(location: string): string {
  // without its scheme, up to the port, path, query or fragment (a relative path leaves nothing)
  const host = location.trim().replace(/^[^\/]*:\/\//, '').replace(/[\/:?#].*/, '').toLowerCase();
  return host.length <= 253 && /^[a-z0-9.-]+$/.test(host) ? host : '';
}

/** Values of the headers named `name` (lower case; matched case-insensitively), in arrival order. */
export function headerValues(res: HttpResponse, name: string): string[] {
  return res.headers.filter((h) => h[0].toLowerCase() === name).map((h) => h[1]);
}

/** The DER signature bytes of a response, or what is wrong (missing, duplicate, malformed) as a string. */
export function extractSignature(res: HttpResponse): Uint8Array | string {
  const values = headerValues(res, 'x-amzn-dss-signature');
  const der = values.length === 1 ? base64Decode(values[0].trim()) : null;
  if (der && der.length >= 8 && der.length <= MAX_SIGNATURE_BYTES && der[0] === 0x30) return der;
  return values.length ? (values.length > 1 ? values.length + ' signature headers' : 'malformed signature') : 'not signed';
}

export function createDssClient(hal: Hal): DssClient {
  let host = hostOfLocation(configString(hal, 'DSS.Host')) || DEFAULT_DSS_HOST;
  const normalPort = configPort(hal, 'DSS.Port', 443);
  const setupPort = configPort(hal, 'DSS.SetupPort', 8888);
  let viaProvisioner = false;
  let counter = 0;
  let cancelled = false;
  let timer = -1;

  const currentPort = (): number => (viaProvisioner ? setupPort : normalPort);

  const call = (operation: string, build: () => string, onDone: (err: string, body: string) => void): void => {
    counter++;
    let retries = 0;
    let redirects = 0;
    let callHost = host;
    // A 308 moves DSS.Host for good only once the new host has answered with a verified signature:
    // the redirect itself is unsigned, and stock TLS does not authenticate the server.
    let movedFor = false;

    /** A failed send: resent after the retry policy's delay, or the end of the call. */
    const fail = (kind: Outcome, message: string): void => {
      const delay = retryDelayMs(kind, retries, hal.crypto.randomBytes(1)[0] / 256);
      if (delay < 0) {
        warn(hal, operation + ' failed: ' + message);
        onDone(message, '');
      } else {
        retries++;
        info(hal, 'retry ' + retries + ' of ' + operation + ' in ' + delay + ' ms (' + message + ')');
        timer = hal.clock.setTimeout(() => {
          timer = -1;
          send();
        }, delay);
      }
    };

    const onResponse = (err: { code: string; message: string } | null, res: HttpResponse | null): void => {
      if (cancelled) return;
      if (!res) {
        // an oversized or non-HTTP answer would come back the same: not resent
        const code = err ? err.code : '';
        fail(code === 'NET_TOO_LARGE' || code === 'NET_PROTOCOL' ? Outcome.fatal : Outcome.network, (err && err.message) || 'no response');
        return;
      }
      const status = res.statusCode;
      const cls = classifyStatus(status);
      if (cls === Outcome.redirect) {
        const loc = headerValues(res, 'location');
        const newHost = loc.length === 1 ? hostOfLocation(loc[0]) : '';
        if (!newHost || ++redirects > MAX_REDIRECTS) fail(Outcome.client, 'bad redirect');
        else {
          callHost = newHost;
          movedFor = status === 308;
          info(hal, 'DSS ' + status + ' to ' + newHost);
          send();
        }
      }
      // 4xx (and anything unexpected) is never resent: the same input would fail again
      else if (cls !== Outcome.ok) fail(cls, 'HTTP ' + status + ' from ' + operation);
      else {
        const sig = extractSignature(res);
        if (typeof sig === 'string') fail(Outcome.integrity, sig);
        else verify(res.body, sig);
      }
    };

    /** The body goes on only once its signature verified. A function of its own, so that while the
     *  (long, sliced) verification runs its callback holds the body alone, not the response and its
     *  headers (Espruino keeps a closure's whole scope). */
    const verify = (body: string, sig: Uint8Array): void => {
      hal.crypto.verifyCloudSignature({
        payload: binaryStringToBytes(body),
        derSignature: sig,
        onDone: (verr, ok) => {
          if (cancelled) return;
          if (!verr && ok === true) {
            if (movedFor && host !== callHost) {
              host = callHost;
              hal.config.setConfigurationValue('DSS.Host', callHost);
            }
            onDone('', body);
          } else fail(Outcome.integrity, 'signature does not verify');
        },
      });
    };

    const send = (): void => {
      if (cancelled) return;
      hal.http.execute({
        request: {
          method: 'POST',
          host: callHost,
          port: currentPort(),
          path: '/api/v1/' + operation,
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: build(),
          tls: true,
          timeoutMs: REQUEST_TIMEOUT_MS,
        },
        maxBodyBytes: MAX_RESPONSE_BYTES,
        onDone: onResponse,
      });
    };

    send();
  };

  return {
    setViaProvisioner(on: boolean): void {
      viaProvisioner = on;
    },
    port: currentPort,
    beginReport: () => ++counter + 1,
    call: call,
    cancel(): void {
      cancelled = true;
      if (timer >= 0) hal.clock.clearTimeout(timer);
      timer = -1;
    },
  };
}
