// Builds the flashed bundle and its companions with one set of settings.
//   dist/firmware.js  firmware/main.ts + hal/espruino/  (what gets flashed)
//   dist/selftest.js  crypto/vector self-test that runs on a board or in the simulator
//   dist/bench.js     per-operation timings on a board or in the simulator
// Every output is a single minified, tree-shaken IIFE; the only require() calls left are Espruino
// built-in modules. A post-pass (build/postpass.mjs) drops esbuild's require shim, renames any
// local the interpreter would parse as a keyword and aliases constructors called with `new`; then the
// Espruino dialect gate (build/check.mjs) and the 64 KB budget run on each output, and any finding
// fails the build.
// Property names on the curated allowlist of build/mangle.json are shortened (esbuild mangleProps with
// the committed mangle cache); build/mangle.mjs checks that no data, API or tool spells them.
import * as esbuild from 'esbuild';
import { mkdirSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { ESPRUINO_BUILTIN_MODULES, ESBUILD_SUPPORTED, BUDGET_BYTES } from './build/dialect.mjs';
import { postProcess } from './build/postpass.mjs';
import { mangleOptions, saveMangleCache } from './build/mangle.mjs';
import { lazify } from './build/lazy.mjs';
import { squeeze } from './build/squeeze.mjs';
import { arrowify } from './build/arrows.mjs';
import { terse } from './build/terser.mjs';
import { appArg, loadMakerApp } from './build/maker.mjs';
import { logCodesPlugin, createCollector, finishCodes, stampId, makeDictionary, restoreSources, dictionaryPath } from './build/logcodes.mjs';

const root = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(root, 'dist');

/**
 * Feature flags: a build can drop what it does not need (`--no-wss`, `--no-mesh`, `--no-pb-adv`...).
 * `--js-crypto` builds the portable SHA-256/AES in, for boards without `require("crypto")` (ESP32
 * IDF4 builds); by default the firmware uses the board's native ones (firmware/crypto/sha256.ts).
 */
export function featureDefines(argv = []) {
  const off = (name) => argv.includes('--no-' + name);
  return {
    __FEATURE_WSS__: String(!off('wss')),
    __FEATURE_MESH__: String(!off('mesh')),
    __FEATURE_PB_ADV__: String(!off('pb-adv') && !off('mesh')),
    __FEATURE_PB_GATT__: String(!off('pb-gatt') && !off('mesh')),
    __FEATURE_SOFTAP__: String(!off('softap')),
    __JS_CRYPTO__: String(argv.includes('--js-crypto')),
  };
}

export const bundles = [
  { name: 'firmware', entry: 'firmware/main.ts' },
  { name: 'selftest', entry: 'firmware/selftest.ts' },
  { name: 'bench', entry: 'bench/device.ts' },
];

export function buildOptions(entry, outfile, argv = []) {
  return {
    absWorkingDir: root,
    entryPoints: [entry],
    outfile,
    bundle: true,
    format: 'iife',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    target: 'es2020',
    // the device settings for every module of a bundle: `useDefineForClassFields: false` makes a field
    // `k = v` a constructor assignment and drops a bare `k: T;` (Espruino 2v29 cannot parse `k;`)
    tsconfig: path.join(root, 'tsconfig.device.json'),
    supported: ESBUILD_SUPPORTED,
    minify: true,
    treeShaking: true,
    sourcemap: 'external',
    metafile: true,
    legalComments: 'none',
    charset: 'ascii',
    external: ESPRUINO_BUILTIN_MODULES,
    define: featureDefines(argv),
    logLevel: 'silent',
    ...mangleOptions(),
  };
}

/** One line per esbuild message: `file:line:col: build: text`. */
export function formatEsbuildMessages(messages) {
  return (messages || []).map((m) => {
    const where = m.location ? m.location.file + ':' + m.location.line + ':' + (m.location.column + 1) + ': ' : '';
    return where + 'build: ' + m.text;
  });
}

/**
 * Build one bundle in memory, run the post-pass (build/postpass.mjs: no `__require` shim, no names the
 * interpreter rejects), then write `<name>.js`, `<name>.js.map` and `<name>.meta.json` into `outDir`.
 * `opts.lazy`: also move the setup-only modules into one function run at first use (build/lazy.mjs;
 * `opts.halOnFirstUse`: the entry builds its HAL on first use, as the maker's ffs/index.ts does).
 */
export async function buildBundle(entry, outfile, argv = [], extra = {}, opts = {}) {
  // log messages to short codes (build/logcodes.mjs), unless `--no-logcodes` or opts.logCodes === false
  const codesOn = opts.logCodes !== false && !argv.includes('--no-logcodes');
  const collector = createCollector();
  const plugins = [...(extra.plugins || []), ...(codesOn ? [logCodesPlugin(root, collector)] : [])];
  const result = await esbuild.build({ ...buildOptions(entry, outfile, argv), ...extra, plugins, write: false });
  const js = result.outputFiles.find((f) => f.path.endsWith('.js'));
  const map = result.outputFiles.find((f) => f.path.endsWith('.js.map'));
  if (result.mangleCache) saveMangleCache(result.mangleCache);
  const coded = codesOn ? finishCodes(js.text, map ? map.text : null, collector) : { code: js.text, map: map ? map.text : null, codes: {} };
  let post = postProcess(coded.code, coded.map);
  if (opts.lazy && post.map) post = { ...post, ...lazify(post.code, post.map, { halOnFirstUse: !!opts.halOnFirstUse }) };
  // functions that use no `this` written as arrows (build/arrows.mjs), unless `--no-arrows`
  if (!argv.includes('--no-arrows')) post = { ...post, ...arrowify(post.code, post.map) };
  // number constants inlined, adjacent declarations merged (build/squeeze.mjs)
  post = { ...post, ...squeeze(post.code, post.map) };
  // terser's compressor and mangler over the result (build/terser.mjs), unless `--no-terser`
  // (and the squeeze pass once more: terser leaves adjacent declarations it could merge)
  if (!argv.includes('--no-terser')) {
    post = { ...post, ...(await terse(post.code, post.map)) };
    post = { ...post, ...squeeze(post.code, post.map) };
  }
  let dict = null;
  const dictFile = dictionaryPath(outfile);
  if (codesOn) {
    const stamped = stampId(post.code, post.map);
    post = { ...post, code: stamped.code, map: stamped.map };
    if (stamped.stamped || Object.keys(coded.codes).length) {
      dict = makeDictionary({ id: stamped.id, code: post.code, bundle: path.basename(outfile), codes: coded.codes, kept: collector.kept });
      // how it was built, so `npm run size` can build it again without codes and show what they bought
      dict.build = { entry: path.relative(root, path.resolve(root, entry)).split(path.sep).join('/'), argv, lazy: !!opts.lazy, halOnFirstUse: !!opts.halOnFirstUse, ...(extra.loader ? { loader: extra.loader } : {}) };
    }
    if (post.map) {
      restoreSources(post.map, root, path.dirname(outfile), collector.sources);
      if (dict) post.map.x_ffs_logcodes = dict;
    }
  }
  mkdirSync(path.dirname(outfile), { recursive: true });
  writeFileSync(outfile, post.code);
  if (post.map) writeFileSync(outfile + '.map', JSON.stringify(post.map));
  if (dict) writeFileSync(dictFile, JSON.stringify(dict, null, 1) + '\n');
  else rmSync(dictFile, { force: true });
  const meta = result.metafile;
  const key = Object.keys(meta.outputs).find((k) => k.endsWith('.js'));
  if (key) meta.outputs[key].bytes = Buffer.byteLength(post.code);
  const metaFile = outfile.replace(/\.js$/, '.meta.json');
  writeFileSync(metaFile, JSON.stringify(meta));
  return { outfile, metaFile, bytes: Buffer.byteLength(post.code), logCodes: dict ? Object.keys(dict.codes).length : 0, logId: dict ? dict.id : null, renamed: post.renamed, aliased: post.aliased || [], warnings: result.warnings };
}

export async function buildAll(argv = process.argv.slice(2)) {
  mkdirSync(dist, { recursive: true });
  const results = [];
  // `--app <dir>`: the maker's product as dist/firmware.js (ffs-app.json checked first, build/maker.mjs)
  const appDir = appArg(argv);
  const app = appDir ? loadMakerApp(appDir, root) : null;
  for (const b of bundles) {
    if (!existsSync(path.join(root, b.entry))) continue;
    const outfile = path.join(dist, b.name + '.js');
    const fw = b.name === 'firmware';
    const entry = fw && app ? app.entry : b.entry;
    const r = await buildBundle(entry, outfile, argv, fw && app ? app.extra : {}, { lazy: fw && !argv.includes('--no-lazy'), halOnFirstUse: fw && !!app });
    results.push({ name: b.name, ...r });
  }
  return results;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { checkFile } = await import('./build/check.mjs');
  const { checkMangle } = await import('./build/mangle.mjs');
  let failed = false;
  try {
    const built = await buildAll();
    for (const line of await checkMangle({ bundles: built.map((r) => r.outfile) })) {
      if (!line.startsWith('mangle: warning:')) failed = true;
      console.error(line);
    }
    for (const r of built) {
      for (const line of formatEsbuildMessages(r.warnings)) console.error(line.replace(': build: ', ': build warning: '));
      const problems = checkFile(r.outfile);
      for (const p of problems) console.error(p.text);
      const rel = path.relative(root, r.outfile);
      if (problems.length) {
        failed = true;
        console.error(`${rel}: ${problems.length} gate finding(s): the bundle cannot run on Espruino`);
      } else {
        const renamed = r.renamed.length ? `, renamed ${r.renamed.map((x) => x.from + '->' + x.to).join(' ')}` : '';
        const aliased = r.aliased.length ? `, aliased ${r.aliased.map((x) => x.name + '->' + x.to).join(' ')}` : '';
        const codes = r.logCodes ? `, ${r.logCodes} log messages as codes (${path.basename(rel, '.js')}.logs.json, id ${r.logId})` : '';
        console.log(`built ${rel}: ${r.bytes} bytes of ${BUDGET_BYTES}, gates passed${renamed}${aliased}${codes}`);
      }
    }
  } catch (e) {
    if (e && Array.isArray(e.errors) && e.errors.length) {
      for (const line of formatEsbuildMessages(e.errors)) console.error(line);
      console.error('build failed: ' + e.errors.length + ' error(s)');
    } else console.error('build failed: ' + (e && e.message ? e.message.split('\n')[0] : e));
    process.exit(1);
  }
  if (failed) process.exit(1);
}
