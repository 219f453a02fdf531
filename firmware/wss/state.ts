// What the WSS side remembers across reboots (firmware/store/record.ts: two slots, power-safe).
// "FFS off" is not remembered: the guide brings both setup modes back at every power cycle.
//  - runs: FFS runs started and not finished; a reboot mid-flow starts a NEW session (fresh setup
//    nonce and sessionId: a DSS session is never resumed), and after MAX_RUNS unfinished runs in a
//    row one boot skips FFS (the soft AP alone) instead of looping
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
  runs: number;
  network: SavedNetwork | null;
  handoff: boolean;
}


export function openWssStore(storage: StorageService): RecordStore<WssRecord> {
  return createRecordStore<WssRecord>({ storage: storage, name: FILES.wssState, version: RECORD_VERSION });
}

/** A loaded record checked member by member, or the factory one (null: missing or unreadable). */
export function checkRecord(r: WssRecord | null): WssRecord {
  const n = r && r.network;
  return {
    runs: r && r.runs > 0 ? r.runs | 0 : 0,
    network: n && typeof n.ssid === 'string' && typeof n.key === 'string' && typeof n.security === 'string' ? n : null,
    handoff: !!r && r.handoff === true,
  };
}

/** The stored record, or the factory one (a torn write leaves the older slot). */
export function loadRecord(store: RecordStore<WssRecord>): WssRecord {
  return checkRecord(store.load());
}
