// Wi-Fi over Espruino's `Wifi` module (ESP32 IDF5 build, libs/network/esp32/jswrap_esp32_network.c):
//  - connect(ssid, {password}, cb): cb(null) only once an IP is obtained; a failed join never calls
//    back: the driver retries (3 attempts, each with directed probes) and then emits 'disconnected'
//    {ssid, reason, msg:"NO_AP_FOUND"|"4WAY_HANDSHAKE_TIMEOUT"|...}. Hence the event and a timeout.
//  - scan(cb(list)) with ONE argument; channel may be a string, mac lower case, hidden APs have ssid "".
//  - getDetails() returns {status:"connected", ssid, authMode} or {status:<last disconnect reason>}.
//  - disconnect(cb) may call back twice; getIP() returns {ip, netmask, gw, mac} (getIPInfo in
//    jswrap_esp32_network.c: a callback, when given, is only queued besides).
// The configured networks are kept here (ffsAddWifiConfiguration). Scan results and attempts are
// delivered through callbacks (scan's onDone, connect's onAttempt), not queued for ffsGetWifiScanResult /
// ffsGetWifiConnectionAttempt: firmware/wss takes the list and records its attempts itself.
import type {
  HalError,
  LogService,
  OnDone,
  WifiConfiguration,
  WifiConnectionAttempt,
  WifiConnectionDetails,
  WifiScanResult,
  WifiSecurity,
  WifiService,
} from '../types';
import { halError, later } from './unavailable';

export const CONNECT_TIMEOUT_MS = 30000;
export const SCAN_TIMEOUT_MS = 15000;
export const LEAVE_TIMEOUT_MS = 3000;
const MAX_CONFIGS = 8;

/** Espruino authMode string → FFS security. */
export function securityOf(authMode: string): WifiSecurity {
  const a = String(authMode || '').toLowerCase();
  // 'open' -> 'OPEN', 'wep' -> 'WEP'
  return /^(open|wep)$/.test(a) ? (a.toUpperCase() as WifiSecurity) : /^wpa(2|_wpa2|2_wpa3)?$/.test(a) ? 'WPA_PSK' : a ? 'OTHER' : 'UNKNOWN';
}

/** An Espruino connect error / 'disconnected' reason (a string) → the HAL's Wi-Fi error. */
export function wifiError(text: string): HalError {
  return {
    code: /no_ap_found|not found/i.test(text) ? 'WIFI_NO_AP_FOUND' : /auth|handshake|password/i.test(text) ? 'WIFI_WRONG_PASSWORD' : 'WIFI_CONNECT_FAIL',
    message: String(text),
  };
}

/** Which part of this configuration the radio would refuse ('' when it is usable). */
export function configProblem(c: WifiConfiguration): string {
  const k = c.key.length;
  const sec = c.security;
  if (!c.ssid || c.ssid.length > 32) return 'ssid'; // 1 to 32 bytes
  // WPA: 8 to 63 characters or 64 hex digits; WEP: 5 or 13 bytes (and the 16/29-byte keys)
  if (sec === 'WPA_PSK') return k < 8 || k > 64 || (k > 63 && !/^[0-9a-fA-F]*$/.test(c.key)) ? 'key' : '';
  if (sec === 'WEP') return [5, 13, 16, 29].indexOf(k) < 0 ? 'key' : '';
  return sec === 'OPEN' ? '' : 'security';
}

/**
 * What the Wi-Fi service remembers between calls, and the driver's 'disconnected' listener (registered
 * once): the board's HAL keeps this alone and makes the service's methods at each read of `hal.wifi`
 * (hal/espruino/index.ts), so a board at rest does not hold them.
 */
export interface WifiState {
  /** Espruino's Wifi module */
  W: any;
  /** the configured networks (ffsAddWifiConfiguration) */
  list: WifiConfiguration[];
  /** the network joined (null: none) */
  cur: WifiConfiguration | null;
  /** the SSID the pending connect joins to, its ending, and our own pending leave: 'disconnected' ends them
   *  (absent until the first connect or leave) */
  to?: string;
  onJoin?: ((e: HalError | null) => void) | null;
  onLeave?: ((v: null) => void) | null;
}

export function createWifiState(): WifiState {
  const s: WifiState = { W: require('Wifi'), list: [], cur: null };
  s.W.on('disconnected', (d: any) => {
    if (s.onLeave) s.onLeave(null);
    d = d || {};
    const msg = String(d.msg || d.reason || '');
    // the network we left is not the one we join
    if (s.onJoin && (typeof d.ssid === 'string' ? d.ssid : s.to) === s.to && msg !== 'ASSOC_LEAVE') {
      s.onJoin(wifiError(msg));
    }
  });
  return s;
}

/** The Wi-Fi service over `state` (a state of its own when none is given). */
export function createWifi(log: LogService, state?: WifiState): WifiService {
  const s = state || createWifiState();
  const W = s.W;

  /**
   * A callback for a driver that may call back twice or never: `fn(v)` runs once, on a later turn, at
   * the first call or with `timeoutValue` after `ms`. (Clearing a fired timer is harmless on 2v29.)
   * Made with each service (the service is made at each read of hal.wifi): nothing kept at rest.
   */
  function race<T>(ms: number, timeoutValue: T, fn: (v: T) => void): (v: T) => void {
    let done = false;
    const end = (v: T): void => {
      if (!done) later(() => fn(v));
      done = true;
      clearTimeout(timer);
    };
    const timer = setTimeout(() => end(timeoutValue), ms);
    return end;
  }
  const forget = (ssid: string): void => {
    s.list = s.list.filter((c) => c.ssid !== ssid);
  };

  /**
   * Wifi.disconnect, then `fn` once the station has really left: disconnect(cb) calls back at once
   * and again on the 'disconnected' event; a connect started in between would be cancelled by the
   * driver, so when associated we wait for the event (at most LEAVE_TIMEOUT_MS).
   */
  function leave(fn: () => void): void {
    /** the network we are on (null: none) */
    const wasConnected = s.cur;
    s.cur = null;
    const end = race(LEAVE_TIMEOUT_MS, null, () => {
      s.onLeave = null;
      fn();
    });
    if (wasConnected) s.onLeave = end;
    W.disconnect(() => {
      if (!wasConnected) end(null);
    });
  }

  return {
    scan(opts: { onDone: OnDone<WifiScanResult[]> }): void {
      const end = race<any>(SCAN_TIMEOUT_MS, 'timeout', (list: any) => {
        if (!Array.isArray(list)) return opts.onDone(halError('WIFI_SCAN', list), null);
        opts.onDone(
          null,
          list.map((r: any): WifiScanResult => {
            r = r || {};
            return {
              ssid: String(r.ssid || ''),
              bssid: String(r.mac || '').toUpperCase(),
              security: securityOf(r.authMode),
              channel: parseInt(r.channel, 10) || 0,
              rssi: +r.rssi || 0,
              hidden: r.hidden === true || !r.ssid,
            };
          }),
        );
      });
      try {
        W.scan(end); // ESP32: one argument, the list (the flash tool takes ESP32 builds only)
      } catch (e) {
        end(e);
      }
    },
    addConfiguration(config: WifiConfiguration): HalError | null {
      forget(config.ssid);
      // Guide: when no more configurations fit, discard and return success.
      if (s.list.length < MAX_CONFIGS) s.list.push(config);
      else log.log('warn', 'wifi', 'list full, dropped ' + JSON.stringify(config.ssid));
      return null;
    },
    removeConfiguration(opts: { ssid: string; onDone: OnDone<null> }): void {
      forget(opts.ssid);
      const done = (): void => opts.onDone(null, null);
      if (s.cur && s.cur.ssid === opts.ssid) leave(done);
      else later(done);
    },
    connect(opts: { ssid?: string; onAttempt?: (a: WifiConnectionAttempt) => void; onDone: OnDone<WifiConnectionDetails> }): void {
      // the configured network named `ssid`, else the one with the lowest priority
      const c = s.list.filter((x) => opts.ssid === undefined || x.ssid === opts.ssid).sort((a, b) => a.priority - b.priority)[0];
      let problem = c ? configProblem(c) : 'not configured';
      // (HalErrors written out on the join's paths: halError is setup's, build/lazy.mjs)
      const timedOut: HalError = { code: 'WIFI_TIMEOUT', message: 'timeout' };
      const end = race<HalError | null>(CONNECT_TIMEOUT_MS, timedOut, (e) => {
        if (s.onJoin === end) s.onJoin = null;
        if (c && opts.onAttempt) opts.onAttempt({ ssid: c.ssid, security: c.security, state: e ? 'FAILED' : 'ASSOCIATED' });
        if (e) {
          if (e === timedOut) {
            try {
              W.disconnect(); // stop the driver's retries
            } catch (x) {
              // nothing to stop
            }
          }
          return opts.onDone(e, null);
        }
        s.cur = c;
        const i = W.getIP();
        opts.onDone(null, { ssid: c.ssid, security: c.security, state: 'ASSOCIATED', ip: String((i && i.ip) || '') });
      });
      if (!problem) {
        s.to = c.ssid;
        s.onJoin = end;
        try {
          W.connect(c.ssid, c.security === 'OPEN' ? {} : { password: c.key }, (e: any) => end(e ? wifiError(e) : null));
          return;
        } catch (e) {
          // the radio refused it
          problem = String(e);
        }
      }
      end({ code: c ? 'WIFI_BAD_CONFIG' : 'WIFI_NOT_CONFIGURED', message: problem });
    },
    getConnectionDetails(opts: { onDone: OnDone<WifiConnectionDetails> }): void {
      // getDetails() returns status "connected", else the last disconnect reason's name: "ASSOC_LEAVE"
      // after a leave, "Unknown reason" before any join (jswrap_wifi_getDetails, ESP32 2v29)
      const d = W.getDetails() || {};
      const status = String(d.status);
      const up = status === 'connected';
      const c = s.cur;
      const details: WifiConnectionDetails = {
        ssid: c ? c.ssid : String(d.ssid || ''),
        security: c ? c.security : securityOf(d.authMode),
        state: up ? 'ASSOCIATED' : /^(ASSOC_LEAVE|Unknown)/.test(status) ? 'DISCONNECTED' : 'FAILED',
      };
      const i = up && W.getIP();
      if (i && i.ip) details.ip = String(i.ip);
      later(() => opts.onDone(null, details));
    },
    disconnect(opts: { onDone: OnDone<null> }): void {
      leave(() => opts.onDone(null, null));
    },
    startAccessPoint(opts: { ssid: string; password: string; onDone: OnDone<null> }): void {
      const done = (e: any): void => later(() => opts.onDone(e ? halError('WIFI_AP', e) : null, null));
      try {
        W.startAP(opts.ssid, opts.password ? { authMode: 'wpa2', password: opts.password } : { authMode: 'open' }, done);
      } catch (e) {
        done(e);
      }
    },
    stopAccessPoint(opts: { onDone: OnDone<null> }): void {
      W.stopAP(race(LEAVE_TIMEOUT_MS, null, () => opts.onDone(null, null)));
    },
  };
}
