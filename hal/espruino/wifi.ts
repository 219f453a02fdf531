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
  return a === 'open' ? 'OPEN' : a === 'wep' ? 'WEP' : /^(wpa|wpa2|wpa_wpa2|wpa2_wpa3)$/.test(a) ? 'WPA_PSK' : a ? 'OTHER' : 'UNKNOWN';
}

/** An Espruino connect error / 'disconnected' reason → the HAL's Wi-Fi error code. */
export function wifiErrorCode(text: string): string {
  const t = String(text || '');
  return /no_ap_found|not found/i.test(t) ? 'WIFI_NO_AP_FOUND' : /auth|handshake|password/i.test(t) ? 'WIFI_WRONG_PASSWORD' : 'WIFI_CONNECT_FAIL';
}

/** Why the radio would refuse this configuration ('' when it is usable). */
export function configProblem(c: WifiConfiguration): string {
  const k = c.key.length;
  if (!c.ssid || c.ssid.length > 32) return 'SSID must be 1 to 32 bytes';
  if (c.security === 'WPA_PSK') return k < 8 || k > 64 || (k > 63 && !/^[0-9a-fA-F]*$/.test(c.key)) ? 'WPA key: 8 to 63 characters or 64 hex digits' : '';
  if (c.security === 'WEP') return [5, 13, 16, 29].indexOf(k) < 0 ? 'WEP key: 5 or 13 bytes' : '';
  return c.security === 'OPEN' ? '' : c.security + ' not supported';
}

export function createWifi(deps: { clock: ClockService; log: LogService }): WifiService {
  const W = require('Wifi');
  let configs: WifiConfiguration[] = [];
  let scanResults: WifiScanResult[] = [];
  let scanIndex = 0;
  let attempts: WifiConnectionAttempt[] = [];
  let attemptIndex = 0;
  let current: WifiConfiguration | null = null;

  function later(fn: () => void): void {
    setTimeout(fn, 0);
  }

  function err(code: string, message: string): HalError {
    return { code: code, message: message };
  }

  function record(a: WifiConnectionAttempt): void {
    attempts.push(a);
    if (attempts.length > MAX_ATTEMPTS) {
      attempts.splice(0, 1);
      if (attemptIndex > 0) attemptIndex--;
    }
  }

  /** The pending connect: settled by the connect callback, a 'disconnected' event, or the timeout. */
  let pending: { ssid: string; settle: (e: HalError | null) => void } | null = null;
  /** Waiting for our own disconnect to finish (set by leave()). */
  let leaving: (() => void) | null = null;
  W.on('disconnected', (d: any) => {
    if (leaving) leaving();
    const p = pending;
    if (!p) return;
    const ssid = d && typeof d.ssid === 'string' ? d.ssid : p.ssid;
    const msg = d && d.msg ? String(d.msg) : String(d && d.reason ? d.reason : '');
    if (ssid !== p.ssid || msg === 'ASSOC_LEAVE') return; // the network we left, not the one we join
    p.settle(err(wifiErrorCode(msg), 'Wifi: ' + msg));
  });

  /** A callback that runs once, later (Espruino's disconnect(cb) may call back twice). */
  function once(fn: () => void): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      later(fn);
    };
  }

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
      timer = null;
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

  /** One Wifi.connect with a timeout. */
  function connectOne(c: WifiConfiguration, onDone: (e: HalError | null, ip: string) => void): void {
    const problem = configProblem(c);
    if (problem) {
      later(() => onDone(err('WIFI_BAD_CONFIG', problem), ''));
      return;
    }
    let done = false;
    let timer: any = null;
    function settle(e: HalError | null): void {
      if (done) return;
      done = true;
      pending = null;
      if (timer !== null) clearTimeout(timer);
      timer = null;
      if (e) {
        later(() => onDone(e, ''));
        return;
      }
      current = c;
      let sent = false;
      const info = W.getIP((e2: any, ipInfo: any) => {
        if (sent) return;
        sent = true;
        later(() => onDone(null, ipInfo && ipInfo.ip ? String(ipInfo.ip) : ''));
      });
      if (!sent && info && typeof info === 'object') {
        sent = true;
        later(() => onDone(null, info.ip ? String(info.ip) : ''));
      }
    }
    timer = setTimeout(() => {
      timer = null; // never clear a fired timer: Espruino throws "Unknown Timeout"
      if (done) return;
      try {
        W.disconnect();
      } catch (e) {
        // nothing to stop
      }
      settle(err('WIFI_TIMEOUT', 'timeout'));
    }, CONNECT_TIMEOUT_MS);
    pending = { ssid: c.ssid, settle: settle };
    const options: any = {};
    if (c.security !== 'OPEN') options.password = c.key;
    try {
      W.connect(c.ssid, options, (e: any) => settle(e ? err(wifiErrorCode(String(e)), String(e)) : null));
    } catch (e) {
      settle(err('WIFI_BAD_CONFIG', String(e)));
    }
  }

  return {
    scan(opts: { onDone: OnDone<WifiScanResult[]> }): void {
      let done = false;
      const timer = setTimeout(() => {
        if (done) return;
        done = true;
        opts.onDone(err('WIFI_SCAN', 'timeout'), null);
      }, SCAN_TIMEOUT_MS);
      const onList = (a: any, b: any): void => {
        if (done) return;
        done = true;
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
            channel: parseInt(String(r.channel), 10) || 0,
            rssi: typeof r.rssi === 'number' ? r.rssi : 0,
            hidden: r.hidden === true || !r.ssid,
          });
        }
        scanResults = out;
        scanIndex = 0;
        later(() => opts.onDone(null, out));
      };
      try {
        W.scan(onList);
      } catch (e) {
        done = true;
        clearTimeout(timer);
        later(() => opts.onDone(err('WIFI_SCAN', String(e)), null));
      }
    },
    getScanResult(): WifiScanResult | null {
      return scanIndex < scanResults.length ? scanResults[scanIndex++] : null;
    },
    addConfiguration(config: WifiConfiguration): HalError | null {
      for (let i = 0; i < configs.length; i++) {
        if (configs[i].ssid === config.ssid) {
          configs[i] = config;
          return null;
        }
      }
      // Guide: when no more configurations fit, discard and return success.
      if (configs.length < MAX_CONFIGS) configs.push(config);
      else deps.log.log('warn', 'wifi', 'list full, dropped ' + JSON.stringify(config.ssid));
      return null;
    },
    removeConfiguration(opts: { ssid: string; onDone: OnDone<null> }): void {
      configs = configs.filter((c) => c.ssid !== opts.ssid);
      if (current && current.ssid === opts.ssid) {
        leave(() => opts.onDone(null, null));
        return;
      }
      later(() => opts.onDone(null, null));
    },
    connect(opts: { ssid?: string; onAttempt?: (a: WifiConnectionAttempt) => void; onDone: OnDone<WifiConnectionDetails> }): void {
      const list = configs
        .filter((c) => opts.ssid === undefined || c.ssid === opts.ssid)
        .sort((a, b) => a.priority - b.priority);
      if (list.length === 0) {
        later(() => opts.onDone(err('WIFI_NOT_CONFIGURED', 'not configured'), null));
        return;
      }
      let i = 0;
      let last: HalError | null = null;
      function next(): void {
        if (i >= list.length) {
          opts.onDone(last, null);
          return;
        }
        const c = list[i++];
        connectOne(c, (e, ip) => {
          const a: WifiConnectionAttempt = { ssid: c.ssid, security: c.security, state: e ? 'FAILED' : 'ASSOCIATED' };
          record(a);
          if (opts.onAttempt) opts.onAttempt(a);
          if (!e) {
            opts.onDone(null, { ssid: c.ssid, security: c.security, state: 'ASSOCIATED', ip: ip });
            return;
          }
          last = e;
          next();
        });
      }
      next();
    },
    getConnectionDetails(opts: { onDone: OnDone<WifiConnectionDetails> }): void {
      W.getDetails((d: any) => {
        const status = d && d.status ? String(d.status) : 'off';
        const state =
          status === 'connected' ? 'ASSOCIATED' : status === 'connecting' ? 'AUTHENTICATED' : status === 'off' ? 'DISCONNECTED' : 'FAILED';
        const ipInfo = status === 'connected' ? W.getIP() : null;
        const details: WifiConnectionDetails = {
          ssid: d && typeof d.ssid === 'string' ? d.ssid : current ? current.ssid : '',
          security: current ? current.security : securityOf(d && d.authMode),
          state: state,
        };
        if (ipInfo && ipInfo.ip) details.ip = String(ipInfo.ip);
        later(() => opts.onDone(null, details));
      });
    },
    getConnectionAttempt(): WifiConnectionAttempt | null {
      return attemptIndex < attempts.length ? attempts[attemptIndex++] : null;
    },
    disconnect(opts: { onDone: OnDone<null> }): void {
      leave(() => opts.onDone(null, null));
    },
    startAccessPoint(opts: { ssid: string; password: string; onDone: OnDone<null> }): void {
      const o: any = { authMode: opts.password ? 'wpa2' : 'open' };
      if (opts.password) o.password = opts.password;
      try {
        W.startAP(opts.ssid, o, (e: any) => later(() => opts.onDone(e ? err('WIFI_AP', String(e)) : null, null)));
      } catch (e) {
        later(() => opts.onDone(err('WIFI_AP', String(e)), null));
      }
    },
    stopAccessPoint(opts: { onDone: OnDone<null> }): void {
      W.stopAP(once(() => opts.onDone(null, null)));
    },
  };
}
