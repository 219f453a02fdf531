// Short log calls for the mesh modules (bundle size): L.d/i/w/e(message) → "<level> mesh: <message>".
// Messages never carry secrets: PDU names, lengths, states, error names only.
import type { LogLevel, LogService } from '../../hal/types';

export interface MeshLog {
  d(m: string): void;
  i(m: string): void;
  w(m: string): void;
  e(m: string): void;
}

/**
 * One small object per module, its four methods shared on the prototype: measured on the interpreter,
 * four closures made per logger held ~80 JsVars each time (six loggers while a node is provisioned).
 */
class Logger implements MeshLog {
  l: LogService;
  constructor(log: LogService) {
    this.l = log;
  }
  o(level: LogLevel, m: string): void {
    this.l.log(level, 'mesh', m);
  }
  d(m: string): void {
    this.o('debug', m);
  }
  i(m: string): void {
    this.o('info', m);
  }
  w(m: string): void {
    this.o('warn', m);
  }
  e(m: string): void {
    this.o('error', m);
  }
}

/** A module whose lines start with a prefix (e.g. 'pb-gatt: ') writes it in each message: that text is
 *  part of the message's log code, free on the board. */
export function meshLog(log: LogService): MeshLog {
  return new Logger(log);
}
