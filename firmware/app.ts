// The device program: boot, pick the flows, watch the button. Pure logic over the HAL.
import type { Hal } from '../hal/types';
import { FILES } from '../hal/storage-layout';
import { FIRMWARE_VERSION } from './version';
import { startWss, type WssController } from './wss/index';
import { startMesh, type MeshController } from './mesh/index';
import { watchButton } from './button';

/** The line the flash tool and the simulator wait for after a reset. */
export const BOOT_LINE = 'FFS provisionee booted';

/** Which flows this device runs (from the device configuration written by the flash tool). */
interface FlowConfig {
  flows?: { wss?: boolean; mesh?: boolean };
  button?: { shortHoldMs?: number; factoryResetMs?: number };
}

export function startDevice(hal: Hal): void {
  const info = (tag: string, message: string): void => hal.log.log('info', tag, message);
  // The boot line (the flash tool waits for it); main.ts has already closed the consoles.
  info(
    'boot',
    BOOT_LINE + ' v' + FIRMWARE_VERSION + ' on ' + hal.system.board + ' Espruino ' + hal.system.firmwareVersion,
  );
  const cfg = hal.storage.readJSON<FlowConfig>(FILES.config);
  if (!cfg) {
    hal.log.log('error', 'boot', 'no ' + FILES.config + ': flash the device first');
    return;
  }
  const flows = cfg.flows || {};
  let wss: WssController | null = null;
  let mesh: MeshController | null = null;
  if (__FEATURE_WSS__ && flows.wss !== false) wss = startWss(hal, {});
  if (__FEATURE_MESH__ && flows.mesh) mesh = startMesh(hal, {});

  const buttonCfg = cfg.button || {};
  watchButton(hal, {
    shortHoldMs: buttonCfg.shortHoldMs || 3000,
    factoryResetMs: buttonCfg.factoryResetMs || 10000,
    onShortHold(): void {
      // Guide: clear the setup settings, disable FFS, return to the maker's soft-AP setup.
      info('button', 'short hold: clear setup');
      if (wss) wss.clearSetup();
    },
    onFactoryReset(): void {
      // Guide: > 10 s restores factory settings with both soft AP and FFS enabled again.
      info('button', 'factory reset');
      if (wss) wss.factoryReset();
      if (mesh) mesh.factoryReset();
      hal.clock.setTimeout(() => hal.system.reboot(), 200);
    },
  });
}
