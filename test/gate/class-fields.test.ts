// Class fields (issue 10): Espruino 2v29 parses a class field only as `k = v;` and evaluates v once onto
// the prototype, so the bundles must contain no class field at all: the build compiles with
// useDefineForClassFields: false (declared fields vanish, initialized ones become constructor
// assignments), and the gate's class-field rule rejects any field that still appears.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import * as acorn from 'acorn';
import * as walk from 'acorn-walk';
// @ts-ignore plain ESM module without types
import { buildBundle } from '../../esbuild.config.mjs';
// @ts-ignore plain ESM module without types
import { checkSource } from '../../build/check.mjs';

type Finding = { rule: string; text: string };

function classFields(code: string): string[] {
  const out: string[] = [];
  walk.full(acorn.parse(code, { ecmaVersion: 'latest' }), (n: any) => {
    if (n.type === 'PropertyDefinition') out.push(code.slice(n.start, n.end));
  });
  return out;
}

test('the build emits no class field: declared ones vanish, initialized ones run per instance in the constructor', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'class-fields-'));
  try {
    const out = path.join(dir, 'out.js');
    await buildBundle('test/gate/fixtures/src/class-fields.ts', out, [], { mangleProps: undefined, mangleCache: undefined });
    const code = readFileSync(out, 'utf8');
    assert.equal(classFields(code), []);
    // `report` is the test's own global (the harness defines it before running the bundle)
    assert.equal(checkSource(code, { file: 'out.js' }).filter((f: Finding) => !(f.rule === 'unknown-global' && /`report`/.test(f.text))).map((f: Finding) => f.text), []);
    // the semantics survive: two instances, each with its own buffer and counter
    const seen: any[] = [];
    vm.runInNewContext(code, { Uint8Array, report: (...args: any[]) => seen.push(args) });
    assert.is(seen.length, 1);
    const [made, a, b, an, bn] = seen[0];
    assert.is(made, 2);
    assert.is(an, 11);
    assert.is(bn, 21);
    assert.is(a.scratch[0], 1);
    assert.is(b.scratch[0], 1);
    assert.ok(a.scratch !== b.scratch, 'each instance has its own buffer');
    assert.not.ok('scratch' in Object.getPrototypeOf(a), 'no field on the prototype');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the gate rejects the bundle the old settings produced (class{k;v;counter;constructor(...)})', () => {
  const old = 'var fe=class{k;v;counter;constructor(e){this.k=new Uint8Array(32),this.v=new Uint8Array(32),this.counter=1}};new fe(1);';
  const got: Finding[] = checkSource(old, { file: 'old.js' });
  assert.equal(got.map((f) => f.rule), ['class-field', 'class-field', 'class-field']);
});

test('the built bundles in dist/ contain no class field (when built)', () => {
  for (const b of ['firmware', 'selftest', 'bench']) {
    let code: string;
    try {
      code = readFileSync(path.join('dist', b + '.js'), 'utf8');
    } catch {
      continue; // not built yet: the build itself runs the gate on each bundle
    }
    assert.equal(classFields(code), [], 'dist/' + b + '.js');
  }
});

test.run();
