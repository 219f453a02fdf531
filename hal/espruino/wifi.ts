// PLACEHOLDER (replaced by the WSS work, issue 5): Wi-Fi over require("Wifi").
import type { ClockService, LogService, WifiService } from '../types';
import { failLater, unavailable } from './unavailable';

export function createWifi(deps: { clock: ClockService; log: LogService }): WifiService {
  return {
    scan: (o) => failLater('Wi-Fi scan', o.onDone),
    getScanResult: () => null,
    addConfiguration: () => unavailable('Wi-Fi'),
    removeConfiguration: (o) => failLater('Wi-Fi', o.onDone),
    connect: (o) => failLater('Wi-Fi', o.onDone),
    getConnectionDetails: (o) => failLater('Wi-Fi', o.onDone),
    getConnectionAttempt: () => null,
    disconnect: (o) => failLater('Wi-Fi', o.onDone),
    startAccessPoint: (o) => failLater('soft AP', o.onDone),
    stopAccessPoint: (o) => failLater('soft AP', o.onDone),
  };
}
