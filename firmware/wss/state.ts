// What the WSS side remembers across reboots (firmware/store/record.ts: two slots, power-safe).
//  - ffs: Wi-Fi Simple Setup enabled (factory default); cleared by any failed run and by a short hold
//  - runs: FFS runs started and not finished; a reboot mid-flow starts a NEW session (fresh setup
//    nonce and sessionId: a DSS session is never resumed), and after MAX_RUNS unfinished runs the
//    device gives up on FFS and opens its soft AP instead of looping
//  - network: the user network, written only after a verified connection
//  - handoff: the signed session-token hand-off is waiting for the maker's app/cloud
import type { StorageService, WifiSecurity } from '../../hal/types';
import { FILES } from '../../hal/storage-layout';
import { createRecordStore, type RecordStore } from '../store/record';

export const MAX_RUNS = 3;
export const RECORD_VERSION = 1;

export interface SavedNetwork {
  ssid: string;
  security: WifiSecurity;
  key: string;
}

export interface WssRecord {
  ffs: boolean;
  runs: number;
  network: SavedNetwork | null;
  handoff: boolean;
}

export function factoryRecord(): WssRecord {
  return { ffs: true, runs: 0, network: null, handoff: false };
}

export function openWssStore(storage: StorageService): RecordStore<WssRecord> {
  return createRecordStore<WssRecord>({ storage: storage, name: FILES.wssState, version: RECORD_VERSION });
}

/** The record, or the factory one when missing or unreadable (a torn write leaves the older slot). */
export function loadRecord(store: RecordStore<WssRecord>): WssRecord {
  const r = store.load();
  if (!r || typeof r.ffs !== 'boolean' || typeof r.runs !== 'number') return factoryRecord();
  const n = r.network;
  const network = n && typeof n.ssid === 'string' && typeof n.key === 'string' && typeof n.security === 'string' ? n : null;
  return { ffs: r.ffs, runs: r.runs, network: network, handoff: r.handoff === true };
}
