// firmware/ never touches a global (docs/TEAM.md): every identifier in firmware/**/*.ts must be a
// local, an import, or an allowed language built-in (test/gate/globals-lint.ts), never an Espruino or
// host global (E, NRF, require, setTimeout, console, print, process, global, globalThis, ...).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, statSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { forbiddenGlobals, globalsUsed } from './globals-lint';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

function tsFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) tsFiles(full, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

test('the lint finds board globals and lets built-ins, locals and imports through', async () => {
  const file = path.join(here, 'fixtures/src/uses-globals.ts');
  const found = (await forbiddenGlobals(file)).map((u) => u.name + '@' + u.line);
  assert.equal(found, [
    'print@9', 'setTimeout@10', 'console@11', 'E@11', 'Math.random@11', 'globalThis@12', 'require@14', 'process@16',
  ]);
  const all = (await globalsUsed(file)).map((u) => u.name);
  assert.ok(all.includes('Uint8Array') && all.includes('Math'));
  assert.not.ok(all.includes('helper') || all.includes('table') || all.includes('__FEATURE_WSS__'));
});

test('firmware/**/*.ts touches no global', async () => {
  const files = tsFiles(path.join(root, 'firmware'));
  assert.ok(files.length > 0);
  const problems: string[] = [];
  for (const f of files) {
    for (const u of await forbiddenGlobals(f)) {
      problems.push(path.relative(root, u.file) + ':' + u.line + ':' + u.column + ': global ' + u.name);
    }
  }
  assert.equal(problems, []);
});

// The bundle entry points (esbuild.config.mjs) join firmware/ to hal/espruino/; nothing else may.
const ENTRY_POINTS = [path.join('firmware', 'main.ts'), path.join('firmware', 'selftest.ts')];

test('only the bundle entry points import the Espruino HAL implementation (everything else gets `hal`)', () => {
  const problems: string[] = [];
  for (const f of tsFiles(path.join(root, 'firmware'))) {
    if (ENTRY_POINTS.includes(path.relative(root, f))) continue;
    const text = readFileSync(f, 'utf8');
    const re = /\b(?:import|export)\b[^;]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]/g;
    for (let m = re.exec(text); m; m = re.exec(text)) {
      const spec = m[1] || m[2];
      const target = path.resolve(path.dirname(f), spec);
      if (spec.startsWith('.') && path.relative(root, target).startsWith(path.join('hal', 'espruino'))) {
        const line = text.slice(0, m.index).split('\n').length;
        problems.push(path.relative(root, f) + ':' + line + ': imports ' + spec);
      }
    }
  }
  assert.equal(problems, []);
});

test.run();
