// Wi-Fi Simple Setup: the entry point. Decides at boot between the home network (credentials saved
// after a verified connection) and setup; owns the button actions. The integration guide's
// "Device factory reset recommendation":
//  - power cycle (every boot without a saved network) and factory reset: both setup modes on, the
//    soft AP and an FFS run side by side on the one radio
//  - any failure before the home network is joined → FFS off until the next power cycle, the soft AP
//    stays (no user reset needed); without a soft AP (build or SoftAp.Enabled) FFS runs again later
//  - short hold (clearSetup): clear setup settings, FFS off, soft AP
//  - factory reset (> 10 s): erase everything (app.ts reboots); a reset cut short by a power loss is
//    finished at the next boot
import type { Hal, WifiConfiguration } from '../../hal/types';
import type { FlowEvent } from '../api';
import { startDiscovery } from './discovery';
import { FILES } from '../../hal/storage-layout';
import { prepareHandoff } from './handoff';
import { startProvisionee, type Provisionee } from './provisionee';
import { startSoftAp, type SoftAp } from './softap';
import { checkRecord, MAX_RUNS, openWssStore, type WssRecord } from './state';
import { joinNetwork, wifiConfig } from './wifi-join';
import { info, warn } from './log';

export interface WssController {
  /** Short hold: clear setup settings, FFS off, the maker's soft-AP setup. */
  clearSetup(): void;
  /** Factory reset: erase Wi-Fi credentials and setup state (the reboot then brings both modes up). */
  factoryReset(): void;
  stop(): void;
}

export interface WssOptions {
  /** What happened, for the maker's API (firmware/api.ts), told after the record that says it is saved. */
  onEvent?: (e: FlowEvent) => void;
}

/** Pause before the saved network is tried again, and before a new FFS run when there is no soft AP. */
export const RETRY_MS = 30000;

/**
 * The running flow's state: on a set-up board at rest it is all WSS keeps besides the home path's
 * functions. The setup path (soft AP, FFS runs, clear setup, factory reset) is in functions of their
 * own, which build/lazy.mjs keeps unevaluated until a board runs setup or the button asks for it; the
 * device (firmware/api.ts) calls clearSetup(w)/factoryReset(w) itself, startWss wraps them as methods.
 */
export interface Wss {
  /** the HAL */
  h: Hal;
  /** the record (saved by save(w)) */
  r: WssRecord;
  /** the maker's soft AP: in this build and not switched off (SoftAp.Enabled <- ffs.cfg flows.softAp) */
  apOn: boolean;
  /** the FFS run and the soft AP (absent or null: none) */
  flow?: Provisionee | null;
  ap?: SoftAp | null;
  /** local discovery's UDP port (0: not running) */
  disc: number;
  /** the pending retry's timer (-1: none) */
  t: number;
  /** bumped by stopAll: a callback of an earlier epoch does nothing */
  ep: number;
  onEvent?: (e: FlowEvent) => void;
}

function tell(w: Wss, e: FlowEvent): void {
  if (w.onEvent) w.onEvent(e);
}

function save(w: Wss): void {
  const err = openWssStore(w.h.storage).save(w.r);
  if (err) w.h.log.log('error', 'wss', 'cannot save: ' + err.message);
}

function onHome(w: Wss): void {
  const my = w.ep;
  const hal = w.h;
  // (tell(w, ...) written out here and in joinHome: tell is setup's, build/lazy.mjs)
  if (w.r.network && w.onEvent) w.onEvent({ wifi: 'joined', ssid: w.r.network.ssid });
  hal.wifi.getConnectionDetails({
    onDone: (err, d) => {
      if (my !== w.ep) return;
      const ip = !err && d && d.ip ? d.ip : '';
      // (the home path logs with hal.log itself: wss/log.ts is setup's, build/lazy.mjs)
      hal.log.log('info', 'wss', 'home network ' + ip);
      w.disc = startDiscovery(hal, ip);
      if (w.r.handoff) {
        // one try per setup: a missing token or a failed signature is logged, not retried every boot
        prepareHandoff(hal, () => {
          if (my !== w.ep) return;
          w.r.handoff = false;
          save(w);
        });
      }
    },
  });
}

function joinHome(w: Wss): void {
  const my = w.ep;
  const net = w.r.network;
  if (!net) return;
  if (w.onEvent) w.onEvent({ wifi: 'joining' });
  w.h.log.log('info', 'wss', 'joining the saved network ' + JSON.stringify(net.ssid));
  // (raw: the HAL's error code is logged, the guide's codes are for setup's reports)
  // (wifiConfig written out: it is setup's)
  joinNetwork(w.h, { ssid: net.ssid, security: net.security, key: net.key, hidden: false, priority: 0 }, 3, 2000, () => my !== w.ep, (a) => {
    if (!a.errorDetails) onHome(w);
    else {
      w.h.log.log('warn', 'wss', 'saved network: ' + a.errorDetails.code);
      w.t = w.h.clock.setTimeout(() => {
        w.t = -1;
        joinHome(w);
      }, RETRY_MS);
    }
  }, true);
}

// The setup path: evaluated only when a board runs setup (build/lazy.mjs LAZY_DECLARATIONS).

function stopFlow(w: Wss): void {
  if (w.flow) w.flow.stop();
  w.flow = null;
}

function stopAp(w: Wss): void {
  if (w.ap) {
    w.ap.stop();
    tell(w, { softAp: false });
  }
  w.ap = null;
}

function stopAll(w: Wss): void {
  w.ep++;
  stopFlow(w);
  stopAp(w);
  if (w.disc) w.h.net.closeUdp(w.disc);
  w.disc = 0;
  // never a timer that is not running: the simulator throws "Unknown Timeout" (2v29 ignores it)
  if (w.t >= 0) w.h.clock.clearTimeout(w.t);
  w.t = -1;
}

function softAp(w: Wss): void {
  if (!__FEATURE_SOFTAP__ || !w.apOn || w.ap) return;
  const my = w.ep;
  const hal = w.h;
  tell(w, { softAp: true });
  w.ap = startSoftAp(hal, {
    onCredentials: (ssid, passphrase, done) => {
      // the user chose the maker's setup: FFS gives the radio up
      stopFlow(w);
      const c = wifiConfig(ssid, passphrase, false);
      joinNetwork(hal, c, 2, 1000, () => my !== w.ep, (a) => {
        if (a.errorDetails) {
          hal.wifi.removeConfiguration({ ssid: ssid, onDone: () => undefined });
          // (the guide's details: every entry of codes.ts has its cause)
          done(false, a.errorDetails.cause as string);
        } else {
          done(true, '');
          w.r.network = { ssid: ssid, security: c.security, key: passphrase };
          w.r.runs = 0;
          save(w);
          tell(w, { wifi: 'joined', ssid: ssid });
          info(hal, 'soft AP: joined ' + JSON.stringify(ssid));
          // let the page show the result, then close the access point
          hal.clock.setTimeout(() => {
            if (my !== w.ep) return;
            stopAp(w);
            onHome(w);
          }, 2000);
        }
      });
    },
  });
}

/**
 * FFS is off until the next power cycle (guide: fall back to the soft AP, no user reset needed):
 * leave the station network; the soft AP stays up. Without a soft AP, FFS is the only setup
 * path: a new run after RETRY_MS.
 */
function ffsOff(w: Wss): void {
  const my = w.ep;
  w.r.runs = 0;
  save(w);
  warn(w.h, 'FFS off');
  w.h.wifi.disconnect({
    onDone: () => {
      if (my !== w.ep) return;
      if (w.apOn) softAp(w);
      // a new run after RETRY_MS (the one pending retry: stopAll clears it)
      else if (w.t < 0)
        w.t = w.h.clock.setTimeout(() => {
          w.t = -1;
          runFfs(w);
        }, RETRY_MS);
    },
  });
}

function runFfs(w: Wss): void {
  const my = w.ep;
  const hal = w.h;
  const rec = w.r;
  rec.runs++;
  save(w);
  info(hal, 'Wi-Fi Simple Setup run ' + rec.runs + '/' + MAX_RUNS);
  w.flow = startProvisionee(hal, {
    onUserNetwork: (c: WifiConfiguration) => {
      if (my !== w.ep) return;
      // saved only now: the connection is associated and passed the connectivity check
      rec.network = { ssid: c.ssid, security: c.security, key: c.key };
      rec.handoff = true;
      save(w);
      tell(w, { wifi: 'joined', ssid: c.ssid });
      stopAp(w);
    },
    onDone: (ok, reason, code) => {
      if (my !== w.ep) return;
      w.flow = null;
      // code: the guide's error code of the last failed Wi-Fi attempt; 3:6:0:3 when none failed
      if (!ok) tell(w, { failed: { flow: 'wss', reason: reason, code: code || '3:6:0:3' } });
      if (ok || rec.network) {
        if (!ok) warn(hal, 'last report failed: ' + reason);
        rec.runs = 0;
        save(w);
        onHome(w);
      } else ffsOff(w);
    },
  });
}

function forget(w: Wss): void {
  w.h.config.resetConfiguration();
  w.h.storage.erase(FILES.handoff);
}

/** A boot without a saved network: setup. `fresh`: no record at all (a fresh board, or a factory reset
 *  whose power went after the record was erased: finished here, the record is the reset's commit point). */
function setupBoot(w: Wss, fresh: boolean): void {
  if (fresh) forget(w);
  // Guide: a power cycle returns to factory settings with both AP and FFS modes enabled
  tell(w, { wifi: 'setup' });
  softAp(w);
  if (w.r.runs < MAX_RUNS || !w.apOn) {
    if (w.r.runs > 0) warn(w.h, 'last run did not finish: new session');
    runFfs(w);
  } else {
    // a reboot loop mid-run: this boot the soft AP alone
    warn(w.h, MAX_RUNS + ' runs did not finish');
    ffsOff(w);
  }
}

export function clearSetup(w: Wss): void {
  stopAll(w);
  w.r = checkRecord(null);
  save(w);
  tell(w, { wifi: 'setup' });
  forget(w);
  ffsOff(w);
}

export function factoryReset(w: Wss): void {
  stopAll(w);
  // the record first (its newest slot last): a power cut before that leaves the device as it was,
  // after it the next boot finishes the erase
  openWssStore(w.h.storage).erase();
  w.r = checkRecord(null);
  tell(w, { wifi: 'setup' });
  forget(w);
  w.h.wifi.disconnect({ onDone: () => undefined });
}

/** Boot WSS on `hal`: the home network when one is saved, else setup (both setup modes). */
export function bootWss(hal: Hal, opts: WssOptions): Wss {
  // the record's store is opened when it is used, not kept (a set-up board at rest holds only `rec`)
  const stored = openWssStore(hal.storage).load();
  const w: Wss = {
    h: hal,
    r: checkRecord(stored),
    // SoftAp.Enabled: true unless "false" (wss/config.ts configFlag, written out: that module is setup's)
    apOn: __FEATURE_SOFTAP__ && String(hal.config.getConfigurationValue('SoftAp.Enabled')) !== 'false',
    disc: 0,
    t: -1,
    ep: 0,
  };
  if (opts.onEvent) w.onEvent = opts.onEvent;
  if (w.r.network) joinHome(w);
  else setupBoot(w, !stored);
  return w;
}

/** bootWss as a controller with methods (the tests' and a host's form). */
export function startWss(hal: Hal, opts: WssOptions): WssController {
  const w = bootWss(hal, opts);
  return {
    clearSetup: () => clearSetup(w),
    factoryReset: () => factoryReset(w),
    stop: () => stopAll(w),
  };
}
