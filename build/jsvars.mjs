// JsVars of dist/firmware.js on the REAL interpreter (`npm run size -- --jsvars`, ESPRUINO_BIN or --bin):
// a Linux build of Espruino 2v29 with the ESP32 memory profile (16,383 JsVars, Storage memory-mapped
// like the ESP32's flash: tools/espruino/build.mjs).
//
//  1. the simulator flashes a board the way the flash tool does (scenario `boot`: identity, ffs.cfg with
//     both flows, the app, .bootcde) and keeps its Storage in .sim/boot/dev1.storage.json;
//  2. for "set up": the two records FFS writes when setup is done are added in their on-flash format
//     (wss.state: the verified home network; ffs.meshnet: the provisioned node);
//  3. the interpreter gets every file through its REPL (Storage.write in chunks), then, in a second run,
//     small stand-ins for the chip modules Linux lacks (Wifi joins at once, NRF accepts everything),
//     then .bootcde as on a board (it evals the app from Storage, so function bodies stay in flash);
//  4. process.memory().usage is read before the boot, sampled every 20 ms (the peak, without GC) and
//     read again after `waitMs` (at rest, after GC). Reported: JsVars the firmware holds = rest - before.
// The peak during a real setup (DSS over TLS, the Echo over the air) is the lane's (`npm run
// test:espruino`, tools/espruino/lane.ts); the "fresh board" line here is only the boot of an
// unprovisioned board with both flows starting (key generation included) against stand-ins.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const STANDINS =
  "Modules.addCached('Wifi',\"exports.connect=function(s,o,cb){setTimeout(function(){if(cb)cb(null);},20);};" +
  "exports.disconnect=function(cb){if(cb)setTimeout(cb,5);};" +
  "exports.getDetails=function(cb){var d={status:'connected',ssid:'home',rssi:-50,authMode:'wpa2'};if(cb)setTimeout(function(){cb(d);},5);return d;};" +
  "exports.getIP=function(cb){var d={ip:'192.168.1.20',mac:'24:0a:c4:00:00:01'};if(cb)setTimeout(function(){cb(null,d);},5);return d;};" +
  "exports.on=function(){};exports.scan=function(cb){setTimeout(function(){cb([]);},50);};" +
  "exports.startAP=function(s,o,cb){if(cb)setTimeout(function(){cb(null);},5);};exports.stopAP=function(cb){if(cb)setTimeout(cb,5);};" +
  "exports.save=function(){};exports.restore=function(){};\");" +
  "global.NRF={setAdvertising:function(){},setScan:function(){},setServices:function(){},updateServices:function(){}," +
  "setScanResponse:function(){},disconnect:function(){},on:function(){},getAddress:function(){return '24:0a:c4:00:00:01 public';}};";

/** One record slot as firmware/store/record.ts writes it: <check>:<sequence>:<version>:<payload>. */
export function recordSlot(payload, sequence = 1, version = 1) {
  const body = sequence + ':' + version + ':' + JSON.stringify(payload);
  return createHash('sha256').update(body).digest('hex').slice(0, 8) + ':' + body;
}

/** The Storage files of a set-up board: the flashed files plus the two records setup leaves. */
export function setUpFiles(files) {
  const out = new Map(files);
  out.set('wss.state.a', Buffer.from(recordSlot({ runs: 0, network: { ssid: 'home', security: 'WPA_PSK', key: 'correct horse 42' }, handoff: false })));
  out.set('ffs.meshnet.a', Buffer.from(recordSlot({
    netKey: '7dd7364cd842ad18c17c2b820c84c3d6', keyIndex: 0, flags: 0, ivIndex: 0, address: 0x0b0c,
    devKey: '0123456789abcdef0123456789abcdef', elements: 1,
  })));
  return out;
}

/** Files of a simulator Storage JSON (sim/board/storage.ts), with the app replaced by `bundle` if given. */
export function filesOfSimStorage(json, bundle) {
  const doc = JSON.parse(json);
  const files = new Map();
  for (const f of doc.files) files.set(f.name, Buffer.from(f.base64, 'base64'));
  if (bundle) {
    const app = [...files.keys()].find((n) => n.startsWith('ffs.app.'));
    if (!app) throw new Error('the simulated board has no ffs.app.* file');
    files.set(app, bundle);
  }
  return files;
}

function run(bin, cwd, args, input, timeoutMs) {
  const r = spawnSync(bin, args, { cwd, input, timeout: timeoutMs, encoding: 'latin1', maxBuffer: 1 << 24 });
  if (r.error && r.error.code === 'ENOENT') throw new Error(bin + ' not found: set ESPRUINO_BIN or --bin');
  return (r.stdout || '') + (r.stderr || '');
}

/** Boot `files` on the interpreter; returns { before, rest, peak, console }. */
export function measure(bin, files, waitMs = 6000) {
  const dir = mkdtempSync(path.join(tmpdir(), 'ffs-jsvars-'));
  try {
    const lines = ['var S=require("Storage");S.eraseAll();'];
    const CH = 1536;
    for (const [name, data] of files) {
      for (let o = 0; o < data.length; o += CH) {
        lines.push('S.write(' + JSON.stringify(name) + ',atob(' + JSON.stringify(data.subarray(o, o + CH).toString('base64')) + '),' + o + ',' + data.length + ');');
      }
    }
    lines.push('print("FILES "+S.list().length);quit();');
    const w = run(bin, dir, [], lines.join('\n') + '\n', 120000);
    if (!w.includes('FILES ' + files.size)) throw new Error('writing Storage failed: ' + w.slice(-300));
    const prog = STANDINS +
      'var M0=process.memory().usage,PEAK=0;setInterval(function(){var u=process.memory(false).usage;if(u>PEAK)PEAK=u;},20);' +
      // a string callback runs in the program scope, as .bootcde does on a board (an eval inside a
      // function would make every function of the app one scope deeper, which costs JsVars)
      'setTimeout("eval(require(\'Storage\').read(\'.bootcde\'))",10);' +
      'setTimeout(function(){print("JSVARS "+M0+" "+process.memory().usage+" "+PEAK);quit();},' + waitMs + ');\n';
    writeFileSync(path.join(dir, 'run.js'), prog);
    const out = run(bin, dir, ['run.js'], '', waitMs + 30000);
    const m = /JSVARS (\d+) (\d+) (\d+)/.exec(out);
    if (!m) throw new Error('no measurement: ' + out.slice(-400));
    const before = Number(m[1]);
    return { before, rest: Number(m[2]) - before, peak: Number(m[3]) - before, console: out };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `npm run size -- --jsvars`: flashes with the simulator, measures a set-up board and a fresh one. */
export function jsvarsReport(root, bin) {
  if (!bin) throw new Error('--jsvars needs the interpreter: set ESPRUINO_BIN or pass --bin FILE');
  if (!existsSync(bin)) throw new Error(bin + ' not found: build it with `npm run espruino:build -- <espruino source>`');
  const bundle = readFileSync(path.join(root, 'dist/firmware.js'));
  const sim = spawnSync(process.execPath, ['--import', 'tsx', 'sim/cli.ts', 'boot'], { cwd: root, encoding: 'utf8', timeout: 300000 });
  const storage = path.join(root, '.sim/boot/dev1.storage.json');
  if (!existsSync(storage)) throw new Error('the simulator did not flash a board: ' + (sim.stderr || sim.stdout || '').slice(-300));
  const flashed = filesOfSimStorage(readFileSync(storage, 'utf8'), bundle);
  for (const n of [...flashed.keys()]) if (/^(wss\.state|ffs\.meshnet|ffs\.boot)\./.test(n)) flashed.delete(n);
  // the `boot` scenario flashes with the flows off: this device runs both, as shipped
  const cfg = JSON.parse(flashed.get('ffs.cfg').toString('utf8'));
  cfg.flows = { wss: true, mesh: true, softAp: true };
  flashed.set('ffs.cfg', Buffer.from(JSON.stringify(cfg)));
  const setUp = measure(bin, setUpFiles(flashed));
  const fresh = measure(bin, flashed, 10000);
  const booted = (r) => /FFS provisionee booted/.test(r.console);
  const lines = [
    'JsVars on the real interpreter (' + path.basename(bin) + ', 16,383 JsVars, app booted from Storage by .bootcde)',
    'dist/firmware.js: ' + bundle.length.toLocaleString('en-US') + ' bytes',
    'set-up board (home Wi-Fi saved, mesh provisioned), both flows, at rest: ' + setUp.rest + ' JsVars (peak while booting ' + setUp.peak + ')' + (booted(setUp) ? '' : ' [NO BOOT LINE]'),
    'fresh board, both flows starting (stand-ins, 10 s): ' + fresh.rest + ' JsVars at 10 s, peak ' + fresh.peak + (booted(fresh) ? '' : ' [NO BOOT LINE]'),
    'peak during a real setup with both flows: `npm run test:espruino` (tools/espruino/lane.ts)',
  ];
  return { setUp, fresh, text: lines.join('\n'), ok: booted(setUp) && booted(fresh) };
}
