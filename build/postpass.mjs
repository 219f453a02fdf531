// Post-pass over esbuild's minified output, before the gate:
//  1. esbuild wraps `require()` of an external module in a `__require` shim that reads `Proxy` and
//     calls `require.apply` (it does this for every non-CommonJS output format). Espruino has no Proxy and
//     its `require` is a global function, so every reference to the shim becomes a plain `require`
//     and the shim's declaration is dropped. Refused if a `require` binding shadows any call site.
//  2. esbuild's name minifier can pick `of` (seen on tweetnacl-ts, reproduced in test/gate): the
//     interpreter rejects `of`, `let`, `static` and a parameter named `undefined` as identifiers.
//     Each such binding is renamed, with scope analysis, to a name that occurs nowhere in the file.
//     Renaming one binding (its declaration and exactly the references that resolve to it) to a name
//     that no other binding, global or property key in the file uses cannot capture or be captured
//     by any other identifier, so the program means the same (alpha-conversion).
//  3. `new Uint8Array(...)` stands 79 times in the firmware: each built-in of ALIASABLE (typed-array
//     constructors, Error, parseInt, setTimeout, JSON.stringify ...) called often enough gets one
//     alias, declared first thing in the bundle's function (`var aa=Uint8Array,...`), used at its call
//     sites only. Other uses (`Uint8Array.from`, `setTimeout` passed as a value) keep the global name,
//     so the gate still sees them, and a call with more arguments than `maxArgs` keeps the built-in
//     unaliased; the alias is a fresh name (as in 2) and the built-ins are read once, at start-up.
// The source map is rewritten so that every position still maps to the same TypeScript source.
import sourceMapJs from 'source-map-js';
import { parseScript, analyze, children } from './scope.mjs';
import { FORBIDDEN_IDENTIFIERS } from './dialect.mjs';

const { SourceMapConsumer, SourceMapGenerator } = sourceMapJs;

const RESERVED = new Set(('break case catch class const continue debugger default delete do else enum export extends ' +
  'false finally for function if import in instanceof new null return super switch this throw true try typeof var ' +
  'void while with yield let static implements interface package private protected public await async of ' +
  'undefined NaN Infinity arguments eval get set').split(' '));

/** Short names in the minifier's style: a..z A..Z _ $, then two characters, and so on. */
export function* shortNames() {
  const head = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_$';
  const tail = head + '0123456789';
  for (let i = 0; ; i++) {
    let n = i;
    let name = head[n % head.length];
    n = Math.floor(n / head.length);
    while (n > 0) {
      n -= 1;
      name += tail[n % tail.length];
      n = Math.floor(n / tail.length);
    }
    yield name;
  }
}

function isRequireShim(code, decl) {
  if (!decl.init || decl.id.type !== 'Identifier') return false;
  const text = code.slice(decl.init.start, decl.init.end);
  return /Dynamic require of/.test(text) && /typeof require/.test(text);
}

/**
 * Apply the post-pass. `map` is the esbuild source map (object or JSON string) or null.
 * Returns { code, map (object|null), renamed: [{from,to}], requireShimRemoved: boolean, aliased: [{name,to,uses}] }.
 */
export function postProcess(code, map) {
  const ast = parseScript(code);
  const a = analyze(ast);
  const edits = [];
  const renamed = [];
  let requireShimRemoved = false;

  // 1. the __require shim
  for (const b of a.bindings) {
    const d = b.decl;
    if (b.kind !== 'var' && b.kind !== 'let' && b.kind !== 'const') continue;
    if (!d || d.type !== 'VariableDeclarator' || !isRequireShim(code, d)) continue;
    for (const r of b.refs) {
      if (r.scope.lookup('require')) {
        throw new Error('post-pass: a local named `require` shadows a require() call at offset ' + r.id.start);
      }
      edits.push({ start: r.id.start, end: r.id.end, text: 'require' });
    }
    const declaration = a.parents.get(d);
    const list = declaration.declarations;
    if (list.length === 1) {
      edits.push({ start: declaration.start, end: declaration.end, text: '' });
    } else {
      const i = list.indexOf(d);
      if (i < list.length - 1) edits.push({ start: d.start, end: list[i + 1].start, text: '' });
      else edits.push({ start: list[i - 1].end, end: d.end, text: '' });
    }
    requireShimRemoved = true;
  }

  // 2. names the interpreter rejects
  const used = new Set();
  (function collect(n) {
    if (n.type === 'Identifier' || n.type === 'PrivateIdentifier') used.add(n.name);
    if (n.type === 'Literal' && typeof n.value === 'string') used.add(n.value);
    for (const c of children(n)) collect(c);
  })(ast);
  const fresh = shortNames();
  function freshName() {
    for (;;) {
      const n = fresh.next().value;
      if (!used.has(n) && !RESERVED.has(n)) {
        used.add(n);
        return n;
      }
    }
  }
  const chosen = new Map();
  for (const b of a.bindings) {
    const bad = FORBIDDEN_IDENTIFIERS.includes(b.name) || (b.name === 'undefined' && b.kind === 'param');
    if (!bad) continue;
    // A class's own inner name shares its identifier with the outer binding: same new name for both.
    const to = b.ids.map((id) => chosen.get(id)).find(Boolean) || freshName();
    for (const id of b.ids) chosen.set(id, to);
    renamed.push({ from: b.name, to });
    for (const id of [...b.ids, ...b.refs.map((r) => r.id)]) {
      const p = a.parents.get(id);
      if (p && p.type === 'Property' && p.shorthand && p.value === id) {
        edits.push({ start: id.start, end: id.end, text: p.key.name + ':' + to });
      } else if (p && p.type === 'Property' && p.shorthand && p.value.type === 'AssignmentPattern' && p.value.left === id) {
        edits.push({ start: id.start, end: id.end, text: p.key.name + ':' + to });
      } else {
        edits.push({ start: id.start, end: id.end, text: to });
      }
    }
  }

  // 3. aliases for built-ins called often (`new Uint8Array(`, `parseInt(`, `JSON.stringify(`)
  const aliased = [];
  const body = iifeBody(ast);
  if (body) {
    const decls = [];
    for (const spec of ALIASABLE) {
      const path = spec.name.split('.');
      const sites = [];
      let refused = false;
      for (const r of a.globals.get(path[0]) || []) {
        let node = r.id;
        if (path.length === 2) {
          const m = a.parents.get(node);
          if (!m || m.type !== 'MemberExpression' || m.object !== node || m.computed || m.property.name !== path[1]) continue;
          node = m;
        }
        const p = a.parents.get(node);
        if (!p || p.type !== (spec.new ? 'NewExpression' : 'CallExpression') || p.callee !== node) continue;
        if (spec.maxArgs !== undefined && p.arguments.length > spec.maxArgs) refused = true;
        sites.push(node);
      }
      if (refused || !sites.length) continue;
      const to = freshName();
      // worth it when the saving beats the declaration `,to=Name`
      if (sites.length * (spec.name.length - to.length) <= spec.name.length + to.length + 2) continue;
      for (const n of sites) edits.push({ start: n.start, end: n.end, text: to });
      decls.push(to + '=' + spec.name);
      aliased.push({ name: spec.name, to, uses: sites.length });
    }
    if (decls.length) edits.push({ start: body.start, end: body.start + 1, text: '{var ' + decls.join(',') + ';' });
  }

  if (edits.length === 0) return { code, map: map ? parseMap(map) : null, renamed, requireShimRemoved, aliased };
  const out = applyEdits(code, edits);
  return { code: out.code, map: map ? remap(parseMap(map), code, out) : null, renamed, requireShimRemoved, aliased };
}

/**
 * Built-ins that may be aliased, and only at these call sites: `new X(...)` (new: true) or `X(...)`.
 * maxArgs: when any call passes more, no alias, so the gate still sees it (`new Error(m, {cause})`,
 * a JSON.stringify replacer, a JSON.parse reviver). Each is a plain function or constructor that does
 * not use `this`, read once at start-up.
 */
const ALIASABLE = [
  { name: 'Uint8Array', new: true }, { name: 'Int8Array', new: true }, { name: 'Uint16Array', new: true },
  { name: 'Int16Array', new: true }, { name: 'Uint32Array', new: true }, { name: 'Int32Array', new: true },
  { name: 'Float32Array', new: true }, { name: 'Float64Array', new: true }, { name: 'Error', new: true, maxArgs: 1 },
  { name: 'String' }, { name: 'parseInt' }, { name: 'setTimeout' }, { name: 'clearTimeout' }, { name: 'Math.floor' },
  { name: 'JSON.stringify', maxArgs: 1 }, { name: 'JSON.parse', maxArgs: 1 },
];

/** The block of the bundle's immediately called function (`(()=>{...})();`), or null. */
export function iifeBody(ast) {
  const body = ast.body.filter((n) => !n.directive); // "use strict";
  if (body.length !== 1 || body[0].type !== 'ExpressionStatement') return null;
  const call = body[0].expression;
  if (call.type !== 'CallExpression' || call.arguments.length) return null;
  const fn = call.callee;
  if ((fn.type !== 'ArrowFunctionExpression' && fn.type !== 'FunctionExpression') || fn.params.length) return null;
  return fn.body.type === 'BlockStatement' ? fn.body : null;
}

function parseMap(map) {
  return typeof map === 'string' ? JSON.parse(map) : map;
}

export function applyEdits(code, edits) {
  edits.sort((x, y) => x.start - y.start);
  const seen = [];
  for (const e of edits) {
    const last = seen[seen.length - 1];
    if (last && e.start < last.end) {
      if (e.start === last.start && e.end === last.end && e.text === last.text) continue;
      throw new Error('post-pass: overlapping edits at offset ' + e.start);
    }
    seen.push(e);
  }
  let result = '';
  let pos = 0;
  for (const e of seen) {
    result += code.slice(pos, e.start) + e.text;
    pos = e.end;
  }
  result += code.slice(pos);
  return { code: result, edits: seen };
}

/** The offset at which each line of `text` starts. */
export function lineStarts(text) {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

/** New offset of an old offset, or -1 when the old offset lies inside a deleted or replaced range. */
function translate(edits, offset) {
  let delta = 0;
  for (const e of edits) {
    if (e.end <= offset && e.end > e.start) delta += e.text.length - (e.end - e.start);
    else if (e.start === offset) return offset + delta; // a replacement keeps its first position
    else if (e.start < offset && offset < e.end) return -1;
    else if (e.start > offset) break;
  }
  return offset + delta;
}

export function remap(map, oldCode, out) {
  const oldStarts = lineStarts(oldCode);
  const newStarts = lineStarts(out.code);
  const consumer = new SourceMapConsumer(map);
  const gen = new SourceMapGenerator({ file: map.file, sourceRoot: map.sourceRoot });
  // Keep the sources in their original order so `sourcesContent` stays aligned.
  const sources = consumer.sources;
  for (const s of sources) gen._sources.add(s);
  consumer.eachMapping((m) => {
    const oldOff = oldStarts[m.generatedLine - 1] + m.generatedColumn;
    const newOff = translate(out.edits, oldOff);
    if (newOff < 0) return;
    let line = 0;
    let lo = 0;
    let hi = newStarts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (newStarts[mid] <= newOff) { line = mid; lo = mid + 1; } else hi = mid - 1;
    }
    const mapping = { generated: { line: line + 1, column: newOff - newStarts[line] } };
    if (m.source != null) {
      mapping.source = m.source;
      mapping.original = { line: m.originalLine, column: m.originalColumn };
      if (m.name) mapping.name = m.name;
    }
    gen.addMapping(mapping);
  });
  const json = gen.toJSON();
  if (json.sources.length !== map.sources.length) throw new Error('post-pass: source map sources changed');
  json.sources = map.sources.slice();
  if (map.sourcesContent) json.sourcesContent = map.sourcesContent.slice();
  return json;
}
