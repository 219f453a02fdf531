// Lists the globals a TypeScript file touches: esbuild strips the types (and applies the feature
// `define`s) file by file, acorn parses the result as a module, and build/scope.mjs resolves every
// identifier; what resolves to no binding of the file (no local, no import) is a global. Ambient
// `declare` statements vanish in the transform, so a `declare function print` does not hide `print`.
import { readFileSync } from 'node:fs';
import * as esbuild from 'esbuild';
import sourceMapJs from 'source-map-js';
// @ts-ignore plain ESM module without types
import { parseScript, analyze } from '../../build/scope.mjs';
// @ts-ignore plain ESM module without types
import { ESBUILD_SUPPORTED } from '../../build/dialect.mjs';
import { featureDefines } from '../../esbuild.config.mjs';

/** Language built-ins firmware/ may use: pure values and constructors, nothing that reaches the board. */
export const ALLOWED_GLOBALS = [
  'undefined', 'NaN', 'Infinity', 'arguments',
  'Object', 'Array', 'String', 'Number', 'Boolean', 'Math', 'JSON', 'Promise', 'RegExp',
  'Error', 'TypeError', 'SyntaxError', 'ReferenceError',
  'ArrayBuffer', 'DataView', 'Uint8Array', 'Int8Array', 'Uint8ClampedArray', 'Uint16Array', 'Int16Array',
  'Uint32Array', 'Int32Array', 'Float32Array', 'Float64Array',
  'parseInt', 'parseFloat', 'isNaN', 'isFinite', 'encodeURIComponent', 'decodeURIComponent',
];

/** Members of allowed built-ins that still reach the board (randomness, time): `hal` provides them. */
export const FORBIDDEN_MEMBERS = ['Math.random'];

export interface GlobalUse { file: string; line: number; column: number; name: string }

export async function globalsUsed(file: string): Promise<GlobalUse[]> {
  const source = readFileSync(file, 'utf8');
  const out = await esbuild.transform(source, {
    loader: file.endsWith('.tsx') ? 'tsx' : 'ts',
    format: 'esm',
    target: 'es2020',
    supported: ESBUILD_SUPPORTED,
    define: featureDefines([]),
    sourcemap: 'external',
    sourcefile: file,
    logLevel: 'silent',
  });
  const ast = parseScript(out.code, 'module');
  const a = analyze(ast);
  const consumer = new sourceMapJs.SourceMapConsumer(JSON.parse(out.map));
  const uses: GlobalUse[] = [];
  const place = (node: any, name: string) => {
    const o = consumer.originalPositionFor({ line: node.loc.start.line, column: node.loc.start.column });
    uses.push({ file, line: o.line ?? node.loc.start.line, column: (o.column ?? node.loc.start.column) + 1, name });
  };
  for (const [name, refs] of a.globals as Map<string, any[]>) {
    for (const r of refs) place(r.id, name);
  }
  // G.member reads of allowed built-ins that still reach the board
  (function walk(n: any) {
    if (n.type === 'MemberExpression' && !n.computed && n.object.type === 'Identifier' && a.globals.has(n.object.name)) {
      const dotted = n.object.name + '.' + n.property.name;
      if (FORBIDDEN_MEMBERS.includes(dotted)) place(n, dotted);
    }
    for (const k of Object.keys(n)) {
      const v = n[k];
      if (k === 'loc') continue;
      if (Array.isArray(v)) v.forEach((c) => c && typeof c.type === 'string' && walk(c));
      else if (v && typeof v.type === 'string') walk(v);
    }
  })(ast);
  return uses.sort((x, y) => x.line - y.line || x.column - y.column);
}

/** Uses that break "firmware/ never touches a global". */
export async function forbiddenGlobals(file: string): Promise<GlobalUse[]> {
  return (await globalsUsed(file)).filter((u) => !ALLOWED_GLOBALS.includes(u.name));
}
