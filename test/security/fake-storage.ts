// A StorageService over a Map that models Espruino Storage's trash: a replaced or erased file's bytes
// stay in flash (here: `trash`) until compact(). Tests look for secrets in live files and in the trash.
import type { HalError, StorageService } from '../../hal/types';

export interface TrashStorage extends StorageService {
  files: Map<string, string>;
  trash: string[];
  compacts: number;
  /** make the next write fail (Storage full) */
  failNextWrite: boolean;
  /** every byte still in flash: live files and trash */
  flash(): string;
}

export function trashStorage(): TrashStorage {
  const files = new Map<string, string>();
  const s: TrashStorage = {
    files,
    trash: [],
    compacts: 0,
    failNextWrite: false,
    flash: () => [...files.values(), ...s.trash].join('\n'),
    read: (n) => (files.has(n) ? new Uint8Array(Buffer.from(files.get(n)!, 'latin1')) : null),
    readMapped: (n) => s.read(n),
    readString: (n) => (files.has(n) ? files.get(n)! : null),
    readJSON: (n) => (files.has(n) ? JSON.parse(files.get(n)!) : null),
    write(n, d): HalError | null {
      if (s.failNextWrite) {
        s.failNextWrite = false;
        return { code: 'STORAGE_FULL', message: 'write failed: ' + n };
      }
      if (files.has(n)) s.trash.push(files.get(n)!);
      files.set(n, typeof d === 'string' ? d : Buffer.from(d).toString('latin1'));
      return null;
    },
    writeJSON: (n, v) => s.write(n, JSON.stringify(v)),
    erase(n) {
      if (files.has(n)) s.trash.push(files.get(n)!);
      files.delete(n);
    },
    list: (p) => [...files.keys()].filter((k) => k.startsWith(p)),
    free: () => 100000,
    compact() {
      s.compacts++;
      s.trash = [];
    },
  } as TrashStorage;
  return s;
}
