// The Espruino implementation of the HAL contract: the only code that touches the chip.
import type { BleService, ConfigService, CryptoService, Hal, HttpService, NetService, StorageService, SystemService, WifiService } from '../types';
import { FILES } from '../storage-layout';
import { createLog } from './log';
import { createClock } from './clock';
import { createStorage } from './storage';
import { createSystem } from './system';
import { createPins, type PinConfig } from './pins';
import { createCrypto } from './crypto';
import { createConfig } from './config';
import { createHttp } from './http';
import { createWifi, createWifiState, type WifiState } from './wifi';
import { createNet, type NetState } from './net';
import { createBle } from './ble';
import { checkSeed, SEED_BYTES } from './unavailable';

/**
 * `o[name]` becomes the plain property `v` (a service made on first use replaces its getter, so later
 * reads cost nothing): the getters of createBoardHal end with it. (Deleting the getter, then writing:
 * on 2v29 as in standard JS, the write makes a plain, enumerable property.)
 */
export function keep<T>(o: any, name: string, v: T): T {
  delete o[name];
  return (o[name] = v);
}

/**
 * The board's HAL: log, clock, button and LED at once; `pins` (the maker's) win over the device
 * configuration's (ffs.cfg), which win over D0/D2. The rest is getters, so that a set-up board at rest
 * holds what it uses and no more (each getter is one closure, the cheapest form on the interpreter):
 *  - made on first use, then a plain property: crypto, http, ble (a set-up board never makes its
 *    DRBG, TLS client or BLE);
 *  - made at their first read in a turn of the event loop and dropped after it (so not kept at rest):
 *    storage (until a setup service is made: then the one those share) and config (every change is
 *    persisted at once; local discovery reads it when it answers);
 *  - made at each read over a state kept here: wifi (the configured networks, the driver's listener)
 *    and net (the open sockets): their methods are not kept between uses (measured: one per turn kept
 *    ~110 more JsVars live while setup runs, one per read no more than one kept for good);
 *  - made at each read: system (board facts, reboot).
 *
 * Boot errors: the DRBG seed is checked here, at boot, so a board flashed without it stops with one
 * clear error before anything runs (as when the DRBG was made at boot). The DRBG itself, and with it
 * the boot counter it persists before its first output (hal/espruino/crypto.ts), is made on the first
 * use of `hal.crypto`: once in every boot that needs randomness, never on a set-up board at rest.
 */
/** The services made per turn of the event loop (at their first read in it, dropped after it). */
interface Turn {
  /** storage */
  s?: StorageService;
  /** config */
  c?: ConfigService;
}

export function createBoardHal(pins?: PinConfig): Hal {
  const log = createLog();
  const clock = createClock();
  /** this turn's services (null: none made in this turn yet) */
  let turn: Turn | null = null;
  /** the storage service the setup services share, once one of them is made (null: none yet) */
  let kept: StorageService | null = null;
  /** this turn's storage service (and with it this turn's Turn) */
  const storage = (): StorageService => {
    if (!turn) {
      turn = {};
      clock.defer(() => {
        turn = null;
      });
    }
    return kept || turn.s || (turn.s = createStorage((m) => log.log('warn', 'storage', m)));
  };
  // the DRBG seed must be there: checked at boot (checkSeed throws the boot error; it is setup's code,
  // build/lazy.mjs, so it is called only when the seed is bad), the DRBG itself is made on first use.
  // (No variables for what boot reads here, the seed and ffs.cfg: the getters keep this function's.)
  ((seed: string): void => {
    if (seed.length < SEED_BYTES) checkSeed(seed);
  })(storage().readString(FILES.seed) || '');
  /** what Wi-Fi and net remember between calls (null: not used yet) */
  let wifi: WifiState | null = null;
  let net: NetState | null = null;
  const hal = {
    log: log,
    clock: clock,
    get storage(): StorageService {
      return storage();
    },
    get system(): SystemService {
      return createSystem();
    },
    get config(): ConfigService {
      const s = storage();
      const t = turn as Turn;
      return t.c || (t.c = createConfig(s));
    },
    get wifi(): WifiService {
      return createWifi(log, wifi || (wifi = createWifiState()));
    },
    get net(): NetService {
      return createNet(hal, net || (net = {}));
    },
    get crypto(): CryptoService {
      kept = storage();
      return keep(hal, 'crypto', createCrypto({ storage: kept, clock: clock, log: log }));
    },
    get http(): HttpService {
      // the DRBG first (the TLS client reseeds Espruino's generator from it); it keeps the storage
      return keep(hal, 'http', createHttp(hal.crypto));
    },
    get ble(): BleService {
      return keep(hal, 'ble', createBle(log));
    },
  } as Hal;
  // button and LED on the pins: the maker's, else the device configuration's (ffs.cfg), else D0/D2
  Object.assign(hal, createPins(pins || (storage().readJSON<{ pins?: PinConfig }>(FILES.config) || {}).pins || { button: 'D0', buttonActiveLow: true, led: 'D2' }));
  return hal;
}
