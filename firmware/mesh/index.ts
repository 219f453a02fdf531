// PLACEHOLDER (replaced by the mesh work, issue 4): the BLE Mesh provisionee's entry point.
import type { Hal } from '../../hal/types';

export interface MeshController {
  isProvisioned(): boolean;
  /** Erase the mesh records (NetKey, DevKey, address...) so the device beacons again after reboot. */
  factoryReset(): void;
  stop(): void;
}

export function startMesh(hal: Hal, opts: {}): MeshController {
  hal.log.log('warn', 'mesh', 'BLE Mesh provisioning is not built yet');
  return { isProvisioned: () => false, factoryReset() {}, stop() {} };
}
