#!/usr/bin/env node
// The Espruino dialect gate: `node build/check.mjs <file.js> [more files]`.
// Prints one line per finding, `file:line:col: <rule>: <message>`, mapped back to the TypeScript
// source when a source map is beside the file (`<file>.map`, or the one its sourceMappingURL names),
// followed by the bundle position in brackets. Exit 0: clean; 1: findings; 2: unusable input
// (missing file, corrupt or missing-but-requested source map, bad arguments).
// `--rules` lists the rules; `--no-map` ignores source maps; `--map <file>` names the map.
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sourceMapJs from 'source-map-js';
import { parseScript } from './scope.mjs';
import { runRules, RULES } from './rules.mjs';
import { BUDGET_BYTES } from './dialect.mjs';

const { SourceMapConsumer } = sourceMapJs;

/**
 * @typedef {{ rule: string, message: string, loc: { line: number, column: number }, start?: number,
 *   noMap?: boolean, text: string }} Finding
 */

/** Unusable input: reported as one line, exit 2. */
export class CheckInputError extends Error {}

function rel(p) {
  const r = path.relative(process.cwd(), p);
  return r && !r.startsWith('..' + path.sep) && r !== '..' ? r : p;
}

/**
 * Load the source map for a bundle. `mapPath` false: none; a string: that file (must exist).
 * Otherwise: the file named by `//# sourceMappingURL=` (must exist: the bundle asks for it), or
 * `<file>.map` beside it if present. Returns { consumer, path } or null.
 */
export function loadSourceMap(file, code, mapPath) {
  if (mapPath === false) return null;
  let where = null;
  let text = null;
  if (typeof mapPath === 'string') {
    where = mapPath;
    if (!existsSync(where)) throw new CheckInputError(rel(file) + ': source map ' + rel(where) + ' is missing');
  } else {
    const m = /\/\/[#@] sourceMappingURL=(\S+)\s*$/.exec(code);
    if (m && m[1].startsWith('data:')) {
      const b64 = /^data:application\/json(?:;charset=[^;,]+)?;base64,(.*)$/.exec(m[1]);
      if (!b64) throw new CheckInputError(rel(file) + ': corrupt source map: unsupported data URL');
      where = file + ' (inline map)';
      text = Buffer.from(b64[1], 'base64').toString('utf8');
    } else if (m) {
      where = path.resolve(path.dirname(file), decodeURIComponent(m[1]));
      if (!existsSync(where)) {
        throw new CheckInputError(rel(file) + ': source map ' + rel(where) + ' named by its sourceMappingURL is missing (rebuild, or pass --no-map)');
      }
    } else if (existsSync(file + '.map')) where = file + '.map';
    else return null;
  }
  if (text === null) text = readFileSync(where, 'utf8');
  let json;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CheckInputError(rel(where) + ': corrupt source map: not JSON (' + e.message + ')');
  }
  if (!json || json.version !== 3 || typeof json.mappings !== 'string' || !Array.isArray(json.sources)) {
    throw new CheckInputError(rel(where) + ': corrupt source map: not a version 3 map with sources and mappings');
  }
  let consumer;
  try {
    consumer = new SourceMapConsumer(json);
    let bad = null;
    consumer.eachMapping((mp) => {
      if (bad === null && mp.source != null && (mp.originalLine < 1 || mp.originalColumn < 0)) bad = mp;
    });
    if (bad) throw new Error('a mapping points before the start of a source');
  } catch (e) {
    throw new CheckInputError(rel(where) + ': corrupt source map: ' + (e && e.message ? e.message : e));
  }
  const base = typeof mapPath === 'string' || where.endsWith('.map') ? path.dirname(where) : path.dirname(file);
  return { consumer, path: where, base };
}

/**
 * Check JavaScript source text. Returns findings with `.text` (the printed line).
 * @param {string} code
 * @param {{ file?: string, map?: any, budget?: number }} [opts]
 * @returns {Finding[]}
 */
export function checkSource(code, opts = {}) {
  const file = opts.file || '<input>';
  const map = opts.map || null;
  const budget = opts.budget ?? BUDGET_BYTES;
  /** @type {Finding[]} */
  const findings = [];
  try {
    const ast = parseScript(code);
    findings.push(...runRules(ast, code));
  } catch (e) {
    if (!(e instanceof SyntaxError) || !e.loc) throw e;
    const reserved = /The keyword '(let|static)' is reserved/.exec(e.message);
    findings.push({
      rule: reserved ? 'keyword-identifier' : 'parse-error',
      loc: { line: e.loc.line, column: e.loc.column },
      message: reserved ? 'identifier `' + reserved[1] + '` is a keyword on the interpreter' : e.message.replace(/ \(\d+:\d+\)$/, ''),
    });
  }
  const bytes = Buffer.byteLength(code, 'utf8');
  if (bytes > budget) {
    findings.push({
      rule: 'bundle-size',
      loc: { line: 1, column: 0 },
      message: bytes + ' bytes is over the ' + budget.toLocaleString('en-US') + '-byte budget by ' + (bytes - budget),
      noMap: true,
    });
  }
  for (const f of findings) f.text = format(file, map, f);
  return findings;
}

function format(file, map, f) {
  const at = file + ':' + f.loc.line + ':' + (f.loc.column + 1);
  if (map && !f.noMap) {
    const o = map.consumer.originalPositionFor({ line: f.loc.line, column: f.loc.column });
    if (o && o.source) {
      const src = rel(path.resolve(map.base, o.source));
      return src + ':' + o.line + ':' + (o.column + 1) + ': ' + f.rule + ': ' + f.message + ' [' + at + ']';
    }
  }
  return at + ': ' + f.rule + ': ' + f.message;
}

/**
 * Check a file on disk. Throws CheckInputError for unusable input.
 * @param {string} file
 * @param {{ map?: string | false, budget?: number }} [opts]
 * @returns {Finding[]}
 */
export function checkFile(file, opts = {}) {
  if (!existsSync(file)) throw new CheckInputError(rel(file) + ': no such file');
  let code;
  try {
    code = readFileSync(file, 'utf8');
  } catch (e) {
    throw new CheckInputError(rel(file) + ': cannot read: ' + (e.code || e.message));
  }
  const map = loadSourceMap(file, code, opts.map);
  return checkSource(code, { file: rel(file), map, budget: opts.budget });
}

function main(argv) {
  const files = [];
  let map;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--rules') {
      for (const [k, v] of Object.entries(RULES)) console.log(k.padEnd(22) + v);
      return 0;
    } else if (arg === '--no-map') map = false;
    else if (arg === '--map') {
      map = argv[++i];
      if (!map) { console.error('check: --map needs a file'); return 2; }
    } else if (arg.startsWith('-')) {
      console.error('check: unknown option ' + arg + ' (usage: node build/check.mjs [--no-map|--map f.map] <file.js> ...)');
      return 2;
    } else files.push(arg);
  }
  if (files.length === 0) {
    console.error('usage: node build/check.mjs [--no-map|--map f.map] <file.js> [more files]');
    return 2;
  }
  if (typeof map === 'string' && files.length > 1) {
    console.error('check: --map applies to one file only');
    return 2;
  }
  let status = 0;
  for (const file of files) {
    try {
      const findings = checkFile(file, { map });
      for (const f of findings) console.log(f.text);
      if (findings.length) {
        status = Math.max(status, 1);
        console.error(rel(file) + ': ' + findings.length + ' finding' + (findings.length === 1 ? '' : 's'));
      }
    } catch (e) {
      if (e instanceof CheckInputError) console.error('check: ' + e.message);
      else console.error('check: ' + rel(file) + ': internal error: ' + (e && e.message ? e.message : e));
      status = 2;
    }
  }
  return status;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
