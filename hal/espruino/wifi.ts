// Wi-Fi over Espruino's `Wifi` module (ESP32 IDF5 build, libs/network/esp32/jswrap_esp32_network.c):
//  - connect(ssid, {password}, cb): cb(null) only once an IP is obtained; a failed join never calls
//    back: the driver retries (3 attempts, each with directed probes) and then emits 'disconnected'
//    {ssid, reason, msg:"NO_AP_FOUND"|"4WAY_HANDSHAKE_TIMEOUT"|...}. Hence the event and a timeout.
//  - scan(cb(list)) with ONE argument; channel may be a string, mac lower case, hidden APs have ssid "".
//  - disconnect(cb) may call back twice; getIP(cb) calls back (null, {ip...}) and/or returns it.
// The configured networks and the connection attempts are kept here (ffsAddWifiConfiguration /
// ffsGetWifiConnectionAttempt).
import type {
  ClockService,
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

export const CONNECT_TIMEOUT_MS = 30000;
export const SCAN_TIMEOUT_MS = 15000;
export const LEAVE_TIMEOUT_MS = 3000;
const MAX_CONFIGS = 8;
const MAX_ATTEMPTS = 16;

/** Espruino authMode string → FFS security. */
export function securityOf(authMode: string): WifiSecurity {
  const a = String(authMode || '').toLowerCase();
  return a === 'open' ? 'OPEN' : a === 'wep' ? 'WEP' : /^wpa(2|_wpa2|2_wpa3)?$/.test(a) ? 'WPA_PSK' : a ? 'OTHER' : 'UNKNOWN';
}

/** An Espruino connect error / 'disconnected' reason → the HAL's Wi-Fi error code. */
export function wifiErrorCode(text: string): string {
  const t = String(text || '');
  return /no_ap_found|not found/i.test(t) ? 'WIFI_NO_AP_FOUND' : /auth|handshake|password/i.test(t) ? 'WIFI_WRONG_PASSWORD' : 'WIFI_CONNECT_FAIL';
}

/** Why the radio would refuse this configuration ('' when it is usable). */
export function configProblem(c: WifiConfiguration): string {
  const k = c.key.length;
  if (!c.ssid || c.ssid.length > 32) return 'SSID: 1 to 32 bytes';
  if (c.security === 'WPA_PSK') return k < 8 || k > 64 || (k > 63 && !/^[0-9a-fA-F]*$/.test(c.key)) ? 'WPA key: 8 to 63 chars or 64 hex' : '';
  if (c.security === 'WEP') return [5, 13, 16, 29].indexOf(k) < 0 ? 'WEP key: 5 or 13 bytes' : '';
  return c.security === 'OPEN' ? '' : c.security + ' not supported';
}

export function createWifi(deps: { clock: ClockService; log: LogService }): WifiService {
  const W = require('Wifi');
  let configs: WifiConfiguration[] = [];
  let scanResults: WifiScanResult[] = [];
  let attempts: WifiConnectionAttempt[] = [];
  let current: WifiConfiguration | null = null;

  function later(fn: () => void): void {
    setTimeout(fn, 0);
  }

  function err(code: string, message: any): HalError {
    return { code: code, message: String(message) };
  }

  /** A callback that runs once, later (Espruino's disconnect(cb) may call back twice). */
  function once(fn: () => void): () => void {
    let done = false;
    return () => {
      if (!done) later(fn);
      done = true;
    };
  }

  /** The pending connect's SSID and how it ends: the connect callback, a 'disconnected' event, or the timeout. */
  let pendingSsid = '';
  let settlePending: ((e: HalError | null) => void) | null = null;
  /** Waiting for our own disconnect to finish (set by leave()). */
  let leaving: (() => void) | null = null;
  W.on('disconnected', (d: any) => {
    if (leaving) leaving();
    const msg = String((d && (d.msg || d.reason)) || '');
    // the network we left is not the one we join
    if (settlePending && (d && typeof d.ssid === 'string' ? d.ssid : pendingSsid) === pendingSsid && msg !== 'ASSOC_LEAVE') {
      settlePending(err(wifiErrorCode(msg), msg));
    }
  });

  /**
   * Wifi.disconnect, then `fn` once the station has really left: disconnect(cb) calls back at once
   * and again on the 'disconnected' event; a connect started in between would be cancelled by the
   * driver, so when associated we wait for the event (at most LEAVE_TIMEOUT_MS).
   */
  function leave(fn: () => void): void {
    const wasConnected = current !== null;
    current = null;
    let timer: any = null;
    const finish = once(() => {
      leaving = null;
      if (timer !== null) clearTimeout(timer);
      fn();
    });
    timer = setTimeout(() => {
      timer = null;
      finish();
    }, LEAVE_TIMEOUT_MS);
    if (wasConnected) leaving = finish;
    W.disconnect(() => {
      if (!wasConnected) finish();
    });
  }

  /** One Wifi.connect with a timeout; `onDone(null, ip)` once associated with an IP. */
  function connectOne(c: WifiConfiguration, onDone: (e: HalError | null, ip: string) => void): void {
    const problem = configProblem(c);
    if (problem) {
      later(() => onDone(err('WIFI_BAD_CONFIG', problem), ''));
      return;
    }
    let timer: any = null;
    const settle = (e: HalError | null): void => {
      if (settlePending !== settle) return;
      settlePending = null;
      if (timer !== null) clearTimeout(timer);
      if (e) {
        later(() => onDone(e, ''));
        return;
      }
      current = c;
      // getIP calls back (null, {ip}) and/or returns it
      let info: any = null;
      const ip = once(() => onDone(null, String((info && info.ip) || '')));
      const r = W.getIP((e2: any, i: any) => {
        info = info || i;
        ip();
      });
      if (r && typeof r === 'object') {
        info = r;
        ip();
      }
    };
    timer = setTimeout(() => {
      timer = null; // fired: nothing left to clear (2v29 ignores a fired id; undefined would throw)
      if (settlePending !== settle) return;
      try {
        W.disconnect();
      } catch (e) {
        // nothing to stop
      }
      settle(err('WIFI_TIMEOUT', 'timeout'));
    }, CONNECT_TIMEOUT_MS);
    pendingSsid = c.ssid;
    settlePending = settle;
    try {
      W.connect(c.ssid, c.security === 'OPEN' ? {} : { password: c.key }, (e: any) => settle(e ? err(wifiErrorCode(String(e)), e) : null));
    } catch (e) {
      settle(err('WIFI_BAD_CONFIG', e));
    }
  }

  return {
    scan(opts: { onDone: OnDone<WifiScanResult[]> }): void {
      let over = false;
      const fail = (e: any): void => {
        over = true;
        later(() => opts.onDone(err('WIFI_SCAN', e), null));
      };
      const timer = setTimeout(() => {
        if (!over) fail('timeout');
      }, SCAN_TIMEOUT_MS);
      try {
        W.scan((a: any, b: any) => {
          if (over) return;
          over = true;
          clearTimeout(timer);
          // ESP32: one argument (the list); other ports: (err, list)
          const list: any[] = Array.isArray(a) ? a : Array.isArray(b) ? b : [];
          const out: WifiScanResult[] = [];
          for (let i = 0; i < list.length; i++) {
            const r = list[i] || {};
            out.push({
              ssid: typeof r.ssid === 'string' ? r.ssid : '',
              bssid: String(r.mac || '').toUpperCase(),
              security: securityOf(r.authMode),
              channel: parseInt(r.channel, 10) || 0,
              rssi: typeof r.rssi === 'number' ? r.rssi : 0,
              hidden: r.hidden === true || !r.ssid,
            });
          }
          scanResults = out.slice();
          later(() => opts.onDone(null, out));
        });
      } catch (e) {
        clearTimeout(timer);
        fail(e);
      }
    },
    getScanResult(): WifiScanResult | null {
      return scanResults.shift() || null;
    },
    addConfiguration(config: WifiConfiguration): HalError | null {
      configs = configs.filter((c) => c.ssid !== config.ssid);
      // Guide: when no more configurations fit, discard and return success.
      if (configs.length < MAX_CONFIGS) configs.push(config);
      else deps.log.log('warn', 'wifi', 'list full, dropped ' + JSON.stringify(config.ssid));
      return null;
    },
    removeConfiguration(opts: { ssid: string; onDone: OnDone<null> }): void {
      configs = configs.filter((c) => c.ssid !== opts.ssid);
      const done = (): void => opts.onDone(null, null);
      if (current && current.ssid === opts.ssid) leave(done);
      else later(done);
    },
    connect(opts: { ssid?: string; onAttempt?: (a: WifiConnectionAttempt) => void; onDone: OnDone<WifiConnectionDetails> }): void {
      const list = configs.filter((c) => opts.ssid === undefined || c.ssid === opts.ssid).sort((a, b) => a.priority - b.priority);
      let last = err('WIFI_NOT_CONFIGURED', 'not configured');
      function next(): void {
        const c = list.shift();
        if (!c) {
          later(() => opts.onDone(last, null));
          return;
        }
        connectOne(c, (e, ip) => {
          const a: WifiConnectionAttempt = { ssid: c.ssid, security: c.security, state: e ? 'FAILED' : 'ASSOCIATED' };
          // ffsGetWifiConnectionAttempt: the last MAX_ATTEMPTS attempts not read yet
          if (attempts.push(a) > MAX_ATTEMPTS) attempts.shift();
          if (opts.onAttempt) opts.onAttempt(a);
          if (e) {
            last = e;
            next();
          } else opts.onDone(null, { ssid: c.ssid, security: c.security, state: 'ASSOCIATED', ip: ip });
        });
      }
      next();
    },
    getConnectionDetails(opts: { onDone: OnDone<WifiConnectionDetails> }): void {
      W.getDetails((d: any) => {
        const status = String((d && d.status) || 'off');
        const ipInfo = status === 'connected' ? W.getIP() : null;
        const details: WifiConnectionDetails = {
          ssid: d && typeof d.ssid === 'string' ? d.ssid : current ? current.ssid : '',
          security: current ? current.security : securityOf(d && d.authMode),
          state: status === 'connected' ? 'ASSOCIATED' : status === 'connecting' ? 'AUTHENTICATED' : status === 'off' ? 'DISCONNECTED' : 'FAILED',
        };
        if (ipInfo && ipInfo.ip) details.ip = String(ipInfo.ip);
        later(() => opts.onDone(null, details));
      });
    },
    getConnectionAttempt(): WifiConnectionAttempt | null {
      return attempts.shift() || null;
    },
    disconnect(opts: { onDone: OnDone<null> }): void {
      leave(() => opts.onDone(null, null));
    },
    startAccessPoint(opts: { ssid: string; password: string; onDone: OnDone<null> }): void {
      const done = (e: any): void => later(() => opts.onDone(e ? err('WIFI_AP', e) : null, null));
      try {
        W.startAP(opts.ssid, opts.password ? { authMode: 'wpa2', password: opts.password } : { authMode: 'open' }, done);
      } catch (e) {
        done(e);
      }
    },
    stopAccessPoint(opts: { onDone: OnDone<null> }): void {
      W.stopAP(once(() => opts.onDone(null, null)));
    },
  };
}
