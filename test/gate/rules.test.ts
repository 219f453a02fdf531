// Every dialect rule of build/check.mjs has fixtures under test/gate/fixtures/: `<rule>.fail.js` holds
// snippets (separated by `// ---` lines) that must each be flagged by that rule, `<rule>.pass.js` must
// pass the gate with no finding at all. Facts behind each rule: docs/BUILD.md (probes on Espruino 2v29).
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-ignore plain ESM module without types
import { checkSource } from '../../build/check.mjs';
// @ts-ignore plain ESM module without types
import { RULES, regexProblems } from '../../build/rules.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const fixtures = path.join(here, 'fixtures');
const SEPARATOR = '\n// ---\n';

type Finding = { rule: string; text: string; loc: { line: number; column: number } };

const failFiles = readdirSync(fixtures).filter((f) => f.endsWith('.fail.js')).sort();

test('every rule has a failing and a passing fixture', () => {
  const skip = ['parse-error', 'bundle-size']; // generated in gate-cli.test.ts (a 64 KB file, a malformed file)
  for (const rule of Object.keys(RULES)) {
    if (skip.includes(rule)) continue;
    const names = readdirSync(fixtures);
    assert.ok(names.includes(rule + '.fail.js'), 'missing fixture ' + rule + '.fail.js');
    assert.ok(names.includes(rule + '.pass.js'), 'missing fixture ' + rule + '.pass.js');
  }
});

for (const file of failFiles) {
  const rule = file.replace(/\.fail\.js$/, '');
  const text = readFileSync(path.join(fixtures, file), 'utf8');
  const snippets = text.split(SEPARATOR);

  test(`${rule}: each of the ${snippets.length} failing snippet(s) is flagged`, () => {
    assert.ok(Object.prototype.hasOwnProperty.call(RULES, rule), 'fixture for an unknown rule ' + rule);
    snippets.forEach((snippet, i) => {
      const got: Finding[] = checkSource(snippet, { file: file + '#' + (i + 1) });
      assert.ok(got.some((f) => f.rule === rule), `${file} snippet ${i + 1} not flagged as ${rule}:\n${snippet}\ngot: ${got.map((f) => f.text).join('\n')}`);
    });
  });

  test(`${rule}: the passing fixture has no finding`, () => {
    const passText = readFileSync(path.join(fixtures, rule + '.pass.js'), 'utf8');
    const got: Finding[] = checkSource(passText, { file: rule + '.pass.js' });
    assert.equal(got.map((f) => f.text), []);
  });
}

test('the CLI exits 1 on a failing fixture and prints file:line:col: rule: message lines', () => {
  const file = path.join('test', 'gate', 'fixtures', 'exponent.fail.js');
  const r = spawnSync(process.execPath, ['build/check.mjs', file], { cwd: root, encoding: 'utf8' });
  assert.is(r.status, 1);
  const lines = r.stdout.trim().split('\n');
  assert.is(lines.length, 2);
  for (const line of lines) assert.match(line, /^test\/gate\/fixtures\/exponent\.fail\.js:\d+:\d+: exponent: /);
  // the positions are the operators' lines in the file
  const src = readFileSync(path.join(root, file), 'utf8').split('\n');
  for (const line of lines) {
    const [, ln] = /:(\d+):\d+:/.exec(line)!;
    assert.match(src[Number(ln) - 1], /\*\*/);
  }
});

test('the CLI exits 0 on passing fixtures and checks several files in one run', () => {
  const files = ['exponent.pass.js', 'regex.pass.js', 'hoisting.pass.js'].map((f) => path.join('test/gate/fixtures', f));
  const r = spawnSync(process.execPath, ['build/check.mjs', ...files], { cwd: root, encoding: 'utf8' });
  assert.is(r.stdout, '');
  assert.is(r.status, 0);
});

test('regex scanner: features inside character classes and escapes are not features', () => {
  assert.equal(regexProblems('[{}(?:)]\\{2\\}', 'gi'), []);
  assert.equal(regexProblems('[\\b]', ''), []);
  assert.ok(regexProblems('a{1,}', '').length === 1);
  assert.ok(regexProblems('(?:a)|\\bb', 'm').length === 3);
});

test('hoisting: a reference is judged by when its function can first run, not by where it is written', () => {
  const later = 'function a() { return b(); }\nfunction b() { return 1; }\na();';
  const early = 'function a() { return b(); }\na();\nfunction b() { return 1; }';
  assert.equal(checkSource(later).map((f: Finding) => f.rule), []);
  const found: Finding[] = checkSource(early);
  assert.equal(found.map((f) => f.rule), ['hoisting']);
  assert.is(found[0].loc.line, 1); // the b() inside a, which a() on line 2 runs too early
});

test.run();
