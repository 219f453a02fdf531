// The flashed program's entry point: build the HAL over Espruino's modules and start the device.
// This is the only file that joins firmware/ to hal/espruino/; everything below it gets `hal`.
import { createEspruinoHal } from '../hal/espruino/index';
import { startDevice } from './app';

startDevice(createEspruinoHal());
