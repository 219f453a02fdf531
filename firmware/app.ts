// The device program: boot, pick the flow, watch the button. Pure logic over the HAL.
import type { Hal } from '../hal/types';
import { FIRMWARE_VERSION } from './version';

/** The line the flash tool and the simulator wait for after a reset. */
export const BOOT_LINE = 'FFS provisionee booted';

export function startDevice(hal: Hal): void {
  hal.system.hardenConsole();
  hal.log.log(
    'info',
    'boot',
    BOOT_LINE + ' v' + FIRMWARE_VERSION + ' on ' + hal.system.board + ' Espruino ' + hal.system.firmwareVersion,
  );
}
