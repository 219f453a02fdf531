/**
 * Power-safe, versioned records on top of the HAL's key-value storage.
 *
 * A record lives in two slots (`<name>.a`, `<name>.b`). Each slot holds one line of text:
 *   <check 8 hex>:<sequence>:<schema version>:<payload>
 * where the check value is the first 4 bytes of SHA-256 (FIPS 180-4) over the UTF-8 of everything after
 * the first ':' — it detects torn or corrupt slots (not an authenticator: that is the Sealer's job).
 * `save` writes the slot that does NOT hold the newest valid copy, with sequence + 1, so a power cut at
 * any point leaves either the old record or the new one readable — never a mix. `load` takes the valid
 * slot with the highest sequence. A save that shrinks the record (a secret removed) writes the new copy
 * to both slots; that save and `erase` compact Storage, so removed secrets do not linger in flash. A payload may be sealed (authenticated encryption) by a `Sealer`.
 */
import type { HalError, StorageService } from '../../hal/types';
import { sha256 } from '../crypto/sha256';
import { bytesToHex, utf8ToBytes } from '../crypto/bytes';

/** Optional authenticated encryption of payloads at rest. `open` returns null if tampered. */
export interface Sealer {
  seal(plain: string): string;
  open(sealed: string): string | null;
}

export interface RecordStore<T> {
  load(): T | null;
  save(value: T): HalError | null;
  erase(): void;
}

/** A valid slot: [slot index (0 = .a, 1 = .b), sequence, payload]. */
type Slot = [number, number, string];

/** One slot's text: check value, sequence, schema version, payload (the flash tool writes it too). The
 *  check value: SHA-256 of the body's UTF-8, truncated to 8 hex digits. */
export function slotText(seq: number, version: number, payload: string): string {
  const body = seq + ':' + version + ':' + payload;
  return bytesToHex(sha256(utf8ToBytes(body)).subarray(0, 4)) + ':' + body;
}

export function createRecordStore<T>(opts: {
  storage: StorageService;
  name: string;
  version: number;
  sealer?: Sealer;
}): RecordStore<T> {
  const storage = opts.storage;
  const names = [opts.name + '.a', opts.name + '.b'];

  // (the slot reader is made with each store: a store is opened when it is used, so a board at rest
  // keeps no record code but the two functions of this module)
  function parseSlot(index: number): Slot | null {
    const text = storage.readString(names[index]);
    // <check>: exactly 8 characters, then ':', and it must match everything after that ':' (slotText).
    if (!text || text[8] !== ':' || text.substring(0, 8) !== bytesToHex(sha256(utf8ToBytes(text.substring(9))).subarray(0, 4))) return null;
    const b = text.indexOf(':', 9);
    const c = text.indexOf(':', b + 1);
    const seq = parseInt(text.substring(9, b), 10);
    if (b < 0 || c < 0 || !(seq >= 0) || parseInt(text.substring(b + 1, c), 10) !== opts.version) return null;
    return [index, seq, text.substring(c + 1)];
  }
  const compact = (): void => {
    if (storage.compact) storage.compact();
  };

  /** The valid slot with the highest sequence (.a on a tie), or null. */
  function newest(): Slot | null {
    const a = parseSlot(0);
    const b = parseSlot(1);
    return !a || (b && b[1] > a[1]) ? b : a;
  }

  return {
    load(): T | null {
      const best = newest();
      // no valid slot, or a payload that does not open: JSON.parse(null) is null (2v29 too)
      const plain = best && (opts.sealer ? opts.sealer.open(best[2]) : best[2]);
      try {
        return JSON.parse(plain as string) as T;
      } catch (e) {
        return null;
      }
    },
    save(value: T): HalError | null {
      const best = newest();
      const target = best ? 1 - best[0] : 0;
      const json = JSON.stringify(value);
      const payload = opts.sealer ? opts.sealer.seal(json) : json;
      const text = slotText(best ? best[1] + 1 : 1, opts.version, payload);
      const err = storage.write(names[target], text);
      // A shorter record may have dropped a secret (a cleared network's passphrase): the new copy is in
      // place, so the stale slot gets it too and Storage is compacted (the old bytes must not linger in
      // the trash). Same-size saves, such as the boot counter's, keep the older copy as their fallback.
      if (!err && best && best[2].length > payload.length && !storage.write(names[best[0]], text)) compact();
      return err;
    },
    erase(): void {
      // The older slot first: a power cut between the two erases must leave the newest record (the
      // reset simply did not happen), never bring back an older one.
      const best = newest();
      const first = best ? 1 - best[0] : 0;
      storage.erase(names[first]);
      storage.erase(names[1 - first]);
      compact();
    },
  };
}
