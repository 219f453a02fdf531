// Joining one network with the HAL, classifying failures into the guide's error codes, and the
// connectivity check after association (captive portal / limited connectivity).
import type { ErrorDetails, Hal, WifiConfiguration, WifiConnectionAttempt } from '../../hal/types';
import { errorDetails } from './codes';
import { info } from './log';

/** The configuration of `ssid`: WPA_PSK with a key, else OPEN. */
export function wifiConfig(ssid: string, key: string, hidden: boolean): WifiConfiguration {
  return { ssid: ssid, security: key ? 'WPA_PSK' : 'OPEN', key: key, hidden: hidden, priority: 0 };
}

/**
 * Configure `c` and connect to it. While the radio answers "no AP found", try again up to `tries`
 * times `gapMs` apart: for a hidden network each try sends directed probe requests, which is what
 * brings the provisioner's encoded setup network up. `onDone` gets the recorded attempt, its error
 * details the guide's (codes.ts); with `raw`, only the HAL's error code (the rejoin of the saved home
 * network logs it and tries again later: the guide's codes are for setup's reports, and a set-up
 * board keeps their table unevaluated, build/lazy.mjs).
 */
export function joinNetwork(hal: Hal, c: WifiConfiguration, tries: number, gapMs: number, isStopped: () => boolean, onDone: (a: WifiConnectionAttempt) => void, raw?: boolean): void {
  // the recorded attempt: ASSOCIATED without error details, else FAILED with them
  // (errorDetails undefined when it went through: every reader tests it)
  const result = (details?: ErrorDetails): WifiConnectionAttempt => ({ ssid: c.ssid, security: c.security, state: details ? 'FAILED' : 'ASSOCIATED', errorDetails: details });
  const once = (): void => {
    if (isStopped()) return;
    tries--;
    hal.wifi.connect({
      ssid: c.ssid,
      onDone: (err) => {
        if (isStopped()) return;
        if (err && err.code === 'WIFI_NO_AP_FOUND' && tries > 0) hal.clock.setTimeout(once, gapMs);
        else {
          if (err) hal.log.log('info', 'wss', 'cannot join ' + JSON.stringify(c.ssid) + ': ' + err.code);
          onDone(result(err ? (raw ? { code: err.code } : errorDetails(err.code.slice(5))) : undefined));
        }
      },
    });
  };
  const addErr = hal.wifi.addConfiguration(c);
  if (addErr) {
    // (hal.log itself here: the home network's join runs at rest, wss/log.ts is setup's)
    hal.log.log('info', 'wss', 'bad config ' + JSON.stringify(c.ssid) + ': ' + addErr.message);
    hal.clock.defer(() => onDone(result(raw ? { code: addErr.code } : errorDetails('BAD_CONFIG'))));
  } else once();
}

/**
 * After association, a plain-HTTP probe (`Connectivity.ProbeHost`/`ProbePath`) must get its 204: a
 * redirect or a page instead is a captive portal; no answer at all (the name does not resolve,
 * nothing routes) is limited connectivity, as the Linux port reports an unresolvable DSS host.
 * (Espruino's getHostByName answers null for names it has not cached, so it cannot serve as the
 * check.) `onDone(null)` when the network is good.
 */
export function checkConnectivity(hal: Hal, host: string, path: string, onDone: (problem: ErrorDetails | null) => void): void {
  hal.http.execute({
    request: { method: 'GET', host: host, port: 80, path: path, headers: {}, body: '', tls: false, timeoutMs: 10000 },
    maxBodyBytes: 2048,
    onDone: (err, res) => {
      const good = res && (res.statusCode === 204 || (res.statusCode === 200 && !res.body));
      info(hal, 'probe: ' + (err ? err.code : res ? res.statusCode : '?'));
      // an oversized answer is a page, not silence
      onDone(good ? null : errorDetails(res || (err && err.code === 'NET_TOO_LARGE') ? 'CAPTIVE' : 'LIMITED'));
    },
  });
}
