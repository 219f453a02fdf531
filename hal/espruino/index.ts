// The Espruino implementation of the HAL contract: the only code that touches the chip.
import type { Hal } from '../types';
import { FILES } from '../storage-layout';
import { createLog } from './log';
import { createClock } from './clock';
import { createStorage } from './storage';
import { createSystem } from './system';
import { createButton, createLed, type PinConfig } from './pins';
import { createCrypto } from './crypto';
import { createConfig } from './config';
import { createHttp } from './http';
import { createWifi } from './wifi';
import { createNet } from './net';
import { createBle } from './ble';

const DEFAULT_PINS: PinConfig = { button: 'D0', buttonActiveLow: true, led: 'D2' };

export function createEspruinoHal(): Hal {
  const log = createLog();
  const clock = createClock();
  const storage = createStorage((m) => log.log('warn', 'storage', m));
  const cfg = storage.readJSON<{ pins?: PinConfig }>(FILES.config);
  const pins = cfg && cfg.pins ? cfg.pins : DEFAULT_PINS;
  const crypto = createCrypto({ storage: storage, clock: clock, log: log });
  const config = createConfig({ storage: storage, log: log });
  return {
    log: log,
    clock: clock,
    storage: storage,
    crypto: crypto,
    config: config,
    http: createHttp({ storage: storage, crypto: crypto, log: log }),
    wifi: createWifi({ clock: clock, log: log }),
    net: createNet({ log: log }),
    ble: createBle({ log: log }),
    button: createButton(pins),
    led: createLed(pins),
    system: createSystem(),
  };
}
