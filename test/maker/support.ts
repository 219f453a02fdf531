// Builds a maker app (a folder with ffs-app.json) the way `npm run build -- --app <dir>` does, into a
// temporary directory (dist/ is shared with the other builds), and returns the bundle and its gate findings.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// @ts-ignore plain ESM build scripts
import { buildBundle, featureDefines } from '../../esbuild.config.mjs';
// @ts-ignore
import { loadMakerApp } from '../../build/maker.mjs';
// @ts-ignore
import { checkFile } from '../../build/check.mjs';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export async function buildApp(dir: string): Promise<{ file: string; bytes: number; findings: string[] }> {
  const app = loadMakerApp(dir, root);
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'ffs-maker-')), 'firmware.js');
  const r = await buildBundle(app.entry, file, [], { ...app.extra, define: { ...featureDefines([]), __JS_CRYPTO__: 'false' } }, { lazy: true, halOnFirstUse: true });
  const findings = (checkFile(file) as Array<{ text: string }>).map((p) => p.text);
  return { file, bytes: r.bytes, findings };
}
