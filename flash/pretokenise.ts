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
  const back = detokenise(out, (ch: string) => String(E.Plugins.Pretokenise.untokenise(ch)).trim());
  const differ = firstDifference(source, back);
  if (differ) throw new FlashError('bundle', 'cannot pretokenise: the tokens differ from the bundle\'s at ' + differ);
  return new Uint8Array(Buffer.from(out, 'latin1'));
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
    const c = t.charCodeAt(i);
    if (c === 0xd1 || c === 0xd2) {
      const n = c === 0xd1 ? 2 + t.charCodeAt(i + 1) : 3 + (t.charCodeAt(i + 1) | (t.charCodeAt(i + 2) << 8));
      out += t.substring(i, i + n);
      i += n - 1;
      continue;
    }
    if (c === 0xd4 || c === 0xd5) {
      const n = c === 0xd4 ? 2 : 3;
      out += t.substring(i, i + n);
      i += n - 1;
      continue;
    }
    out += t[i];
    if ((c === 0x2b || c === 0x2d) && t.charCodeAt(i + 1) === c) out += ' ';
  }
  return out;
}

/**
 * The pretokenised text as JavaScript again, as the board's lexer reads it (src/jslex.c): raw strings,
 * raw integers signed (EspruinoTools' untokenise reads them unsigned), token bytes as their words.
 */
function detokenise(t: string, word: (ch: string) => string): string {
  let out = '';
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c === 0xd1 || c === 0xd2) {
      const head = c === 0xd1 ? 2 : 3;
      const n = c === 0xd1 ? t.charCodeAt(i + 1) : t.charCodeAt(i + 1) | (t.charCodeAt(i + 2) << 8);
      out += JSON.stringify(t.substring(i + head, i + head + n));
      i += head + n - 1;
    } else if (c === 0xd3) out += ' 0 ';
    else if (c === 0xd4) {
      out += ' ' + ((t.charCodeAt(i + 1) << 24) >> 24) + ' ';
      i += 1;
    } else if (c === 0xd5) {
      out += ' ' + (((t.charCodeAt(i + 1) | (t.charCodeAt(i + 2) << 8)) << 16) >> 16) + ' ';
      i += 2;
    } else if (c >= 0x8a) out += ' ' + word(t[i]) + ' ';
    else out += t[i];
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
  // (after `0;` the bundle's "use strict" is no directive: untokenise writes NUL as \0, an octal escape to strict mode)
  const text = '0;' + code;
  for (const t of acorn.tokenizer(text, { ecmaVersion: 2020 })) {
    const v = t.type.label === 'num' ? String(t.value) : t.type.label === 'string' ? JSON.stringify(t.value) : t.type.label === 'regexp' ? String(t.value.value) : text.slice(t.start, t.end);
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
