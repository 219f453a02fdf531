// Runs dist/bench.js (or dist/selftest.js) on a real Espruino interpreter (the Linux build), with the
// Storage files the flash tool writes for the fixed-base tables: ffs.gtab (generator), ffs.dtkey (the
// device-type key, 91-byte SPKI) and ffs.dttab (its table), built by flash/image.ts buildTables' own
// functions. The Linux build keeps Storage in ./espruino.flash of its working directory, so a first
// run of a small script writes the files and a second run, in the same directory, runs the bundle.
//
//   ESPRUINO_BIN=/path/to/espruino node --import tsx bench/espruino.ts [dist/bench.js]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTable, parseSpkiPublicKey } from '../firmware/crypto/p256.ts';
import { FILES } from '../hal/storage-layout.ts';

/** The Storage files the flash tool writes for the tables: [name, bytes] (the DSS device-type key). */
export function tableFiles(): [string, Uint8Array][] {
  const vectors = JSON.parse(readFileSync(new URL('../test/vectors/selftest-ecc.json', import.meta.url), 'utf8'));
  const dtKey = new Uint8Array(Buffer.from(vectors.wss.deviceTypePublicKeyDer, 'hex'));
  const dtPub = parseSpkiPublicKey(dtKey);
  if (!dtPub) throw new Error('bad device-type key in the vectors');
  return [
    [FILES.generatorTable, buildTable('G')],
    [FILES.deviceTypeKey, dtKey],
    [FILES.deviceTypeTable, buildTable(dtPub)],
  ];
}

/** A script that writes those files into the interpreter's Storage (run it in the bundle's cwd first). */
export function tablePrepScript(): string {
  return (
    tableFiles()
      .map(([name, data]) => `require('Storage').write(${JSON.stringify(name)}, atob(${JSON.stringify(Buffer.from(data).toString('base64'))}));`)
      .join('\n') + "\nprint('storage: ' + require('Storage').list().join(' '));\n"
  );
}

function main(): void {
  const bin = process.env.ESPRUINO_BIN;
  if (!bin) {
    console.error('set ESPRUINO_BIN to the Espruino Linux binary');
    process.exit(2);
  }
  const bundle = path.resolve(process.argv[2] || 'dist/bench.js');
  const dir = mkdtempSync(path.join(tmpdir(), 'ffs-espruino-'));
  writeFileSync(path.join(dir, 'prep.js'), tablePrepScript());
  writeFileSync(path.join(dir, 'run.js'), readFileSync(bundle));
  for (const script of ['prep.js', 'run.js']) {
    const r = spawnSync(bin, [script], { cwd: dir, encoding: 'utf8', timeout: 30 * 60 * 1000 });
    const out = (r.stdout || '') + (r.stderr || '');
    for (let l of out.split('\n')) {
      l = l.replace(/^>?\r?(\x1b\[J)?/, '').trim(); // the REPL prompt the interpreter prints between lines
      if (/^(bench|storage|selftest|\d+ passed)|Uncaught|Error/.test(l)) console.log(l);
    }
    if (r.status !== 0 && r.status !== null) console.log(`(${script}: exit ${r.status})`);
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
