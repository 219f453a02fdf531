// Log codes: the firmware's log messages leave the bundle as short codes, the host puts the words back
// (the way defmt does it for embedded Rust). The TypeScript stays readable, with plain messages.
//
// Build side (three steps, all in buildBundle of esbuild.config.mjs):
//  1. transformSource (an esbuild onLoad plugin over firmware/ and hal/espruino/): at each log call
//     site, a message with literal text, `'retry ' + n + ' of ' + op`, becomes a placeholder and its
//     arguments, `'\x01LC7\x01' + (n) + '~' + (op)`; a conditional of literals only,
//     `(ok ? 'ack' : 'implicit')`, becomes its index `(ok ? 0 : 1)`. The template (literal parts,
//     argument kinds, file:line, level and tag when known) is collected. The call sites: `info(hal, m)`
//     / `warn(hal, m)` imported from a `log` module (firmware/wss/log.ts), `L.d/i/w/e(m)` of an
//     `L = meshLog(...)` (firmware/mesh/log.ts), any `*.log.log(level, tag, m)`, and a local arrow that
//     only forwards its parameter to one of those (`const warn = (m) => deps.log.log('warn', 'x', m)`).
//     A message whose text contains a KEEP string stays as it is (code on the device reads it back).
//  2. finishCodes (after esbuild): each placeholder becomes `~` and a code, numbered in the order the
//     messages appear in the bundle (deterministic): one character (A..Z a..z and punctuation) or
//     two (a digit, then one of 0-9A-Za-z): the code delimits itself, so the first argument follows
//     it directly. A free argument that is not the last is followed by `~`; an index is one digit.
//  3. stampId (after the squeeze pass): hal/espruino/log.ts appends LOG_ID to every line of the tag
//     `boot` (the boot line); the build fills it with ` ~` and the first 8 hex digits of the SHA-256
//     of the bundle (with the placeholder in place). The dictionary, <bundle>.logs.json, holds that id,
//     the SHA-256 of the final file and the codes; the same dictionary rides in the source map as
//     `x_ffs_logcodes` (the simulator reads the map next to the bundle it runs).
//
// The source map's sourcesContent holds the TypeScript as written (restoreSources); its line numbers
// are exact (the pass keeps every line where it was), a column on a coded message's line is approximate.
//
// Host side: LogDecoder turns a device line back into exactly the text the source wrote. The boot line
// announces the id; a dictionary of another id (stale), an unknown code or arguments that do not fit
// give the raw line and a note, never an exception.
import { readFileSync, existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { parseScript, children } from './scope.mjs';
import { applyEdits, remap } from './postpass.mjs';

/**
 * Texts that code on the device reads back from log lines: a message containing one of them is never
 * coded. Empty since c866778 (firmware/api.ts hears the flows' events instead of parsing 'setup failed: ',
 * 'provisioning failed' and 'protocol timeout' lines); test/gate/logcodes.test.ts checks that every
 * literal api.ts looks for in a log message is here.
 */
export const KEEP = [];

/** The marker that starts a coded message and separates its free arguments. */
export const MARK = '~';
const PLACEHOLDER = /\x01LC(\d+)\x01/g;
const ID_PLACEHOLDER = '\x01LOGID\x01';
const ONE = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+,-./:;<=>?@[]^_{|}';
const TAIL = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const MAX_ENUM = 10;

/** The n-th code (0-based): one character, then a digit and a character. */
export function codeOf(n) {
  if (n < ONE.length) return ONE[n];
  const k = n - ONE.length;
  if (k >= 10 * TAIL.length) throw new Error('logcodes: more than ' + (ONE.length + 10 * TAIL.length) + ' messages');
  return String(Math.floor(k / TAIL.length)) + TAIL[k % TAIL.length];
}

// ---------------------------------------------------------------------------------------------
// 1. the source pass

let ts = null;
async function typescript() {
  if (!ts) ts = (await import('typescript')).default;
  return ts;
}

/** Collects the templates of one build. */
export function createCollector(opts = {}) {
  return { next: 0, entries: new Map(), kept: [], keep: opts.keep || KEEP };
}

const LEVELS = { d: 'debug', i: 'info', w: 'warn', e: 'error' };

/**
 * Rewrite the log messages of one TypeScript file (`file`: its path relative to the repo, for the
 * dictionary). Lines stay where they were (a message over several lines keeps its line breaks).
 * Needs `await loadTypescript()` first. Returns the new text (the same string when nothing changed).
 */
export function transformSource(text, file, collector) {
  if (!ts) throw new Error('logcodes: call loadTypescript() first');
  if (!/\blog\b|meshLog|\binfo\(|\bwarn\(/.test(text)) return text;
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2020, true, ts.ScriptKind.TS);
  const K = ts.SyntaxKind;
  // names imported from a `log` module (info/warn), and `L = meshLog(...)` holders with their prefix
  const imported = new Set();
  const meshLogs = new Set();
  const wrappers = new Map(); // local arrow name -> { index, level, tag }
  for (const st of sf.statements) {
    if (st.kind === K.ImportDeclaration && /(^|\/)log$/.test(st.moduleSpecifier.text) && st.importClause && st.importClause.namedBindings) {
      const nb = st.importClause.namedBindings;
      if (nb.elements) for (const el of nb.elements) if (el.name.text === 'info' || el.name.text === 'warn') imported.add(el.name.text);
    }
  }
  (function find(n) {
    if (n.kind === K.VariableDeclaration && n.name.kind === K.Identifier && n.initializer) {
      const init = n.initializer;
      if (init.kind === K.CallExpression && init.expression.kind === K.Identifier && init.expression.text === 'meshLog') meshLogs.add(n.name.text);
      if (init.kind === K.ArrowFunction && init.body.kind === K.CallExpression) {
        const site = sinkOf(init.body);
        // a wrapper: its message is a parameter; its level and tag are written out or parameters
        // (`(level, message, tag) => hal.log.log(level, tag || 'app', message)` in api.ts)
        const param = (id) => init.parameters.findIndex((p) => p.name.kind === K.Identifier && id && id.kind === K.Identifier && p.name.text === id.text);
        const part = (node, known) => {
          if (known) return { lit: known };
          if (!node) return null;
          const u = unparen(node);
          if (param(u) >= 0) return { param: param(u) };
          if (u.kind === K.BinaryExpression && u.operatorToken.kind === K.BarBarToken && param(u.left) >= 0 && lit(u.right) !== undefined) return { param: param(u.left), dflt: lit(u.right) };
          return null;
        };
        if (site && site.message.kind === K.Identifier && param(site.message) >= 0) {
          const level = part(site.levelNode, site.level);
          const tag = part(site.tagNode, site.tag);
          if (level && tag) wrappers.set(n.name.text, { index: param(site.message), level, tag, decl: n });
        }
      }
    }
    ts.forEachChild(n, find);
  })(sf);

  function lit(n) {
    return n && (n.kind === K.StringLiteral || n.kind === K.NoSubstitutionTemplateLiteral) ? n.text : undefined;
  }
  /** { message, level, tag } of a log call, or null. */
  function sinkOf(call) {
    const c = call.expression;
    const a = call.arguments;
    if (c.kind === K.Identifier && imported.has(c.text) && a.length === 2) return { message: a[1], level: c.text, tag: 'wss' };
    if (c.kind === K.Identifier && wrappers.has(c.text) && declarationOf(c) === wrappers.get(c.text).decl) {
      const w = wrappers.get(c.text);
      const value = (p) => (p.lit !== undefined ? p.lit : a.length > p.param ? lit(a[p.param]) : p.dflt);
      return a.length > w.index ? { message: a[w.index], level: value(w.level), tag: value(w.tag) } : null;
    }
    if (c.kind !== K.PropertyAccessExpression) return null;
    const name = c.name.text;
    if (LEVELS[name] && c.expression.kind === K.Identifier && meshLogs.has(c.expression.text) && a.length === 1) {
      return { message: a[0], level: LEVELS[name], tag: 'mesh' };
    }
    const obj = c.expression;
    const objName = obj.kind === K.Identifier ? obj.text : obj.kind === K.PropertyAccessExpression ? obj.name.text : '';
    if (name === 'log' && objName === 'log' && a.length === 3) return { message: a[2], level: lit(a[0]), tag: lit(a[1]), levelNode: a[0], tagNode: a[1] };
    return null;
  }

  const edits = [];
  (function visit(n) {
    if (n.kind === K.CallExpression) {
      const site = sinkOf(n);
      if (site) {
        const e = encode(site.message, site, sf, file, collector, text);
        if (e) edits.push(e);
      }
    }
    ts.forEachChild(n, visit);
  })(sf);
  if (!edits.length) return text;
  edits.sort((x, y) => y.start - x.start);
  let out = text;
  for (const e of edits) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

/**
 * The declaration an identifier resolves to (a variable declaration, a parameter or a function
 * declaration of that name in the nearest enclosing scope that has one), or null.
 */
function declarationOf(id) {
  const K = ts.SyntaxKind;
  const name = id.text;
  const declares = (st) => {
    if (st.kind === K.VariableStatement) return st.declarationList.declarations.find((d) => d.name.kind === K.Identifier && d.name.text === name);
    if (st.kind === K.FunctionDeclaration && st.name && st.name.text === name) return st;
    return undefined;
  };
  for (let n = id.parent; n; n = n.parent) {
    if (ts.isFunctionLike(n)) {
      const p = (n.parameters || []).find((q) => q.name.kind === K.Identifier && q.name.text === name);
      if (p) return p;
    }
    if (n.kind === K.Block || n.kind === K.SourceFile || n.kind === K.ModuleBlock) {
      for (const st of n.statements) {
        const d = declares(st);
        if (d) return d;
      }
    }
  }
  return null;
}

/** Load the TypeScript parser (once) for transformSource. */
export async function loadTypescript() {
  await typescript();
}

function unparen(n) {
  while (n.kind === ts.SyntaxKind.ParenthesizedExpression) n = n.expression;
  return n;
}

/** Leaves of a conditional made of string literals only (nested allowed), or null. */
function enumLeaves(n, out = []) {
  const K = ts.SyntaxKind;
  n = unparen(n);
  if (n.kind === K.StringLiteral || n.kind === K.NoSubstitutionTemplateLiteral) {
    out.push(n.text);
    return out;
  }
  if (n.kind !== K.ConditionalExpression) return null;
  if (!enumLeaves(n.whenTrue, out) || !enumLeaves(n.whenFalse, out)) return null;
  return out.length <= MAX_ENUM ? out : null;
}

/** True when the value of `n` is surely a string (a `+` with a string operand). */
function knownString(n) {
  const K = ts.SyntaxKind;
  n = unparen(n);
  if (n.kind === K.StringLiteral || n.kind === K.NoSubstitutionTemplateLiteral || n.kind === K.TemplateExpression) return true;
  return n.kind === K.BinaryExpression && n.operatorToken.kind === K.PlusToken && (knownString(n.left) || knownString(n.right));
}

/** The parts of a string expression: { lit } | { arg: node } | { enum: node, leaves }. */
function flatten(n, out) {
  const K = ts.SyntaxKind;
  const u = unparen(n);
  if (u.kind === K.StringLiteral || u.kind === K.NoSubstitutionTemplateLiteral) out.push({ lit: u.text });
  else if (u.kind === K.TemplateExpression) {
    out.push({ lit: u.head.text });
    for (const s of u.templateSpans) {
      flatten(s.expression, out, true);
      out.push({ lit: s.literal.text });
    }
  } else if (u.kind === K.BinaryExpression && u.operatorToken.kind === K.PlusToken && knownString(u)) {
    for (const side of [u.left, u.right]) {
      if (knownString(side)) flatten(side, out);
      else pushArg(side, out);
    }
  } else pushArg(n, out);
  return out;
}

function pushArg(n, out) {
  const leaves = enumLeaves(n);
  if (leaves) out.push({ enum: unparen(n), leaves });
  else out.push({ arg: n });
}

/** Bytes a literal costs in the minified output, roughly (its text, quotes, a `+`). */
const litCost = (s) => JSON.stringify(s).length + 1;

/** The edit that codes one message, or null when it stays (no literal, KEEP, no saving). */
function encode(message, site, sf, file, collector, text) {
  // a message that is only a value (`L.e(bad)`, `e.message`) is coded too, as "{0}", so that no raw
  // line at a coded call site can begin with the marker; not a parameter handed on (a wrapper)
  const value = !knownString(message);
  if (value && (!site.level || !site.tag || forwardedParameter(message))) return null;
  const parts = value ? [{ arg: message }] : flatten(message, []);
  // template: literal runs between arguments
  const lits = [''];
  const args = [];
  for (const p of parts) {
    if (p.lit !== undefined) lits[lits.length - 1] += p.lit;
    else {
      args.push(p);
      lits.push('');
    }
  }
  const whole = lits.join('');
  // the boot line stays readable on the wire (the flash tool and the simulator wait for it)
  const bootLine = args.some((a) => a.arg && ts.isIdentifier(unparen(a.arg)) && unparen(a.arg).text === 'BOOT_LINE');
  if (bootLine || collector.keep.some((k) => whole.includes(k))) {
    collector.kept.push(file + ':' + (sf.getLineAndCharacterOfPosition(message.getStart(sf)).line + 1));
    return null;
  }
  // the cost before and after
  let before = 0;
  for (const p of parts) {
    if (p.lit !== undefined) before += litCost(p.lit);
    else if (p.enum) before += p.leaves.reduce((s, l) => s + JSON.stringify(l).length, 0);
  }
  let after = 6; // "~xx"+
  args.forEach((a, i) => {
    if (a.enum) after += a.leaves.length;
    else if (i < args.length - 1) after += 4; // +"~"
  });
  if (after >= before && !value) return null;

  const n = collector.next++;
  const line = sf.getLineAndCharacterOfPosition(message.getStart(sf)).line + 1;
  collector.entries.set(n, {
    parts: lits,
    args: args.map((a) => (a.enum ? a.leaves : null)),
    at: file + ':' + line,
    level: site.level || null,
    tag: site.tag || null,
  });
  let out = "'\\x01LC" + n + "\\x01'";
  args.forEach((a, i) => {
    if (a.enum) {
      let k = 0;
      const idx = (c) => {
        c = unparen(c);
        if (c.kind === ts.SyntaxKind.ConditionalExpression) return '(' + c.condition.getText(sf) + ' ? ' + idx(c.whenTrue) + ' : ' + idx(c.whenFalse) + ')';
        return String(k++);
      };
      out += ' + ' + idx(a.enum);
    } else {
      out += ' + (' + a.arg.getText(sf) + ')';
      if (i < args.length - 1) out += " + '" + MARK + "'";
    }
  });
  const start = message.getStart(sf);
  const old = text.slice(start, message.end);
  const breaks = (old.match(/\n/g) || []).length;
  return { start, end: message.end, text: out + '\n'.repeat(breaks) };
}

/**
 * True when `n` is a parameter of a function whose whole body is the log call (a wrapper handing its
 * message on: `info(hal, m) { hal.log.log('info', 'wss', m); }`, `(m) => hal.log.log('info', 'app', m)`).
 */
function forwardedParameter(n) {
  n = unparen(n);
  if (!ts.isIdentifier(n)) return false;
  const call = n.parent;
  for (let f = n.parent; f; f = f.parent) {
    if (!ts.isFunctionLike(f)) continue;
    if (!f.parameters.some((p) => ts.isIdentifier(p.name) && p.name.text === n.text)) return false;
    const b = f.body;
    if (!b) return false;
    if (b === call) return true;
    return ts.isBlock(b) && b.statements.length === 1 && ts.isExpressionStatement(b.statements[0]) && b.statements[0].expression === call;
  }
  return false;
}

/** Files the pass reads: the device code. */
export function inScope(rel) {
  return /^(firmware|hal\/espruino)\//.test(rel.split(path.sep).join('/')) && /\.ts$/.test(rel);
}

const LOG_TS = 'hal/espruino/log.ts';

/**
 * The esbuild plugin: every device source through transformSource; hal/espruino/log.ts gets the id
 * placeholder. `root`: the repo (paths in the dictionary are relative to it).
 */
export function logCodesPlugin(root, collector, scope = inScope) {
  return {
    name: 'logcodes',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, async (args) => {
        const rel = path.relative(root, args.path).split(path.sep).join('/');
        if (!scope(rel)) return undefined;
        await typescript();
        const text = readFileSync(args.path, 'utf8');
        let out = transformSource(text, rel, collector);
        if (rel === LOG_TS) {
          const decl = /const LOG_ID = '';/;
          if (!decl.test(out)) throw new Error('logcodes: ' + LOG_TS + " has no `const LOG_ID = '';` for the dictionary id");
          out = out.replace(decl, "const LOG_ID = ' " + MARK + "\\x01LOGID\\x01';");
          collector.stamped = true;
        }
        if (out === text) return undefined;
        collector.sources = collector.sources || new Map();
        collector.sources.set(rel, text);
        return { contents: out, loader: 'ts' };
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// 2. placeholders to codes, 3. the id

function quote(s, q) {
  let out = q;
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (ch === q || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else if (c > 0x7e) {
      if (c > 0xffff) out += '\\u{' + c.toString(16) + '}';
      else out += '\\u' + c.toString(16).padStart(4, '0');
    } else out += ch;
  }
  return out + q;
}

function stringLiterals(code) {
  const out = [];
  (function visit(n) {
    if (n.type === 'Literal' && typeof n.value === 'string') out.push(n);
    else if (n.type === 'TemplateElement') out.push(n);
    for (const c of children(n)) visit(c);
  })(parseScript(code));
  return out;
}

/**
 * Placeholders to codes in a built bundle. Returns { code, map, codes: { code: entry } } (the map
 * follows the edits). Codes are numbered in the order of the bundle; a message esbuild dropped has none.
 */
export function finishCodes(code, map, collector) {
  const edits = [];
  const codes = {};
  let next = 0;
  const seen = new Map();
  for (const n of stringLiterals(code)) {
    const value = n.type === 'TemplateElement' ? n.value.cooked : n.value;
    if (!value || value.indexOf('\x01LC') < 0) continue;
    if (n.type === 'TemplateElement') throw new Error('logcodes: a placeholder inside a template literal at offset ' + n.start);
    const out = value.replace(PLACEHOLDER, (_, k) => {
      const key = Number(k);
      const entry = collector.entries.get(key);
      if (!entry) throw new Error('logcodes: unknown placeholder ' + k + ' at offset ' + n.start);
      if (!seen.has(key)) {
        const c = codeOf(next++);
        seen.set(key, c);
        codes[c] = entry;
      }
      return MARK + seen.get(key);
    });
    edits.push({ start: n.start, end: n.end, text: quote(out, code[n.start] === "'" ? "'" : '"') });
  }
  if (!edits.length) return { code, map, codes };
  const res = applyEdits(code, edits);
  return { code: res.code, map: map ? remap(typeof map === 'string' ? JSON.parse(map) : map, code, res) : null, codes };
}

/** The id placeholder's literal text in a built bundle (as esbuild writes it). */
function idSites(code) {
  return stringLiterals(code).filter((n) => n.type === 'Literal' && n.value.includes(ID_PLACEHOLDER));
}

/**
 * The id: first 8 hex digits of SHA-256 of the bundle with the placeholder; the placeholder becomes it.
 * Returns { code, map, id }; id is computed even when the bundle has no placeholder (no boot line).
 */
export function stampId(code, map) {
  const id = createHash('sha256').update(code).digest('hex').slice(0, 8);
  const sites = idSites(code);
  if (!sites.length) return { code, map, id, stamped: false };
  const edits = sites.map((n) => ({ start: n.start, end: n.end, text: quote(n.value.split(ID_PLACEHOLDER).join(id), code[n.start] === "'" ? "'" : '"') }));
  const res = applyEdits(code, edits);
  return { code: res.code, map: map ? remap(typeof map === 'string' ? JSON.parse(map) : map, code, res) : null, id, stamped: true };
}

/** The dictionary written next to the bundle. */
export function makeDictionary({ id, code, bundle, codes, kept }) {
  return {
    format: 'ffs-logcodes/1',
    bundle,
    id,
    sha256: createHash('sha256').update(code).digest('hex'),
    mark: MARK,
    codes,
    kept: kept || [],
  };
}

/** Put the original TypeScript back into a source map's sourcesContent (the pass changed its copy). */
export function restoreSources(map, root, mapDir, sources) {
  if (!map || !map.sourcesContent || !sources) return map;
  map.sources.forEach((s, i) => {
    const rel = path.relative(root, path.resolve(mapDir, s)).split(path.sep).join('/');
    if (sources.has(rel)) map.sourcesContent[i] = sources.get(rel);
  });
  return map;
}

/** Bytes the codes bought: the sum over messages of the literal text they no longer carry (estimate). */
export function codedText(dict) {
  let n = 0;
  for (const e of Object.values(dict.codes || {})) n += e.parts.join('').length + e.args.reduce((s, a) => s + (a ? a.join('').length : 0), 0);
  return n;
}

// ---------------------------------------------------------------------------------------------
// host side: decoding

/** Read a dictionary file; null when it does not exist; throws a one-line Error when corrupt. */
export function loadDictionary(file) {
  if (!existsSync(file)) return null;
  let d;
  try {
    d = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(file + ': not a log dictionary (' + e.message + ')');
  }
  if (!d || d.format !== 'ffs-logcodes/1' || typeof d.id !== 'string' || !d.codes) throw new Error(file + ': not a log dictionary (format)');
  return d;
}

/** The dictionary path of a bundle: dist/firmware.js -> dist/firmware.logs.json. */
export function dictionaryPath(bundlePath) {
  return bundlePath.replace(/\.js$/, '') + '.logs.json';
}

/**
 * The dictionary of a bundle file, checked against it: { dict, note } (dict null when missing; note set
 * when the dictionary was made for another build of the file).
 */
export function dictionaryForBundle(bundlePath) {
  const file = dictionaryPath(bundlePath);
  let dict;
  try {
    dict = loadDictionary(file);
  } catch (e) {
    return { dict: null, note: e.message };
  }
  if (!dict) return { dict: null, note: null };
  if (existsSync(bundlePath)) {
    const sha = createHash('sha256').update(readFileSync(bundlePath)).digest('hex');
    if (sha !== dict.sha256) return { dict, stale: true, note: path.basename(file) + ' was made for another build of ' + path.basename(bundlePath) + ': run `npm run build`' };
  }
  return { dict, note: null };
}

/** The dictionary carried in a source map (`x_ffs_logcodes`), or null. */
export function dictionaryFromMap(map) {
  try {
    const m = typeof map === 'string' ? JSON.parse(map) : map;
    const d = m && m.x_ffs_logcodes;
    return d && d.format === 'ffs-logcodes/1' && d.codes ? d : null;
  } catch {
    return null;
  }
}

// a line may start with REPL noise: a prompt, a carriage return, a VT100 sequence (`\x1b[J` on 2v29)
const LINE = /^((?:\x1b\[[0-9;?]*[A-Za-z]|[>\r\s])*)(debug|info|warn|error) ([^\s:]+): ([\s\S]*)$/;
const CODED = /^((?:[A-Za-z0-9-]+: )?)~([\s\S]*)$/;
const BOOT_ID = / ~([0-9a-f]{8})$/;

/**
 * Decodes the lines of one device (one console): holds the id the device announced on its boot line.
 * `dicts`: one dictionary, or several (the decoder picks the one whose id the device announced).
 */
export class LogDecoder {
  constructor(dicts) {
    this.dicts = (Array.isArray(dicts) ? dicts : [dicts]).filter(Boolean);
    this.device = null; // the id of the running firmware, from its boot line
  }

  get dict() {
    if (this.device) return this.dicts.find((d) => d.id === this.device) || null;
    return this.dicts[0] || null;
  }

  /**
   * One line: { text, raw, coded, note }. text is the line as the source wrote it (when decoded) or
   * the raw line; note says why a coded line could not be decoded; id the one a boot line announced.
   * @param {string} raw
   * @returns {{ text: string, raw: string, coded: boolean, note?: string, id?: string }}
   */
  decode(raw) {
    const m = LINE.exec(raw);
    if (!m) return { text: raw, raw, coded: false };
    const [, lead, level, tag] = m;
    let message = m[4];
    let note;
    if (tag === 'boot') {
      const b = BOOT_ID.exec(message);
      if (b) {
        this.device = b[1];
        message = message.slice(0, b.index);
        if (this.dicts.length && !this.dict) {
          note = 'the firmware\'s log dictionary is ' + b[1] + ', not ' + this.dicts.map((d) => d.id).join('/') + ': coded lines stay raw (rebuild, or use the dist/ it was flashed from)';
        }
        // a boot line in words (the boot line itself), or coded (`error boot: ~X...`): decoded below
        const r = this.decodeBody(raw, lead, level, tag, message);
        // another build's firmware: its boot line in words without the id, a coded one raw; with the note
        if (note) return { text: r.coded ? raw : r.text, raw, coded: r.coded, id: b[1], note };
        return { ...r, id: b[1] };
      }
    }
    return this.decodeBody(raw, lead, level, tag, message);
  }

  /** The message part of a log line (after any boot id). */
  decodeBody(raw, lead, level, tag, message) {
    let note;
    const c = CODED.exec(message);
    if (!c) return { text: lead + level + ' ' + tag + ': ' + message, raw, coded: false };
    const dict = this.dict;
    if (!dict) {
      note = this.dicts.length
        ? 'log dictionary ' + this.dicts.map((d) => d.id).join('/') + ' is not the firmware\'s (' + this.device + ')'
        : 'no log dictionary (dist/<bundle>.logs.json) to decode this line';
      return { text: raw, raw, coded: true, note };
    }
    const r = decodeMessage(dict, c[2], level, tag);
    if (r.note) return { text: raw, raw, coded: true, note: r.note };
    return { text: lead + level + ' ' + tag + ': ' + c[1] + r.text, raw, coded: true };
  }

  /** The decoded line, or the raw line followed by `  [log code: <note>]`. */
  text(raw) {
    const r = this.decode(raw);
    return r.note ? r.text + '  [log code: ' + r.note + ']' : r.text;
  }
}

/** Decode `<code><args>` (after the marker) with one dictionary: { text } or { note }. */
export function decodeMessage(dict, body, level, tag) {
  const code = /^[0-9]/.test(body) ? body.slice(0, 2) : body.slice(0, 1);
  const e = Object.prototype.hasOwnProperty.call(dict.codes, code) ? dict.codes[code] : null;
  if (!e || code.length === 0) return { note: 'unknown log code ~' + code + ' (dictionary ' + dict.id + ')' };
  if ((e.level && level && e.level !== level) || (e.tag && tag && e.tag !== tag)) {
    return { note: 'log code ~' + code + ' is ' + (e.level || '?') + ' ' + (e.tag || '?') + ' in dictionary ' + dict.id + ', the line says ' + level + ' ' + tag + ' (stale dictionary?)' };
  }
  let rest = body.slice(code.length);
  // a free argument that is not the last one ends at the next marker: one marker more than those
  // separators means an argument holds the marker itself, and which one is unknown (with no such
  // separator, the one free argument is the last and takes the rest, markers and all: no ambiguity)
  const separators = e.args.filter((a, i) => !a && i < e.args.length - 1).length;
  if (separators > 0 && rest.split(MARK).length - 1 > separators) {
    return { note: 'log code ~' + code + ': an argument holds "' + MARK + '", so where each one ends is ambiguous' };
  }
  let out = e.parts[0];
  for (let i = 0; i < e.args.length; i++) {
    const kind = e.args[i];
    let value;
    if (kind) {
      const k = rest.charCodeAt(0) - 48;
      if (!(k >= 0 && k < kind.length)) return { note: 'log code ~' + code + ': argument ' + (i + 1) + ' is not one of its ' + kind.length + ' texts' };
      value = kind[k];
      rest = rest.slice(1);
    } else if (i === e.args.length - 1) {
      value = rest;
      rest = '';
    } else {
      const at = rest.indexOf(MARK);
      if (at < 0) return { note: 'log code ~' + code + ': ' + e.args.length + ' arguments expected, the line has fewer' };
      value = rest.slice(0, at);
      rest = rest.slice(at + 1);
    }
    out += value + e.parts[i + 1];
  }
  if (rest) return { note: 'log code ~' + code + ': ' + rest.length + ' characters left over (stale dictionary?)' };
  return { text: out };
}
