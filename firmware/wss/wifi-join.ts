// Joining one network with the HAL, classifying failures into the guide's error codes, and the
// connectivity check after association (captive portal / limited connectivity).
import type { ErrorDetails, Hal, HalError, WifiConfiguration, WifiConnectionAttempt } from '../../hal/types';
import { captivePortal, detailsForWifiError, genericClientError, limitedConnectivity } from './codes';
import { info, warn } from './log';

export const DEFAULT_PROBE_HOST = 'connectivitycheck.gstatic.com';
export const DEFAULT_PROBE_PATH = '/generate_204';
export const PROBE_TIMEOUT_MS = 10000;

function attempt(c: WifiConfiguration, ok: boolean, details?: ErrorDetails): WifiConnectionAttempt {
  const a: WifiConnectionAttempt = { ssid: c.ssid, security: c.security, state: ok ? 'ASSOCIATED' : 'FAILED' };
  if (details) a.errorDetails = details;
  return a;
}

/**
 * Configure `config` and connect to it. While the radio answers "no AP found", try again up to
 * `tries` times `gapMs` apart: for a hidden network each try sends directed probe requests, which is
 * what brings the provisioner's encoded setup network up. `onDone` gets the recorded attempt.
 */
export function joinNetwork(
  hal: Hal,
  opts: { config: WifiConfiguration; tries: number; gapMs: number; isStopped: () => boolean; onDone: (a: WifiConnectionAttempt) => void },
): void {
  const c = opts.config;
  const addErr = hal.wifi.addConfiguration(c);
  if (addErr) {
    warn(hal, 'cannot configure ' + JSON.stringify(c.ssid) + ': ' + addErr.message);
    hal.clock.defer(() => opts.onDone(attempt(c, false, genericClientError())));
    return;
  }
  let n = 0;
  function once(): void {
    if (opts.isStopped()) return;
    n++;
    hal.wifi.connect({
      ssid: c.ssid,
      onDone: (err: HalError | null) => {
        if (opts.isStopped()) return;
        if (!err) {
          opts.onDone(attempt(c, true));
          return;
        }
        if (err.code === 'WIFI_NO_AP_FOUND' && n < opts.tries) {
          hal.clock.setTimeout(once, opts.gapMs);
          return;
        }
        info(hal, 'cannot join ' + JSON.stringify(c.ssid) + ': ' + err.code);
        opts.onDone(attempt(c, false, detailsForWifiError(err)));
      },
    });
  }
  once();
}

/**
 * After association, a plain-HTTP probe must get its 204: a redirect or a page instead is a captive
 * portal; no answer at all (the name does not resolve, nothing routes) is limited connectivity, as
 * the Linux port reports an unresolvable DSS host. (Espruino's getHostByName answers null for names
 * it has not cached, so it cannot serve as the check.) `onDone(null)` when the network is good.
 */
export function checkConnectivity(
  hal: Hal,
  opts: { probeHost: string; probePath: string; onDone: (problem: ErrorDetails | null) => void },
): void {
  hal.http.execute({
    request: { method: 'GET', host: opts.probeHost, port: 80, path: opts.probePath, headers: {}, body: '', tls: false, timeoutMs: PROBE_TIMEOUT_MS },
    maxBodyBytes: 2048,
    onDone: (err, res) => {
      if (err || !res) {
        info(hal, 'connectivity probe failed (' + (err ? err.code : '?') + '): limited connectivity');
        opts.onDone(err && err.code === 'NET_TOO_LARGE' ? captivePortal() : limitedConnectivity());
        return;
      }
      if (res.statusCode === 204 || (res.statusCode === 200 && res.body.length === 0)) {
        opts.onDone(null);
        return;
      }
      info(hal, 'connectivity probe got HTTP ' + res.statusCode + ': captive portal');
      opts.onDone(captivePortal());
    },
  });
}
