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
 * Returns { code, map (object|null), renamed: [{from,to}], requireShimRemoved: boolean }.
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

  if (edits.length === 0) return { code, map: map ? parseMap(map) : null, renamed, requireShimRemoved };
  const out = applyEdits(code, edits);
  return { code: out.code, map: map ? remap(parseMap(map), code, out) : null, renamed, requireShimRemoved };
}

function parseMap(map) {
  return typeof map === 'string' ? JSON.parse(map) : map;
}

function applyEdits(code, edits) {
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

function lineStarts(text) {
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

function remap(map, oldCode, out) {
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
