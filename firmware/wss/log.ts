// Short log helpers for the WSS modules (one call site each instead of hal.log.log(level, tag, ...)).
import type { Hal } from '../../hal/types';

export function info(hal: Hal, m: string): void {
  hal.log.log('info', 'wss', m);
}

export function warn(hal: Hal, m: string): void {
  hal.log.log('warn', 'wss', m);
}
