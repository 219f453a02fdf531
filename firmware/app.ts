// The device program without maker code: FFS alone, through the maker's API (firmware/api.ts) with no
// callbacks. The flows, the button and the boot line are all there.
import type { Hal } from '../hal/types';
import { startFlows } from './api';

export { BOOT_LINE } from './api';

export function startDevice(hal: Hal): void {
  startFlows(hal, {}, null);
}
