#!/usr/bin/env node
// `node tools/bluez/run.mjs --factor 30 [--runs 3]`: the firmware on the real interpreter, CPU-throttled
// to 1/N, provisioned by BlueZ bluetooth-meshd (docs/BLUEZ.md). This file checks the prerequisites
// first (nothing here is needed by npm test): a missing one is one line naming it, exit 2.
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultBinary } from '../espruino/paths.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const MESHD = process.env.BLUEZ_MESHD || '/usr/libexec/bluetooth/bluetooth-meshd';
const PYTHON = process.env.BLUEZ_PYTHON || '/usr/bin/python3';
const APT = 'apt-get install -y bluez-meshd dbus python3-dbus python3-gi gcc libssl-dev';

function executable(f) {
  try {
    accessSync(f, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' }).status === 0;
}

/** Bad options, as one line, or null (checked before the prerequisites; run.ts checks them again). */
export function badArgs(argv) {
  const val = (name) => {
    const i = argv.indexOf(name);
    return i >= 0 ? String(argv[i + 1] ?? '') : undefined;
  };
  const f = val('--factor');
  if (f !== undefined) {
    for (const s of f.split(',')) if (!/^\d+(\.\d+)?$/.test(s.trim()) || Number(s) < 1) return `bad --factor ${s}: a number >= 1 (e.g. 30, or 1,10,20,30)`;
  }
  const r = val('--runs');
  if (r !== undefined && !/^[1-9]\d*$/.test(r)) return `bad --runs ${r}: a whole number >= 1`;
  const t = val('--timeout');
  if (t !== undefined && !(Number(t) > 0)) return `bad --timeout ${t}: seconds > 0`;
  return null;
}

/** The first missing prerequisite, as one line, or null. */
export function missing(argv) {
  if (argv.includes('--help') || argv.includes('-h')) return null;
  if (process.platform !== 'linux') return 'this check needs Linux (bluetooth-meshd, cgroups or signals, the Linux interpreter build)';
  if (!executable(MESHD)) return `no bluetooth-meshd at ${MESHD} (BlueZ 5.66: ${APT}; or set BLUEZ_MESHD)`;
  if (!onPath('dbus-daemon')) return `no dbus-daemon on PATH (${APT})`;
  if (!executable(PYTHON)) return `no ${PYTHON} (${APT}; or set BLUEZ_PYTHON)`;
  const py = spawnSync(PYTHON, ['-c', 'import dbus, dbus.mainloop.glib; from gi.repository import GLib'], { encoding: 'utf8' });
  if (py.status !== 0) return `${PYTHON} cannot import dbus and gi (${APT})`;
  if (!onPath('gcc')) return `no gcc to build tools/bluez/meshd-shim.c (${APT})`;
  if (!existsSync('/usr/include/openssl/evp.h')) return `no OpenSSL headers (/usr/include/openssl/evp.h) to build tools/bluez/meshd-shim.c (${APT})`;
  const i = argv.indexOf('--bin');
  const bin = i >= 0 ? argv[i + 1] : defaultBinary();
  if (!bin || !executable(bin)) return `no executable interpreter at ${bin} (set ESPRUINO_BIN or --bin to the ESP32-profile Espruino 2v29 build: npm run espruino:build -- <checkout>)`;
  const j = argv.indexOf('--bundle');
  const bundle = j >= 0 ? argv[j + 1] : path.join(root, 'dist/firmware.js');
  if (!existsSync(bundle)) return `no ${bundle}: run npm run build first`;
  return null;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const bad = badArgs(argv);
  if (bad) {
    process.stderr.write(`bluez: ${bad}\n`);
    process.exit(2);
  }
  const why = missing(argv);
  if (why) {
    process.stderr.write(`bluez: missing: ${why}\n`);
    process.exit(2);
  }
  const { register } = await import('tsx/esm/api');
  register();
  const { main, RunError, LaneError } = await import('./run.ts');
  main(argv).then(
    (code) => process.exit(code),
    (e) => {
      if (e instanceof RunError || e instanceof LaneError) {
        process.stderr.write(`bluez: ${e.message}\n`);
        process.exit(2);
      }
      process.stderr.write(`bluez: ${e && e.stack ? e.stack : e}\n`);
      process.exit(1);
    },
  );
}
