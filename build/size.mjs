#!/usr/bin/env node
// `npm run size`: per-module size table of every built bundle against the 65,536-byte budget.
//   minified: esbuild's metafile `bytesInOutput` for the module (bytes it contributes to the file,
//             before the post-pass, which only removes esbuild's require shim and renames locals);
//   gzip:     the module's own output bytes, located through the source map (every generated span up
//             to the next mapping belongs to the mapping's source), compressed alone with raw DEFLATE
//             at level 9 (no gzip header). Compressed alone, a module cannot reuse strings of the
//             others, so this is an upper bound on its share and the column adds up to more than the
//             total; the total is the whole file gzipped at level 9 (what a compressed upload costs).
// The "(runtime + post-pass)" row is the file size minus the modules: esbuild's IIFE wrapper and helpers.
// Exit 1 when dist/ or a bundle is missing (run `npm run build`) or a bundle is over the budget.
import { readFileSync, existsSync } from 'node:fs';
import { gzipSync, deflateRawSync, constants } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sourceMapJs from 'source-map-js';
import { BUDGET_BYTES } from './dialect.mjs';

const { SourceMapConsumer } = sourceMapJs;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LEVEL = { level: constants.Z_BEST_COMPRESSION };

class SizeError extends Error {}

const fmt = (n) => n.toLocaleString('en-US');

/** Output text of each source module, keyed by path relative to the repo root. */
export function slicesBySource(code, mapJson, mapDir) {
  const starts = [0];
  for (let i = 0; i < code.length; i++) if (code.charCodeAt(i) === 10) starts.push(i + 1);
  const consumer = new SourceMapConsumer(mapJson);
  const marks = [];
  consumer.eachMapping((m) => {
    marks.push({ at: starts[m.generatedLine - 1] + m.generatedColumn, source: m.source });
  }, null, SourceMapConsumer.GENERATED_ORDER);
  marks.sort((x, y) => x.at - y.at);
  const parts = new Map();
  for (let i = 0; i < marks.length; i++) {
    const key = marks[i].source == null ? null : path.relative(root, path.resolve(mapDir, marks[i].source));
    const end = i + 1 < marks.length ? marks[i + 1].at : code.length;
    if (!parts.has(key)) parts.set(key, []);
    parts.get(key).push(code.slice(marks[i].at, end));
  }
  const out = new Map();
  for (const [k, v] of parts) out.set(k, v.join(''));
  return out;
}

/** Size report of one bundle: { name, bytes, gzip, modules: [{ path, bytes, gzip }], budget } */
export function bundleReport(distDir, name, budget = BUDGET_BYTES) {
  const js = path.join(distDir, name + '.js');
  const metaFile = path.join(distDir, name + '.meta.json');
  if (!existsSync(js)) throw new SizeError(path.relative(process.cwd(), js) + ' is missing: run `npm run build` first');
  if (!existsSync(metaFile)) throw new SizeError(path.relative(process.cwd(), metaFile) + ' is missing: run `npm run build` first');
  const code = readFileSync(js, 'utf8');
  let meta;
  try {
    meta = JSON.parse(readFileSync(metaFile, 'utf8'));
  } catch (e) {
    throw new SizeError(path.relative(process.cwd(), metaFile) + ' is corrupt (' + e.message + '): run `npm run build` again');
  }
  const key = Object.keys(meta.outputs || {}).find((k) => k.endsWith(name + '.js'));
  if (!key) throw new SizeError(path.relative(process.cwd(), metaFile) + ' has no output for ' + name + '.js: run `npm run build` again');
  let slices = new Map();
  if (existsSync(js + '.map')) {
    try {
      slices = slicesBySource(code, JSON.parse(readFileSync(js + '.map', 'utf8')), distDir);
    } catch (e) {
      throw new SizeError(path.relative(process.cwd(), js + '.map') + ' is corrupt (' + e.message + '): run `npm run build` again');
    }
  }
  const modules = Object.entries(meta.outputs[key].inputs || {})
    .map(([p, v]) => {
      const text = slices.get(p);
      return { path: p, bytes: v.bytesInOutput, gzip: text ? deflateRawSync(Buffer.from(text), LEVEL).length : null };
    })
    .filter((m) => m.bytes > 0)
    .sort((x, y) => y.bytes - x.bytes || (x.path < y.path ? -1 : 1));
  const bytes = Buffer.byteLength(code);
  const rest = bytes - modules.reduce((s, m) => s + m.bytes, 0);
  const unmapped = slices.get(null);
  return {
    name,
    bytes,
    gzip: gzipSync(code, LEVEL).length,
    modules,
    rest: { bytes: rest, gzip: unmapped ? deflateRawSync(Buffer.from(unmapped), LEVEL).length : null },
    budget,
  };
}

export function formatReport(r) {
  const width = Math.max(40, ...r.modules.map((m) => m.path.length)) + 2;
  const row = (label, bytes, gzip, share) =>
    label.padEnd(width) + fmt(bytes).padStart(10) + (gzip == null ? '-' : fmt(gzip)).padStart(10) + share.padStart(8);
  const pct = (n) => ((100 * n) / r.bytes).toFixed(1) + '%';
  const lines = [];
  lines.push(`${r.name} (dist/${r.name}.js)`);
  lines.push('module'.padEnd(width) + 'minified'.padStart(10) + 'gzip'.padStart(10) + 'share'.padStart(8));
  for (const m of r.modules) lines.push(row(m.path, m.bytes, m.gzip, pct(m.bytes)));
  lines.push(row('(runtime + post-pass)', r.rest.bytes, r.rest.gzip, pct(r.rest.bytes)));
  lines.push('-'.repeat(width + 28));
  lines.push(row('total (whole file; gzip -9 of the file)', r.bytes, r.gzip, '100%'));
  const left = r.budget - r.bytes;
  const used = ((100 * r.bytes) / r.budget).toFixed(1) + '%';
  lines.push(left >= 0
    ? `budget: ${fmt(r.bytes)} of ${fmt(r.budget)} bytes (${used}), ${fmt(left)} left`
    : `budget: ${fmt(r.bytes)} of ${fmt(r.budget)} bytes (${used}): OVER BUDGET by ${fmt(-left)} bytes`);
  return lines.join('\n');
}

/**
 * What each feature flag costs in dist/firmware.js, and what each size measure bought: rebuild with one
 * flag (in a temporary directory). `--js-crypto` (the portable SHA-256/AES back in) and `--no-lazy`
 * (no lazy pass) show the bytes the native crypto and the lazy setup machinery save or cost.
 */
async function featureCosts() {
  const { buildBundle } = await import('../esbuild.config.mjs');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(path.join(tmpdir(), 'size-features-'));
  const build = async (argv) => (await buildBundle('firmware/main.ts', path.join(dir, 'firmware.js'), argv, {}, { lazy: !argv.includes('--no-lazy') })).bytes;
  try {
    const all = await build([]);
    console.log('');
    console.log('feature costs and size measures (dist/firmware.js rebuilt with one flag)');
    console.log('flag'.padEnd(16) + 'bytes'.padStart(10) + 'saves'.padStart(10));
    console.log('(as built)'.padEnd(16) + fmt(all).padStart(10));
    for (const flag of ['--no-wss', '--no-softap', '--no-mesh', '--no-pb-adv', '--no-pb-gatt', '--js-crypto', '--no-lazy', '--no-logcodes']) {
      const b = await build([flag]);
      console.log(flag.padEnd(16) + fmt(b).padStart(10) + fmt(all - b).padStart(10));
    }
    console.log('(a negative "saves": the default build is that much smaller than with the flag: the lazy pass\'s cost, what the log codes bought)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What the log-code pass (build/logcodes.mjs) bought in one bundle: the bundle built again the same way
 * with `--no-logcodes` (in a temporary directory). null when the bundle has no dictionary.
 */
export async function logCodesReport(distDir, name) {
  const file = path.join(distDir, name + '.logs.json');
  if (!existsSync(file)) return null;
  let dict;
  try {
    dict = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new SizeError(path.relative(process.cwd(), file) + ' is corrupt (' + e.message + '): run `npm run build` again');
  }
  const code = readFileSync(path.join(distDir, name + '.js'));
  const { createHash } = await import('node:crypto');
  const stale = createHash('sha256').update(code).digest('hex') !== dict.sha256;
  const messages = Object.keys(dict.codes || {}).length;
  const out = { messages, id: dict.id, stale, kept: (dict.kept || []).length, bytes: code.length, without: null };
  if (stale || !dict.build || !existsSync(path.join(root, dict.build.entry))) return out;
  const { buildBundle } = await import('../esbuild.config.mjs');
  const { mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(path.join(tmpdir(), 'size-logcodes-'));
  try {
    const b = dict.build;
    const extra = b.loader ? { loader: b.loader } : {};
    const r = await buildBundle(b.entry, path.join(dir, name + '.js'), [...(b.argv || []), '--no-logcodes'], extra, { lazy: b.lazy, halOnFirstUse: b.halOnFirstUse });
    out.without = r.bytes;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

export function formatLogCodes(r) {
  if (!r) return null;
  const head = `(log codes) ${fmt(r.messages)} messages as codes (dictionary ${r.id}, ${r.kept} kept in words)`;
  if (r.stale) return head + ': the dictionary is not this file\'s (run `npm run build`)';
  if (r.without == null) return head;
  return head + `: ${fmt(r.without)} bytes without, ${fmt(r.bytes)} with: saves ${fmt(r.without - r.bytes)}`;
}

/**
 * `node build/size.mjs [--dist <dir>] [--bundle <name>]... [--features] [--jsvars [--bin FILE]]` (defaults:
 * dist/, every bundle). --jsvars: JsVars of dist/firmware.js on the real interpreter (build/jsvars.mjs).
 */
async function main(argv) {
  let distDir = path.join(root, 'dist');
  const chosen = [];
  let features = false;
  let jsvars = false;
  let bin = process.env.ESPRUINO_BIN || '';
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--features') features = true;
    else if (argv[i] === '--jsvars') jsvars = true;
    else if (argv[i] === '--bin' && argv[i + 1]) bin = path.resolve(argv[++i]);
    else if (argv[i] === '--dist' && argv[i + 1]) distDir = path.resolve(argv[++i]);
    else if (argv[i] === '--bundle' && argv[i + 1]) chosen.push(argv[++i]);
    else throw new SizeError('unknown argument ' + argv[i] + ' (usage: node build/size.mjs [--dist <dir>] [--bundle <name>]... [--features] [--jsvars [--bin FILE]])');
  }
  if (!existsSync(distDir)) throw new SizeError(path.relative(process.cwd(), distDir) + '/ is missing: run `npm run build` first');
  let names = chosen;
  if (names.length === 0) {
    const { bundles } = await import('../esbuild.config.mjs');
    names = bundles.filter((b) => existsSync(path.join(root, b.entry))).map((b) => b.name);
  }
  const over = [];
  const reports = names.map((n) => bundleReport(distDir, n));
  for (const r of reports) {
    console.log(formatReport(r));
    const codes = formatLogCodes(await logCodesReport(distDir, r.name));
    if (codes) console.log(codes);
    console.log('');
    if (r.bytes > r.budget) over.push(r.name);
  }
  console.log('gzip column: each module\'s own output bytes compressed alone (raw DEFLATE, level 9); an upper bound on its share.');
  if (features) await featureCosts();
  if (jsvars) {
    const { jsvarsReport } = await import('./jsvars.mjs');
    let r;
    try {
      r = jsvarsReport(root, bin);
    } catch (e) {
      throw new SizeError(e.message);
    }
    console.log('');
    console.log(r.text);
    if (!r.ok) over.push('jsvars (the firmware did not boot on the interpreter)');
  }
  if (over.length) {
    console.error('size: over the ' + fmt(BUDGET_BYTES) + '-byte budget: ' + over.join(', '));
    return 1;
  }
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e) => {
    console.error('size: ' + (e instanceof SizeError ? e.message : 'internal error: ' + (e && e.message ? e.message : e)));
    process.exitCode = 1;
  });
}
