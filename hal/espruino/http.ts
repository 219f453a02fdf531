// PLACEHOLDER (replaced by the WSS work, issue 5): ffsHttpExecute over require("http") with mutual TLS.
import type { CryptoService, HttpService, LogService, StorageService } from '../types';
import { failLater } from './unavailable';

export function createHttp(deps: { storage: StorageService; crypto: CryptoService; log: LogService }): HttpService {
  return { execute: (o) => failLater('HTTP', o.onDone) };
}
