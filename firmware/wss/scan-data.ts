// Which scan results go to postWifiScanData, and how they are cut into batches
// (wss-protocol.md 3.5): only OPEN, WEP and WPA_PSK (`allowed`: WEP and open networks can be left out
// by configuration); hidden (empty-SSID) results and duplicates skipped; the setup networks
// themselves (`exclude`) are never sent.
import type { WifiScanResult } from '../../hal/types';

export function usableScanResults(list: WifiScanResult[], allowed: string[], exclude: string[]): WifiScanResult[] {
  const seen: string[] = [];
  return (
    list
      .filter((r) => {
        if (!r || typeof r.ssid !== 'string' || !r.ssid || r.ssid.length > 32 || r.hidden) return false;
        const id = r.ssid + '\n' + r.bssid;
        if (!allowed.includes(r.security) || exclude.includes(r.ssid) || seen.includes(id)) return false;
        return seen.push(id); // (the new length: truthy)
      })
      // strongest first, so the networks most likely to work are posted in the first batch
      .sort((a, b) => (b.rssi || -127) - (a.rssi || -127))
  );
}

/**
 * The end index (exclusive) of the batch that starts at `start`, keeping the joined entries within
 * `maxBytes`; at least one entry when any is left (a leftover is carried to the next post).
 */
export function batchEnd(entries: string[], start: number, maxBytes: number): number {
  let i = start;
  for (let size = -1; i < entries.length && (i === start || size + entries[i].length + 1 <= maxBytes); i++) size += entries[i].length + 1;
  return i;
}
