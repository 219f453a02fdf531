#!/usr/bin/env node
// Property-name mangling for the bundles, restricted to a curated allowlist (build/mangle.json).
//
// esbuild renames locals but never property names: `hal.config.getConfigurationValue(...)` keeps its
// 21 characters at every call. esbuild's `mangleProps` shortens the allowlisted names; `mangle.json`
// also holds the mangle cache, so a name gets the same short name in every build and every bundle.
//
// A renamed property is only safe when no code outside the bundle, and no data, ever spells it. So a
// name may be allowlisted only when every check below holds (`checkMangle`; the build runs it, and
// `npm test -- gate` too):
//  1. types (TypeScript checker over every module of every bundle): each place that declares or
//     reads the property has a function type (a method, a callback); so it can never be a key of JSON
//     on the wire or in Storage (JSON has no functions), and each object it is read from has a known
//     type (never `any`/`unknown`, which is where JSON.parse results and Espruino objects live) and
//     is not declared by a .d.ts (lib.d.ts built-ins, hal/espruino/espruino.d.ts natives);
//     no `for..in` / `Object.keys|values|entries` over a type that has the property;
//  2. no string literal in the sources or in a built bundle equals the name (obj['name'], 'name' in o;
//     esbuild leaves quoted names alone);
//  3. the interpreter never spells the name: it is neither an API name nor a property name its C code
//     reads or writes by name (build/espruino-api.json, extracted from the Espruino 2v29 sources by
//     build/espruino-api.mjs), nor an identifier or string of the emulated board (sim/board/*.ts);
//     except the few names of API_NAMES_SAFE_TO_MANGLE, each with the reason it cannot meet a
//     renamed property;
//  4. the flash tool (flash/**) never writes it: no string, template, object key or declared member
//     of it spells the name, so what it writes to Storage cannot carry it.
// `node build/mangle.mjs --check` runs the checks; `--candidates` lists the names that would pass,
// with the bytes each would save in dist/firmware.js (pick from those, then check again).
import { readFileSync, writeFileSync, readdirSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const MANGLE_FILE = path.join(root, 'build', 'mangle.json');
export const ESPRUINO_API_FILE = path.join(root, 'build', 'espruino-api.json');

/**
 * Names the interpreter spells that the firmware may still rename on its own objects, and why a
 * renamed property cannot meet them. Each stays here only while the API data spells it (a test checks).
 */
export const API_NAMES_SAFE_TO_MANGLE = {
  flush: 'Serial.prototype.flush (src/jswrap_serial.c): a method of the interpreter\'s own Serial objects, which the ' +
    'firmware never holds (check 1 keeps renamed names off native and untyped objects); no C code looks "flush" up by name',
  stop: 'Waveform/Stepper .stop() (src/jswrap_waveform.c, src/jswrap_stepper.c): methods of native objects (check 1), and ' +
    'the boolean option `stop` of I2C.writeTo (src/jswrap_spi_i2c.c): data, never a function (check 1)',
  watch: 'the hidden "watch" child of the interpreter\'s own timer objects (src/jsinteractive.c), never of a program\'s object',
};

/**
 * Words of the emulated board (sim/board/*.ts) that the firmware may still rename on its own objects:
 * the board spells them only on host objects that never reach the interpreter's world, each checked
 * there (not in build/espruino-api.json: the real interpreter never spells them). A test keeps each
 * one here only while the board spells it.
 */
export const BOARD_WORDS_SAFE_TO_MANGLE = {
  clock: 'Board.clock (sim/board/board.ts) is the host\'s VirtualClock of the simulated board; the firmware\'s globals ' +
    '(sim/board/globals.ts) reach it only from host code (getTime, timers), never as a property of a program object',
  events: 'only in a comment of sim/board/nrf.ts ("NO MTU events on ESP32")',
  readString: 'BoardStorage.readString (sim/board/storage.ts) is the host-side flash image; the Storage module the firmware ' +
    'sees (sim/board/globals.ts) has read/readJSON/readArrayBuffer... as on the interpreter, no readString',
};

/**
 * Members the flash tool declares that the firmware may still rename on its own objects: they name
 * host-only values of the tool that never go into the Storage image (test/gate/mangle.test.ts builds an
 * image and checks that no file spells them).
 */
export const FLASH_WORDS_SAFE_TO_MANGLE = {
  privateKey: 'P256Key.privateKey (flash/keys.ts) is a Node KeyObject of the host, and `key.privateKey` (flash/identity.ts) ' +
    'reads it; the image holds the key only as PKCS#8 bytes (ffs.devkey)',
  publicKey: 'P256Key.publicKey (flash/keys.ts) is a Node KeyObject of the host, `c.publicKey` (flash/identity.ts) reads an ' +
    'X509Certificate\'s; the image holds public keys only as bytes or hex (ffs.dtkey, devicePublicKey)',
};

/** { names: string[], cache: { [name]: short } } */
export function loadMangle(file = MANGLE_FILE) {
  const m = JSON.parse(readFileSync(file, 'utf8'));
  return { names: m.names || [], cache: m.cache || {} };
}

/** esbuild options for the allowlist: mangleProps matches exactly the listed names. */
export function mangleOptions(m = loadMangle()) {
  if (!m.names.length) return {};
  return { mangleProps: new RegExp('^(' + m.names.join('|') + ')$'), mangleCache: { ...m.cache } };
}

/** Write the cache back when a build added names (so the next build, and the commit, keep them). */
export function saveMangleCache(cache, file = MANGLE_FILE) {
  const m = loadMangle(file);
  const next = {};
  for (const k of Object.keys(cache).sort()) if (m.names.includes(k)) next[k] = cache[k];
  if (JSON.stringify(next) === JSON.stringify(m.cache)) return false;
  writeFileSync(file, JSON.stringify({ names: m.names, cache: next }, null, 2) + '\n');
  return true;
}

function filesUnder(dir, re) {
  const out = [];
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p, re));
    else if (re.test(e)) out.push(p);
  }
  return out;
}

/** Words (identifier-like) of a text: every spelling an API or a tool could use. */
function words(text) {
  return new Set(text.match(/[A-Za-z_$][A-Za-z0-9_$]*/g) || []);
}

/** Names of the Espruino API (the doc and the emulated board) and of the flash tool, with their source. */
export async function reservedNames() {
  const reserved = new Map();
  const add = (set, why) => {
    for (const w of set) if (!reserved.has(w)) reserved.set(w, why);
  };
  const api = JSON.parse(readFileSync(ESPRUINO_API_FILE, 'utf8'));
  for (const [kind, list] of [['API', api.api], ['C code', api.objectKeys]]) {
    for (const [name, file] of Object.entries(list)) {
      if (!Object.prototype.hasOwnProperty.call(API_NAMES_SAFE_TO_MANGLE, name)) add([name], 'the Espruino ' + kind + ' (' + api.version + ': ' + file + ')');
    }
  }
  // The emulated board stands for the interpreter, so the names the interpreter may keep (above, each
  // with its reason) are not reserved by the board's spelling of them either.
  const boardWords = (text) => [...words(text)].filter((w) => !Object.prototype.hasOwnProperty.call(API_NAMES_SAFE_TO_MANGLE, w) &&
    !Object.prototype.hasOwnProperty.call(BOARD_WORDS_SAFE_TO_MANGLE, w));
  for (const f of filesUnder(path.join(root, 'sim', 'board'), /\.ts$/)) add(boardWords(readFileSync(f, 'utf8')), 'the emulated board (' + path.relative(root, f) + ')');
  for (const f of filesUnder(path.join(root, 'flash'), /\.(ts|mjs|js)$/)) {
    add([...(await writtenWords(f))].filter((w) => !Object.prototype.hasOwnProperty.call(FLASH_WORDS_SAFE_TO_MANGLE, w)), 'the flash tool (' + path.relative(root, f) + ')');
  }
  return reserved;
}

/**
 * What a host tool can write as data: the words of its strings and templates, and the names of the
 * keys and members it declares (object literals, interfaces, classes). Names it only reads or calls
 * (`crypto.randomBytes(32)`) or uses as locals are not data.
 */
async function writtenWords(file) {
  const ts = (await import('typescript')).default;
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out = new Set();
  const visit = (n) => {
    // a module path (`import ... from '../firmware/store/record'`) is not data the tool writes
    if ((ts.isImportDeclaration(n) || ts.isExportDeclaration(n)) && n.moduleSpecifier) {
      if (n.importClause) visit(n.importClause);
      if (n.exportClause) visit(n.exportClause);
      return;
    }
    if (ts.isStringLiteralLike(n) || ts.isTemplateHead(n) || ts.isTemplateMiddle(n) || ts.isTemplateTail(n)) for (const w of words(n.text)) out.add(w);
    if ((ts.isPropertyAssignment(n) || ts.isShorthandPropertyAssignment(n) || ts.isMethodDeclaration(n) || ts.isPropertySignature(n) ||
        ts.isMethodSignature(n) || ts.isPropertyDeclaration(n) || ts.isGetAccessor(n) || ts.isSetAccessor(n)) && n.name) {
      for (const w of words(n.name.getText(sf))) out.add(w);
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return out;
}

/** String literals of a JavaScript bundle (acorn), to find names spelled as data. */
async function bundleStrings(file) {
  const acorn = await import('acorn');
  const walk = await import('acorn-walk');
  const ast = acorn.parse(readFileSync(file, 'utf8'), { ecmaVersion: 'latest' });
  const out = new Set();
  walk.full(ast, (n) => {
    if (n.type === 'Literal' && typeof n.value === 'string') out.add(n.value);
    if (n.type === 'TemplateElement') out.add(n.value.cooked);
  });
  return out;
}

/**
 * The TypeScript facts: for every property name used in the bundled sources, whether each use is
 * function-typed on a known type. Returns Map<name, { uses, bad: [where: why] }>, plus string literals.
 */
export async function typeFacts(entries) {
  const ts = (await import('typescript')).default;
  const cfg = ts.getParsedCommandLineOfConfigFile(path.join(root, 'tsconfig.device.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  const program = ts.createProgram({ rootNames: [...new Set([...cfg.fileNames, ...entries.map((e) => path.join(root, e))])], options: cfg.options });
  const checker = program.getTypeChecker();
  const facts = new Map();
  const strings = new Set();
  const fact = (name) => {
    if (!facts.has(name)) facts.set(name, { uses: 0, bad: [] });
    return facts.get(name);
  };
  const where = (sf, node) => {
    const lc = sf.getLineAndCharacterOfPosition(node.getStart(sf));
    return path.relative(root, sf.fileName) + ':' + (lc.line + 1) + ':' + (lc.character + 1);
  };
  // A value JSON can never hold or produce: a function, a typed array, or an object made only of such
  // values (a HAL service). JSON.parse gives none of them; JSON.stringify drops functions, and the
  // keys of typed arrays and services are checked at every stringify below.
  const BINARY = /^(Uint8Array|Int32Array|Float64Array|Uint16Array|Int8Array|Int16Array|Uint32Array|ArrayBuffer)$/;
  const notJson = (type, depth) => {
    const t = checker.getNonNullableType(type);
    if (depth > 3) return false;
    if (t.isUnion()) return t.types.every((u) => notJson(u, depth + 1));
    if (t.getCallSignatures().length > 0) return true;
    const sym = t.getSymbol();
    if (sym && BINARY.test(sym.getName())) return true;
    if (!(t.flags & ts.TypeFlags.Object) || checker.isArrayType(t) || checker.isTupleType(t)) return false;
    const props = t.getProperties();
    return props.length > 0 && props.every((p) => p.valueDeclaration && notJson(checker.getTypeOfSymbolAtLocation(p, p.valueDeclaration), depth + 1));
  };
  const callable = (type) => notJson(type, 0);
  /** Every property name reachable in a value's type (what JSON.stringify would write). */
  const jsonKeys = (type, depth, out) => {
    const t = checker.getNonNullableType(type);
    if (depth > 4) return out;
    if (t.isUnion() || t.isIntersection()) {
      for (const u of t.types) jsonKeys(u, depth + 1, out);
      return out;
    }
    if (checker.isArrayType(t) || checker.isTupleType(t)) {
      for (const a of checker.getTypeArguments(t)) jsonKeys(a, depth + 1, out);
      return out;
    }
    if (!(t.flags & ts.TypeFlags.Object) || t.getCallSignatures().length) return out;
    for (const p of t.getProperties()) {
      out.add(p.name);
      if (p.valueDeclaration) jsonKeys(checker.getTypeOfSymbolAtLocation(p, p.valueDeclaration), depth + 1, out);
    }
    return out;
  };
  const opaque = (type) => (type.flags & (ts.TypeFlags.Any | ts.TypeFlags.Unknown)) !== 0;
  const enumerated = (sf, node, expr) => {
    for (const p of checker.getApparentType(checker.getTypeAtLocation(expr)).getProperties()) {
      fact(p.name).bad.push(where(sf, node) + ': enumerated (for..in / Object.keys)');
    }
  };
  const sources = program.getSourceFiles().filter((sf) => !sf.isDeclarationFile && !sf.fileName.includes('node_modules'));
  for (const sf of sources) {
    const visit = (node) => {
      // a literal in a type (`NetService['serveHttp']`) is erased by the build: never data, never a key
      if (ts.isStringLiteralLike(node) && !(node.parent && ts.isLiteralTypeNode(node.parent))) strings.add(node.text);
      let name = null;
      let ok = true;
      let why = '';
      if (ts.isPropertyAccessExpression(node)) {
        name = node.name.text;
        const objType = checker.getTypeAtLocation(node.expression);
        const sym = checker.getSymbolAtLocation(node.name);
        if (opaque(objType)) (ok = false), (why = 'read from an untyped (any/unknown) object');
        else if (sym && (sym.declarations || []).some((d) => d.getSourceFile().isDeclarationFile)) (ok = false), (why = 'declared by a library or ambient type (a built-in or native object)');
        else if (!callable(checker.getTypeAtLocation(node))) (ok = false), (why = 'a value JSON can hold (not a function, typed array or service)');
      } else if (
        (ts.isPropertyAssignment(node) || ts.isShorthandPropertyAssignment(node) || ts.isMethodDeclaration(node) ||
          ts.isPropertySignature(node) || ts.isMethodSignature(node) || ts.isPropertyDeclaration(node) ||
          ts.isGetAccessor(node) || ts.isSetAccessor(node)) &&
        node.name && (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name))
      ) {
        name = node.name.text;
        if (ts.isGetAccessor(node) || ts.isSetAccessor(node)) (ok = false), (why = 'an accessor');
        else if (!callable(checker.getTypeAtLocation(node.name))) (ok = false), (why = 'a value JSON can hold (not a function, typed array or service)');
      }
      if (ts.isForInStatement(node)) enumerated(sf, node, node.expression);
      // JSON.stringify(x) and storage.writeJSON(name, x): every key x can hold is data on the wire or in Storage
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.arguments.length &&
          ((node.expression.name.text === 'stringify' && node.expression.expression.getText(sf) === 'JSON') || node.expression.name.text === 'writeJSON')) {
        const arg = node.arguments[node.expression.name.text === 'writeJSON' ? 1 : 0];
        if (arg) for (const k of jsonKeys(checker.getTypeAtLocation(arg), 0, new Set())) fact(k).bad.push(where(sf, node) + ': written as JSON');
      }
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) &&
          /^(keys|values|entries|getOwnPropertyNames)$/.test(node.expression.name.text) &&
          ts.isIdentifier(node.expression.expression) && node.expression.expression.text === 'Object' && node.arguments[0]) {
        enumerated(sf, node, node.arguments[0]);
      }
      if (name !== null) {
        const f = fact(name);
        f.uses++;
        if (!ok) f.bad.push(where(sf, node) + ': ' + why);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return { facts, strings };
}

/**
 * Problems (one line each) with the allowlisted names; [] when every check holds. Lines starting with
 * `mangle: warning:` are harmless (an allowlisted name nothing uses any more) and do not fail a build.
 */
export async function checkMangle(opts = {}) {
  const m = opts.mangle || loadMangle();
  const entries = opts.entries || ['firmware/main.ts', 'firmware/selftest.ts', 'bench/device.ts'];
  const problems = [];
  const reserved = await reservedNames();
  const { facts, strings } = await typeFacts(entries);
  const bundleLiterals = new Set();
  for (const b of opts.bundles || []) for (const s of await bundleStrings(b)) bundleLiterals.add(s);
  for (const name of m.names) {
    const pre = 'mangle: "' + name + '" ';
    if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name)) problems.push(pre + 'is not an identifier');
    if (reserved.has(name)) problems.push(pre + 'is spelled by ' + reserved.get(name));
    if (strings.has(name)) problems.push(pre + 'is a string literal in the sources (quoted access or data)');
    if (bundleLiterals.has(name)) problems.push(pre + 'is a string literal in a built bundle');
    const f = facts.get(name);
    if (!f) problems.push('mangle: warning: "' + name + '" is not used by the bundled sources (remove it from build/mangle.json)');
    else {
      // the first place of each reason
      const seen = new Set();
      for (const b of f.bad) {
        const why = b.replace(/^[^ ]+ /, '');
        if (!seen.has(why)) problems.push(pre + 'at ' + b);
        seen.add(why);
      }
    }
  }
  for (const [k, v] of Object.entries(m.cache)) {
    if (!m.names.includes(k)) problems.push('mangle: cache entry "' + k + '" is not allowlisted');
    if (typeof v !== 'string') problems.push('mangle: cache entry "' + k + '" must be a string');
  }
  return problems;
}

/** Names that would pass every check, with the bytes each saves (length - 2 per use in firmware.js). */
export async function candidates(firmwareFile) {
  const reserved = await reservedNames();
  const { facts, strings } = await typeFacts(['firmware/main.ts', 'firmware/selftest.ts', 'bench/device.ts']);
  const acorn = await import('acorn');
  const walk = await import('acorn-walk');
  const ast = acorn.parse(readFileSync(firmwareFile, 'utf8'), { ecmaVersion: 'latest' });
  const count = new Map();
  const lits = new Set();
  walk.full(ast, (n) => {
    let k = null;
    if (n.type === 'MemberExpression' && !n.computed && n.property.type === 'Identifier') k = n.property.name;
    if ((n.type === 'Property' || n.type === 'MethodDefinition' || n.type === 'PropertyDefinition') && !n.computed && n.key.type === 'Identifier') k = n.key.name;
    if (k) count.set(k, (count.get(k) || 0) + 1);
    if (n.type === 'Literal' && typeof n.value === 'string') lits.add(n.value);
  });
  const out = [];
  for (const [name, f] of facts) {
    if (f.bad.length || reserved.has(name) || strings.has(name) || lits.has(name) || name.length < 3) continue;
    const uses = count.get(name) || 0;
    out.push({ name, uses, saves: uses * (name.length - 2) });
  }
  return out.filter((c) => c.uses > 0).sort((a, b) => b.saves - a.saves);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const arg = process.argv[2];
  if (arg === '--candidates') {
    const list = await candidates(path.join(root, 'dist', 'firmware.js'));
    let total = 0;
    for (const c of list) {
      total += c.saves;
      console.log(c.name.padEnd(32) + String(c.uses).padStart(5) + String(c.saves).padStart(7));
    }
    console.log('total (upper bound, names of 1-2 characters after mangling): ' + total);
  } else {
    const dist = path.join(root, 'dist');
    const bundles = ['firmware', 'selftest', 'bench'].map((b) => path.join(dist, b + '.js')).filter(existsSync);
    const problems = (await checkMangle({ bundles })).filter((p) => {
      if (p.startsWith('mangle: warning:')) console.error(p);
      return !p.startsWith('mangle: warning:');
    });
    for (const p of problems) console.error(p);
    console.log(problems.length ? 'mangle: ' + problems.length + ' problem(s)' : 'mangle: ' + loadMangle().names.length + ' allowlisted names pass every check');
    process.exit(problems.length ? 1 : 0);
  }
}
