// A clone is enough (issue 10): no file of the build, the tests, the simulator, the tools or CI may
// reach outside the repository: not the team's notes in the folder beside it, not the folders of the
// machine it was written on, not a system browser (see OUTSIDE). Provenance is written as the upstream
// source (a repository, a spec), never as a path on this machine.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const AREAS = ['build', 'test', 'sim', 'flash', 'bench', 'tools', '.ci', 'esbuild.config.mjs', 'esbuild.config.d.mts', 'package.json', 'tsconfig.json', 'tsconfig.device.json'];
// spelled in pieces so that this file does not match itself
const OUTSIDE = [['..', 'shared'].join('/'), '/' + 'work' + '/', ['/usr', 'bin', 'chromium'].join('/')];

/** The tracked files of the areas (git), or every file under them when this is not a git checkout. */
function trackedFiles(): string[] {
  const git = spawnSync('git', ['ls-files', '-z', '--', ...AREAS], { cwd: root, encoding: 'utf8' });
  if (git.status === 0 && git.stdout) return git.stdout.split('\0').filter(Boolean);
  const out: string[] = [];
  const walk = (rel: string): void => {
    const abs = path.join(root, rel);
    if (!existsSync(abs)) return;
    if (statSync(abs).isDirectory()) {
      for (const e of readdirSync(abs)) if (e !== 'node_modules') walk(path.join(rel, e));
    } else out.push(rel);
  };
  for (const a of AREAS) walk(a);
  return out;
}

/** `file:line: path` for every reference to a place outside the repository in `text`. */
export function outsideReferences(file: string, text: string): string[] {
  const found: string[] = [];
  text.split('\n').forEach((line, i) => {
    for (const p of OUTSIDE) if (line.includes(p)) found.push(file + ':' + (i + 1) + ': ' + p);
  });
  return found;
}

test('the scanner finds each kind of outside path (so the next test can fail)', () => {
  for (const p of OUTSIDE) assert.equal(outsideReferences('x.ts', 'a\nconst f = "' + p + 'docs/x.md";\n'), ['x.ts:2: ' + p]);
  assert.equal(outsideReferences('x.ts', "import './shared/y';\nconst w = 'network';\n"), []);
});

test('no tracked file of build/ test/ sim/ flash/ bench/ tools/ .ci/ or the build configs references a path outside the repository', () => {
  const files = trackedFiles();
  assert.ok(files.some((f) => f.startsWith('build/')) && files.some((f) => f.startsWith('test/')), 'no files found under ' + root);
  const found: string[] = [];
  for (const f of files) {
    const abs = path.join(root, f);
    if (!existsSync(abs) || statSync(abs).size > 4_000_000) continue;
    const buf = readFileSync(abs);
    if (buf.includes(0)) continue; // binary
    found.push(...outsideReferences(f, buf.toString('utf8')));
  }
  assert.equal(found, [], 'references outside the repository:\n' + found.join('\n'));
});

test.run();
