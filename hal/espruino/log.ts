import type { LogLevel, LogService } from '../types';

/**
 * The id of the build's log dictionary: build/logcodes.mjs fills it with " ~<8 hex digits>" (the
 * SHA-256 of the bundle), so the boot line tells the host which dictionary decodes this firmware's
 * coded lines; empty in a build without that pass.
 */
const LOG_ID = '';

/**
 * ffsLog over the console: one line "<level> <tag>: <message>". In the built bundle most messages are
 * short codes ("~K3~postWifiScanData"): the simulator, the trace page, the flash tool and the Espruino
 * lane print them as the source wrote them (build/logcodes.mjs, docs/TOOLING.md).
 */
export function createLog(): LogService {
  return {
    log(level: LogLevel, tag: string, message: string): void {
      console.log(level + ' ' + tag + ': ' + message + (tag === 'boot' ? LOG_ID : ''));
    },
  };
}
