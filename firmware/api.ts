// The maker's API (docs/MAKER.md): start FFS with one options object and learn, by callbacks that are
// never called synchronously, what setup did. Pure logic over the HAL.
//
// The flows (firmware/wss, firmware/mesh) report what happens as events (their `onEvent` option),
// each after they stored what it reports; this layer keeps the maker's state from them and calls the
// maker on a later turn. So a maker callback that throws is logged and changes nothing FFS has stored.
import type { Hal, NetService } from '../hal/types';
import { FILES } from '../hal/storage-layout';
import { FIRMWARE_VERSION } from './version';
import { bootWss, clearSetup as wssClearSetup, factoryReset as wssFactoryReset, type Wss } from './wss/index';
import { bootMesh, meshFactoryReset, type Mesh } from './mesh/index';
import { watchButton, type ButtonAction } from './button';
import { checkRecord, openWssStore } from './wss/state';
import { createMeshState } from './mesh/state';

/** The line the flash tool and the simulator wait for after a reset. */
export const BOOT_LINE = 'FFS provisionee booted';

/**
 * Wi-Fi: `setup` no home network yet (FFS and/or the soft AP wait for one); `joining` the saved home
 * network is being joined; `joined` it is up; `off` WSS is not enabled. `softAp`: the maker's soft
 * AP is up. Mesh: `beaconing` waiting for a provisioner; `provisioned` a mesh node; `off` not enabled.
 */
export interface FfsState {
  wifi: 'setup' | 'joining' | 'joined' | 'off';
  softAp: boolean;
  mesh: 'beaconing' | 'provisioned' | 'off';
}

export interface SetupFailure {
  flow: 'wss' | 'mesh';
  /** what went wrong, in words (never a secret) */
  reason: string;
  /** WSS: the guide's error code of the last Wi-Fi attempt ("3:2:0:1"...); mesh: the Provisioning
   *  Failed error name of Mesh Profile 5.4.1.10 ("Confirmation Failed"...) or "timeout" */
  code: string;
}

export interface FfsOptions {
  /** which flows run (default: the device configuration's `flows`, else WSS only) */
  flows?: { wss?: boolean; mesh?: boolean };
  /** the setup state changed */
  onStateChange?: (state: FfsState, previous: FfsState) => void;
  /** the home Wi-Fi network is joined (after setup, and at each boot with a saved network) */
  onWifiJoined?: (network: { ssid: string }) => void;
  /** the board was provisioned into a mesh network */
  onMeshProvisioned?: (node: { address: number; elements: number }) => void;
  /** a setup run failed (WSS then falls back to the soft AP) */
  onSetupFailed?: (failure: SetupFailure) => void;
  /** the maker's soft-AP setup is needed (FFS failed, was cleared, or is disabled) */
  onSoftApNeeded?: () => void;
  /** the maker's soft-AP page (HTML, at most MAX_SOFTAP_PAGE bytes), served instead of the built-in
   *  one; "%STATUS%" is replaced by the setup status. The form posts `ssid` and `passphrase` to
   *  /connect; GET /status answers {"status":..., "busy":...}. */
  softApPage?: string;
  /** the button was pressed and released before the clear-setup hold (the product's own use) */
  onButtonPress?: () => void;
  /** button press-and-hold times (default 3 s: clear setup, 10 s: factory reset) */
  button?: { shortHoldMs?: number; factoryResetMs?: number };
}

export interface Ffs {
  /** the current state (a copy) */
  state(): FfsState;
  /** clear the setup settings, disable FFS, open the maker's soft AP (the button's short hold) */
  clearSetup(): void;
  /** erase every setup record and reboot: FFS and the soft AP are enabled again (10 s hold) */
  factoryReset(): void;
  /** one `info app:` console line (never log a secret) */
  log(message: string): void;
  /** the status LED (FFS lights it while the button is held) */
  setLed(on: boolean): void;
}

/**
 * What a flow reports (the `onEvent` option of startWss and startMesh), after it stored it: the
 * members that changed, a newly provisioned node, or a failed setup run.
 */
export interface FlowEvent {
  wifi?: 'setup' | 'joining' | 'joined';
  /** the home network joined */
  ssid?: string;
  softAp?: boolean;
  mesh?: 'beaconing' | 'provisioned';
  node?: { address: number; elements: number };
  failed?: SetupFailure;
}

/** Largest soft-AP page a maker may hand over (build/maker.mjs checks it at build time too). */
export const MAX_SOFTAP_PAGE = 4096;

type Callback = 'onStateChange' | 'onWifiJoined' | 'onMeshProvisioned' | 'onSetupFailed' | 'onSoftApNeeded' | 'onButtonPress';

interface FlowConfig {
  flows?: { wss?: boolean; mesh?: boolean };
  button?: { shortHoldMs?: number; factoryResetMs?: number };
}

const copy = (s: FfsState): FfsState => ({ wifi: s.wifi, softAp: s.softAp, mesh: s.mesh });

/**
 * The HAL the WSS flow gets when the maker has a soft-AP page: its HTML answers carry the maker's
 * page, "%STATUS%" filled with the built-in page's status paragraph (`<h1>...</h1><p>STATUS<form`).
 */
function withPage(hal: Hal, page: string): Hal {
  const h: Hal = Object.create(hal);
  Object.defineProperty(h, 'net', {
    get: (): NetService => {
      const net = hal.net;
      return Object.assign({}, net, {
        serveHttp(o: Parameters<NetService['serveHttp']>[0]): void {
          net.serveHttp(Object.assign({}, o, {
            onRequest(req: { method: string; path: string; body: string }, respond: (status: number, type: string, body: string) => void): void {
              o.onRequest(req, (status, type, body) => {
                const m = /<\/h1><p>([^<]*)<form/.exec(body);
                respond(status, type, type === 'text/html' ? page.split('%STATUS%').join(m ? m[1] : '') : body);
              });
            },
          }));
        },
      });
    },
  });
  return h;
}

type Log = (level: 'info' | 'error', message: string, tag?: string) => void;

/** The maker's side of a run: the HAL the WSS flow gets, the flows' events, the button's short press. */
interface Maker {
  flowHal: Hal;
  onEvent(e: FlowEvent): void;
  onPress(): void;
  state(): FfsState;
}

/**
 * The maker's view of a run: the state the flows' events describe, told to the maker's callbacks on
 * later turns (first the state at boot, then each change).
 */
function makerView(hal: Hal, opts: FfsOptions, log: Log): Maker {
  const state: FfsState = { wifi: 'off', softAp: false, mesh: 'off' };
  let heard: FfsState | null = null;
  let joinedSsid = '';
  let pending = false;

  /** Call the maker's callback `name` on a later turn; whatever it throws is logged, FFS goes on. */
  function call(name: Callback, v?: unknown, w?: unknown): void {
    const fn = opts[name] as ((v?: unknown, w?: unknown) => void) | undefined;
    if (fn) {
      hal.clock.defer(() => {
        try {
          fn(v, w);
        } catch (e) {
          log('error', name + ' threw: ' + ((e as Error).message || e));
        }
      });
    }
  }

  /** Tell the maker what changed since it last heard (the first time: the state at boot). */
  function update(): void {
    pending = false;
    const prev = heard || { wifi: 'off', softAp: false, mesh: 'off' };
    if (heard && state.wifi === prev.wifi && state.softAp === prev.softAp && state.mesh === prev.mesh) return;
    heard = copy(state);
    call('onStateChange', copy(state), prev);
    if (state.wifi === 'joined' && prev.wifi !== 'joined') call('onWifiJoined', { ssid: joinedSsid });
    if (state.softAp && !prev.softAp) call('onSoftApNeeded');
  }

  function later(): void {
    if (!pending) hal.clock.defer(update);
    pending = true;
  }
  // the state at boot, once the flows have started (they report it at once)
  later();

  const page = opts.softApPage;
  if (page && page.length > MAX_SOFTAP_PAGE) log('error', 'soft-AP page over ' + MAX_SOFTAP_PAGE + ' bytes: using the built-in one');
  return {
    flowHal: page && page.length <= MAX_SOFTAP_PAGE ? withPage(hal, page) : hal,
    onEvent(e: FlowEvent): void {
      if (e.wifi) state.wifi = e.wifi;
      if (e.ssid) joinedSsid = e.ssid;
      if (e.softAp !== undefined) state.softAp = e.softAp;
      if (e.mesh) state.mesh = e.mesh;
      if (e.node) call('onMeshProvisioned', { address: e.node.address, elements: e.node.elements });
      if (e.failed) call('onSetupFailed', e.failed);
      later();
    },
    onPress: () => call('onButtonPress'),
    state: () => copy(state),
  };
}

/** A board's running flows: what the button and the maker's clearSetup/factoryReset act on. */
interface Running {
  /** the HAL */
  h: Hal;
  /** the WSS flow (null: not running) */
  w: Wss | null;
  /** the mesh flow (null: not running) */
  m: Mesh | null;
  /** the maker's onButtonPress (on a later turn) */
  onPress?: () => void;
}

/** The button's short hold, and the maker's ffs.clearSetup(). (Rare events: build/lazy.mjs keeps this
 *  unevaluated until it runs.) */
function clearSetup(r: Running): void {
  // Guide: clear the setup settings, disable FFS, return to the maker's soft-AP setup.
  if (__FEATURE_WSS__ && r.w) wssClearSetup(r.w);
}

/** The button's 10 s hold, and the maker's ffs.factoryReset(). (Rare: lazy, as clearSetup.) */
function factoryReset(r: Running): void {
  // Guide: > 10 s restores factory settings with both soft AP and FFS enabled again.
  // (the flags literally: a flow built out is not in the bundle)
  if (__FEATURE_WSS__ && r.w) wssFactoryReset(r.w);
  if (__FEATURE_MESH__ && r.m) meshFactoryReset(r.m);
  r.h.clock.setTimeout(() => r.h.system.reboot(), 200);
}

function onButton(r: Running, what: ButtonAction): void {
  if (what === 'press') {
    if (r.onPress) r.onPress();
    return;
  }
  if (what === 'hold') {
    r.h.log.log('info', 'button', 'short hold: clear setup');
    clearSetup(r);
  } else {
    r.h.log.log('info', 'button', 'factory reset');
    factoryReset(r);
  }
}

/**
 * Boot line, flows and button; with `maker` (startFfs), the flows' events become the maker's state
 * and callbacks. Without one (the device program with no maker code, firmware/app.ts), none of that
 * is in the bundle. Null: no device configuration, FFS idle.
 */
export function startFlows(hal: Hal, opts: FfsOptions, maker: ((log: Log) => Maker) | null): Running | null {
  const log: Log = (level, message, tag) => hal.log.log(level, tag || 'app', message);
  // The boot line first (the flash tool waits for it); the entry has already closed the consoles.
  log('info', BOOT_LINE + ' v' + FIRMWARE_VERSION + ' on ' + hal.system.board + ' Espruino ' + hal.system.firmwareVersion, 'boot');
  // (nothing made here outlives the boot: the parsed ffs.cfg is not kept)
  const file = hal.storage.readJSON<FlowConfig>(FILES.config);
  if (!file) {
    log('error', 'no ' + FILES.config + ': flash the device first', 'boot');
    return null;
  }
  // the maker's options win over the device configuration's
  const flows = opts.flows || file.flows || {};
  const b = opts.button || file.button || {};
  const m = maker ? maker(log) : null;
  const fo = { onEvent: m ? m.onEvent : undefined };

  // A board that will run setup needs its DRBG (hal.crypto, made on first use): made here, inside the
  // entry's try, so a DRBG that cannot start (Storage full: the boot counter cannot be persisted) is
  // one `error boot:` line with FFS idle, as when it was made at boot, not an uncaught error later.
  const wssSetup = __FEATURE_WSS__ && flows.wss !== false && !checkRecord(openWssStore(hal.storage).load()).network;
  const meshSetup = __FEATURE_MESH__ && flows.mesh && createMeshState(hal.storage).load() === null;
  if (wssSetup || meshSetup) void hal.crypto;

  const r: Running = {
    h: hal,
    // the flags again here, literally, so esbuild drops a flow built out (--no-wss, --no-mesh)
    w: __FEATURE_WSS__ && flows.wss !== false ? bootWss(m ? m.flowHal : hal, fo) : null,
    m: __FEATURE_MESH__ && flows.mesh ? bootMesh(hal, fo) : null,
  };
  if (m) r.onPress = m.onPress;
  watchButton(hal, b.shortHoldMs || 3000, b.factoryResetMs || 10000, r, onButton);
  return r;
}

/** Start FFS on `hal` with the maker's options and callbacks. */
export function startFfs(hal: Hal, opts: FfsOptions): Ffs {
  let view: Maker | null = null;
  const r = startFlows(hal, opts, (log) => (view = makerView(hal, opts, log)));
  const idle = (): void => undefined;
  return {
    state: () => (view ? view.state() : { wifi: 'off', softAp: false, mesh: 'off' }),
    clearSetup: r ? () => clearSetup(r) : idle,
    factoryReset: r ? () => factoryReset(r) : idle,
    log: r ? (message: string) => hal.log.log('info', 'app', message) : idle,
    setLed: r ? (on: boolean) => hal.led.set(on) : idle,
  };
}
