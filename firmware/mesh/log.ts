// Short log calls for the mesh modules (bundle size): L.d/i/w/e(message) → "<level> mesh: <message>".
// Messages never carry secrets: PDU names, lengths, states, error names only.
import type { LogLevel, LogService } from '../../hal/types';

export interface MeshLog {
  d(m: string): void;
  i(m: string): void;
  w(m: string): void;
  e(m: string): void;
}

/** `prefix` (e.g. 'pb-gatt: ') starts every message of the module. */
export function meshLog(log: LogService, prefix?: string): MeshLog {
  const pre = prefix || '';
  function at(level: LogLevel): (m: string) => void {
    return function (m: string): void {
      log.log(level, 'mesh', pre + m);
    };
  }
  return { d: at('debug'), i: at('info'), w: at('warn'), e: at('error') };
}
