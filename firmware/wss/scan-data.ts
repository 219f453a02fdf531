// Which scan results go to postWifiScanData, and how they are cut into batches
// (wss-protocol.md 3.5): only OPEN, WEP and WPA_PSK; hidden (empty-SSID) results skipped; WEP and
// open networks can be left out by configuration; the setup networks themselves are never sent.
import type { WifiScanResult } from '../../hal/types';
import { scanEntryJson } from './messages';

export interface ScanFilter {
  allowOpen: boolean;
  allowWep: boolean;
  /** SSIDs never posted (the setup networks) */
  exclude: string[];
}

export function usableScanResults(list: WifiScanResult[], f: ScanFilter): WifiScanResult[] {
  const out: WifiScanResult[] = [];
  for (let i = 0; i < list.length; i++) {
    const r = list[i];
    if (!r || typeof r.ssid !== 'string' || r.ssid.length === 0 || r.ssid.length > 32 || r.hidden) continue;
    if (r.security !== 'OPEN' && r.security !== 'WEP' && r.security !== 'WPA_PSK') continue;
    if (r.security === 'OPEN' && !f.allowOpen) continue;
    if (r.security === 'WEP' && !f.allowWep) continue;
    if (f.exclude.indexOf(r.ssid) >= 0) continue;
    let dup = false;
    for (let j = 0; j < out.length; j++) if (out[j].ssid === r.ssid && out[j].bssid === r.bssid) dup = true;
    if (!dup) out.push(r);
  }
  // strongest first, so the networks most likely to work are posted in the first batch
  out.sort((a, b) => (b.rssi || -127) - (a.rssi || -127));
  return out;
}

/** The rendered entries, in order. */
export function renderScanEntries(list: WifiScanResult[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < list.length; i++) out.push(scanEntryJson(list[i]));
  return out;
}

/**
 * The end index (exclusive) of the batch that starts at `start`, keeping the joined entries within
 * `maxBytes`; at least one entry when any is left (a leftover is carried to the next post).
 */
export function batchEnd(entries: string[], start: number, maxBytes: number): number {
  let size = 0;
  let i = start;
  while (i < entries.length) {
    const add = entries[i].length + (i > start ? 1 : 0);
    if (i > start && size + add > maxBytes) break;
    size += add;
    i++;
  }
  return i;
}
