// The log-code pass (build/logcodes.mjs): the source pass on every kind of message expression, the
// round trip through a built bundle (printed lines decoded = the lines of the same code built without
// the pass), every message of dist/firmware.js, and what the decoder does with a stale dictionary,
// an unknown code, arguments that do not fit and lines that are not log lines.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as esbuild from 'esbuild';
import vm from 'node:vm';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  KEEP, MARK, LogDecoder, codeOf, createCollector, decodeMessage, finishCodes, loadTypescript, logCodesPlugin,
  stampId, transformSource, dictionaryForBundle, makeDictionary,
} from '../../build/logcodes.mjs';
import { buildBundle } from '../../esbuild.config.mjs';
import { Rng } from '../../sim/rng';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fixture = 'test/gate/fixtures/logcodes/main.ts';
const inFixtures = (rel: string) => rel.startsWith('test/gate/fixtures/logcodes/');

/** Build the fixture (with or without the pass) and run it; the printed lines and the dictionary. */
async function runFixture(codes: boolean, calls: Array<[number, string, boolean, { message: string } | null, string]>) {
  const collector = createCollector();
  const r = await esbuild.build({
    absWorkingDir: root, entryPoints: [fixture], bundle: true, format: 'iife', globalName: 'fx', minify: true, write: false,
    charset: 'ascii', target: 'es2020', logLevel: 'silent', plugins: codes ? [logCodesPlugin(root, collector, inFixtures)] : [],
  });
  let code = r.outputFiles[0].text;
  let dict = null;
  if (codes) {
    const done = finishCodes(code, null, collector);
    code = done.code;
    dict = makeDictionary({ id: stampId(code, null).id, code, bundle: 'fx.js', codes: done.codes, kept: collector.kept });
  }
  const lines: string[] = [];
  const ctx = vm.createContext({ console: { log: (s: string) => lines.push(String(s)) } });
  vm.runInContext(code + ';for (const c of CALLS) fx.run(c[0], c[1], c[2], c[3], c[4]);', Object.assign(ctx, { CALLS: calls }));
  return { lines, dict, code };
}

const plain: Array<[number, string, boolean, { message: string } | null, string]> = [
  [0, 'postWifiScanData', true, null, 'home'],
  [1, 'getWifiList', false, { message: 'HTTP 503' }, 'Caf\u00e9 "5G"'],
  [2, '', true, { message: '' }, ''],
  [12, 'x y: z', false, { message: 'a (b) c' }, '!#$%'],
];

test('transformSource: each kind of message becomes a placeholder and its arguments; lines stay put', async () => {
  await loadTypescript();
  const text = readFileSync(path.join(root, fixture), 'utf8');
  // texts read back on the device stay in words (KEEP; empty in this tree since api.ts hears events)
  const c = createCollector({ keep: ['setup failed: ', 'provisioning failed'] });
  const out = transformSource(text, fixture, c);
  assert.is(out.split('\n').length, text.split('\n').length, 'same number of lines');
  const byLine = (n: number) => out.split('\n')[n - 1];
  const lineOf = (needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
  // literal only, arguments, an index for a conditional of literals, a sum kept whole
  assert.match(byLine(lineOf("'Wi-Fi Simple Setup done'")), /info\(hal, '\\x01LC\d+\\x01'\)/);
  assert.match(byLine(lineOf("'retry '")), /'\\x01LC\d+\\x01' \+ \(n\) \+ '~' \+ \(op\) \+ '~' \+ \(n \* 1000\) \+ '~' \+ \(op\)/);
  assert.match(byLine(lineOf("'report '")), /\+ \(n\) \+ '~' \+ \(ok \? 0 : 1\)/);
  assert.match(byLine(lineOf("' runs did not finish'")), /'\\x01LC\d+\\x01' \+ \(n \+ n\)\)/);
  assert.match(byLine(lineOf("L.i('start: '")), /\(ok \? 0 : 1\) \+ \(n > 1 \? 0 : \(n > 0 \? 1 : 2\)\)/);
  // not coded: kept texts, the boot line, a call that is not a sink, a message with nothing to gain
  for (const needle of ["'setup failed: '", "'provisioning failed: '", 'BOOT_LINE +', "info(hal, 'a' + op)"]) {
    assert.is(byLine(lineOf(needle)), text.split('\n')[lineOf(needle) - 1], needle + ' stays');
  }
  // a value alone is coded (no raw line at a coded site starts with the marker); a forwarded parameter is not
  assert.match(byLine(lineOf('L.e(op)')), /L\.e\('\\x01LC\d+\\x01' \+ \(op\)\)/);
  const entries = [...c.entries.values()];
  assert.ok(entries.some((e) => e.at === fixture + ':' + lineOf("crypt('boot counter") && e.level === 'warn' && e.tag === 'crypto'), 'the local arrow is a sink with its level and tag');
  // a wrapper taking level and tag: the call's literals, the wrapper's default tag
  assert.ok(entries.some((e) => e.at === fixture + ':' + lineOf("'short hold: clear setup'") && e.level === 'info' && e.tag === 'button'));
  assert.ok(entries.some((e) => e.at === fixture + ':' + lineOf("'no config '") && e.level === 'error' && e.tag === 'app'));
  // a call to another function of the wrapper's name (a parameter here) is not a sink
  assert.is(byLine(lineOf("'not a sink: '")), text.split('\n')[lineOf("'not a sink: '") - 1]);
  assert.equal(c.kept.length, 3, 'the two kept messages and the boot line are listed');
  assert.match(transformSource(text, fixture, createCollector({ keep: [] })).split('\n')[lineOf("'setup failed: '") - 1], /\\x01LC/, 'coded when not kept');
  const log = transformSource(readFileSync(path.join(root, 'test/gate/fixtures/logcodes/log.ts'), 'utf8'), 'log.ts', createCollector());
  assert.not.match(log, /\\x01LC/, 'the wrappers themselves are left alone');
});

test('round trip: the coded build prints lines that decode to exactly the uncoded build\'s lines', async () => {
  const a = await runFixture(false, plain);
  const b = await runFixture(true, plain);
  assert.ok(b.code.length < a.code.length, `smaller: ${b.code.length} < ${a.code.length}`);
  assert.is(b.lines.length, a.lines.length);
  const d = new LogDecoder(b.dict);
  let coded = 0;
  b.lines.forEach((wire, i) => {
    const r = d.decode(wire);
    if (r.coded) coded++;
    assert.is(r.note, undefined, wire);
    assert.is(r.text, a.lines[i], 'line ' + i + ' on the wire: ' + wire);
  });
  assert.ok(coded >= 15 * plain.length, 'most lines were coded: ' + coded);
});

test('an argument holding the marker: the raw line and a note, never a wrong text', async () => {
  const calls: typeof plain = [[3, 'a~b', true, { message: '~x' }, 'c~d'], [4, '~A', false, null, '~']];
  const a = await runFixture(false, calls);
  const b = await runFixture(true, calls);
  const d = new LogDecoder(b.dict);
  let noted = 0;
  b.lines.forEach((wire, i) => {
    const r = d.decode(wire);
    if (r.note) {
      noted++;
      assert.is(r.text, wire, 'raw on a note');
      assert.match(r.note, /ambiguous/, wire + ' -> ' + r.note);
    } else assert.is(r.text, a.lines[i]);
  });
  assert.ok(noted > 0, 'some lines were ambiguous');
});

test('every message of dist/firmware.js decodes back from what the device would print', () => {
  const bundle = path.join(root, 'dist/firmware.js');
  const found = dictionaryForBundle(bundle);
  assert.ok(found.dict, 'dist/firmware.logs.json exists (npm run build)');
  assert.is(found.note, null, 'the dictionary is the bundle\'s');
  const dict = found.dict!;
  const codes = Object.keys(dict.codes);
  assert.ok(codes.length >= 50, codes.length + ' messages coded');
  const wire = readFileSync(bundle, 'latin1');
  assert.ok(wire.includes(' ' + MARK + dict.id), 'the bundle carries its dictionary id');
  const rng = new Rng(13);
  const word = () => Array.from({ length: rng.int(0, 8) }, () => 'abc XYZ:()0129"\'-_.'[rng.int(0, 18)]).join('');
  for (const c of codes) {
    const e = dict.codes[c];
    assert.ok(wire.includes('"' + MARK + c) || wire.includes("'" + MARK + c), 'code ~' + c + ' is in the bundle');
    for (let round = 0; round < 4; round++) {
      // what the device prints: the marker, the code, each argument (an index, or a value then a marker)
      let printed = MARK + c;
      let want = e.parts[0];
      e.args.forEach((kind: string[] | null, i: number) => {
        if (kind) {
          const k = rng.int(0, kind.length - 1);
          printed += String(k);
          want += kind[k];
        } else {
          const v = word();
          printed += v + (i < e.args.length - 1 ? MARK : '');
          want += v;
        }
        want += e.parts[i + 1];
      });
      const level = e.level || 'info';
      const tag = e.tag || 'x';
      const r = new LogDecoder(dict).decode(`${level} ${tag}: ${printed}`);
      assert.is(r.note, undefined, printed);
      assert.is(r.text, `${level} ${tag}: ${want}`);
    }
  }
});

test('stale dictionary, unknown code, wrong arguments, no dictionary: raw line and a note, never a throw', () => {
  const dict = makeDictionary({ id: 'aaaaaaaa', code: 'x', bundle: 'f.js', codes: {
    A: { parts: ['retry ', ' of ', ''], args: [null, null], level: 'info', tag: 'wss' },
    B: { parts: ['start: ', ''], args: [['static OOB', 'no OOB']], level: 'info', tag: 'mesh' },
    C: { parts: ['no ', ': flash the device first'], args: [null], level: 'error', tag: 'boot' },
    D: { parts: ['encoded setup network ', ''], args: [null], level: 'info', tag: 'wss' },
  }, kept: [] });
  const ok = new LogDecoder(dict);
  assert.is(ok.text('info wss: ~A3~getWifiList'), 'info wss: retry 3 of getWifiList');
  // one free argument, the last: it takes the rest, markers too (a base85 setup SSID holds '~')
  assert.is(ok.text('info wss: ~DBj~l&@a~'), 'info wss: encoded setup network Bj~l&@a~');
  assert.match(ok.text('info wss: ~A3~get~x'), /ambiguous/, 'two free arguments and one marker too many');
  assert.is(ok.text('>\r info mesh: pb-adv: ~B1'), '>\r info mesh: pb-adv: start: no OOB', 'prompt noise and a module prefix');
  assert.is(ok.text('\x1b[J>info wss: ~A1~x'), '\x1b[J>info wss: retry 1 of x', 'the VT100 sequence the 2v29 REPL prints');
  // the boot line: the id comes off, the text is today's
  const boot = ok.decode('info boot: FFS provisionee booted v0.1.0 on ESP32 Espruino 2v29 ~aaaaaaaa');
  assert.is(boot.text, 'info boot: FFS provisionee booted v0.1.0 on ESP32 Espruino 2v29');
  assert.is(boot.note, undefined);
  // a coded line of the tag boot carries the id too
  assert.is(ok.text('error boot: ~Cffs.cfg ~aaaaaaaa'), 'error boot: no ffs.cfg: flash the device first');
  // a firmware of another build: its boot line says so, and its coded lines stay raw
  const stale = new LogDecoder(dict);
  assert.match(stale.decode('info boot: FFS provisionee booted v0.1.0 ~bbbbbbbb').note!, /bbbbbbbb, not aaaaaaaa/);
  const s = stale.decode('info wss: ~A3~getWifiList');
  assert.is(s.text, 'info wss: ~A3~getWifiList');
  assert.match(s.note!, /not the firmware's \(bbbbbbbb\)/);
  const sb = stale.decode('error boot: ~Cffs.cfg ~bbbbbbbb');
  assert.is(sb.text, 'error boot: ~Cffs.cfg ~bbbbbbbb');
  assert.match(sb.note!, /bbbbbbbb, not aaaaaaaa/);
  assert.match(ok.text('info wss: ~Z'), /^info wss: ~Z  \[log code: unknown log code ~Z/);
  assert.match(ok.text('info wss: ~A3'), /fewer/);
  assert.match(ok.text('info mesh: ~B7'), /not one of its 2 texts/);
  assert.match(ok.text('warn mesh: ~A3~x'), /is info wss in dictionary aaaaaaaa, the line says warn mesh/);
  assert.match(new LogDecoder(null).text('info wss: ~A3~x'), /no log dictionary/);
  assert.is(ok.text('Uncaught Error: ~A'), 'Uncaught Error: ~A', 'not a log line: as it came');
  assert.is(ok.text('info wss: state DONE'), 'info wss: state DONE', 'a line in words: as it came');
  // nothing the wire can carry makes the decoder throw
  const rng = new Rng(7);
  const alphabet = '~AB0123 :infowssmeshboot\r\n>\u00e9';
  for (let i = 0; i < 3000; i++) {
    const line = (i % 2 ? 'info wss: ~' : '') + Array.from({ length: rng.int(0, 24) }, () => alphabet[rng.int(0, alphabet.length - 1)]).join('');
    const r = ok.decode(line);
    assert.type(r.text, 'string');
    if (r.note) assert.is(r.text, line);
  }
  assert.is(decodeMessage(dict, '', 'info', 'wss').note, 'unknown log code ~ (dictionary aaaaaaaa)');
});

test('a dictionary made for another build of the bundle is reported stale', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'logcodes-'));
  try {
    const out = path.join(dir, 'firmware.js');
    const r = (await buildBundle('firmware/main.ts', out)) as Awaited<ReturnType<typeof buildBundle>> & { logCodes: number; logId: string };
    assert.ok(r.logCodes > 50 && /^[0-9a-f]{8}$/.test(r.logId));
    assert.is(dictionaryForBundle(out).note, null);
    const map = JSON.parse(readFileSync(out + '.map', 'utf8'));
    assert.is(map.x_ffs_logcodes.id, r.logId, 'the map carries the dictionary');
    assert.ok(!map.sourcesContent.some((s: string) => s.includes('\\x01LC')), 'the map shows the source as written');
    appendFileSync(out, '\n');
    assert.match(dictionaryForBundle(out).note!, /another build/);
    await buildBundle('firmware/main.ts', out, ['--no-logcodes']);
    assert.not.ok(existsSync(path.join(dir, 'firmware.logs.json')), 'no codes, no dictionary');
    assert.not.match(readFileSync(out, 'latin1'), /"~[A-Za-z]/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('every text firmware/api.ts reads back from a log message is in KEEP', () => {
  const api = readFileSync(path.join(root, 'firmware/api.ts'), 'utf8');
  const read = [...api.matchAll(/message\.(?:indexOf|startsWith|includes)\('([^']+)'\)/g)].map((m) => m[1]);
  for (const t of read) assert.ok(KEEP.includes(t), `api.ts reads "${t}" from a log line: add it to KEEP in build/logcodes.mjs`);
});

test('codes delimit themselves: one character, or a digit and one', () => {
  const seen = new Set<string>();
  for (let n = 0; n < 600; n++) {
    const c = codeOf(n);
    assert.ok(!seen.has(c));
    seen.add(c);
    assert.is(c.length, /^[0-9]/.test(c) ? 2 : 1);
    assert.not.ok(c.includes(MARK) || c.includes('\\') || c.includes('"') || c.includes("'"));
  }
});

test('a scenario reads the same with and without codes: mesh-pb-adv-happy on both bundles, same timeline', async () => {
  const { runScenario } = await import('../../sim/scenario');
  const dir = mkdtempSync(path.join(tmpdir(), 'logcodes-sim-'));
  try {
    const timeline = async (argv: string[], name: string) => {
      const out = path.join(dir, name, 'firmware.js');
      await buildBundle('firmware/main.ts', out, argv, {}, { lazy: true });
      const events: Array<{ actor: string; summary: string; fields?: Record<string, unknown> }> = [];
      const r = await runScenario('mesh-pb-adv-happy', { cpu: null, firmwarePath: out, storageDir: null, onEvent: (e: any) => events.push(e) } as any);
      return { r, events: events.filter((e) => e.actor !== 'sim' || !/flashed/.test(e.summary)) };
    };
    const a = await timeline(['--no-logcodes'], 'plain');
    const b = await timeline([], 'coded');
    assert.equal(b.events.map((e) => e.summary), a.events.map((e) => e.summary));
    const wire = b.events.filter((e) => e.fields && typeof e.fields.wire === 'string');
    assert.ok(wire.length >= 20, wire.length + ' device lines came as codes');
    assert.ok(wire.every((e) => String(e.fields!.wire).includes(' ' + MARK)), 'and the wire holds the codes');
    assert.is((b.r as any).outcome, (a.r as any).outcome);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
