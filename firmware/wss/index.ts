// PLACEHOLDER (replaced by the WSS work, issue 5): the Wi-Fi Simple Setup flow's entry point.
import type { Hal } from '../../hal/types';

export interface WssController {
  /** Short hold: clear setup settings, disable FFS, go to the maker's soft-AP setup. */
  clearSetup(): void;
  /** Factory reset: erase Wi-Fi credentials and setup state; FFS and soft AP enabled again. */
  factoryReset(): void;
  stop(): void;
}

export function startWss(hal: Hal, opts: {}): WssController {
  hal.log.log('warn', 'wss', 'Wi-Fi Simple Setup is not built yet');
  return { clearSetup() {}, factoryReset() {}, stop() {} };
}
