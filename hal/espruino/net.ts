// PLACEHOLDER (replaced by the WSS work, issue 5): UDP discovery and the soft-AP HTTP server.
import type { LogService, NetService } from '../types';
import { failLater } from './unavailable';

export function createNet(deps: { log: LogService }): NetService {
  return {
    listenUdp: (o) => failLater('UDP', o.onDone),
    closeUdp: () => undefined,
    serveHttp: (o) => failLater('HTTP server', o.onDone),
    closeHttp: () => undefined,
  };
}
