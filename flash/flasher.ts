// Flash one board: check it, write the Storage image safely, verify every file, boot, summarise.
// Order and guarantees (docs/FLASH.md): all checks happen before anything is written; the app goes
// to a new name; a file already on the board with the same SHA-256 is left alone; every written file
// is read back as a hash; only then does the app's marker (the boot switch) land.
import { createHash } from 'node:crypto';
import { BOOT, buildStorageImage, markerFileName, type StorageFile } from './image';
import type { DeviceIdentity } from './identity';
import { FlashError, Link } from './link';
import { checkBoard, type BoardEnv, type BoardRequirements } from './board-check';
import { SECRET_FILES } from './image';
import type { DeviceConfigOptions } from './image';
import { LogDecoder } from '../build/logcodes.mjs';

/** Bytes of file data per Storage.write call (EspruinoTools uses 384: a multiple of 96 for atob). */
export const CHUNK = 384;
/** Storage.write calls per REPL round trip. */
export const CHUNKS_PER_COMMAND = 4;
/** Each Storage file costs a 32-byte header and is 4-byte aligned on ESP32 (src/jsflash.h). */
export const fileCost = (size: number): number => Math.ceil((32 + size) / 4) * 4;

export interface FlashOptions {
  port: string;
  baud?: number;
  identity: DeviceIdentity;
  bundle: Uint8Array;
  requirements: BoardRequirements;
  config?: DeviceConfigOptions;
  tables?: { deviceType?: Uint8Array; generator?: Uint8Array };
  bootLine: string;
  bootTimeoutMs?: number;
  /** the bundle's log dictionary (dist/firmware.logs.json): the boot line and the output read back in words */
  logDictionary?: { id: string; codes: Record<string, unknown> } | null;
  onProgress?: (p: { file: string; done: number; total: number; fileDone: number; fileTotal: number }) => void;
  onStep?: (text: string) => void;
}

export interface FlashSummary {
  port: string;
  env: BoardEnv;
  files: Array<{ name: string; size: number; action: 'written' | 'unchanged'; hash: 'sha256' | 'crc32' | 'adler32' }>;
  bytesWritten: number;
  app: { name: string; size: number; generation: number };
  erased: string[];
  bootLine: string;
  /** the log dictionary id the booted firmware announced (build/logcodes.mjs), if any */
  logId?: string;
  ms: number;
  warnings: string[];
}

interface BoardState {
  files: Record<string, number>;
  markers: Record<string, { app?: string; g?: number } | null>;
  stats: { freeBytes?: number; trashBytes?: number; totalBytes?: number } | null;
  free: number | null;
}

const sha256hex = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

let crcTable: Uint32Array | null = null;
/** CRC-32 (IEEE 802.3, as zlib and Espruino's E.CRC32). */
export function crc32(b: Uint8Array): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) c = crcTable[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---- code that runs on the board (ES5, Espruino dialect) -------------------------------------

/**
 * Hash of each named file: {len, sha} with the crypto module, else {len, crc} (E.CRC32), else
 * {len, adler} (Adler-32 in JS: slow, but every build has it).
 */
export function hashExpr(names: string[]): string {
  return (
    '(function(l){var S=require("Storage"),o={},c=null,k,i,n,d,h,s;try{c=require("crypto")}catch(e){}' +
    'for(k=0;k<l.length;k++){n=l[k];d=S.read(n);if(d===undefined){o[n]=null;continue}' +
    'if(c&&c.SHA256){h=new Uint8Array(c.SHA256(d));s="";for(i=0;i<h.length;i++)s+=(256+h[i]).toString(16).substr(1);o[n]={len:d.length,sha:s}}' +
    'else if(E.CRC32)o[n]={len:d.length,crc:E.CRC32(d)};else{h=1;s=0;for(i=0;i<d.length;i++){h=(h+d.charCodeAt(i))%65521;s=(s+h)%65521}o[n]={len:d.length,adler:s*65536+h}}}return o})(' +
    JSON.stringify(names) +
    ')'
  );
}

export const STATE_EXPR =
  '(function(S){var l=S.list(),o={files:{},markers:{},stats:null,free:null},i,d;' +
  'for(i=0;i<l.length;i++){d=S.read(l[i]);o.files[l[i]]=d===undefined?0:d.length;' +
  'if(l[i].indexOf("' + BOOT.markerPrefix + '")==0)o.markers[l[i]]=S.readJSON(l[i],1)||null}' +
  'try{o.stats=S.getStats()}catch(e){}try{o.free=S.getFree()}catch(e){}return o})(require("Storage"))';

/** One REPL command writing up to CHUNKS_PER_COMMAND chunks of a file (Storage.write(name, data, offset, size)). */
export function writeExpr(name: string, data: Uint8Array, from: number, to: number): string {
  const parts: string[] = [];
  for (let o = from; o < to; o += CHUNK) {
    const b64 = Buffer.from(data.subarray(o, Math.min(o + CHUNK, to))).toString('base64');
    parts.push(`S.write(${JSON.stringify(name)},atob(${JSON.stringify(b64)}),${o}${o === 0 ? ',' + data.length : ''})`);
  }
  return `(function(S){try{return (${parts.join('&&')})?1:"Storage.write returned false"}catch(e){return "ERR "+e}})(require("Storage"))`;
}

export function eraseExpr(names: string[]): string {
  return `(function(S,l){var i;for(i=0;i<l.length;i++)S.erase(l[i]);return 1})(require("Storage"),${JSON.stringify(names)})`;
}

/** The REPL text a fresh board receives for the whole image (what --dry-run writes out). */
export function uploadScript(files: StorageFile[]): string {
  const lines: string[] = [];
  for (const f of files) {
    for (let o = 0; o < f.data.length; o += CHUNK * CHUNKS_PER_COMMAND) {
      lines.push('\x10' + writeExpr(f.name, f.data, o, Math.min(o + CHUNK * CHUNKS_PER_COMMAND, f.data.length)));
    }
  }
  lines.push('\x10load()');
  return lines.join('\n') + '\n';
}

// ---- the procedure ---------------------------------------------------------------------------

export async function flashBoard(opts: FlashOptions): Promise<FlashSummary> {
  const t0 = Date.now();
  const step = opts.onStep ?? (() => {});
  const warnings: string[] = [];
  step(`connecting to ${opts.port}`);
  const link = await Link.open({ port: opts.port, baud: opts.baud });
  let resetDone = false;
  let switched = false;
  try {
    const busy = await link.waitFor(/REPL busy|another client/i, 150);
    if (busy) throw new FlashError('port-busy', `port in use: ${opts.port} already has a client connected`);

    // 1. What is this board?
    step('reading process.env');
    let env = await link.evaluate<BoardEnv>('process.env', { minTimeoutS: 3 });
    if (env === undefined && !link.isClosed) env = await link.evaluate<BoardEnv>('process.env', { minTimeoutS: 3 });
    if (link.isClosed) throw new FlashError('port-busy', `port in use: ${opts.port} closed the connection (another client may hold it)`);
    if (!env || typeof env !== 'object') {
      throw new FlashError('no-answer', `board not answering: no reply to process.env on ${opts.port} (is it an Espruino board at the right baud rate?)`);
    }
    const problem = checkBoard(env, opts.requirements);
    if (problem.error) throw new FlashError('wrong-board', problem.error);
    warnings.push(...problem.warnings);

    // 2. What is in its Storage, and does the image fit?
    step('reading Storage');
    const state = await link.evaluate<BoardState>(STATE_EXPR, { minTimeoutS: 5 });
    if (!state || typeof state.files !== 'object') throw new FlashError('no-answer', 'board not answering: could not list its Storage');
    let maxGen = 0;
    for (const m of Object.values(state.markers)) if (m && typeof m.g === 'number' && m.g > maxGen) maxGen = m.g;
    let files = buildStorageImage({ bundle: opts.bundle, identity: opts.identity, config: opts.config, tables: opts.tables, generation: maxGen + 1 });
    const appName = files[0].name;
    const markerName = files[files.length - 1].name;

    step('comparing with what is on the board');
    const before = await hashes(link, files.map((f) => f.name));
    // Reflashing the app that already boots: keep its marker (rewriting it would open a window in
    // which no marker exists) unless an older app's marker has a higher generation.
    const own = state.markers[markerName];
    let generation = maxGen + 1;
    if (own && own.app === appName && own.g === maxGen && sameFile(before[appName], files[0].data)) generation = maxGen;
    if (generation !== maxGen + 1) {
      files = buildStorageImage({ bundle: opts.bundle, identity: opts.identity, config: opts.config, tables: opts.tables, generation });
    }
    const appFile = files[0];
    const marker = files[files.length - 1];
    const toWrite = files.filter((f) => !sameFile(before[f.name], f.data));
    // The app file may exist without a valid marker (torn earlier flash): it is rewritten above.
    const need = toWrite.reduce((n, f) => n + fileCost(f.data.length), 0);
    const reclaim = toWrite.reduce((n, f) => n + (state.files[f.name] !== undefined ? fileCost(state.files[f.name]) : 0), 0);
    const free = state.stats && typeof state.stats.freeBytes === 'number' ? state.stats.freeBytes + (state.stats.trashBytes || 0) : state.free;
    if (typeof free === 'number' && need > free + reclaim) {
      throw new FlashError('storage-full', `Storage full: the image needs ${need} bytes, the board has ${free + reclaim} free (erase files or run require("Storage").compact())`);
    }
    if (typeof free !== 'number') warnings.push('the board did not report free Storage space');
    const extraBoot = Object.keys(state.files).filter((n) => /^\.boot[0-3]$/.test(n));
    if (extraBoot.length) warnings.push(`${extraBoot.join(', ')} on the board also run at every boot (before the app)`);

    // 3. Quiet the board: reset() runs .boot0-3/.bootrst only, so the current app stops (src/jsflash.c).
    step('reset()');
    await link.write('\x10reset();\n');
    resetDone = true;
    await link.waitFor(/>\s*$/, 700);

    // 4. Write and verify, app first, marker last.
    const total = toWrite.reduce((n, f) => n + f.data.length, 0);
    let done = 0;
    const written: FlashSummary['files'] = [];
    for (const f of files) {
      const prior = before[f.name];
      if (!toWrite.includes(f)) {
        written.push({ name: f.name, size: f.data.length, action: 'unchanged', hash: hashKind(prior) });
        continue;
      }
      if (f === marker) step('switching the boot entry to ' + appFile.name);
      for (let o = 0; o < f.data.length; o += CHUNK * CHUNKS_PER_COMMAND) {
        const end = Math.min(o + CHUNK * CHUNKS_PER_COMMAND, f.data.length);
        const r = await link.evaluate<number | string>(writeExpr(f.name, f.data, o, end), { minTimeoutS: 15 }); // Storage may compact: allow time
        if (r !== 1) {
          const text = r === undefined ? 'no answer' : String(r);
          await eraseIfUnreferenced(link, f, appFile);
          if (/Unable to find or create file|Not enough|full/i.test(text)) {
            throw new FlashError('storage-full', `Storage full while writing ${f.name}: ${text}`);
          }
          throw new FlashError('write', `writing ${f.name} failed at byte ${o}: ${text}`);
        }
        done += end - o;
        opts.onProgress?.({ file: f.name, done, total, fileDone: end, fileTotal: f.data.length });
      }
      const after = (await hashes(link, [f.name]))[f.name];
      if (!sameFile(after, f.data)) {
        await eraseIfUnreferenced(link, f, appFile);
        throw new FlashError('verify', `read-back mismatch for ${f.name}: the board holds ${describe(after)}, expected ${f.data.length} bytes with SHA-256 ${sha256hex(f.data).slice(0, 16)}...`);
      }
      if (f === marker) switched = true;
      written.push({ name: f.name, size: f.data.length, action: 'written', hash: hashKind(after) });
    }
    switched = true;

    // 5. Remove older apps and markers (and .bootrst, which would shadow .bootcde).
    const keep = new Set([appFile.name, marker.name]);
    const stale = Object.keys(state.files).filter(
      (n) => ((n.startsWith(BOOT.appPrefix) || n.startsWith(BOOT.markerPrefix)) && !keep.has(n)) || n === BOOT.resetEntry,
    );
    if (stale.length) {
      step('erasing ' + stale.join(', '));
      const r = await link.evaluate(eraseExpr(stale), { minTimeoutS: 5 });
      if (r !== 1) warnings.push('could not erase old files: ' + stale.join(', '));
    }

    // 6. Boot it: load() restarts the interpreter and runs .bootcde, as a power-on would.
    step('load(): booting the new app');
    const seen = link.waitFor(new RegExp(escapeRe(opts.bootLine) + '[^\\r\\n]*\\r?\\n'), opts.bootTimeoutMs ?? 20000);
    await link.write('\x10load()\n');
    const out = await seen;
    // the device prints most log lines as codes: read them back in words (build/logcodes.mjs)
    const decoder = new LogDecoder(opts.logDictionary ?? null);
    if (out === null) {
      const tail = link.transcript.split(/\r?\n/).filter((l) => l.trim()).slice(-2).map((l) => decoder.text(l.slice(l.lastIndexOf('\r') + 1))).join(' | ');
      throw new FlashError('boot', `the board did not print "${opts.bootLine}" within ${Math.round((opts.bootTimeoutMs ?? 20000) / 1000)} s after load() (last output: ${tail.slice(0, 160) || 'none'})`);
    }
    const raw = out.split(/\r?\n/).find((l) => l.includes(opts.bootLine)) || opts.bootLine;
    // the REPL's noise off the line: carriage returns, the prompt, VT100 sequences (2v29 prints \x1b[J)
    const booted = decoder.decode(raw.slice(raw.lastIndexOf('\r') + 1).replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/^>/, '').trim());
    const bootLine = booted.text;
    if (booted.note) warnings.push(booted.note);
    else if (booted.id && !opts.logDictionary) warnings.push(`the firmware's log lines are coded (dictionary ${booted.id}) and no dictionary was found next to the bundle: keep dist/*.logs.json to read them`);
    return {
      port: opts.port,
      env,
      files: written,
      bytesWritten: total,
      app: { name: appFile.name, size: appFile.data.length, generation },
      erased: stale,
      bootLine,
      ...(booted.id ? { logId: booted.id } : {}),
      ms: Date.now() - t0,
      warnings,
    };
  } catch (e) {
    // Leave the board running whatever it booted before (the old marker still wins until the switch).
    if (resetDone && !switched && !link.isClosed) {
      try {
        await link.write('\x10load()\n');
        await link.waitFor(/\n/, 300);
      } catch {
        /* the original error matters */
      }
    }
    throw e;
  } finally {
    await link.close();
  }
}

type HashInfo = { len: number; sha?: string; crc?: number; adler?: number } | null | undefined;

/** Adler-32 (RFC 1950 §8.2). */
export function adler32(b: Uint8Array): number {
  let a = 1;
  let s = 0;
  for (let i = 0; i < b.length; i++) {
    a = (a + b[i]) % 65521;
    s = (s + a) % 65521;
  }
  return s * 65536 + a;
}

async function hashes(link: Link, names: string[]): Promise<Record<string, HashInfo>> {
  const out: Record<string, HashInfo> = {};
  // a few names per round trip keeps each REPL line short
  for (let i = 0; i < names.length; i += 6) {
    const part = names.slice(i, i + 6);
    const r = await link.evaluate<Record<string, HashInfo>>(hashExpr(part), { minTimeoutS: 10, maxTimeoutS: 60 });
    if (!r || typeof r !== 'object') throw new FlashError('no-answer', 'board not answering: no reply while hashing Storage files');
    Object.assign(out, r);
  }
  return out;
}

function sameFile(h: HashInfo, data: Uint8Array): boolean {
  if (!h || h.len !== data.length) return false;
  if (h.sha) return h.sha === sha256hex(data);
  if (typeof h.crc === 'number') return h.crc >>> 0 === crc32(data);
  if (typeof h.adler === 'number') return h.adler === adler32(data);
  return false;
}

const hashKind = (h: HashInfo): 'sha256' | 'crc32' | 'adler32' => (h && h.sha ? 'sha256' : h && typeof h.crc === 'number' ? 'crc32' : 'adler32');

function describe(h: HashInfo): string {
  if (!h) return 'no such file';
  if (h.sha) return `${h.len} bytes with SHA-256 ${h.sha.slice(0, 16)}...`;
  if (typeof h.crc === 'number') return `${h.len} bytes with CRC-32 ${(h.crc >>> 0).toString(16)}`;
  return `${h.len} bytes with Adler-32 ${(h.adler ?? 0).toString(16)}`;
}

/** A partial new app (nothing points at it) is removed; other files are left for the next flash. */
async function eraseIfUnreferenced(link: Link, f: StorageFile, app: StorageFile): Promise<void> {
  if (f !== app || link.isClosed) return;
  try {
    await link.evaluate(eraseExpr([f.name]), { minTimeoutS: 3 });
  } catch {
    /* keep the original error */
  }
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export { SECRET_FILES, markerFileName };
