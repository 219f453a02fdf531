import type { LogLevel, LogService } from '../types';

/** ffsLog over the console: one line "<level> <tag>: <message>". */
export function createLog(): LogService {
  return {
    log(level: LogLevel, tag: string, message: string): void {
      console.log(level + ' ' + tag + ': ' + message);
    },
  };
}
