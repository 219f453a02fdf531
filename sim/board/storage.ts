// The flash file system of one emulated board, with the semantics of Espruino's Storage
// (src/jsflash.c jsfWriteFile / jsfCreateFile, src/jswrap_storage.c), persisted to one JSON file.
//
// Facts emulated (from Espruino's sources):
// - a file is created by a write at offset 0 (or no offset); `size` (else the data length) fixes its
//   total size; bytes never written read as 0xFF (erased flash);
// - a write at offset > 0 lands inside the existing file: "Too much data for file size" past its end,
//   "File already written with different data" over bytes that are not erased, "Unable to find or create
//   file" when there is no file (or no room for a new one, even after the automatic compaction);
// - rewriting a file with identical content is a no-op that returns true; empty data returns false;
// - replaced / erased files stay as trash until compact() (which jsfCreateFile runs when out of room);
// - names are at most 28 characters: a longer name is cut to 28 (jsfNameFromVar copies 28 bytes);
// - each file costs a 32-byte header and is 4-byte aligned (JSF_ALIGNMENT on ESP32).
// The in-memory copy is the truth; every change is written through (atomic replace) to the JSON file.

import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const STORAGE_NAME_MAX = 28;
export const STORAGE_DEFAULT_CAPACITY = 896 * 1024;
const HEADER_BYTES = 32;
const ALIGN = 4;
const FORMAT = 'espruino-storage-sim/1';

export type WriteDecision = 'ok' | 'cut' | 'torn';
export type WriteHook = (name: string, data: Uint8Array) => WriteDecision | void;

/** An error the real Storage module throws (message text as on the device). */
export class StorageError extends Error {}

/** The persisted file is unreadable: one clear line naming the file. */
export class StorageFileError extends Error {
  constructor(readonly file: string, reason: string) {
    super(`sim: Storage file ${file} is corrupt (${reason}); delete it to start with empty flash`);
    this.name = 'StorageFileError';
  }
}

export interface StorageStats {
  totalBytes: number;
  freeBytes: number;
  fileBytes: number;
  fileCount: number;
  trashBytes: number;
  trashCount: number;
}

export interface StorageEmuOptions {
  /** JSON file to persist to; omitted = in memory only (fleets, fuzzing) */
  path?: string;
  /** bytes of flash for Storage (default 896 KB, the ESP32 build) */
  capacity?: number;
}

function cost(size: number): number {
  return Math.ceil((HEADER_BYTES + size) / ALIGN) * ALIGN;
}

export function normaliseName(name: string): string {
  return name.length > STORAGE_NAME_MAX ? name.slice(0, STORAGE_NAME_MAX) : name;
}

export class StorageEmu {
  readonly path: string | undefined;
  readonly capacity: number;
  private files = new Map<string, Uint8Array>();
  private trashBytes = 0;
  private trashCount = 0;
  private hooks: WriteHook[] = [];
  /** writes made by the device through the Storage module (flashing does not count) */
  deviceWrites = 0;

  constructor(opts: StorageEmuOptions = {}) {
    this.path = opts.path;
    this.capacity = opts.capacity ?? STORAGE_DEFAULT_CAPACITY;
    if (this.path && existsSync(this.path)) this.loadFile(this.path);
  }

  // ---- fault hooks ----

  /** Register a hook asked before every device write lands: 'ok', 'cut' (lose it), 'torn' (land a prefix). */
  beforeWrite(hook: WriteHook): () => void {
    this.hooks.push(hook);
    return () => {
      this.hooks = this.hooks.filter((h) => h !== hook);
    };
  }

  /** Ask the hooks about one device write (first non-'ok' answer wins). */
  decide(name: string, data: Uint8Array): WriteDecision {
    for (const h of this.hooks) {
      const d = h(name, data);
      if (d === 'cut' || d === 'torn') return d;
    }
    return 'ok';
  }

  // ---- reads ----

  list(): string[] {
    return [...this.files.keys()];
  }

  has(name: string): boolean {
    return this.files.has(normaliseName(name));
  }

  /** The file's bytes (a view on the stored copy: do not modify) or undefined. */
  read(name: string): Uint8Array | undefined {
    return this.files.get(normaliseName(name));
  }

  /** The file as an Espruino binary string (one char per byte), or undefined. */
  readString(name: string): string | undefined {
    const b = this.read(name);
    return b === undefined ? undefined : Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
  }

  getFree(): number {
    return this.capacity - this.usedBytes() - this.trashBytes;
  }

  getStats(): StorageStats {
    let fileBytes = 0;
    for (const f of this.files.values()) fileBytes += cost(f.length);
    return {
      totalBytes: this.capacity,
      freeBytes: this.getFree(),
      fileBytes,
      fileCount: this.files.size,
      trashBytes: this.trashBytes,
      trashCount: this.trashCount,
    };
  }

  /** A 32-bit hash of names and contents of the files whose names match (Storage.hash). */
  hash(match?: (name: string) => boolean): number {
    let h = 0x811c9dc5;
    const mix = (byte: number) => {
      h ^= byte;
      h = Math.imul(h, 0x01000193) >>> 0;
    };
    for (const [name, data] of this.files) {
      if (match && !match(name)) continue;
      for (let i = 0; i < name.length; i++) mix(name.charCodeAt(i) & 0xff);
      mix(0);
      for (let i = 0; i < data.length; i++) mix(data[i]);
    }
    return h >>> 0;
  }

  // ---- writes (device semantics) ----

  /**
   * Storage.write(name, data, offset, size). Returns true / false like the device, or throws a
   * StorageError with the device's message. `limit` lands only that many bytes (a torn write).
   */
  write(rawName: string, data: Uint8Array, offset = 0, size = 0, limit?: number): boolean {
    const name = normaliseName(rawName);
    if (!Number.isFinite(offset) || !Number.isFinite(size) || offset < 0 || size < 0) return false;
    offset = Math.floor(offset);
    size = Math.floor(size);
    if (data.length === 0) return false;
    if (size === 0) size = data.length;
    let file = this.files.get(name);
    if (offset === 0) {
      if (file && file.length === size && data.length === size && equal(file, data)) return true;
      if (!(file && file.length === size && isErased(file, 0, size))) {
        if (file) this.dropToTrash(name, file);
        file = this.create(name, size);
      }
    }
    if (!file) throw new StorageError('Unable to find or create file');
    if (offset + data.length > file.length) throw new StorageError('Too much data for file size');
    if (!isErased(file, offset, data.length)) throw new StorageError('File already written with different data');
    const n = limit === undefined ? data.length : Math.max(0, Math.min(limit, data.length));
    file.set(data.subarray(0, n), offset);
    this.persist();
    return true;
  }

  /** Flash a whole file from the host (the flash tool's path): replaces any existing file, no hooks. */
  writeFile(rawName: string, data: Uint8Array | string): void {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    const name = normaliseName(rawName);
    const old = this.files.get(name);
    if (old) this.dropToTrash(name, old);
    const file = this.create(name, bytes.length);
    file.set(bytes);
    this.persist();
  }

  erase(rawName: string): void {
    const name = normaliseName(rawName);
    const file = this.files.get(name);
    if (!file) return;
    this.dropToTrash(name, file);
    this.persist();
  }

  eraseAll(): void {
    this.files.clear();
    this.trashBytes = 0;
    this.trashCount = 0;
    this.persist();
  }

  compact(): void {
    this.trashBytes = 0;
    this.trashCount = 0;
    this.persist();
  }

  // ---- internals ----

  private usedBytes(): number {
    let used = 0;
    for (const f of this.files.values()) used += cost(f.length);
    return used;
  }

  private create(name: string, size: number): Uint8Array {
    const need = cost(size);
    if (need > this.getFree()) {
      this.trashBytes = 0; // jsfCreateFile compacts when it runs out of room
      this.trashCount = 0;
      if (need > this.getFree()) {
        this.persist();
        throw new StorageError('Unable to find or create file');
      }
    }
    const file = new Uint8Array(size).fill(0xff);
    this.files.set(name, file);
    return file;
  }

  private dropToTrash(name: string, file: Uint8Array): void {
    this.files.delete(name);
    this.trashBytes += cost(file.length);
    this.trashCount++;
  }

  private loadFile(file: string): void {
    let doc: any;
    try {
      doc = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new StorageFileError(file, (e as Error).message.split('\n')[0]);
    }
    if (!doc || doc.format !== FORMAT || !Array.isArray(doc.files)) {
      throw new StorageFileError(file, `expected {"format":"${FORMAT}","files":[...]}`);
    }
    for (const [i, f] of doc.files.entries()) {
      if (!f || typeof f.name !== 'string' || typeof f.base64 !== 'string' || f.name.length > STORAGE_NAME_MAX) {
        throw new StorageFileError(file, `files[${i}] needs a "name" of at most 28 characters and "base64" data`);
      }
      this.files.set(f.name, new Uint8Array(Buffer.from(f.base64, 'base64')));
    }
    this.trashBytes = Number(doc.trashBytes) || 0;
    this.trashCount = Number(doc.trashCount) || 0;
  }

  private persist(): void {
    if (!this.path) return;
    const doc = {
      format: FORMAT,
      capacity: this.capacity,
      trashBytes: this.trashBytes,
      trashCount: this.trashCount,
      files: [...this.files].map(([name, data]) => ({
        name,
        size: data.length,
        base64: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64'),
      })),
    };
    mkdirSync(path.dirname(this.path), { recursive: true });
    const tmp = this.path + '.tmp';
    writeFileSync(tmp, JSON.stringify(doc));
    renameSync(tmp, this.path);
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function isErased(file: Uint8Array, from: number, len: number): boolean {
  const end = Math.min(file.length, from + len);
  for (let i = from; i < end; i++) if (file[i] !== 0xff) return false;
  return true;
}
