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
import { configFlag } from './config';
import { prepareHandoff } from './handoff';
import { startProvisionee, type Provisionee } from './provisionee';
import { startSoftAp, type SoftAp } from './softap';
import { checkRecord, MAX_RUNS, openWssStore, type SavedNetwork, type WssRecord } from './state';
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
  /** Skip the boot decision (tests drive the controller themselves). */
  idle?: boolean;
  /** What happened, for the maker's API (firmware/api.ts), told after the record that says it is saved. */
  onEvent?: (e: FlowEvent) => void;
}

/** Pause before the saved network is tried again, and before a new FFS run when there is no soft AP. */
export const RETRY_MS = 30000;

/** The record at boot, checked, and whether there was none. */
function loadWss(hal: Hal): { rec: WssRecord; fresh: boolean } {
  const stored = openWssStore(hal.storage).load();
  return { rec: checkRecord(stored), fresh: !stored };
}

export function startWss(hal: Hal, opts: WssOptions): WssController {
  // the record's store is opened when it is used, not kept (a set-up board at rest holds only `rec`)
  const loaded = loadWss(hal);
  let rec: WssRecord = loaded.rec;
  /** no record at boot: a fresh board, or a factory reset cut short by a power loss */
  const fresh = loaded.fresh;
  /** the maker's soft AP: in this build and not switched off (SoftAp.Enabled ← ffs.cfg flows.softAp) */
  const apOn = __FEATURE_SOFTAP__ && configFlag(hal, 'SoftAp.Enabled', true);
  let flow: Provisionee | null = null;
  let ap: SoftAp | null = null;
  let stopDiscovery: (() => void) | null = null;
  let timer = -1;
  let epoch = 0;
  const tell = (e: FlowEvent): void => {
    if (opts.onEvent) opts.onEvent(e);
  };

  function save(): void {
    const err = openWssStore(hal.storage).save(rec);
    if (err) hal.log.log('error', 'wss', 'cannot save: ' + err.message);
  }

  function stopFlow(): void {
    if (flow) flow.stop();
    flow = null;
  }

  function stopAp(): void {
    if (ap) {
      ap.stop();
      tell({ softAp: false });
    }
    ap = null;
  }

  function stopAll(): void {
    epoch++;
    stopFlow();
    stopAp();
    if (stopDiscovery) stopDiscovery();
    stopDiscovery = null;
    // never a timer that is not running: the simulator throws "Unknown Timeout" (2v29 ignores it)
    if (timer >= 0) hal.clock.clearTimeout(timer);
    timer = -1;
  }

  function later(fn: () => void): void {
    timer = hal.clock.setTimeout(() => {
      timer = -1;
      fn();
    }, RETRY_MS);
  }

  function onHome(): void {
    const my = epoch;
    if (rec.network) tell({ wifi: 'joined', ssid: rec.network.ssid });
    hal.wifi.getConnectionDetails({
      onDone: (err, d) => {
        if (my !== epoch) return;
        const ip = !err && d && d.ip ? d.ip : '';
        info(hal, 'home network ' + ip);
        stopDiscovery = startDiscovery(hal, ip);
        if (rec.handoff) {
          // one try per setup: a missing token or a failed signature is logged, not retried every boot
          prepareHandoff(hal, () => {
            if (my !== epoch) return;
            rec.handoff = false;
            save();
          });
        }
      },
    });
  }

  function joinHome(): void {
    const my = epoch;
    const net = rec.network;
    if (!net) return;
    tell({ wifi: 'joining' });
    info(hal, 'joining the saved network ' + JSON.stringify(net.ssid));
    joinNetwork(hal, wifiConfig(net.ssid, net.key, false, net.security), 3, 2000, () => my !== epoch, (a) => {
      if (!a.errorDetails) onHome();
      else {
        warn(hal, 'saved network: ' + a.errorDetails.code);
        later(joinHome);
      }
    });
  }

  function softAp(): void {
    if (!__FEATURE_SOFTAP__ || !apOn || ap) return;
    const my = epoch;
    tell({ softAp: true });
    ap = startSoftAp(hal, {
      onCredentials: (ssid, passphrase, done) => {
        // the user chose the maker's setup: FFS gives the radio up
        stopFlow();
        const c = wifiConfig(ssid, passphrase, false);
        const net: SavedNetwork = { ssid: ssid, security: c.security, key: passphrase };
        joinNetwork(hal, c, 2, 1000, () => my !== epoch, (a) => {
          if (a.errorDetails) {
            hal.wifi.removeConfiguration({ ssid: ssid, onDone: () => undefined });
            done(false, a.errorDetails.cause || 'failed');
            return;
          }
          done(true, '');
          rec.network = net;
          rec.runs = 0;
          save();
          tell({ wifi: 'joined', ssid: ssid });
          info(hal, 'soft AP: joined ' + JSON.stringify(ssid));
          // let the page show the result, then close the access point
          hal.clock.setTimeout(() => {
            if (my !== epoch) return;
            stopAp();
            onHome();
          }, 2000);
        });
      },
    });
  }

  /**
   * FFS is off until the next power cycle (guide: fall back to the soft AP, no user reset needed):
   * leave the station network; the soft AP stays up. Without a soft AP, FFS is the only setup
   * path: a new run after RETRY_MS.
   */
  function ffsOff(): void {
    const my = epoch;
    rec.runs = 0;
    save();
    warn(hal, 'FFS off');
    hal.wifi.disconnect({
      onDone: () => {
        if (my !== epoch) return;
        if (apOn) softAp();
        else if (timer < 0) later(runFfs);
      },
    });
  }

  function runFfs(): void {
    const my = epoch;
    rec.runs += 1;
    save();
    info(hal, 'Wi-Fi Simple Setup run ' + rec.runs + '/' + MAX_RUNS);
    flow = startProvisionee(hal, {
      onUserNetwork: (c: WifiConfiguration) => {
        if (my !== epoch) return;
        // saved only now: the connection is associated and passed the connectivity check
        rec.network = { ssid: c.ssid, security: c.security, key: c.key };
        rec.handoff = true;
        save();
        tell({ wifi: 'joined', ssid: c.ssid });
        stopAp();
      },
      onDone: (ok, reason, code) => {
        if (my !== epoch) return;
        flow = null;
        // code: the guide's error code of the last failed Wi-Fi attempt; 3:6:0:3 when none failed
        if (!ok) tell({ failed: { flow: 'wss', reason: reason, code: code || '3:6:0:3' } });
        if (ok || rec.network) {
          if (!ok) warn(hal, 'last report failed: ' + reason);
          rec.runs = 0;
          save();
          onHome();
        } else ffsOff();
      },
    });
  }

  function forget(): void {
    hal.config.resetConfiguration();
    hal.storage.erase(FILES.handoff);
  }

  function boot(): void {
    // no record: a fresh board, or a factory reset whose power went after the record was erased —
    // finish it (the record is the reset's commit point, see factoryReset)
    if (fresh) forget();
    if (rec.network) {
      joinHome();
      return;
    }
    // Guide: a power cycle returns to factory settings with both AP and FFS modes enabled
    tell({ wifi: 'setup' });
    softAp();
    if (rec.runs < MAX_RUNS || !apOn) {
      if (rec.runs > 0) warn(hal, 'last run did not finish: new session');
      runFfs();
    } else {
      // a reboot loop mid-run: this boot the soft AP alone
      warn(hal, MAX_RUNS + ' runs did not finish');
      ffsOff();
    }
  }

  if (!opts.idle) boot();

  return {
    clearSetup(): void {
      stopAll();
      rec = checkRecord(null);
      save();
      tell({ wifi: 'setup' });
      forget();
      ffsOff();
    },
    factoryReset(): void {
      stopAll();
      // the record first (its newest slot last): a power cut before that leaves the device as it was,
      // after it the next boot finishes the erase
      openWssStore(hal.storage).erase();
      rec = checkRecord(null);
      tell({ wifi: 'setup' });
      forget();
      // the cached certificate chain is rebuilt from the device files on the next connection
      hal.storage.erase(FILES.certPem);
      hal.wifi.disconnect({ onDone: () => undefined });
    },
    stop(): void {
      stopAll();
    },
  };
}
