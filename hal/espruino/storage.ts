import type { Bytes, HalError, StorageService } from '../types';
import { halError, later } from './unavailable';

// Espruino's E (declared here too so host-side tests that import this file type-check).
declare const E: { toUint8Array(s: string): Uint8Array; toString(d: Uint8Array): string | undefined };

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
      try {
        // a missing file: JSON.parse(null) is null (2v29 too)
        return JSON.parse(readString(name) as string) as T;
      } catch (e) {
        log('corrupt JSON in ' + name);
        return null;
      }
    },
    /** Errors name the file: STORAGE_MEMORY (no flat string for the bytes), STORAGE_WRITE, STORAGE_FULL (a throw). */
    write(name: string, data: Bytes | string): HalError | null {
      const text = typeof data === 'string' ? data : E.toString(data);
      try {
        return text === undefined ? halError('STORAGE_MEMORY', name) : S.write(name, text) ? null : halError('STORAGE_WRITE', name);
      } catch (e) {
        return halError('STORAGE_FULL', name + ': ' + e);
      }
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
      later(() => S.compact());
    },
  };
}
