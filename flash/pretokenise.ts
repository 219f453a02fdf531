// Pretokenising the app for the board (`npm run flash -- --pretokenise`), with EspruinoTools' own
// pretokeniser (plugins/pretokenise.js, "Minification" in the Espruino IDE): reserved words and
// operators become one byte each (0x8A...), strings length-prefixed raw bytes (0xD1/0xD2) and integers
// raw (0xD3-0xD5). Espruino 2v29's lexer reads these wherever it lexes (src/jslex.c; ESP32 builds have
// it: only SAVE_ON_FLASH builds define ESPR_NO_PRETOKENISE), so the app in Storage is smaller and its
// functions still point into flash.
//
// What is flashed is then not byte for byte dist/firmware.js: the simulator runs the JavaScript text,
// the tokens are the same, and the Espruino lane (`npm run test:espruino -- --pretokenise`) runs the
// pretokenised app on the real interpreter. The log dictionary stays that of dist/firmware.js (the
// boot line's id is a string the tokeniser copies as it is).
import * as acorn from 'acorn';
import { FlashError, loadEspruino } from './link';

/** The app as the board stores it when pretokenised (Latin-1 bytes). */
export async function pretokenise(bundle: Uint8Array): Promise<Uint8Array> {
  const source = Buffer.from(bundle).toString('utf8');
  if (/[^\x00-\x7f]/.test(source)) throw new FlashError('bundle', 'cannot pretokenise: the bundle has characters outside ASCII (the build escapes them; rebuild with npm run build)');
  const E = await loadEspruino();
  const was = E.Config.PRETOKENISE;
  E.Config.PRETOKENISE = 2; // strings and integers too (Espruino 2v20.48 / 2v25.396 and later; the flash tool requires 2v29)
  let out: string;
  try {
    out = separateSigns(E.Plugins.Pretokenise.tokenise(source));
  } finally {
    E.Config.PRETOKENISE = was;
  }
  if (typeof out !== 'string' || !out.length || out.length >= source.length) throw new FlashError('bundle', 'cannot pretokenise the bundle (EspruinoTools returned nothing shorter)');
  // the same tokens as the bundle, checked with acorn (the token words from EspruinoTools' untokenise)
  const words: string[] = [];
  for (let b = 0x8a; b < 0xd1; b++) words[b] = String(E.Plugins.Pretokenise.untokenise(String.fromCharCode(b))).trim();
  const back = detokenise(out, words);
  const differ = firstDifference(source, back);
  if (differ) throw new FlashError('bundle', 'cannot pretokenise: the tokens differ from the bundle\'s at ' + differ);
  return new Uint8Array(Buffer.from(out, 'latin1'));
}

/**
 * Bytes of the raw item (string 0xD1/0xD2, integer 0xD3-0xD5) that starts at `i` of a pretokenised text,
 * or 0 when none starts there (src/jslex.c reads them this way).
 */
function rawLength(t: string, i: number): number {
  const c = t.charCodeAt(i);
  if (c === 0xd1) return 2 + t.charCodeAt(i + 1);
  if (c === 0xd2) return 3 + (t.charCodeAt(i + 1) | (t.charCodeAt(i + 2) << 8));
  return c === 0xd3 ? 1 : c === 0xd4 ? 2 : c === 0xd5 ? 3 : 0;
}

/**
 * EspruinoTools drops the space between two tokens it writes as text, so `a+ +b` (and `a- -b`) became
 * `a++b`, which the lexer reads as `++` (found on the interpreter: "Unable to assign value to
 * non-reference Number" at boot). A `+` or `-` written as text next to another is put back apart; the
 * token bytes of `++`/`--` and the bytes inside raw strings and integers are skipped.
 */
function separateSigns(t: string): string {
  let out = '';
  for (let i = 0; i < t.length; i++) {
    const n = rawLength(t, i);
    if (n) {
      out += t.substring(i, i + n);
      i += n - 1;
      continue;
    }
    const c = t.charCodeAt(i);
    out += t[i];
    if ((c === 0x2b || c === 0x2d) && t.charCodeAt(i + 1) === c) out += ' ';
  }
  return out;
}

/**
 * The pretokenised text as JavaScript again, as the board's lexer reads it (src/jslex.c): raw strings,
 * raw integers signed (EspruinoTools' untokenise reads them unsigned), token bytes as their words
 * (`words[byte]`).
 */
function detokenise(t: string, words: string[]): string {
  let out = '';
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    const n = rawLength(t, i);
    if (c === 0xd1 || c === 0xd2) out += JSON.stringify(t.substring(i + (c === 0xd1 ? 2 : 3), i + n));
    else if (n) {
      const v = n === 1 ? 0 : n === 2 ? (t.charCodeAt(i + 1) << 24) >> 24 : ((t.charCodeAt(i + 1) | (t.charCodeAt(i + 2) << 8)) << 16) >> 16;
      out += ' ' + v + ' ';
    } else if (c >= 0x8a) out += ' ' + words[c] + ' ';
    else out += t[i];
    if (n) i += n - 1;
  }
  return out;
}

/** Where the token streams of two sources first differ ('' when they are the same). */
function firstDifference(a: string, b: string): string {
  const ta = tokens(a);
  const tb = tokens(b);
  for (let i = 0; i < Math.max(ta.length, tb.length); i++) {
    if (ta[i] !== tb[i]) return 'token ' + i + ' (' + JSON.stringify(ta[i]) + ' in the bundle, ' + JSON.stringify(tb[i]) + ' pretokenised)';
  }
  return '';
}

function tokens(code: string): string[] {
  const list: string[] = [];
  for (const t of acorn.tokenizer(code, { ecmaVersion: 2020 }) as Iterable<acorn.Token & { value: any }>) {
    const v = t.type.label === 'num' ? String(t.value) : t.type.label === 'string' ? JSON.stringify(t.value) : t.type.label === 'regexp' ? String(t.value.value) : code.slice(t.start, t.end);
    list.push(t.type.label + ':' + v);
  }
  // the tokeniser stores atob("...") as the decoded raw string (the same value on the board)
  for (let i = 0; i + 3 < list.length; i++) {
    if (list[i] === 'name:atob' && list[i + 1] === '(:(' && list[i + 2].startsWith('string:') && list[i + 3] === '):)') {
      const decoded = Buffer.from(JSON.parse(list[i + 2].slice(7)), 'base64').toString('latin1');
      list.splice(i, 4, 'string:' + JSON.stringify(decoded));
    }
  }
  return list;
}
