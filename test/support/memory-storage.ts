// An in-memory StorageService for unit tests, with power-cut injection on writes.
import type { Bytes, HalError, StorageService } from '../../hal/types.ts';

export interface MemoryStorage extends StorageService {
  files: Map<string, string>;
  writes: number;
  /** Called before each write with its 1-based index; return 'cut' (nothing lands, throws
   *  PowerCut), 'torn' (a prefix lands, throws PowerCut) or 'ok'. */
  beforeWrite?: (n: number, name: string) => 'ok' | 'cut' | 'torn';
}

export class PowerCut extends Error {}

export function memoryStorage(capacity = 1 << 20): MemoryStorage {
  const files = new Map<string, string>();
  const used = () => [...files.values()].reduce((a, s) => a + s.length, 0);
  const st: MemoryStorage = {
    files,
    writes: 0,
    read: (n) => (files.has(n) ? new Uint8Array(Buffer.from(files.get(n)!, 'latin1')) : null),
    readMapped: (n) => (files.has(n) ? new Uint8Array(Buffer.from(files.get(n)!, 'latin1')) : null),
    readString: (n) => (files.has(n) ? files.get(n)! : null),
    readJSON<T>(n: string): T | null {
      try {
        return files.has(n) ? (JSON.parse(files.get(n)!) as T) : null;
      } catch {
        return null;
      }
    },
    write(name: string, data: Bytes | string): HalError | null {
      const text = typeof data === 'string' ? data : Buffer.from(data).toString('latin1');
      st.writes++;
      const verdict = st.beforeWrite ? st.beforeWrite(st.writes, name) : 'ok';
      if (verdict === 'cut') throw new PowerCut('power cut before write ' + st.writes);
      if (verdict === 'torn') {
        files.set(name, text.slice(0, Math.floor(text.length / 2)));
        throw new PowerCut('power cut during write ' + st.writes);
      }
      if (used() - (files.get(name)?.length ?? 0) + text.length > capacity) return { code: 'STORAGE_FULL', message: 'full' };
      files.set(name, text);
      return null;
    },
    writeJSON(name, value) {
      return st.write(name, JSON.stringify(value));
    },
    erase: (n) => void files.delete(n),
    list: (p) => [...files.keys()].filter((k) => k.startsWith(p)),
    free: () => capacity - used(),
  };
  return st;
}
