// PLACEHOLDER (replaced by the crypto work, issue 3): DRBG, native SHA-256/AES detection, P-256 ops.
import type { ClockService, CryptoService, LogService, StorageService } from '../types';
import { failLater } from './unavailable';

export function createCrypto(deps: { storage: StorageService; clock: ClockService; log: LogService }): CryptoService {
  const missing = (): never => {
    throw new Error('crypto not built yet');
  };
  return {
    randomBytes: missing,
    sha256: missing,
    hmacSha256: missing,
    computeEcdhKey: (o) => failLater('ECDH', o.onDone),
    verifyCloudSignature: (o) => failLater('signature verification', o.onDone),
    signWithDeviceKey: (o) => failLater('signing', o.onDone),
  };
}
