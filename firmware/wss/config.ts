// Reading configuration values (ffsGetConfigurationValue) as the type a WSS module needs.
import type { Hal } from '../../hal/types';

/** A string or number value as text; '' when absent or of another type. */
export function configString(hal: Hal, key: string): string {
  const v = hal.config.getConfigurationValue(key);
  return typeof v === 'string' || typeof v === 'number' ? String(v) : '';
}

/** A positive port number (number or digits), else `dflt`. */
export function configPort(hal: Hal, key: string, dflt: number): number {
  const n = parseInt(configString(hal, key), 10);
  return n > 0 ? n : dflt;
}

/** A switch that is on unless set to false (the boolean or "false"). */
export function configFlag(hal: Hal, key: string): boolean {
  return String(hal.config.getConfigurationValue(key)) !== 'false';
}
