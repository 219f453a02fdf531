// PLACEHOLDER (replaced by the mesh work, issue 4): advertising, scanning and GATT over NRF.
import type { BleService, LogService } from '../types';
import { unavailable } from './unavailable';

export function createBle(deps: { log: LogService }): BleService {
  return {
    supports: { pbGatt: false, pbAdv: false },
    setAdvertising: () => unavailable('BLE'),
    stopAdvertising: () => undefined,
    startScan: () => unavailable('BLE'),
    stopScan: () => undefined,
    setGattService: () => unavailable('BLE'),
    notify: () => unavailable('BLE'),
    disconnect: () => undefined,
  };
}
