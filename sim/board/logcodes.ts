// The board's console decoder: the firmware prints most log lines as short codes (build/logcodes.mjs);
// the board puts the source's words back before the line reaches board.console and the timeline, so
// timelines, scenarios, the fuzz oracle and tests read what the TypeScript says. The wire (onConsole:
// the emulated REPL the flash tool talks to) keeps what the device printed.
// Dictionaries, in the order tried: the one in the app's source map (`x_ffs_logcodes`, written by the
// build next to every bundle), then dist/*.logs.json of this repository. The boot line names the
// dictionary of the running firmware; a line no dictionary decodes stays raw with a note.
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { LogDecoder, dictionaryFromMap, loadDictionary } from '../../build/logcodes.mjs';

export type LogDictionary = { id: string; codes: Record<string, unknown> };

const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist');
const fromMaps = new Map<string, LogDictionary | null>();
let distCache: { key: string; dicts: LogDictionary[] } | null = null;

/** The dictionary carried by a source map text (parsed once per map). */
export function mapDictionary(map: string): LogDictionary | null {
  if (!fromMaps.has(map)) {
    if (fromMaps.size > 8) fromMaps.clear();
    fromMaps.set(map, dictionaryFromMap(map));
  }
  return fromMaps.get(map) ?? null;
}

/** dist/*.logs.json of this repository (read again when a file changes). */
export function distDictionaries(dir = dist): LogDictionary[] {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.logs.json')).sort();
  } catch {
    return [];
  }
  const key = dir + '|' + files.map((f) => f + ':' + statSync(path.join(dir, f)).mtimeMs).join(',');
  if (distCache && distCache.key === key) return distCache.dicts;
  const dicts: LogDictionary[] = [];
  for (const f of files) {
    try {
      const d = loadDictionary(path.join(dir, f));
      if (d) dicts.push(d);
    } catch {
      /* a corrupt file decodes nothing; the lines show raw with a note */
    }
  }
  distCache = { key, dicts };
  return dicts;
}

/** A decoder for one board: the app's map first, then dist/. */
export function boardDecoder(sourceMap?: { map: string }, extra: LogDictionary[] = []): LogDecoder {
  const fromMap = sourceMap ? mapDictionary(sourceMap.map) : null;
  return new LogDecoder([...extra, ...(fromMap ? [fromMap] : []), ...distDictionaries()]);
}
