import type { Bytes, HalError, StorageService } from '../types';
import { halError as fail } from './unavailable';

/** Key-value storage over Espruino's `Storage` module (flash; reads are memory-mapped strings). */
export function createStorage(log: (msg: string) => void): StorageService {
  const S = require('Storage');
  /** The file as a (memory-mapped) string, or null when it does not exist. */
  function readString(name: string): string | null {
    const s = S.read(name);
    return s === undefined ? null : s;
  }
  return {
    read(name: string): Bytes | null {
      const s = readString(name);
      return s === null ? null : E.toUint8Array(s);
    },
    readMapped(name: string): Bytes | null {
      const ab = S.readArrayBuffer(name);
      return ab === undefined ? null : new Uint8Array(ab);
    },
    readString: readString,
    readJSON<T>(name: string): T | null {
      const s = readString(name);
      if (s === null) return null;
      try {
        return JSON.parse(s) as T;
      } catch (e) {
        log('corrupt JSON in ' + name);
        return null;
      }
    },
    write(name: string, data: Bytes | string): HalError | null {
      const text = typeof data === 'string' ? data : E.toString(data);
      if (text === undefined) return fail('STORAGE_MEMORY', 'cannot make a flat string for ' + name);
      try {
        if (!S.write(name, text)) return fail('STORAGE_WRITE', 'write failed: ' + name);
      } catch (e) {
        return fail('STORAGE_FULL', 'write failed: ' + name + ': ' + e);
      }
      return null;
    },
    writeJSON(name: string, value: unknown): HalError | null {
      return this.write(name, JSON.stringify(value));
    },
    erase(name: string): void {
      S.erase(name);
    },
    list(prefix: string): string[] {
      return S.list().filter((n: string) => n.indexOf(prefix) === 0);
    },
    free(): number {
      return S.getFree();
    },
    compact(): void {
      // after the current turn, so the caller's other erases (a cleared setup's files) go too
      setTimeout(() => S.compact(), 0);
    },
  };
}
