// Runs every uvu suite under test/ (files named *.test.ts) in one process and ends with the plain
// summary line "N passed, N failed". `npm test -- <substring>` runs only matching files.
// The suites test the bundles themselves (dist/*.js): the whole suite builds them first, as
// `npm run build` does; a filtered run builds them only when one is missing.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-ignore uvu/run has no type declarations
import { run } from 'uvu/run';

const here = path.dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const root = path.resolve(here, '..');
const bundles = ['firmware', 'selftest', 'bench'].map((b) => path.join(root, 'dist', b + '.js'));
if (filters.length === 0 || bundles.some((f) => !existsSync(f))) {
  const built = spawnSync(process.execPath, ['esbuild.config.mjs'], { cwd: root, stdio: 'inherit' });
  if (built.status !== 0) {
    console.error('npm test: the build failed (npm run build shows why)');
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
}

function walk(dir: string, out: string[]): string[] {
  for (const name of readdirSync(dir).sort()) {
    const full = path.join(dir, name);
    if (name === 'fixtures' || name === 'node_modules') continue;
    if (statSync(full).isDirectory()) walk(full, out);
    else if (name.endsWith('.test.ts')) out.push(full);
  }
  return out;
}

const files = walk(here, []).filter((f) => filters.length === 0 || filters.some((s) => path.relative(here, f).includes(s)));
if (files.length === 0) {
  console.error('no test files matched ' + JSON.stringify(filters));
  process.exit(1);
}

// Count uvu's own totals from what it prints, to end with one machine-readable line.
let out = '';
const write = process.stdout.write.bind(process.stdout);
process.stdout.write = ((chunk: any, ...rest: any[]) => {
  out += String(chunk);
  return write(chunk, ...rest);
}) as typeof process.stdout.write;

await run(files.map((file) => ({ name: path.relative(here, file), file })), { bail: false });

process.stdout.write = write;
const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
const total = Number((/Total:\s+(\d+)/.exec(plain) || [])[1] || 0);
const passed = Number((/Passed:\s+(\d+)/.exec(plain) || [])[1] || 0);
const failed = total - passed;
console.log(`\n${passed} passed, ${failed} failed`);
if (total === 0 || failed > 0) process.exitCode = 1;
