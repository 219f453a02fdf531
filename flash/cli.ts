// `npm run flash -- --port <serial | tcp://host:port> --device <identity.json>` and
// `npm run mkdevice -- ...`. Every failure is one line on stderr and a non-zero exit (docs/FLASH.md).
import { parseArgs } from 'node:util';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { identityFromJson, IdentityError, type DeviceIdentity } from './identity';
import { buildStorageImage, buildTables, SECRET_FILES, sha256hex, BOOT } from './image';
import { FlashError, EXIT_CODES, toolLog, blockedFetches } from './link';
import { requiredModules } from './board-check';
import { flashBoard, uploadScript, type FlashSummary } from './flasher';
import { BOOT_LINE } from '../firmware/app';
import { TARGET_ESPRUINO } from '../firmware/version';
import { runMkdevice } from './mkdevice';
import { pretokenise } from './pretokenise';
import { LogDecoder, dictionaryForBundle, loadDictionary } from '../build/logcodes.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const FLASH_HELP = `usage: npm run flash -- --port <serial-port | tcp://host:port> --device <identity.json> [options]
  --baud N             serial baud rate (default 115200, the ESP32 console)
  --bundle FILE        the app (default dist/firmware.js; its metafile lists the built-in modules it needs)
  --config FILE        JSON merged into ffs.cfg (dss, flows, pins, button, mesh...)
  --boot-timeout S     seconds to wait for the boot line after load() (default 20)
  --allow-board NAME   accept a non-ESP32 Espruino build (testing, e.g. LINUX)
  --allow-missing M,.. accept these missing built-in modules (testing)
  --any-version        accept any Espruino version
  --no-tables          do not write precomputed P-256 tables
  --pretokenise        write the app pretokenised (EspruinoTools' pretokeniser: about 10% smaller in
                       Storage; the log dictionary stays dist/firmware.logs.json)
  --dry-run --out DIR  write exactly what would be sent into DIR; no board needed
  --verbose            show EspruinoTools' log (file contents redacted)`;

let prefix = 'flash';

function fail(e: unknown): never {
  if (e instanceof FlashError) {
    process.stderr.write(`${prefix}: ${e.message}\n`);
    process.exit(EXIT_CODES[e.code]);
  }
  if (e instanceof IdentityError) {
    process.stderr.write(`${prefix}: ${e.message}\n`);
    process.exit(2);
  }
  const msg = e instanceof Error ? e.message : String(e);
  process.stderr.write(`${prefix}: ${msg.split('\n')[0]}\n`);
  process.exit(1);
}

export function loadIdentityFile(file: string): DeviceIdentity {
  if (!existsSync(file)) throw new FlashError('identity', `no identity file at ${file} (make one with npm run mkdevice)`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new FlashError('identity', `malformed identity ${file}: not JSON (${(e as Error).message.split('\n')[0]})`);
  }
  try {
    return identityFromJson(json);
  } catch (e) {
    if (e instanceof IdentityError) {
      const missingKey = /deviceKey: missing|world.deviceTypePrivateKey: missing/.test(e.message);
      throw new FlashError('identity', `${missingKey ? 'missing key' : 'malformed identity'} in ${file}: ${e.message.replace(/^identity: /, '')}`);
    }
    throw e;
  }
}

async function flashCommand(argv: string[]): Promise<void> {
  let a;
  try {
    a = parseArgs({
      args: argv,
      options: {
        port: { type: 'string', short: 'p' },
        baud: { type: 'string', short: 'b' },
        device: { type: 'string', short: 'd' },
        bundle: { type: 'string' },
        config: { type: 'string' },
        'boot-timeout': { type: 'string' },
        'allow-board': { type: 'string', multiple: true },
        'allow-missing': { type: 'string' },
        'any-version': { type: 'boolean' },
        'no-tables': { type: 'boolean' },
        pretokenise: { type: 'boolean' },
        'dry-run': { type: 'boolean' },
        out: { type: 'string' },
        verbose: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
    }).values;
  } catch (e) {
    throw new FlashError('usage', `${(e as Error).message} (npm run flash -- --help)`);
  }
  if (a.help) {
    process.stdout.write(FLASH_HELP + '\n');
    return;
  }
  if (!a.device) throw new FlashError('usage', 'missing --device <identity.json> (npm run flash -- --help)');
  if (!a['dry-run'] && !a.port) throw new FlashError('usage', 'missing --port <serial-port | tcp://host:port> (or --dry-run --out DIR)');
  if (a['dry-run'] && !a.out) throw new FlashError('usage', '--dry-run needs --out DIR');
  const baud = a.baud === undefined ? 115200 : Number(a.baud);
  if (!Number.isInteger(baud) || baud < 300 || baud > 4000000) throw new FlashError('usage', `bad --baud ${a.baud}`);
  const bootTimeout = a['boot-timeout'] === undefined ? 20 : Number(a['boot-timeout']);
  if (!(bootTimeout > 0)) throw new FlashError('usage', `bad --boot-timeout ${a['boot-timeout']}`);

  const identity = loadIdentityFile(a.device);
  const mode = statSync(a.device).mode & 0o777;
  if (mode & 0o077) process.stderr.write(`warning: ${a.device} holds private keys but is readable by others (mode ${mode.toString(8)}): chmod 600 it\n`);
  const bundlePath = path.resolve(a.bundle ?? path.join(root, 'dist/firmware.js'));
  if (!existsSync(bundlePath)) throw new FlashError('bundle', `no bundle at ${bundlePath}: run npm run build first`);
  const bundle = new Uint8Array(readFileSync(bundlePath));
  if (bundle.length === 0) throw new FlashError('bundle', `the bundle ${bundlePath} is empty`);
  const metafile = bundlePath.replace(/\.js$/, '.meta.json');
  // what the board stores: the bundle, or its pretokenised form (flash/pretokenise.ts)
  const app = a.pretokenise ? await pretokenise(bundle) : bundle;
  // the log dictionary beside the bundle (build/logcodes.mjs): the boot line and output in words
  const logs = dictionaryForBundle(bundlePath);
  if (logs.note) process.stderr.write(`warning: ${logs.note}\n`);
  let config: Record<string, unknown> | undefined;
  if (a.config) {
    try {
      config = JSON.parse(readFileSync(a.config, 'utf8'));
    } catch (e) {
      throw new FlashError('usage', `bad --config ${a.config}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  const tables = a['no-tables'] ? undefined : await buildTables(identity).catch(() => undefined);

  if (a['dry-run']) {
    const out = path.resolve(a.out!);
    const files = buildStorageImage({ bundle: app, identity, config, tables });
    mkdirSync(path.join(out, 'storage'), { recursive: true });
    const manifest = files.map((f, i) => {
      const file = path.join(out, 'storage', f.name);
      const secret = SECRET_FILES.includes(f.name);
      writeFileSync(file, f.data, { mode: secret ? 0o600 : 0o644 });
      if (secret) chmodSync(file, 0o600);
      return { order: i + 1, name: f.name, size: f.data.length, sha256: sha256hex(f.data), secret };
    });
    writeFileSync(path.join(out, 'manifest.json'), JSON.stringify({ bundle: path.relative(root, bundlePath), requiredModules: requiredModules(Buffer.from(bundle).toString('latin1'), metafile), espruino: TARGET_ESPRUINO, files: manifest }, null, 2) + '\n');
    const script = path.join(out, 'upload.txt');
    writeFileSync(script, uploadScript(files), { mode: 0o600 });
    chmodSync(script, 0o600);
    process.stdout.write(
      `dry run: ${files.length} Storage files (${files.reduce((n, f) => n + f.data.length, 0)} bytes) for ${identity.deviceDetails.serialNumber} in ${out}\n` +
        `  storage/<name>  each file as written (secrets mode 0600)\n  manifest.json   order, sizes, SHA-256\n  upload.txt      the REPL text a fresh board receives (contains secrets, mode 0600)\n`,
    );
    return;
  }

  const tty = process.stderr.isTTY;
  let lastPct = -1;
  const summary = await flashBoard({
    port: a.port!,
    baud,
    identity,
    bundle: app,
    config,
    tables,
    bootLine: BOOT_LINE,
    bootTimeoutMs: bootTimeout * 1000,
    logDictionary: logs.stale ? null : logs.dict,
    requirements: {
      version: TARGET_ESPRUINO,
      modules: requiredModules(Buffer.from(bundle).toString('latin1'), metafile),
      allowBoards: a['allow-board'] ?? [],
      allowMissing: a['allow-missing'] ? a['allow-missing'].split(',').map((s) => s.trim()) : [],
      anyVersion: !!a['any-version'],
    },
    onStep: (s) => {
      if (tty) process.stderr.write('\r\x1b[K');
      process.stderr.write(`  ${s}${tty ? '' : '\n'}`);
    },
    onProgress: (p) => {
      const pct = Math.floor((100 * p.done) / Math.max(1, p.total));
      if (tty) process.stderr.write(`\r\x1b[K  writing ${p.file} ${kb(p.done)}/${kb(p.total)} (${pct}%)`);
      else if (Math.floor(pct / 25) !== Math.floor(lastPct / 25) || p.done === p.total) process.stderr.write(`  writing ${kb(p.done)}/${kb(p.total)} (${pct}%)\n`);
      lastPct = pct;
    },
  }).catch((e) => {
    if (tty) process.stderr.write('\r\x1b[K');
    if (a.verbose) process.stderr.write(toolLog.join('\n') + '\n');
    throw e;
  });
  if (tty) process.stderr.write('\r\x1b[K');
  if (a.verbose) process.stderr.write(toolLog.join('\n') + '\n');
  process.stdout.write(renderSummary(summary, identity));
  if (blockedFetches().length) process.stderr.write(`note: refused ${blockedFetches().length} internet fetch(es) by EspruinoTools\n`);
}

const LOGS_HELP = `usage: node --import tsx flash/cli.ts logs [--bundle FILE | --dict FILE] [capture.txt]
  Prints a board's serial output (a file, or standard input) with its coded log lines in words.
  --bundle FILE   the flashed app; its dictionary is FILE's .logs.json (default dist/firmware.js)
  --dict FILE     the log dictionary itself (dist/firmware.logs.json)
  A line the dictionary cannot decode (another build, an unknown code) is printed as it came, with a note.`;

/** `logs`: decode a serial capture (or a live pipe) with the bundle's log dictionary. */
async function logsCommand(argv: string[]): Promise<void> {
  let a;
  try {
    a = parseArgs({ args: argv, options: { bundle: { type: 'string' }, dict: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  } catch (e) {
    throw new FlashError('usage', `${(e as Error).message} (--help)`);
  }
  if (a.values.help) {
    process.stdout.write(LOGS_HELP + '\n');
    return;
  }
  if (a.positionals.length > 1) throw new FlashError('usage', 'one capture file at most (--help)');
  let dict;
  if (a.values.dict) {
    dict = loadDictionary(path.resolve(a.values.dict));
    if (!dict) throw new FlashError('usage', `no log dictionary at ${a.values.dict}`);
  } else {
    const bundlePath = path.resolve(a.values.bundle ?? path.join(root, 'dist/firmware.js'));
    const found = dictionaryForBundle(bundlePath);
    if (found.note) process.stderr.write(`warning: ${found.note}\n`);
    if (!found.dict) throw new FlashError('usage', `no log dictionary beside ${bundlePath} (run npm run build)`);
    dict = found.dict;
  }
  const decoder = new LogDecoder(dict);
  const input = a.positionals[0] ? (await import('node:fs')).createReadStream(a.positionals[0]) : process.stdin;
  const rl = (await import('node:readline')).createInterface({ input, crlfDelay: Infinity });
  for await (const line of rl) process.stdout.write(decoder.text(line) + '\n');
}

const kb = (n: number) => (n / 1024).toFixed(1) + ' KB';

export function renderSummary(s: FlashSummary, id: DeviceIdentity): string {
  const written = s.files.filter((f) => f.action === 'written');
  const same = s.files.filter((f) => f.action === 'unchanged');
  const hashKinds = [...new Set(s.files.map((f) => ({ sha256: 'SHA-256', crc32: 'CRC-32', adler32: 'Adler-32' })[f.hash]))].join('+');
  const lines = [
    `Flashed ${id.deviceDetails.serialNumber} on ${s.env.BOARD} (Espruino ${s.env.VERSION}) at ${s.port}`,
    `  identity  product ${id.productIndex}, device type ${id.deviceTypeId}, ${id.kind}`,
    `  mesh      Device UUID ${id.bss.deviceUuid}, OOB info 0x${id.mesh.oobInfo.toString(16).padStart(4, '0')}`,
    `  files     ${written.length} written (${kb(s.bytesWritten)}), ${same.length} already there, all ${s.files.length} verified by ${hashKinds} read-back`,
    ...s.files.map((f) => `            ${f.action === 'written' ? '+' : '='} ${f.name.padEnd(20)} ${String(f.size).padStart(7)} B${SECRET_FILES.includes(f.name) ? '  (secret)' : ''}`),
    `  app       ${s.app.name} (${s.app.size} bytes), boot generation ${s.app.generation} via ${BOOT.entry}`,
    ...(s.erased.length ? [`  erased    ${s.erased.join(', ')}`] : []),
    `  booted    ${s.bootLine}`,
    ...(s.logId ? [`  logs      coded, dictionary ${s.logId} (a serial capture in words: node --import tsx flash/cli.ts logs capture.txt)`] : []),
    ...s.warnings.map((w) => `  warning   ${w}`),
    `  time      ${(s.ms / 1000).toFixed(1)} s`,
  ];
  return lines.join('\n') + '\n';
}

async function main(): Promise<void> {
  const [cmd, ...rest] = process.argv.slice(2);
  if (cmd === 'flash') await flashCommand(rest);
  else if (cmd === 'logs') {
    prefix = 'logs';
    await logsCommand(rest);
  }
  else if (cmd === 'mkdevice') {
    prefix = 'mkdevice';
    await runMkdevice(rest);
  }
  else {
    process.stderr.write(`usage: ffs-flash flash|mkdevice|logs [options] (--help for each)\n`);
    process.exit(2);
  }
}

main().then(
  () => process.exit(0),
  (e) => fail(e),
);
