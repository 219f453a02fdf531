import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { transformSync } from 'esbuild';
import { world, makeBoard, texts, thrown } from './helpers';

/** Espruino's rand() (src/jsutils.c), written independently with BigInt as the oracle. */
function oracleRand(count: number, seed?: number): number[] {
  const M = (1n << 32n) - 1n;
  let w = 0xdeadbeefn;
  let z = 0xcafebaben;
  if (seed !== undefined) {
    const s = BigInt(seed >>> 0);
    w = ((s & 0xffffn) | (s << 16n)) & M;
    z = ((s & 0xffff0000n) | (s >> 16n)) & M;
  }
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    z = (36969n * (z & 65535n) + (z >> 16n)) & M;
    w = (18000n * (w & 65535n) + (w >> 16n)) & M;
    out.push(Number((((z << 16n) & M) + w) & M & 0x7fffffffn));
  }
  return out;
}

test('E.hwRand and Math.random share one fixed-seed generator: same numbers every boot until E.srand', () => {
  const w = world();
  const b = makeBoard(w);
  b.powerOn();
  const first = b.evaluate('[E.hwRand(), E.hwRand(), Math.random()].join()') as string;
  const o = oracleRand(3);
  assert.is(first, [o[0], o[1], o[2] / 2147483648].join());
  b.reboot();
  assert.is(b.evaluate('[E.hwRand(), E.hwRand(), Math.random()].join()'), first, 'identical after a reboot');
  const other = makeBoard(world(), {}, { id: 'other' });
  other.powerOn();
  assert.is(other.evaluate('[E.hwRand(), E.hwRand(), Math.random()].join()'), first, 'identical on every board');
  b.evaluate('E.srand(1234)');
  const after = b.evaluate('[E.hwRand(), E.hwRand()].join()');
  assert.is(after, oracleRand(2, 1234).join());
  assert.is.not(after, first.split(',').slice(0, 2).join());
});

test('anything not emulated fails loudly with its name; absent profile names read as undefined', () => {
  const w = world();
  const b = makeBoard(w, {}, { env: { MODULES: 'Storage,TelnetServer,Flash' }, profileGlobals: ['ESP32'] });
  b.powerOn();
  assert.is(thrown(b, 'analogRead(D4)'), 'sim: analogRead is not emulated');
  assert.is(thrown(b, 'E.FFT([1,2])'), 'sim: E.FFT is not emulated');
  assert.is(thrown(b, 'require("Storage").open("f","r")'), 'sim: Storage.open is not emulated');
  assert.is(thrown(b, 'require("Flash")'), 'sim: require("Flash") is not emulated');
  assert.is(thrown(b, 'ESP32.deepSleep(10)'), 'sim: ESP32.deepSleep is not emulated');
  assert.is(thrown(b, 'console.warn("x")'), 'sim: console.warn is not emulated');
  assert.is(thrown(b, 'save()'), 'sim: save() (a RAM image in .varimg) is not emulated');
  assert.ok(texts(w).some((t) => t.includes('sim missing analogRead is not emulated')), 'shown on the timeline too');
  // real API that this firmware profile does not have: as on such a board
  assert.is(thrown(b, 'require("crypto")'), 'Module crypto not found');
  assert.is(thrown(b, 'require("nosuchmodule")'), 'Module nosuchmodule not found');
  assert.is(b.evaluate('typeof NRF'), 'undefined');
  assert.is(b.evaluate('process.env.MODULES'), 'Storage,TelnetServer,Flash');
  // built-ins the interpreter lacks are absent; plain typos stay ReferenceErrors
  assert.is(b.evaluate('typeof Map + typeof Proxy + typeof Symbol + typeof Reflect'), 'undefinedundefinedundefinedundefined');
  assert.match(thrown(b, 'notAThing()') ?? '', /notAThing/);
});

test('process.env, process.memory, getTime and Date on the virtual clock', async () => {
  const w = world();
  const b = makeBoard(w, {}, { epochMs: Date.UTC(2026, 0, 1) });
  b.powerOn();
  assert.is(b.evaluate('process.env.VERSION + " " + process.env.BOARD + " " + process.version'), '2v29 ESP32 2v29');
  assert.ok((b.evaluate('process.env.MODULES') as string).split(',').includes('Wifi'));
  const mem = b.evaluate('var m=process.memory(); [m.total, m.free + m.usage, m.blocksize].join()');
  assert.is(mem, '16383,16383,14');
  b.evaluate('var t0=getTime(); setTimeout(function(){ print("dt=" + (getTime()-t0) + " date=" + new Date().toISOString()); }, 1500)');
  await w.clock.run();
  assert.ok(b.console.includes('dt=1.5 date=2026-01-01T00:00:01.500Z'), b.console.join('|'));
});

test('timers: integer ids, Espruino errors, and the loop goes on after an Uncaught error', async () => {
  const w = world();
  const b = makeBoard(w);
  b.powerOn();
  b.evaluate(`
    var ticks = 0, other = 0;
    var id = setInterval(function(){ ticks++; if (ticks <= 2) throw new Error("boom " + ticks); }, 1000);
    setTimeout(function(){ other++; }, 2500);
    setTimeout(function(a, b){ print("args " + a + b); }, 10, "x", "y");
  `);
  assert.is(b.evaluate('typeof id'), 'number');
  // As Espruino 2v29 (src/jswrap_interactive.c; run on the ESP32-profile binary): an unknown id is
  // ignored, an explicit undefined throws, changeInterval of an unknown id throws.
  assert.is(thrown(b, 'clearTimeout(12345)'), undefined);
  assert.is(thrown(b, 'clearInterval(12345)'), undefined);
  assert.is(thrown(b, 'clearTimeout(undefined)'), 'clearTimeout(undefined) not allowed. Use clearTimeout() instead');
  assert.is(thrown(b, 'clearInterval(undefined)'), 'clearInterval(undefined) not allowed. Use clearInterval() instead');
  assert.is(thrown(b, 'changeInterval(12345, 10)'), 'Unknown Interval');
  assert.is(thrown(b, 'setTimeout(42, 10)'), 'Function or String not supplied!');
  await w.clock.run({ until: 5000 });
  assert.is(b.evaluate('ticks'), 5);
  assert.is(b.evaluate('other'), 1);
  assert.ok(b.console.includes('Uncaught Error: boom 1'));
  assert.ok(b.console.includes('Uncaught Error: boom 2'));
  assert.ok(b.console.includes('args xy'));
  assert.ok(texts(w).some((t) => t.includes('device uncaught Uncaught Error: boom 1')));
});

test('ids are reused like Espruino once the newest timer is gone; clearTimeout() clears all', async () => {
  const w = world();
  const b = makeBoard(w);
  b.powerOn();
  assert.is(b.evaluate('var a=setTimeout("1",10), c=setTimeout("1",20); a + "," + c'), '1,2');
  await w.clock.run();
  assert.is(b.evaluate('setTimeout("1",10)'), 1);
  b.evaluate('setInterval("1",10); clearTimeout()');
  await w.clock.run({ until: 1000 });
  assert.is(w.clock.pending('b1'), 0);
});

test('promise reactions run before the next timer (microtasks drained per callback)', async () => {
  const w = world();
  const b = makeBoard(w);
  b.powerOn();
  b.evaluate(`var log=[]; setTimeout(function(){ log.push("t1"); Promise.resolve().then(function(){ log.push("p1"); }); }, 0);
              setTimeout(function(){ log.push("t2"); }, 0);
              Promise.resolve().then(function(){ log.push("p0"); });`);
  await w.clock.run();
  assert.is(b.evaluate('log.join()'), 'p0,t1,p1,t2');
});

test('boot from Storage: .boot0-3, then .bootrst or .bootcde, then E.on("init"), onInit', async () => {
  const w = world();
  const b = makeBoard(w, {
    '.boot1': 'print("boot1")',
    '.boot0': 'print("boot0"); E.on("init", function(){ print("init event"); });',
    '.bootcde': 'print("bootcde"); function onInit(){ print("onInit"); }',
    'app.js': 'print(__FILE__)',
  });
  b.powerOn();
  assert.equal(b.console, ['boot0', 'boot1', 'bootcde', 'init event', 'onInit']);
  // reset(): boot files run, .bootcde does not
  b.console.length = 0;
  b.evaluate('reset()');
  await w.clock.run();
  assert.equal(b.console, ['boot0', 'boot1', 'init event']);
  // load(file): like reset, then the file
  b.console.length = 0;
  b.evaluate('load("app.js")');
  await w.clock.run();
  assert.equal(b.console, ['boot0', 'boot1', 'init event', 'app.js']);
  // load(): like a power-on
  b.console.length = 0;
  b.evaluate('load()');
  await w.clock.run();
  assert.equal(b.console, ['boot0', 'boot1', 'bootcde', 'init event', 'onInit']);
  // .bootrst exists: it runs instead of .bootcde, even at power-on
  b.storage.writeFile('.bootrst', 'print("bootrst")');
  b.reboot();
  assert.ok(b.console.includes('bootrst'));
  assert.equal(b.console.slice(-4), ['boot0', 'boot1', 'bootrst', 'init event']);
});

test('E.reboot() restarts at once: nothing after it runs, timers are gone, the board boots again', async () => {
  const w = world();
  const b = makeBoard(w, { '.bootcde': 'print("boot"); if (!require("Storage").read("flag")) { require("Storage").write("flag","1"); setTimeout(function(){ print("late"); }, 10); E.reboot(); print("after reboot"); }' });
  b.powerOn();
  await w.clock.run();
  assert.equal(b.console, ['boot', 'boot']);
  assert.is(b.boots, 2);
  assert.is(b.on, true);
});

test('an uncaught error at top level stops the script but not the board', async () => {
  const w = world();
  const b = makeBoard(w, { '.bootcde': 'setTimeout(function(){ print("timer ran"); }, 5); throw new Error("bad boot"); print("never");' });
  b.powerOn();
  await w.clock.run();
  assert.equal(b.console, ['Uncaught Error: bad boot', 'timer ran']);
});

test('button and LED: setWatch with debounce sees a press; digitalWrite drives the LED', async () => {
  const w = world();
  const b = makeBoard(w);
  b.powerOn();
  b.evaluate(`var ev=[]; pinMode(D0, "input_pullup");
    setWatch(function(e){ ev.push((e.state ? "up" : "down") + "@" + Math.round(e.time*1000)); digitalWrite(D2, !e.state); }, D0, {repeat:true, edge:"both", debounce:25});`);
  assert.is(b.evaluate('digitalRead(D0)'), 1, 'pulled up while released');
  w.clock.setTimer(() => b.pressButton(200), 100);
  await w.clock.run({ until: 1000 });
  assert.is(b.evaluate('ev.join()'), 'down@100,up@300');
  // a bounce shorter than the debounce time is not reported
  b.drivePin('D0', 0);
  w.clock.setTimer(() => b.drivePin('D0', undefined), 10);
  await w.clock.run({ until: 1100 });
  assert.is(b.evaluate('ev.length'), 2);
  assert.is(b.pin('led').value, false);
  const leds = texts(w).filter((t) => t.includes('device led'));
  assert.equal(leds, ['b1 device led LED on', 'b1 device led LED off']);
  b.evaluate('digitalWrite("D2", 1)');
  assert.is(b.pin('D2').value, true);
  b.evaluate('var once=0; setWatch(function(){ once++; }, "D0", {edge:"falling"})');
  b.pressButton(50);
  await w.clock.run({ until: 1300 });
  b.pressButton(50);
  await w.clock.run({ until: 1500 });
  assert.is(b.evaluate('once'), 1, 'a watch without repeat fires once');
  assert.is(thrown(b, 'clearWatch(99)'), 'Unknown Watch 99');
});

test('TelnetServer and the BLE UART console: closed state is on the board and the timeline', () => {
  const w = world();
  const b = makeBoard(w);
  b.powerOn();
  assert.equal(b.consoles, { telnet: true, bleUart: true });
  b.evaluate('require("TelnetServer").setOptions({mode:"off"}); NRF.setServices({}, {uart:false})');
  assert.equal(b.consoles, { telnet: false, bleUart: false });
  assert.ok(texts(w).includes('b1 device console telnet console (port 23) closed'));
  b.reboot();
  assert.equal(b.consoles, { telnet: true, bleUart: true }, 'a new boot opens them again');
});

test('E helpers: toUint8Array/toString/convolve/sum and values of the vm realm', () => {
  const w = world();
  const b = makeBoard(w);
  b.powerOn();
  assert.is(b.evaluate('var u=E.toUint8Array("ab",[1,2],3,{data:7,count:2}); (u instanceof Uint8Array) + ":" + u.join()'), 'true:97,98,1,2,3,7,7');
  assert.is(b.evaluate('E.toString(new Uint8Array([104,105]))'), 'hi');
  assert.is(b.evaluate('E.convolve(new Float64Array([1,2,3]), new Float64Array([4,5,6]), 1)'), 1 * 5 + 2 * 6 + 3 * 4);
  assert.is(b.evaluate('E.sum([1,2,3.5])'), 6.5);
  assert.is(b.evaluate('btoa("\\xff\\x00a") + " " + atob("/wBh").charCodeAt(0)'), '/wBh 255');
  assert.ok((b.evaluate('E.getSizeOf({a:1,b:"hello world, a longer string"})') as number) > 2);
  assert.ok(b.realm.Uint8Array !== Uint8Array, 'the realm has its own constructors');
  const bytes = b.bytes(new Uint8Array([1, 2]));
  b.context.probe = bytes;
  assert.is(b.evaluate('probe instanceof Uint8Array'), true);
});

test('the "uncaughtException" handler on process replaces the Uncaught line', async () => {
  const w = world();
  const b = makeBoard(w);
  b.powerOn();
  b.evaluate('process.on("uncaughtException", function(e){ print("handled " + e.message); }); setTimeout(function(){ throw new Error("x"); }, 1)');
  await w.clock.run();
  assert.equal(b.console, ['handled x']);
});

test('an unhandled promise rejection prints Uncaught on its board and the simulator lives on', async () => {
  const w = world();
  const b = makeBoard(w, { '.bootcde': 'Promise.reject(new Error("nobody catches")); new Promise(function(res, rej){ setTimeout(function(){ rej("late"); }, 5); }); setTimeout(function(){ print("alive"); }, 10);' });
  const other = makeBoard(w, {}, { id: 'b2' });
  b.powerOn();
  other.powerOn();
  await w.clock.run();
  await new Promise((r) => setImmediate(r));
  assert.ok(b.console.includes('Uncaught Error: nobody catches'), b.console.join('|'));
  assert.ok(b.console.includes('Uncaught "late"'));
  assert.ok(b.console.includes('alive'));
  assert.equal(other.console, [], 'attributed to the right board');
});

test('an Uncaught error names its source line: mapped to TypeScript when the source map is known', async () => {
  const src = 'const a: number = 1;\nfunction fail(): void {\n  throw new Error("mapped");\n}\nsetTimeout(() => fail(), 5);\n';
  const out = transformSync(src, { loader: 'ts', sourcemap: 'external', sourcefile: 'firmware/demo.ts', minify: true });
  const w = world();
  const b = makeBoard(w, { 'app.js': out.code, '.bootcde': 'eval(require("Storage").read("app.js"))' }, { sourceMap: { bundle: out.code, map: out.map } });
  b.powerOn();
  await w.clock.run();
  assert.equal(b.console, ['Uncaught Error: mapped'], 'the console line is what the device prints');
  const ev = w.timeline.events.find((e) => e.kind === 'uncaught')!;
  assert.is(ev.fields!.at, 'firmware/demo.ts:3:9');
  assert.ok(ev.summary.endsWith('(at firmware/demo.ts:3:9)'));
  const plain = makeBoard(world(), { '.bootcde': 'setTimeout(function(){ null.x; }, 1)' });
  plain.powerOn();
  await plain.clock.run();
  const ev2 = plain.timeline.events.find((e) => e.kind === 'uncaught')!;
  assert.match(String(ev2.fields!.at), /^\.bootcde:1:\d+$/);
});


test('log codes: the console and the timeline read the words, the wire keeps the code, a stale build is flagged', () => {
  const dict = {
    format: 'ffs-logcodes/1', id: 'aaaaaaaa', sha256: '', bundle: 'f.js', mark: '~', kept: [],
    codes: { A: { parts: ['retry ', ' of ', ''], args: [null, null], level: 'info', tag: 'wss' } },
  };
  const boot = (id: string) =>
    `console.log("info boot: FFS provisionee booted v0.1.0 ~${id}");console.log("info wss: ~A3~getWifiList");console.log("info wss: state DONE");`;
  const w = world();
  const b = makeBoard(w, { '.bootcde': boot('aaaaaaaa') }, { logDictionaries: [dict] });
  const wire: string[] = [];
  b.onConsole((l) => wire.push(l));
  b.powerOn();
  assert.ok(b.console.includes('info boot: FFS provisionee booted v0.1.0'), b.console.join('\n'));
  assert.ok(b.console.includes('info wss: retry 3 of getWifiList'));
  assert.ok(b.console.includes('info wss: state DONE'));
  assert.ok(texts(w).some((t) => t.includes('info wss: retry 3 of getWifiList')), 'the timeline in words');
  const ev = w.timeline.events.find((e) => e.summary === 'info wss: retry 3 of getWifiList')!;
  assert.equal([ev.fields?.message, ev.fields?.wire], ['retry 3 of getWifiList', 'info wss: ~A3~getWifiList']);
  assert.equal(wire.filter((l) => l.startsWith('info')), ['info boot: FFS provisionee booted v0.1.0 ~aaaaaaaa', 'info wss: ~A3~getWifiList', 'info wss: state DONE']);

  const s = makeBoard(world(), { '.bootcde': boot('bbbbbbbb') }, { id: 'stale', logDictionaries: [dict] });
  s.powerOn();
  const line = s.console.find((l) => l.startsWith('info wss: ~A3'));
  assert.ok(line && /\[log code: .*not the firmware's \(bbbbbbbb\)/.test(line), 'raw with a note: ' + s.console.join('\n'));
  assert.ok(s.console.some((l) => /^info boot: FFS provisionee booted v0\.1\.0 {2}\[log code: the firmware's log dictionary is bbbbbbbb/.test(l)));
});

test.run();
