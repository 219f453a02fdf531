// The flashed program's entry point: build the HAL over Espruino's modules and start the device.
// This is the only file that joins firmware/ to hal/espruino/; everything below it gets `hal`.
// The HAL makes its services on first use (hal/espruino/index.ts): a set-up board never builds its
// TLS client, BLE, DRBG or configuration service, and build/lazy.mjs keeps their code unevaluated.
import { createBoardHal } from '../hal/espruino/index';
import { createSystem } from '../hal/espruino/system';
import { createLog } from '../hal/espruino/log';
import { startFlows } from './api';

// The stock build leaves a REPL open on BLE UART and telnet (Storage, ffs.devkey readable): close both
// before anything that can fail, so that no boot error (a missing seed, Storage full) leaves one open.
createSystem().hardenConsole();
try {
  // (firmware/app.ts startDevice, called directly: one kept declaration fewer)
  startFlows(createBoardHal(), {}, null);
} catch (e) {
  createLog().log('error', 'boot', '' + e);
}
