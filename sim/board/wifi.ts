// The emulated `Wifi` module of the ESP32 (IDF5) Espruino build, quirks included. Facts from
// libs/network/esp32/jswrap_esp32_network.c (Espruino):
//  - connect(ssid, {password}, cb): cb(null) only once an IP is obtained (STA_GOT_IP). A failed join
//    NEVER calls cb on the IDF5 build: the driver retries silently (s_retry_num = 3: three attempts, or
//    two when it first has to leave a connected network) and then emits 'disconnected'
//    {ssid, mac, reason:"<number>", msg:"<REASON>"}; the firmware needs its own timeout. Every attempt
//    sends directed probes for the SSID (how a hidden network is found).
//  - scan(cb): cb gets ONE argument, the list of {rssi, authMode, ssid, mac, channel}; `channel` is a
//    decimal string, `mac` lower case, there is no `hidden` flag (a hidden AP has ssid ""). A second
//    scan while one runs throws "A scan is already in progress".
//  - getDetails(cb) returns and queues {ssid, password, status:"connected", authMode} or
//    {status:"<REASON>"} (the last disconnect reason's name; "Unknown reason" before any).
//  - disconnect(cb) queues cb at once AND again when the disconnect event arrives.
//  - getIP(cb): cb(null, {ip, netmask, gw, mac}); ip "0.0.0.0" when not connected.
//  - getHostByName(name, cb): cb("a.b.c.d") or cb(null) (no DNS answer: after lwIP's retries, ~10 s).
//  - events (IDF5 names): associated {ssid, mac, channel}, connected {ip, netmask, gw}, disconnected,
//    scan_done, ap_start, ap_stop, sta_joined / sta_left {mac} on the soft AP, probe_recv.
//    (dhcp_timeout is an ESP8266 event: never emitted on ESP32.)
//  - save()/save("clear")/restore() use the Storage file ".wificfg".
import type { Board } from './board.ts';
import { registerBoardModule } from './board.ts';
import {
  REASON, reasonText, hashString, newWifiMedium, setStationBinding,
  type StationState, type WifiMedium, type WssBoardContext,
} from '../medium/wifi.ts';

export type { WssBoardContext } from '../medium/wifi.ts';

export const WIFI_CONFIG_FILE = '.wificfg';

/** Timings of the emulated radio (virtual ms). */
export const WIFI_TIMING = { scanMs: 1600, connectScanMs: 300, dhcpMs: 350, apStartMs: 120, dnsMs: 30, dnsTimeoutMs: 10000 };

const contexts = new WeakMap<Board, WssBoardContext>();

/** The WSS world a board lives in (made empty on first use when no scenario attached one). */
export function wssContext(board: Board): WssBoardContext {
  let c = contexts.get(board);
  if (!c) {
    c = makeContext(board, newWifiMedium(board.clock, board.timeline));
    contexts.set(board, c);
  }
  return c;
}

export function attachWssWorld(board: Board, world: WifiMedium,
  opts: { tlsProfile?: 'stock' | 'verifying'; tlsMax?: number; builtinRootsPem?: string[] } = {}): WssBoardContext {
  const c = makeContext(board, world);
  c.tlsProfile = opts.tlsProfile ?? 'stock';
  c.tlsMax = opts.tlsMax ?? 2;
  c.builtinRootsPem = opts.builtinRootsPem ?? [];
  contexts.set(board, c);
  // an AP going away drops its stations (beacon timeout)
  world.onApDown((ap) => {
    if (c.station.ap === ap) dropStation(board, c, REASON.BEACON_TIMEOUT);
  });
  return c;
}

function makeContext(board: Board, world: WifiMedium): WssBoardContext {
  const h = hashString(board.id);
  const hex = (n: number) => (n & 255).toString(16).padStart(2, '0');
  return {
    world,
    station: {
      mac: `24:0a:c4:${hex(h >> 16)}:${hex(h >> 8)}:${hex(h)}`,
      apMac: `24:0a:c4:${hex(h >> 16)}:${hex(h >> 8)}:${hex(h + 1)}`,
      ap: null, hasIp: false, ip: '0.0.0.0', gw: '0.0.0.0', netmask: '0.0.0.0', ssid: '', password: '',
      lastReason: 0, attempt: 0, softAp: null, softApConfig: null, mode: 'NULL', hostname: 'espressif',
    },
    tlsProfile: 'stock',
    tlsOpen: 0,
    tlsMax: 2,
    builtinRootsPem: [],
  };
}

function dropStation(board: Board, c: WssBoardContext, reason: number): void {
  const st = c.station;
  const ap = st.ap;
  st.ap = null;
  st.hasIp = false;
  st.ip = '0.0.0.0';
  st.lastReason = reason;
  st.attempt++;
  if (ap) c.world.emit('leave', `left ${JSON.stringify(ap.ssid)} (${reasonText(reason)})`, { ssid: ap.ssid, reason }, board.id);
  if (c.wifi) {
    board.emitTo(c.wifi, 'disconnected', board.object({
      ssid: ap ? ap.ssid : st.ssid, mac: ap ? ap.bssid.toLowerCase() : '00:00:00:00:00:00', reason: String(reason), msg: reasonText(reason),
    }));
  }
}

function isFn(v: unknown): v is Function {
  return typeof v === 'function';
}

function createWifi(board: Board): unknown {
  const c = wssContext(board);
  const st = c.station;
  const world = c.world;
  let scanning = false;
  let disconnectCb: unknown = null;
  let gotIpCb: unknown = null;
  let hostCb: unknown = null;
  /** a join is in progress (between Wifi.connect and association or the final failure) */
  let connecting = false;

  // A power cut resets the radio; load()/reset() keep the chip (and its association) running.
  board.onPowerOff(() => {
    if (!board.on) {
      if (st.ap) world.emit('leave', `left ${JSON.stringify(st.ap.ssid)} (power off)`, { ssid: st.ap.ssid }, board.id);
      st.ap = null;
      st.hasIp = false;
      st.ip = '0.0.0.0';
      st.lastReason = 0;
      st.attempt++;
      st.mode = 'NULL';
      if (st.softAp) world.takeDown(st.softAp);
      st.softAp = null;
    }
  });

  /** Leave the AP without a 'disconnected' event (the driver's retry counter swallows it). */
  const leaveSilently = () => {
    const ap = st.ap;
    st.ap = null;
    st.hasIp = false;
    st.ip = '0.0.0.0';
    if (ap) world.emit('leave', `left ${JSON.stringify(ap.ssid)} to join another network`, { ssid: ap.ssid }, board.id);
  };
  const expectCb = (cb: unknown) => {
    if (cb !== undefined && cb !== null && !isFn(cb)) throw board.error(`Expecting callback function but got ${typeof cb}`);
  };
  const queue = (cb: unknown, args: unknown[], ms = 0) => {
    if (isFn(cb)) board.setTimer(() => board.call(cb, undefined, args), ms);
  };

  const wifi: Record<string, unknown> = {
    connect(ssid: unknown, options: unknown, cb: unknown) {
      if (typeof ssid !== 'string') throw board.error('No SSID provided');
      if (options !== undefined && options !== null && typeof options !== 'object') throw board.error(`Expecting Object, got ${typeof options}`);
      expectCb(cb);
      const pwVal = options ? (options as any).password : undefined;
      if (pwVal !== undefined && typeof pwVal !== 'string') throw board.error(`Expecting options.password to be a string but got ${typeof pwVal}`);
      const name = ssid.slice(0, 32);
      const password = (pwVal ?? '').slice(0, 64);
      if (password.length > 0 && password.length < 8) {
        board.printLine('ERROR: jswrap_wifi_connect: esp_wifi_set_config: 12299(Password is invalid)');
        return;
      }
      gotIpCb = isFn(cb) ? cb : null;
      disconnectCb = null;
      st.mode = st.mode === 'AP' || st.mode === 'APSTA' ? 'APSTA' : 'STA';
      st.ssid = name;
      st.password = password;
      const attempt = ++st.attempt;
      // IDF5 build: s_retry_num = 3; leaving a connected network spends one of them silently
      let tries = 3;
      if (st.ap) {
        leaveSilently();
        tries = 2;
      }
      world.emit('join', `joining ${JSON.stringify(name)}`, { ssid: name }, board.id);
      connecting = true;
      const tryOnce = (left: number) => {
        world.probe(board.id, name, st.mac);
        board.setTimer(() => {
          if (st.attempt !== attempt) return;
          const a = world.associate(board.id, name, password);
          board.setTimer(() => {
            if (st.attempt !== attempt) return;
            if (!a.ok || !a.ap) {
              st.lastReason = a.reason ?? REASON.UNSPECIFIED;
              if (left > 1) {
                world.emit('join', `attempt on ${JSON.stringify(name)} failed (${reasonText(st.lastReason)}); the driver retries`,
                  { ssid: name, reason: st.lastReason }, board.id);
                tryOnce(left - 1);
                return;
              }
              connecting = false;
              world.emit('join', `join ${JSON.stringify(name)} failed: ${reasonText(st.lastReason)}`, { ssid: name, reason: st.lastReason }, board.id);
              board.emitTo(c.wifi!, 'disconnected', board.object({
                ssid: name, mac: a.ap ? a.ap.bssid.toLowerCase() : '00:00:00:00:00:00', reason: String(st.lastReason), msg: reasonText(st.lastReason),
              }));
              return;
            }
            const ap = a.ap;
            st.ap = ap;
            connecting = false;
            world.emit('join', `associated with ${JSON.stringify(name)} (${ap.bssid}, ${ap.security}, ${ap.behind})`, { ssid: name, bssid: ap.bssid }, board.id);
            board.emitTo(c.wifi!, 'associated', board.object({ ssid: name, mac: ap.bssid.toLowerCase(), channel: String(ap.channel) }));
            if (ap.outcome === 'no_ip') {
              world.emit('dhcp', `no DHCP answer on ${JSON.stringify(name)}`, { ssid: name }, board.id);
              return;
            }
            board.setTimer(() => {
              if (st.attempt !== attempt || st.ap !== ap) return;
              st.hasIp = true;
              st.ip = a.ip!;
              st.gw = a.gw!;
              st.netmask = a.netmask!;
              world.emit('dhcp', `got IP ${st.ip} on ${JSON.stringify(name)}`, { ip: st.ip }, board.id);
              const cbNow = gotIpCb;
              gotIpCb = null;
              if (isFn(cbNow)) board.call(cbNow, undefined, [null]);
              board.emitTo(c.wifi!, 'connected', board.object({ ip: st.ip, netmask: st.netmask, gw: st.gw }));
            }, WIFI_TIMING.dhcpMs);
          }, Math.max(0, a.delayMs - WIFI_TIMING.connectScanMs));
        }, WIFI_TIMING.connectScanMs);
      };
      tryOnce(tries);
    },

    disconnect(cb: unknown) {
      expectCb(cb);
      disconnectCb = isFn(cb) ? cb : null;
      const was = st.ap;
      st.attempt++;
      connecting = false;
      gotIpCb = null;
      if (was) {
        board.setTimer(() => {
          dropStation(board, c, REASON.ASSOC_LEAVE);
          const d = disconnectCb;
          disconnectCb = null;
          if (isFn(d)) board.call(d, undefined, []);
        }, 10);
      }
      queue(cb, []);
    },

    scan(cb: unknown) {
      if (scanning) throw board.error('A scan is already in progress');
      if (!isFn(cb)) throw board.error(`Expecting callback function but got ${typeof cb}`);
      scanning = true;
      if (connecting) {
        // esp_wifi_scan_start fails with ESP_ERR_WIFI_STATE while the station is connecting; the build
        // ignores that result, so SCAN_DONE never comes: no callback, and every later scan throws
        world.emit('scan', 'scan refused: the station is still connecting (ESP_ERR_WIFI_STATE); Espruino never calls back', undefined, board.id);
        return;
      }
      if (st.mode === 'NULL') st.mode = 'STA';
      if (st.mode === 'AP') st.mode = 'APSTA';
      world.emit('scan', 'scan started', undefined, board.id);
      board.setTimer(() => {
        scanning = false;
        const entries = world.scan();
        world.emit('scan', `scan found ${entries.length} AP(s): ${entries.map((e) => (e.ssid ? JSON.stringify(e.ssid) : '(hidden)')).join(', ')}`,
          { results: entries }, board.id);
        board.call(cb, undefined, [board.array(entries.map((e) => board.object({ ...e })))]);
        board.emitTo(c.wifi!, 'scan_done');
      }, WIFI_TIMING.scanMs);
    },

    startAP(ssid: unknown, options: unknown, cb: unknown) {
      expectCb(cb);
      if (typeof ssid !== 'string') throw board.error('No SSID');
      if (options !== undefined && options !== null && typeof options !== 'object') throw board.error(`Expecting Object, got ${typeof options}`);
      const o = (options ?? {}) as Record<string, unknown>;
      let password = '';
      if (o.password !== undefined) {
        if (typeof o.password !== 'string' || o.password.length < 8) throw board.error('Password must be string of at least 8 characters');
        password = o.password;
      }
      let authMode = password ? 'wpa2' : 'open';
      if (typeof o.authMode === 'string') {
        if (!['open', 'wpa2', 'wpa', 'wpa_wpa2'].includes(o.authMode)) throw board.error('Unknown authMode value');
        authMode = o.authMode;
      }
      if (authMode !== 'open' && !password) throw board.error('Password not set but authMode not open');
      if (authMode === 'open' && password) throw board.error('Auth mode set to open but password supplied');
      const channel = typeof o.channel === 'number' && o.channel >= 1 && o.channel <= 13 ? o.channel : 1;
      if (st.softAp) world.takeDown(st.softAp);
      st.softApConfig = { ssid: ssid.slice(0, 32), password, authMode, channel, hidden: false };
      st.mode = st.mode === 'STA' || st.mode === 'APSTA' ? 'APSTA' : 'AP';
      st.softAp = world.addAccessPoint({ ssid: ssid.slice(0, 32), security: authMode as any, passphrase: password, channel,
        behind: 'nothing', rssi: -40 }, board.id);
      world.deviceAps.set(st.softAp, board.id);
      board.setTimer(() => {
        if (isFn(cb)) board.call(cb, undefined, [null]);
        board.emitTo(c.wifi!, 'ap_start');
      }, WIFI_TIMING.apStartMs);
    },

    stopAP(cb: unknown) {
      expectCb(cb);
      if (st.softAp) {
        world.takeDown(st.softAp);
        world.deviceAps.delete(st.softAp);
        board.setTimer(() => board.emitTo(c.wifi!, 'ap_stop'), 10);
      }
      st.softAp = null;
      st.mode = st.mode === 'APSTA' ? 'STA' : st.mode === 'AP' ? 'NULL' : st.mode;
      queue(cb, []);
    },

    getDetails(cb: unknown) {
      if (cb !== undefined && cb !== null && !isFn(cb)) throw board.error(`Expecting callback function but got ${typeof cb}`);
      const d = st.ap
        ? board.object({ ssid: st.ssid, password: st.password, status: 'connected', authMode: st.ap.security })
        : board.object({ status: reasonText(st.lastReason) });
      queue(cb, [d]);
      return d;
    },

    getStatus() {
      return board.object(st.ap
        ? { station: 'connected', ssid: st.ap.ssid, bssid: st.ap.bssid.toLowerCase(), channel: st.ap.channel, rssi: st.ap.rssi,
          htMode: 'HT20', authMode: st.ap.security, mode: st.mode, powersave: 'none' }
        : { station: reasonText(st.lastReason), mode: st.mode, powersave: 'none' });
    },

    getIP(cb: unknown) {
      if (cb !== undefined && cb !== null && !isFn(cb)) throw board.error(`Expecting callback function but got ${typeof cb}`);
      const info = board.object({ ip: st.hasIp ? st.ip : '0.0.0.0', netmask: st.hasIp ? st.netmask : '0.0.0.0',
        gw: st.hasIp ? st.gw : '0.0.0.0', mac: st.mac });
      queue(cb, [null, info]);
      return info;
    },

    getAPIP(cb: unknown) {
      const on = !!st.softAp;
      const info = board.object({ ip: on ? '192.168.4.1' : '0.0.0.0', netmask: on ? '255.255.255.0' : '0.0.0.0',
        gw: on ? '192.168.4.1' : '0.0.0.0', mac: st.apMac });
      queue(cb, [null, info]);
      return info;
    },

    getAPDetails(cb: unknown) {
      const a = st.softApConfig;
      const d = board.object({ authMode: a ? a.authMode : 'open', hidden: a ? a.hidden : false, maxConn: 4, ssid: a ? a.ssid : '',
        password: a ? a.password : '' });
      queue(cb, [d]);
      return d;
    },

    getHostByName(hostname: unknown, cb: unknown) {
      if (typeof hostname !== 'string') throw board.error('Hostname parameter is not a string');
      if (!isFn(cb)) throw board.error('Callback is not a function');
      hostCb = cb;
      const ap = st.hasIp ? st.ap : null;
      const ip = world.resolve(ap, hostname);
      // no network: dns_gethostbyname fails at once; no answer: lwIP gives up after its retries
      const ms = ip ? WIFI_TIMING.dnsMs : ap ? WIFI_TIMING.dnsTimeoutMs : 0;
      world.emit('dns', `getHostByName(${JSON.stringify(hostname)}) -> ${ip ?? 'null'}${ip ? '' : ap ? ` after ${ms} ms` : ' (not connected)'}`,
        { host: hostname, ip }, board.id);
      board.setTimer(() => {
        if (hostCb !== cb) return; // a newer lookup replaced this callback (one global slot)
        hostCb = null;
        board.call(cb, undefined, [ip]);
      }, ms);
    },

    getHostname() {
      return st.hostname;
    },

    setHostname(name: unknown, cb: unknown) {
      st.hostname = String(name);
      queue(cb, []);
    },

    setConfig(settings: unknown) {
      if (!settings || typeof settings !== 'object') throw board.error(`Expecting Object, got ${typeof settings}`);
    },

    save(what: unknown) {
      if (what === 'clear') {
        board.storageErase(WIFI_CONFIG_FILE);
        return;
      }
      const modeNum = { NULL: 0, STA: 1, AP: 2, APSTA: 3 }[st.mode];
      const a = st.softApConfig;
      const o = { ssid: st.ssid, password: st.password, mode: modeNum, sleepType: 0, ssidAP: a ? a.ssid : '',
        passwordAP: a ? a.password : '', authmodeAP: a ? ['open', 'wep', 'wpa', 'wpa2', 'wpa_wpa2'].indexOf(a.authMode) : 0,
        hiddenAP: 0, channelAP: a ? a.channel : 0, hostname: st.hostname };
      board.storageErase(WIFI_CONFIG_FILE);
      board.storageWrite(WIFI_CONFIG_FILE, new TextEncoder().encode(JSON.stringify(o)), 0, 0, (e) => e);
    },

    restore() {
      const text = board.storage.readString(WIFI_CONFIG_FILE);
      if (!text) return;
      let o: any;
      try {
        o = JSON.parse(text);
      } catch {
        return;
      }
      if ((o.mode & 1) && o.ssid) (wifi.connect as Function)(o.ssid, { password: o.password }, undefined);
      if ((o.mode & 2) && o.ssidAP) {
        (wifi.startAP as Function)(o.ssidAP, o.passwordAP ? { password: o.passwordAP } : {}, undefined);
      }
    },
  };
  const mod = board.strict('Wifi', board.object(wifi));
  c.wifi = mod;
  return mod;
}

registerBoardModule('Wifi', createWifi);

// The world reaches a board's station only through the medium (sim/medium/wifi.ts).
setStationBinding({
  context: (board) => wssContext(board as Board),
  attach: (board, world, opts) => attachWssWorld(board as Board, world, opts),
});
