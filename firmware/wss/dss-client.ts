// The DSS client (wss-protocol.md 3.2-3.3): POST /api/v1/<operation> over mutual TLS, redirects
// (307 this call only, 308 persists DSS.Host; at most 3; only the host of Location is used), the
// retry policy (retry.ts), and the response signature: exactly one `x-amzn-dss-signature` header,
// base64 of a DER ECDSA signature (<= 72 bytes) over the exact body bytes, verified with the
// device-type key BEFORE the body is handed to anyone. A missing, duplicate, malformed or wrong
// signature fails the call; there is no switch that skips the check.
import type { Hal, HalError, HttpResponse } from '../../hal/types';
import { base64Decode } from '../crypto/base64';
import { binaryStringToBytes } from '../crypto/bytes';
import { classifyStatus, isRetryableNetworkError, retryDelayMs, type FailureKind } from './retry';
import { info, warn } from './log';

export const DEFAULT_DSS_HOST = 'dp-sps-na.amazon.com';
export const DSS_PORT = 443;
/** FFS_TRANSPARENT_SOCKS_PORT: DSS through the provisioner while on the encoded setup network. */
export const DSS_SETUP_PORT = 8888;
export const MAX_REDIRECTS = 3;
export const MAX_SIGNATURE_BYTES = 72;
export const REQUEST_TIMEOUT_MS = 20000;
export const MAX_RESPONSE_BYTES = 6144;
export const SIGNATURE_HEADER = 'x-amzn-dss-signature';

export interface DssError extends HalError {
  kind: FailureKind;
  status?: number;
}

export interface DssClient {
  /** true while on the encoded setup network (port 8888) */
  setViaProvisioner(on: boolean): void;
  host(): string;
  port(): number;
  /** The sequence number for the next report (the client-wide counter, +1 per call and +1 per report). */
  beginReport(): number;
  /**
   * POST the body `build()` makes; `onDone(null, verifiedBody)` only after the signature verified.
   * Every send (retries too) calls `build()` again, so each carries a fresh nonce.
   */
  call(operation: string, build: () => string, onDone: (err: DssError | null, body: string | null) => void): void;
  /** Cancel a pending retry timer; later callbacks are dropped. */
  cancel(): void;
}

const HOST_CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789.-';

/** The host part of a Location header value (scheme, port and path ignored), or '' when unusable. */
export function hostOfLocation(location: string): string {
  let s = location.trim();
  const scheme = s.indexOf('://');
  if (scheme >= 0) s = s.substring(scheme + 3);
  else if (s.charAt(0) === '/') return '';
  let end = s.length;
  for (const sep of ['/', ':', '?', '#']) {
    const i = s.indexOf(sep);
    if (i >= 0 && i < end) end = i;
  }
  const host = s.substring(0, end).toLowerCase();
  if (host.length < 1 || host.length > 253 || host.indexOf('@') >= 0) return '';
  for (let i = 0; i < host.length; i++) if (HOST_CHARS.indexOf(host.charAt(i)) < 0) return '';
  return host;
}

/** Values of the headers named `name` (case-insensitive), in arrival order. */
export function headerValues(res: HttpResponse, name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < res.headers.length; i++) if (res.headers[i][0].toLowerCase() === name) out.push(res.headers[i][1]);
  return out;
}

/** The DER signature bytes of a response, or an error line (missing, duplicate, malformed). */
export function extractSignature(res: HttpResponse): { der: Uint8Array | null; error: string } {
  const values = headerValues(res, SIGNATURE_HEADER);
  if (values.length === 0) return { der: null, error: 'response is not signed' };
  if (values.length > 1) return { der: null, error: 'response has ' + values.length + ' signature headers' };
  const der = base64Decode(values[0].trim());
  if (!der || der.length < 8 || der.length > MAX_SIGNATURE_BYTES || der[0] !== 0x30) {
    return { der: null, error: 'malformed signature header' };
  }
  return { der: der, error: '' };
}

export function createDssClient(hal: Hal): DssClient {
  const cfgHost = hal.config.getConfigurationValue('DSS.Host');
  const cfgPort = hal.config.getConfigurationValue('DSS.Port');
  let host = typeof cfgHost === 'string' && hostOfLocation(cfgHost) ? hostOfLocation(cfgHost) : DEFAULT_DSS_HOST;
  const normalPort = typeof cfgPort === 'number' && cfgPort > 0 ? cfgPort : typeof cfgPort === 'string' && parseInt(cfgPort, 10) > 0 ? parseInt(cfgPort, 10) : DSS_PORT;
  const cfgSetupPort = hal.config.getConfigurationValue('DSS.SetupPort');
  const setupPort = typeof cfgSetupPort === 'number' && cfgSetupPort > 0 ? cfgSetupPort : DSS_SETUP_PORT;
  let viaProvisioner = false;
  let counter = 0;
  let generation = 0;
  let timer = -1;

  function fail(kind: FailureKind, code: string, message: string, status?: number): DssError {
    const e: DssError = { code: code, message: message, kind: kind };
    if (status !== undefined) e.status = status;
    return e;
  }

  function currentPort(): number {
    return viaProvisioner ? setupPort : normalPort;
  }

  function call(operation: string, build: () => string, onDone: (err: DssError | null, body: string | null) => void): void {
    counter += 1;
    const gen = generation;
    let retries = 0;
    let redirects = 0;
    let callHost = host;
    const path = '/api/v1/' + operation;

    function finish(err: DssError | null, verified: string | null): void {
      if (gen !== generation) return;
      onDone(err, verified);
    }

    function retryOrFail(err: DssError): void {
      if (gen !== generation) return;
      const delay = retryDelayMs(err.kind, retries, hal.crypto.randomBytes(1)[0] / 256);
      if (delay < 0) {
        warn(hal, operation + ' failed: ' + err.message);
        finish(err, null);
        return;
      }
      retries++;
      info(hal, 'retry ' + retries + ' of ' + operation + ' in ' + delay + ' ms (' + err.kind + ': ' + err.message + ')');
      timer = hal.clock.setTimeout(() => {
        timer = -1;
        send();
      }, delay);
    }

    function onVerified(res: HttpResponse, ok: boolean): void {
      if (gen !== generation) return;
      if (!ok) {
        retryOrFail(fail('integrity', 'DSS_SIGNATURE', 'signature of ' + operation + ' response does not verify'));
        return;
      }
      finish(null, res.body);
    }

    function onResponse(err: HalError | null, res: HttpResponse | null): void {
      if (gen !== generation) return;
      if (err || !res) {
        const code = err ? err.code : 'NET_RESET';
        const kind: FailureKind = isRetryableNetworkError(code) ? 'network' : 'fatal';
        retryOrFail(fail(kind, code, (err ? err.message : 'no response') + ' (' + callHost + ':' + currentPort() + ')'));
        return;
      }
      const cls = classifyStatus(res.statusCode);
      if (cls === 'redirect') {
        const loc = headerValues(res, 'location');
        const newHost = loc.length === 1 ? hostOfLocation(loc[0]) : '';
        if (!newHost) {
          finish(fail('client', 'DSS_REDIRECT', 'redirect without a usable Location', res.statusCode), null);
          return;
        }
        redirects++;
        if (redirects > MAX_REDIRECTS) {
          finish(fail('client', 'DSS_REDIRECT', 'more than ' + MAX_REDIRECTS + ' redirects', res.statusCode), null);
          return;
        }
        callHost = newHost;
        if (res.statusCode === 308) {
          host = newHost;
          hal.config.setConfigurationValue('DSS.Host', newHost);
          info(hal, 'DSS moved permanently to ' + newHost);
        } else info(hal, 'DSS redirect for ' + operation + ' to ' + newHost);
        send();
        return;
      }
      if (cls === 'server') {
        retryOrFail(fail('server', 'DSS_SERVER', 'HTTP ' + res.statusCode + ' from ' + operation, res.statusCode));
        return;
      }
      if (cls === 'client') {
        // 4xx (and anything unexpected): the same input must not be sent again.
        finish(fail('client', 'DSS_CLIENT', 'HTTP ' + res.statusCode + ' from ' + operation, res.statusCode), null);
        return;
      }
      const sig = extractSignature(res);
      if (!sig.der) {
        retryOrFail(fail('integrity', 'DSS_SIGNATURE', sig.error + ' (' + operation + ')'));
        return;
      }
      hal.crypto.verifyCloudSignature({
        payload: binaryStringToBytes(res.body),
        derSignature: sig.der,
        onDone: (verr, ok) => onVerified(res, !verr && ok === true),
      });
    }

    function send(): void {
      if (gen !== generation) return;
      hal.http.execute({
        request: {
          method: 'POST',
          host: callHost,
          port: currentPort(),
          path: path,
          headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
          body: build(),
          tls: true,
          timeoutMs: REQUEST_TIMEOUT_MS,
        },
        maxBodyBytes: MAX_RESPONSE_BYTES,
        onDone: onResponse,
      });
    }

    hal.log.log('debug', 'wss', 'POST https://' + callHost + ':' + currentPort() + path);
    send();
  }

  return {
    setViaProvisioner(on: boolean): void {
      viaProvisioner = on;
    },
    host: () => host,
    port: currentPort,
    beginReport(): number {
      counter += 1;
      return counter + 1;
    },
    call: call,
    cancel(): void {
      generation++;
      if (timer >= 0) hal.clock.clearTimeout(timer);
      timer = -1;
    },
  };
}
