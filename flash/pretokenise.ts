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
    out = E.Plugins.Pretokenise.tokenise(source);
  } finally {
    E.Config.PRETOKENISE = was;
  }
  if (typeof out !== 'string' || !out.length || out.length >= source.length) throw new FlashError('bundle', 'cannot pretokenise the bundle (EspruinoTools returned nothing shorter)');
  return new Uint8Array(Buffer.from(out, 'latin1'));
}
