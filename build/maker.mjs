// The maker's product code (`npm run build -- --app <dir>`): reads and checks <dir>/ffs-app.json, so a
// wrong pin or a soft-AP page too large is one clear error at build time, and gives the esbuild
// entry and options for dist/firmware.js. The gates then run on the bundle as on any build: a
// construct the interpreter cannot run is reported at the maker's own file and line (source map).
//
// ffs-app.json: { "entry": "main.ts", "pins": { "button": "D0", "buttonActiveLow": true, "led": "D2",
//   "<any product pin>": "D12" }, "softApPage": "page.html" }
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** GPIOs of an ESP32 module that Espruino names D0..D39 (D6-D11 drive the flash; 20, 24, 28-31 absent). */
export const ESP32_GPIOS = [0, 1, 2, 3, 4, 5, 12, 13, 14, 15, 16, 17, 18, 19, 21, 22, 23, 25, 26, 27, 32, 33, 34, 35, 36, 37, 38, 39];
/** GPIO34-39 are inputs only (no output driver, no internal pull-up/down). */
export const INPUT_ONLY = [34, 35, 36, 37, 38, 39];
/** Must match MAX_SOFTAP_PAGE in firmware/api.ts (the firmware ignores a larger page). */
export const MAX_SOFTAP_PAGE = 4096;

export class AppConfigError extends Error {}

/**
 * The maker's app in `dir`: { entry, config, page, extra } where `extra` goes to esbuild (loaders).
 * Throws AppConfigError with one line `<file>: <what is wrong>` for the first problem found.
 */
export function loadMakerApp(dir, root = process.cwd()) {
  const abs = path.resolve(root, dir);
  const rel = (p) => path.relative(root, p) || p;
  const cfgFile = path.join(abs, 'ffs-app.json');
  const fail = (file, msg) => {
    throw new AppConfigError(rel(file) + ': ' + msg);
  };
  if (!existsSync(abs) || !statSync(abs).isDirectory()) fail(abs, 'no such app folder');
  if (!existsSync(cfgFile)) fail(cfgFile, 'missing: the app folder needs ffs-app.json (docs/MAKER.md)');
  let cfg;
  try {
    cfg = JSON.parse(readFileSync(cfgFile, 'utf8'));
  } catch (e) {
    fail(cfgFile, 'not JSON (' + e.message + ')');
  }
  if (!cfg || typeof cfg !== 'object' || Array.isArray(cfg)) fail(cfgFile, 'expected an object');
  const entry = path.join(abs, typeof cfg.entry === 'string' ? cfg.entry : 'main.ts');
  if (!existsSync(entry)) fail(cfgFile, 'entry ' + JSON.stringify(path.basename(entry)) + ' not found in ' + rel(abs));
  const pins = cfg.pins || {};
  if (typeof pins !== 'object' || Array.isArray(pins)) fail(cfgFile, 'pins: expected an object of pin names');
  for (const need of ['button', 'led']) if (pins[need] === undefined) fail(cfgFile, 'pins.' + need + ' is missing (the setup button and status LED FFS uses)');
  for (const [role, name] of Object.entries(pins)) {
    if (role === 'buttonActiveLow') {
      if (typeof name !== 'boolean') fail(cfgFile, 'pins.buttonActiveLow: expected true or false');
      continue;
    }
    const m = typeof name === 'string' ? /^D(\d{1,2})$/.exec(name) : null;
    const gpio = m ? Number(m[1]) : -1;
    if (!ESP32_GPIOS.includes(gpio)) {
      fail(cfgFile, 'pins.' + role + ' ' + JSON.stringify(name) + ' is not a pin of the ESP32 (D0-D5, D12-D19, D21-D23, D25-D27, D32-D39)');
    }
    if (role !== 'button' && INPUT_ONLY.includes(gpio)) fail(cfgFile, 'pins.' + role + ' ' + name + ' is input-only on the ESP32 (GPIO34-39): pick an output pin');
    if (role === 'button' && INPUT_ONLY.includes(gpio) && pins.buttonActiveLow !== false) {
      fail(cfgFile, 'pins.button ' + name + ' has no internal pull-up (GPIO34-39): use another pin or an external pull-up with "buttonActiveLow": false');
    }
  }
  const seen = new Map();
  for (const [role, name] of Object.entries(pins)) {
    if (role === 'buttonActiveLow') continue;
    if (seen.has(name)) fail(cfgFile, 'pins.' + role + ' and pins.' + seen.get(name) + ' are both ' + name);
    seen.set(name, role);
  }
  let page = null;
  if (cfg.softApPage !== undefined) {
    const pageFile = path.join(abs, String(cfg.softApPage));
    if (!existsSync(pageFile)) fail(cfgFile, 'softApPage ' + JSON.stringify(cfg.softApPage) + ' not found');
    page = readFileSync(pageFile, 'latin1');
    if (page.length > MAX_SOFTAP_PAGE) fail(pageFile, 'soft-AP page is ' + page.length + ' bytes, over the ' + MAX_SOFTAP_PAGE + '-byte limit');
    if (!/action=["']?\/connect/.test(page) || !/name=["']?ssid/.test(page) || !/name=["']?passphrase/.test(page)) {
      fail(pageFile, 'soft-AP page needs a form posting "ssid" and "passphrase" to /connect');
    }
  }
  return { dir: abs, entry, config: cfg, page, extra: { loader: { '.html': 'text' } } };
}

/** `--app <dir>` from the build's arguments, or null. */
export function appArg(argv) {
  const i = argv.indexOf('--app');
  if (i < 0) return null;
  const dir = argv[i + 1];
  if (!dir || dir.startsWith('--')) throw new AppConfigError('--app needs the app folder (e.g. --app examples/smart-plug)');
  return dir;
}
