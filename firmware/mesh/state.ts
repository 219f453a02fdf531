// The provisioned state, persisted as ONE record (firmware/store/record.ts: two slots, CRC, sequence),
// so a power cut at any write leaves the old state or the new one, never a mix.
import type { HalError, StorageService } from '../../hal/types';
import { createRecordStore, type RecordStore } from '../store/record';
import { bytesToHex, hexToBytes } from '../crypto/bytes';
import type { ProvisionedData } from './prov';

/** Storage name of the record (slots `ffs.meshnet.a` / `.b`). */
export const MESH_RECORD = 'ffs.meshnet';
const VERSION = 1;

interface MeshRecord {
  netKey: string;
  keyIndex: number;
  flags: number;
  ivIndex: number;
  address: number;
  devKey: string;
  elements: number;
}

export interface MeshNode {
  netKey: Uint8Array;
  keyIndex: number;
  flags: number;
  ivIndex: number;
  address: number;
  devKey: Uint8Array;
  elements: number;
}

export interface MeshState {
  load(): MeshNode | null;
  save(data: ProvisionedData, elements: number): HalError | null;
  erase(): void;
}

function valid(r: MeshRecord | null): boolean {
  return !!r && typeof r.netKey === 'string' && r.netKey.length === 32 && typeof r.devKey === 'string' &&
    r.devKey.length === 32 && typeof r.address === 'number' && r.address > 0 && r.address <= 0x7fff;
}

export function createMeshState(storage: StorageService): MeshState {
  const rec: RecordStore<MeshRecord> = createRecordStore<MeshRecord>({ storage: storage, name: MESH_RECORD, version: VERSION });
  return {
    load(): MeshNode | null {
      const r = rec.load();
      if (!r || !valid(r)) return null;
      return {
        netKey: hexToBytes(r.netKey),
        keyIndex: r.keyIndex,
        flags: r.flags,
        ivIndex: r.ivIndex,
        address: r.address,
        devKey: hexToBytes(r.devKey),
        elements: r.elements,
      };
    },
    save(d: ProvisionedData, elements: number): HalError | null {
      return rec.save({
        netKey: bytesToHex(d.netKey),
        keyIndex: d.keyIndex,
        flags: d.flags,
        ivIndex: d.ivIndex,
        address: d.address,
        devKey: bytesToHex(d.devKey),
        elements: elements,
      });
    },
    erase: () => rec.erase(),
  };
}
