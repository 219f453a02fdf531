#!/usr/bin/env node
// Writes build/espruino-api.json: the names the Espruino interpreter itself spells, read from an
// Espruino source checkout (github:espruino/Espruino, tag RELEASE_2V29), for the property-mangling
// check (build/mangle.mjs, check 3). The build never reads the checkout: it reads the committed JSON.
//   node build/espruino-api.mjs <path to an Espruino checkout>   rewrite build/espruino-api.json
//   node build/espruino-api.mjs --check <path>                    exit 1 if the JSON is out of date
// Two lists, each name with the first source file that spells it:
//   api         the documented API of the ESP32 build: every "name"/"class"/"instanceof" of the
//               /*JSON{...}*/ blocks from which Espruino generates its wrappers and its reference, and
//               every word of their "typescript" signatures (option keys such as `dnsServers`, `maxLen`);
//   objectKeys  every identifier-like string literal in the C code of those files: the property names
//               the interpreter reads or writes on objects by name (option objects such as
//               `{address, stop}` of I2C.writeTo, config tables `{"baud", JSV_INTEGER, ..}`, event
//               names, hidden children).
import { readFileSync, writeFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const API_FILE = path.join(root, 'build', 'espruino-api.json');

/** The sources of the ESP32 build (boards/ESP32.py libraries: NET, GRAPHICS, CRYPTO, TLS, TELNET,
 *  NEOPIXEL, FILESYSTEM, BLUETOOTH, plus the core); other targets' network drivers are left out. */
const DIRS = ['src', 'libs/network', 'libs/crypto', 'libs/bluetooth', 'libs/filesystem', 'libs/compression',
  'libs/neopixel', 'libs/graphics', 'targets/esp32'];
const SKIP_DIRS = /^(cc3000|wiznet|esp8266|linux|IDF4)$/;

function sourcesOf(checkout) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d).sort()) {
      const p = path.join(d, e);
      if (statSync(p).isDirectory()) { if (!SKIP_DIRS.test(e)) walk(p); }
      else if (/\.[ch]$/.test(e)) out.push(p);
    }
  };
  for (const d of DIRS) walk(path.join(checkout, d));
  return out;
}

/** { source, version, api: {name: file}, objectKeys: {name: file} } from a checkout. */
export function extract(checkout) {
  const marker = path.join(checkout, 'src', 'jsutils.h');
  if (!existsSync(marker)) throw new Error(checkout + ' is not an Espruino source checkout (no src/jsutils.h)');
  const version = (readFileSync(marker, 'latin1').match(/#define JS_VERSION "([^"]+)"/) || [])[1];
  if (!version) throw new Error(checkout + ': no JS_VERSION in src/jsutils.h');
  const api = {};
  const objectKeys = {};
  const put = (o, name, file) => { if (!Object.prototype.hasOwnProperty.call(o, name)) o[name] = file; };
  for (const f of sourcesOf(checkout)) {
    const rel = path.relative(checkout, f).split(path.sep).join('/');
    const text = readFileSync(f, 'latin1');
    for (const m of text.matchAll(/\/\*JSON(\{[\s\S]*?\n\})/g)) {
      const j = JSON.parse(m[1]);
      for (const k of ['name', 'class', 'instanceof']) if (typeof j[k] === 'string') put(api, j[k], rel);
      // the documented shape: option keys and callback names of the TypeScript signature
      const ts = [].concat(j.typescript || []).join(' ');
      for (const w of ts.match(/[A-Za-z_$][A-Za-z0-9_$]*/g) || []) put(api, w, rel);
    }
    const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
    for (const m of code.matchAll(/"([A-Za-z_$][A-Za-z0-9_$]*)"/g)) put(objectKeys, m[1], rel);
  }
  const sorted = (o) => Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
  return {
    source: 'github:espruino/Espruino ' + version + ' (JS_VERSION of src/jsutils.h), files under ' + DIRS.join(', ') +
      '; written by `node build/espruino-api.mjs <checkout>`',
    version,
    api: sorted(api),
    objectKeys: sorted(objectKeys),
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const check = process.argv[2] === '--check';
  const checkout = process.argv[check ? 3 : 2];
  if (!checkout) {
    console.error('usage: node build/espruino-api.mjs [--check] <path to an Espruino source checkout>');
    process.exit(2);
  }
  let data;
  try {
    data = extract(path.resolve(checkout));
  } catch (e) {
    console.error('espruino-api: ' + e.message);
    process.exit(1);
  }
  const text = JSON.stringify(data, null, 1) + '\n';
  if (check) {
    const same = existsSync(API_FILE) && readFileSync(API_FILE, 'utf8') === text;
    console.log(same ? 'espruino-api: build/espruino-api.json matches ' + checkout : 'espruino-api: build/espruino-api.json differs from ' + checkout + ' (run without --check to rewrite it)');
    process.exit(same ? 0 : 1);
  }
  writeFileSync(API_FILE, text);
  console.log('espruino-api: wrote build/espruino-api.json (' + data.version + ': ' + Object.keys(data.api).length + ' API names, ' + Object.keys(data.objectKeys).length + ' object keys)');
}
