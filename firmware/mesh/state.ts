// The provisioned state, persisted as ONE record (firmware/store/record.ts: two slots, CRC, sequence),
// so a power cut at any write leaves the old state or the new one, never a mix.
import type { HalError, StorageService } from '../../hal/types';
import { createRecordStore, type RecordStore } from '../store/record';

/** Storage name of the record (slots `ffs.meshnet.a` / `.b`). */
export const MESH_RECORD = 'ffs.meshnet';
const VERSION = 1;

/** The stored record. Keys stay hex: the node only needs its address at boot, so no key is decoded. */
export interface MeshNode {
  netKey: string;
  keyIndex: number;
  flags: number;
  ivIndex: number;
  address: number;
  devKey: string;
  elements: number;
}

export interface MeshState {
  /** The node record, or null when there is none or it is not a valid one. */
  load(): MeshNode | null;
  save(node: MeshNode): HalError | null;
  erase(): void;
}

export function createMeshState(storage: StorageService): MeshState {
  const rec: RecordStore<MeshNode> = createRecordStore<MeshNode>({ storage: storage, name: MESH_RECORD, version: VERSION });
  return {
    load(): MeshNode | null {
      const r = rec.load();
      const hex32 = function (v: unknown): boolean {
        return typeof v === 'string' && v.length === 32;
      };
      return r && hex32(r.netKey) && hex32(r.devKey) && r.address > 0 && r.address <= 0x7fff ? r : null;
    },
    // the record store's own (they use no `this`)
    save: rec.save,
    erase: rec.erase,
  };
}
