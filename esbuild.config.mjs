// Builds the flashed bundle and its companions with one set of settings.
//   dist/firmware.js  firmware/main.ts + hal/espruino/  (what gets flashed)
//   dist/selftest.js  crypto/vector self-test that runs on a board or in the simulator
//   dist/bench.js     per-operation timings on a board or in the simulator
// Every output is a single minified, tree-shaken IIFE; the only require() calls left are Espruino
// built-in modules. The Espruino dialect gate (build/check.mjs) and the 64 KB budget run on each.
import * as esbuild from 'esbuild';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { ESPRUINO_BUILTIN_MODULES, ESBUILD_SUPPORTED } from './build/dialect.mjs';

const root = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(root, 'dist');

/** Feature flags: a build can drop what it does not need (`--no-wss`, `--no-mesh`, `--no-pb-adv`...). */
export function featureDefines(argv = []) {
  const off = (name) => argv.includes('--no-' + name);
  return {
    __FEATURE_WSS__: String(!off('wss')),
    __FEATURE_MESH__: String(!off('mesh')),
    __FEATURE_PB_ADV__: String(!off('pb-adv') && !off('mesh')),
    __FEATURE_PB_GATT__: String(!off('pb-gatt') && !off('mesh')),
    __FEATURE_SOFTAP__: String(!off('softap')),
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
    target: 'es2020',
    supported: ESBUILD_SUPPORTED,
    minify: true,
    treeShaking: true,
    sourcemap: 'external',
    metafile: true,
    legalComments: 'none',
    charset: 'ascii',
    external: ESPRUINO_BUILTIN_MODULES,
    define: featureDefines(argv),
    logLevel: 'warning',
  };
}

export async function buildAll(argv = process.argv.slice(2)) {
  mkdirSync(dist, { recursive: true });
  const results = [];
  for (const b of bundles) {
    if (!existsSync(path.join(root, b.entry))) continue;
    const outfile = path.join(dist, b.name + '.js');
    const result = await esbuild.build(buildOptions(b.entry, outfile, argv));
    writeFileSync(path.join(dist, b.name + '.meta.json'), JSON.stringify(result.metafile));
    results.push({ name: b.name, outfile });
  }
  return results;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { checkFile } = await import('./build/check.mjs');
  let failed = false;
  try {
    for (const r of await buildAll()) {
      const problems = checkFile(r.outfile);
      for (const p of problems) console.error(p.text);
      if (problems.length) failed = true;
      else console.log(`built ${path.relative(root, r.outfile)}: gates passed`);
    }
  } catch (e) {
    console.error('build failed: ' + (e && e.message ? e.message.split('\n')[0] : e));
    process.exit(1);
  }
  if (failed) process.exit(1);
}
