// PLACEHOLDER (replaced by the WSS work, issue 5): configuration values and registration token.
import type { ConfigService, LogService, StorageService } from '../types';

export function createConfig(deps: { storage: StorageService; log: LogService }): ConfigService {
  return {
    setConfigurationValue: () => ({ code: 'UNAVAILABLE', message: 'config not built yet' }),
    getConfigurationValue: () => undefined,
    setRegistrationToken: () => ({ code: 'UNAVAILABLE', message: 'config not built yet' }),
    getRegistrationToken: () => null,
    getRegistrationDetails: () => ({ state: 'NOT_REGISTERED' }),
  };
}
