// Wi-Fi Simple Setup: the entry point. Decides at boot between the home network (credentials saved
// after a verified connection), a new FFS run, and the maker's soft-AP setup; owns the button actions.
//  - any failure before the home network is joined → soft AP with FFS disabled (never a reboot loop)
//  - short hold (clearSetup): clear setup settings, FFS disabled, soft AP
//  - factory reset (> 10 s): erase everything; FFS and soft AP enabled again (app.ts reboots)
import type { Hal, WifiConfiguration } from '../../hal/types';
import { startDiscovery } from './discovery';
import { FILES } from '../../hal/storage-layout';
import { prepareHandoff } from './handoff';
import { startProvisionee, type Provisionee } from './provisionee';
import { startSoftAp, type SoftAp } from './softap';
import { factoryRecord, loadRecord, MAX_RUNS, openWssStore, type SavedNetwork, type WssRecord } from './state';
import { joinNetwork, wifiConfig } from './wifi-join';
import { info, warn } from './log';

export interface WssController {
  /** Short hold: clear setup settings, disable FFS, go to the maker's soft-AP setup. */
  clearSetup(): void;
  /** Factory reset: erase Wi-Fi credentials and setup state; FFS and soft AP enabled again. */
  factoryReset(): void;
  stop(): void;
}

export interface WssOptions {
  /** Skip the boot decision (tests drive the controller themselves). */
  idle?: boolean;
}

export const HOME_RETRY_MS = 30000;


export function startWss(hal: Hal, opts: WssOptions): WssController {
  const store = openWssStore(hal.storage);
  let rec: WssRecord = loadRecord(store);
  let flow: Provisionee | null = null;
  let ap: SoftAp | null = null;
  let stopDiscovery: (() => void) | null = null;
  let homeTimer = -1;
  let epoch = 0;

  function save(): void {
    const err = store.save(rec);
    if (err) hal.log.log('error', 'wss', 'cannot save: ' + err.message);
  }

  function stopAll(): void {
    epoch++;
    if (flow) flow.stop();
    flow = null;
    if (ap) ap.stop();
    ap = null;
    if (stopDiscovery) stopDiscovery();
    stopDiscovery = null;
    if (homeTimer >= 0) hal.clock.clearTimeout(homeTimer);
    homeTimer = -1;
  }

  function onHome(): void {
    const my = epoch;
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
    info(hal, 'joining the saved network ' + JSON.stringify(net.ssid));
    joinNetwork(hal, wifiConfig(net.ssid, net.key, false, net.security), 3, 2000, () => my !== epoch, (a) => {
      if (!a.errorDetails) {
        onHome();
        return;
      }
      warn(hal, 'saved network: ' + a.errorDetails.code);
      homeTimer = hal.clock.setTimeout(() => {
        homeTimer = -1;
        joinHome();
      }, HOME_RETRY_MS);
    });
  }

  function softAp(): void {
    if (!__FEATURE_SOFTAP__) {
      warn(hal, 'no soft AP in this build');
      return;
    }
    const my = epoch;
    ap = startSoftAp(hal, {
      onCredentials: (ssid, passphrase, done) => {
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
          info(hal, 'soft AP: joined ' + JSON.stringify(ssid));
          // let the page show the result, then close the access point
          hal.clock.setTimeout(() => {
            if (my !== epoch) return;
            if (ap) ap.stop();
            ap = null;
            onHome();
          }, 2000);
        });
      },
    });
  }

  /** Leave the station network, then open the soft AP (unless something else started meanwhile). */
  function leaveForSoftAp(): void {
    const my = epoch;
    hal.wifi.disconnect({
      onDone: () => {
        if (my === epoch) softAp();
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
      },
      onDone: (ok, reason) => {
        if (my !== epoch) return;
        flow = null;
        rec.runs = 0;
        if (ok || rec.network) {
          if (!ok) warn(hal, 'last report failed: ' + reason);
          save();
          onHome();
          return;
        }
        // Guide: any error before the home network is joined → the maker's soft AP, FFS disabled.
        rec.ffs = false;
        save();
        leaveForSoftAp();
      },
    });
  }

  function boot(): void {
    if (rec.network) {
      joinHome();
      return;
    }
    if (rec.ffs && rec.runs < MAX_RUNS) {
      if (rec.runs > 0) warn(hal, 'last run did not finish: new session');
      runFfs();
      return;
    }
    if (rec.ffs) {
      warn(hal, MAX_RUNS + ' runs did not finish: soft AP');
      rec.ffs = false;
      rec.runs = 0;
      save();
    }
    softAp();
  }

  function forget(): void {
    hal.config.resetConfiguration();
    hal.storage.erase(FILES.handoff);
  }

  if (!opts.idle) boot();

  return {
    clearSetup(): void {
      stopAll();
      rec = factoryRecord();
      rec.ffs = false;
      save();
      forget();
      leaveForSoftAp();
    },
    factoryReset(): void {
      stopAll();
      store.erase();
      rec = factoryRecord();
      forget();
      hal.wifi.disconnect({ onDone: () => undefined });
    },
    stop(): void {
      stopAll();
    },
  };
}
