// The maker's API (docs/MAKER.md): start FFS with one options object and learn, by callbacks that are
// never called synchronously, what setup did. Pure logic over the HAL.
//
// The flows (firmware/wss, firmware/mesh) persist every outcome in their power-safe records first; this
// layer watches those records (and the Wi-Fi results that led to them) through a thin wrapper of the
// HAL it hands the flows, derives the maker's state from them, and only then calls the maker. So a
// maker callback that throws is logged and changes nothing FFS has stored.
import type {
  BleService,
  Hal,
  HalError,
  LogLevel,
  NetService,
  OnDone,
  WifiConnectionAttempt,
  WifiConnectionDetails,
  WifiService,
} from '../hal/types';
import { FILES } from '../hal/storage-layout';
import { FIRMWARE_VERSION } from './version';
import { startWss, type WssController } from './wss/index';
import { startMesh, type MeshController } from './mesh/index';
import { loadRecord, openWssStore } from './wss/state';
import { createMeshState, MESH_RECORD } from './mesh/state';
import { detailsForWifiError } from './wss/codes';
import { watchButton } from './button';

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

/** Largest soft-AP page a maker may hand over (build/maker.mjs checks it at build time too). */
export const MAX_SOFTAP_PAGE = 4096;

/** The code of a mesh failure line: the Provisioning Failed error name, or "timeout". */
export function meshFailureCode(message: string): string {
  const m = /failed: ([A-Za-z ]+) awaiting/.exec(message);
  return m ? m[1] : 'timeout';
}

/** An own data property (an assignment would hit an inherited first-use getter). */
function own<T extends object, K extends keyof T>(o: T, name: K, v: T[K]): void {
  Object.defineProperty(o, name, { value: v, writable: true, enumerable: true, configurable: true });
}

/**
 * `o[name]` made by `make` the first time it is read (then a plain property): a service nobody uses
 * costs no memory (a set-up board never builds its TLS client, its BLE bearers or its DRBG).
 */
export function onFirstUse<T extends object, K extends keyof T>(o: T, name: K, make: () => T[K]): void {
  Object.defineProperty(o, name, {
    configurable: true,
    enumerable: true,
    get: () => {
      const v = make();
      own(o, name, v);
      return v;
    },
  });
}

interface WifiConnectOptions {
  ssid?: string;
  onAttempt?: (attempt: WifiConnectionAttempt) => void;
  onDone: OnDone<WifiConnectionDetails>;
}

type Respond = (status: number, contentType: string, body: string) => void;

interface ServeHttpOptions {
  port: number;
  onRequest: (req: { method: string; path: string; body: string }, respond: Respond) => void;
  onDone: OnDone<null>;
}

type Callback = 'onStateChange' | 'onWifiJoined' | 'onMeshProvisioned' | 'onSetupFailed' | 'onSoftApNeeded' | 'onButtonPress';

interface FlowConfig {
  flows?: { wss?: boolean; mesh?: boolean };
  button?: { shortHoldMs?: number; factoryResetMs?: number };
}

/** What the maker's callbacks need from a run: the HAL the flows get, and the state it observes. */
interface Observer {
  flowHal: Hal;
  /** the maker's onButtonPress: a release before the short hold */
  button(shortHoldMs: number): void;
  /** the state at boot, told to the maker (then only changes) */
  begin(): void;
  state(): FfsState;
}

type Log = (level: LogLevel, message: string, tag?: string) => void;

const OFF: FfsState = { wifi: 'off', softAp: false, mesh: 'off' };
const copy = (s: FfsState): FfsState => ({ wifi: s.wifi, softAp: s.softAp, mesh: s.mesh });

/**
 * The maker's view of a run: the flows get a thin wrapper of the HAL whose record writes, Wi-Fi
 * results, failure lines and (when the maker has one) soft-AP page are observed.
 */
function observe(hal: Hal, opts: FfsOptions, wssOn: boolean, meshOn: boolean, log: Log): Observer {
  const page = opts.softApPage;
  if (page && page.length > MAX_SOFTAP_PAGE) {
    log('error', 'soft-AP page over ' + MAX_SOFTAP_PAGE + ' bytes: using the built-in one');
  }
  let state = OFF;
  let apUp = false;
  let joinedSsid = '';
  let lastWifiError = '';
  let pending = false;

  /** Call the maker's callback `name` on a later turn; whatever it throws is logged, FFS goes on. */
  function call(name: Callback, v?: unknown, w?: unknown): void {
    const fn = opts[name] as ((v?: unknown, w?: unknown) => void) | undefined;
    if (!fn) return;
    hal.clock.defer(() => {
      try {
        fn(v, w);
      } catch (e) {
        log('error', name + ' threw: ' + ((e as Error).message || e));
      }
    });
  }

  /** The state the records describe now. */
  function derive(): FfsState {
    let wifi: FfsState['wifi'] = 'off';
    if (__FEATURE_WSS__ && wssOn) {
      const r = loadRecord(openWssStore(hal.storage));
      wifi = !r.network ? 'setup' : joinedSsid === r.network.ssid ? 'joined' : 'joining';
    }
    let mesh: FfsState['mesh'] = 'off';
    if (__FEATURE_MESH__ && meshOn) mesh = createMeshState(hal.storage).load() ? 'provisioned' : 'beaconing';
    return { wifi: wifi, softAp: apUp, mesh: mesh };
  }

  /** Compare with what the maker last heard and tell the differences. */
  function update(): void {
    pending = false;
    const prev = state;
    const next = derive();
    state = next;
    if (next.wifi === prev.wifi && next.softAp === prev.softAp && next.mesh === prev.mesh) return;
    call('onStateChange', copy(next), prev);
    if (next.wifi === 'joined' && prev.wifi !== 'joined') call('onWifiJoined', { ssid: joinedSsid });
    if (next.softAp && !prev.softAp) call('onSoftApNeeded');
    if (next.mesh === 'provisioned' && prev.mesh !== 'off') {
      const node = createMeshState(hal.storage).load();
      if (node) call('onMeshProvisioned', { address: node.address, elements: node.elements });
    }
  }

  function later(): void {
    if (!pending) hal.clock.defer(update);
    pending = true;
  }

  // The HAL the flows get: the board's services (through the prototype, so a service the board makes
  // on first use is still made on first use), with the record writes, Wi-Fi results, failure lines and
  // (when the maker has one) the soft-AP page observed.
  const flowHal: Hal = Object.create(hal);
  const storage = hal.storage;
  const watched = (name: string): boolean => name.indexOf(FILES.wssState) === 0 || name.indexOf(MESH_RECORD) === 0;
  own(flowHal, 'storage', Object.assign({}, storage, {
    write(name: string, data: Uint8Array | string): HalError | null {
      const err = storage.write(name, data);
      if (watched(name)) later();
      return err;
    },
    erase(name: string): void {
      storage.erase(name);
      if (watched(name)) later();
    },
  }));
  onFirstUse(flowHal, 'wifi', () => {
    const wifi = hal.wifi;
    const w: Partial<WifiService> = {
      connect(o: WifiConnectOptions): void {
        wifi.connect(
          Object.assign({}, o, {
            onDone(err: HalError | null, v: WifiConnectionDetails | null): void {
              if (err || !v) lastWifiError = err ? err.code : '';
              else {
                joinedSsid = v.ssid;
                later();
              }
              o.onDone(err, v);
            },
          }),
        );
      },
      disconnect(o: { onDone: OnDone<null> }): void {
        joinedSsid = '';
        wifi.disconnect(o);
      },
      startAccessPoint(o: { ssid: string; password: string; onDone: OnDone<null> }): void {
        apUp = true;
        later();
        wifi.startAccessPoint(o);
      },
      stopAccessPoint(o: { onDone: OnDone<null> }): void {
        apUp = false;
        later();
        wifi.stopAccessPoint(o);
      },
    };
    return Object.assign({}, wifi, w);
  });
  // BLE made on first call: the mesh flow takes `hal.ble` at start, a provisioned node never calls it
  const ble = (): BleService => hal.ble;
  own(flowHal, 'ble', {
    get supports() {
      return ble().supports;
    },
    setAdvertising: (o) => ble().setAdvertising(o),
    stopAdvertising: () => ble().stopAdvertising(),
    startScan: (o) => ble().startScan(o),
    stopScan: () => ble().stopScan(),
    setGattService: (spec) => ble().setGattService(spec),
    clearGattService: () => ble().clearGattService(),
    notify: (data) => ble().notify(data),
    disconnect: () => ble().disconnect(),
  } as BleService);
  own(flowHal, 'log', {
    log(level: LogLevel, tag: string, message: string): void {
      hal.log.log(level, tag, message);
      if (level === 'warn' || level === 'error') {
        if (tag === 'wss' && message.indexOf('setup failed: ') === 0) {
          const code = (__FEATURE_WSS__ && lastWifiError && detailsForWifiError(lastWifiError).code) || '3:6:0:3';
          call('onSetupFailed', { flow: 'wss', reason: message.substring(14), code: code });
        }
        if (tag === 'mesh' && (message.indexOf('provisioning failed') >= 0 || message.indexOf('protocol timeout') >= 0)) {
          call('onSetupFailed', { flow: 'mesh', reason: message, code: meshFailureCode(message) });
        }
      }
    },
  });
  if (page && page.length <= MAX_SOFTAP_PAGE) {
    onFirstUse(flowHal, 'net', () => {
      const net = hal.net;
      const n: Partial<NetService> = {
        serveHttp(o: ServeHttpOptions): void {
          net.serveHttp(
            Object.assign({}, o, {
              onRequest(req: { method: string; path: string; body: string }, respond: Respond): void {
                o.onRequest(req, (status, type, body) => {
                  if (type !== 'text/html') return respond(status, type, body);
                  // the built-in page's status paragraph: <h1>...</h1><p>STATUS<form
                  const m = /<\/h1><p>([^<]*)<form/.exec(body);
                  respond(status, type, page.split('%STATUS%').join(m ? m[1] : ''));
                });
              },
            }),
          );
        },
      };
      return Object.assign({}, net, n);
    });
  }

  return {
    flowHal: flowHal,
    button(shortHoldMs: number): void {
      if (!opts.onButtonPress) return;
      let downAt = -1;
      hal.button.watch({
        onChange(pressed: boolean, atMs: number): void {
          if (pressed) downAt = atMs;
          else if (downAt >= 0 && atMs - downAt < shortHoldMs) call('onButtonPress');
          if (!pressed) downAt = -1;
        },
      });
    },
    begin(): void {
      state = derive();
      call('onStateChange', copy(state), OFF);
    },
    state: () => copy(state),
  };
}

/**
 * Boot line, flows and button; with `watch`, the maker's callbacks. Without one (the device program with
 * no maker code, firmware/app.ts), the flows get the board's HAL itself and nothing is observed.
 */
/** What the button does, for the maker's Ffs (null: no device configuration, FFS idle). */
interface Actions {
  clearSetup(): void;
  factoryReset(): void;
}

export function startFlows(hal: Hal, opts: FfsOptions, watch: ((log: Log, wssOn: boolean, meshOn: boolean) => Observer) | null): Actions | null {
  const log: Log = (level, message, tag) => hal.log.log(level, tag || 'app', message);
  // The boot line first (the flash tool waits for it); the entry has already closed the consoles.
  log('info', BOOT_LINE + ' v' + FIRMWARE_VERSION + ' on ' + hal.system.board + ' Espruino ' + hal.system.firmwareVersion, 'boot');
  const cfg = hal.storage.readJSON<FlowConfig>(FILES.config);
  const flows = opts.flows || (cfg && cfg.flows) || {};
  const wssOn = __FEATURE_WSS__ && !!cfg && flows.wss !== false;
  const meshOn = __FEATURE_MESH__ && !!cfg && !!flows.mesh;
  const o = watch ? watch(log, wssOn, meshOn) : null;

  if (!cfg) {
    log('error', 'no ' + FILES.config + ': flash the device first', 'boot');
    return null;
  }

  const flowHal = o ? o.flowHal : hal;
  // What the maker hears first: the state at boot (then only changes).
  if (o) o.begin();

  let wss: WssController | null = null;
  let mesh: MeshController | null = null;
  // the flags again here, literally, so esbuild drops a flow built out (--no-wss, --no-mesh)
  if (__FEATURE_WSS__ && wssOn) wss = startWss(flowHal, {});
  if (__FEATURE_MESH__ && meshOn) mesh = startMesh(flowHal, {});

  function clearSetup(): void {
    if (wss) wss.clearSetup();
  }
  function factoryReset(): void {
    // Guide: > 10 s restores factory settings with both soft AP and FFS enabled again.
    if (wss) wss.factoryReset();
    if (mesh) mesh.factoryReset();
    hal.clock.setTimeout(() => hal.system.reboot(), 200);
  }

  const b = opts.button || cfg.button || {};
  const shortHoldMs = b.shortHoldMs || 3000;
  if (o) o.button(shortHoldMs);
  watchButton(hal, {
    shortHoldMs: shortHoldMs,
    factoryResetMs: b.factoryResetMs || 10000,
    onShortHold(): void {
      // Guide: clear the setup settings, disable FFS, return to the maker's soft-AP setup.
      log('info', 'short hold: clear setup', 'button');
      clearSetup();
    },
    onFactoryReset(): void {
      log('info', 'factory reset', 'button');
      factoryReset();
    },
  });

  return { clearSetup: clearSetup, factoryReset: factoryReset };
}

/** Start FFS on `hal` with the maker's options and callbacks. */
export function startFfs(hal: Hal, opts: FfsOptions): Ffs {
  const seen: { o: Observer | null } = { o: null };
  const a = startFlows(hal, opts, (log, wssOn, meshOn) => (seen.o = observe(hal, opts, wssOn, meshOn, log)));
  const idle = (): void => undefined;
  return {
    state: () => (seen.o ? seen.o.state() : copy(OFF)),
    clearSetup: a ? a.clearSetup : idle,
    factoryReset: a ? a.factoryReset : idle,
    log: a ? (message: string) => hal.log.log('info', 'app', message) : idle,
    setLed: a ? (on: boolean) => hal.led.set(on) : idle,
  };
}
