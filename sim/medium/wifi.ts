// The Wi-Fi medium: what a station's radio meets — access points (SSID, BSSID, channel, RSSI,
// security), directed probes, association outcomes with ESP-IDF's disconnect reasons, DNS and routes
// from a network to real loopback servers. Stations plug in from either side of it: the emulated
// board's Wifi/http/tls modules (sim/board/wifi.ts, net.ts) or the real interpreter's Wifi stand-in
// through the Espruino lane's bridge (tools/espruino/wifi-bridge.ts). The world's implementation is
// WifiWorld (sim/world/aps.ts); its actors (provisioner, DSS, phone) raise networks and register
// hosts on it. Nothing here knows a board.
import type { VirtualClock } from '../clock.ts';
import type { Timeline } from '../timeline.ts';

export type Behind = 'internet' | 'captivePortal' | 'noDns' | 'nothing' | 'dssSetup' | 'dssRelay';
export const BEHIND: Behind[] = ['internet', 'captivePortal', 'noDns', 'nothing', 'dssSetup', 'dssRelay'];
export type ApSecurity = 'open' | 'wep' | 'wpa' | 'wpa2' | 'wpa_wpa2';
export const AP_SECURITIES: ApSecurity[] = ['open', 'wep', 'wpa', 'wpa2', 'wpa_wpa2'];
/** Forced association outcome (default: decided by security and passphrase). */
export type Outcome = 'auto' | 'wrong_password' | 'no_ap_found' | 'connect_fail' | 'no_ip';
export const OUTCOMES: Outcome[] = ['auto', 'wrong_password', 'no_ap_found', 'connect_fail', 'no_ip'];

/** ESP-IDF wifi_err_reason_t values the ESP32 build reports in `disconnected` events (§ jswrap_esp32_network.c). */
export const REASON = {
  UNSPECIFIED: 1,
  AUTH_EXPIRE: 2,
  ASSOC_LEAVE: 8,
  FOURWAY_HANDSHAKE_TIMEOUT: 15,
  BEACON_TIMEOUT: 200,
  NO_AP_FOUND: 201,
  AUTH_FAIL: 202,
  ASSOC_FAIL: 203,
  HANDSHAKE_TIMEOUT: 204,
} as const;

export function reasonText(code: number): string {
  switch (code) {
    case 1: return 'UNSPECIFIED';
    case 2: return 'AUTH_EXPIRE';
    case 8: return 'ASSOC_LEAVE';
    case 15: return '4WAY_HANDSHAKE_TIMEOUT';
    case 200: return 'BEACON_TIMEOUT';
    case 201: return 'NO_AP_FOUND';
    case 202: return 'AUTH_FAIL';
    case 203: return 'ASSOC_FAIL';
    case 204: return 'HANDSHAKE_TIMEOUT';
    default: return 'Unknown reason';
  }
}

export interface AccessPointSpec {
  ssid: string;
  bssid?: string;
  channel?: number;
  rssi?: number;
  security?: ApSecurity;
  passphrase?: string;
  hidden?: boolean;
  behind?: Behind;
  outcome?: Outcome;
  /** virtual ms at which the AP starts beaconing (default 0) */
  upAtMs?: number;
  /** virtual ms at which it goes away (default never) */
  downAtMs?: number;
}

export interface AccessPoint extends Required<Omit<AccessPointSpec, 'downAtMs' | 'passphrase'>> {
  passphrase: string;
  downAtMs?: number;
  up: boolean;
  subnet: number;
  /** raised by whom: 'scenario' | 'provisioner' | a board id (soft AP) */
  owner: string;
}

/** What an ESP32 scan reports (scanCB in jswrap_esp32_network.c): channel is a decimal STRING, no hidden flag. */
export interface ScanEntry {
  rssi: number;
  authMode: string;
  ssid: string;
  mac: string;
  channel: string;
}

export type Route =
  | { kind: 'real'; port: number; label: string }
  | { kind: 'refused' }
  | { kind: 'blackhole' };

export interface Association {
  ok: boolean;
  ap?: AccessPoint;
  reason?: number;
  ip?: string;
  gw?: string;
  netmask?: string;
  /** ms the radio needs before the event */
  delayMs: number;
}

/** A host's virtual port: the real loopback port behind it, and the networks it answers on (default: all the host's). */
export interface HostPort {
  port: number;
  label: string;
  from?: Behind[];
}


export interface ProbeEvent {
  board: string;
  ssid: string;
  mac: string;
}

/** The Wi-Fi medium as stations and world actors use it (implemented by sim/world/aps.ts WifiWorld). */
export interface WifiMedium {
  readonly aps: AccessPoint[];
  /** soft APs started by stations (AP -> station id) */
  readonly deviceAps: Map<AccessPoint, string>;
  /** servers stations listen with: `${station}:${port}` -> real loopback port */
  readonly deviceServers: Map<string, number>;
  /** UDP ports stations bound: `${station}:${port}` -> real loopback port */
  readonly deviceUdp: Map<string, number>;
  /** phones' real UDP ports -> their virtual address on the network */
  readonly udpPeers: Map<number, { address: string; port: number; ap: AccessPoint; delivered?: () => void; answered?: (() => void) | null }>;
  emit(kind: string, summary: string, fields?: Record<string, unknown>, station?: string): void;
  addAccessPoint(spec: AccessPointSpec, owner?: string): AccessPoint;
  takeDown(ap: AccessPoint): void;
  onApDown(fn: (ap: AccessPoint) => void): void;
  /** beacons and probe responses heard by a full scan */
  scan(): ScanEntry[];
  onProbe(fn: (p: ProbeEvent) => void): void;
  /** a directed probe for `ssid` */
  probe(station: string, ssid: string, mac: string): void;
  associate(station: string, ssid: string, password: string): Association;
  registerHost(name: string, ip: string, ports: Record<number, HostPort>, from?: Behind[]): void;
  resolve(ap: AccessPoint | null, name: string): string | null;
  route(ap: AccessPoint | null, ip: string, port: number): Route;
  udpRoute(ap: AccessPoint | null, address: string, port: number): number | null;
  trackHold(localPort: number, release: () => void): void;
  untrackHold(localPort: number): void;
  stall(clientPort: number): void;
}

export function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h;
}

// ---- stations: how a board's Wi-Fi is bound to a medium ----

/** The Wi-Fi state of one station (a board's radio) on a medium. */
export interface StationState {
  mac: string;
  apMac: string;
  ap: AccessPoint | null; // associated AP
  hasIp: boolean;
  ip: string;
  gw: string;
  netmask: string;
  ssid: string;
  password: string;
  lastReason: number;
  attempt: number; // bumps on every connect/disconnect to drop stale timers
  softAp: AccessPoint | null;
  softApConfig: { ssid: string; password: string; authMode: string; channel: number; hidden: boolean } | null;
  mode: 'NULL' | 'STA' | 'AP' | 'APSTA';
  hostname: string;
}

export interface WssBoardContext {
  world: WifiMedium;
  station: StationState;
  /** the module object of the current session (for events) */
  wifi?: object;
  /** TLS profile: 'stock' (no verification, SNI "mbed TLS Server 1") or 'verifying' */
  tlsProfile: 'stock' | 'verifying';
  /** TLS sockets open (each needs ~32 KB of the 70 KB native heap on the IDF5 build) */
  tlsOpen: number;
  tlsMax: number;
  /** roots a verifying firmware carries built in (used when the firmware passes no `ca`) */
  builtinRootsPem: string[];
}

/** A board as the medium sees it: only its id. */
export interface StationBoard {
  readonly id: string;
}

export interface StationOptions {
  tlsProfile?: 'stock' | 'verifying';
  tlsMax?: number;
  builtinRootsPem?: string[];
}

/** How a kind of board binds its station to a medium (sim/board/wifi.ts registers the emulated one). */
export interface StationBinding {
  context(board: StationBoard): WssBoardContext;
  attach(board: StationBoard, world: WifiMedium, opts?: StationOptions): WssBoardContext;
}

let binding: StationBinding | null = null;
export function setStationBinding(b: StationBinding): void {
  binding = b;
}
function bound(): StationBinding {
  if (!binding) throw new Error('sim: no board kind bound a Wi-Fi station (import sim/board/wifi.ts)');
  return binding;
}
/** The Wi-Fi context of a board (made on a fresh medium when no world attached one). */
export function wssContext(board: StationBoard): WssBoardContext {
  return bound().context(board);
}
/** Put a board's station on `world`. */
export function attachWssWorld(board: StationBoard, world: WifiMedium, opts?: StationOptions): WssBoardContext {
  return bound().attach(board, world, opts);
}

let makeMedium: ((clock: VirtualClock, timeline: Timeline) => WifiMedium) | null = null;
/** The world registers how an empty medium is made (sim/world/aps.ts: a WifiWorld). */
export function setDefaultWifiMedium(f: (clock: VirtualClock, timeline: Timeline) => WifiMedium): void {
  makeMedium = f;
}
/** An empty medium for a board that no scenario attached to a world. */
export function newWifiMedium(clock: VirtualClock, timeline: Timeline): WifiMedium {
  if (!makeMedium) throw new Error('sim: no Wi-Fi world loaded (import sim/world/aps.ts)');
  return makeMedium(clock, timeline);
}
