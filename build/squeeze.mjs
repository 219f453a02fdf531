// Squeeze: the last pass over a bundle (after build/postpass.mjs and build/lazy.mjs), four rewrites
// esbuild does not do across the modules it concatenates, each one meaning-preserving:
//  1. a `var`/`let`/`const` bound once to a number or string literal and never written (esbuild emits
//     one per `export const N = 20`) is replaced by its literal at every reference, and its declarator
//     goes, when that is shorter (a string has no identity; a regex literal, which has, stays). Not when any reference is written (assignment, ++, a for-in/of target, a
//     pattern), is a shorthand property `{N}`, or is the object of a member access (`20.toString`
//     would not parse). Scope analysis (build/scope.mjs) resolves each reference, so a local of the
//     same name elsewhere is never touched. The only difference at run time: a reference evaluated
//     before its declaration ran read `undefined` (a hoisting bug the gate rejects) and now reads the
//     value.
//  2. adjacent declarations of one kind in one block, `var a=1;var b=2;`, become `var a=1,b=2;`
//     (same bindings, same order of evaluation).
//  3. a string literal written often enough (`typeof x=="string"` 25 times) is read from one variable
//     declared first thing in the bundle's function (`var a$="string",...`), when that saves at least
//     HOIST_MIN_SAVING bytes for it: a string has no identity, so the value read is the same. Not a
//     property key, a directive, a computed member name (`o["prototype"]`, which the gate reads) or an
//     argument of a call to a global (`require("Storage")`, `RegExp("...")`, which the gate reads).
//     The name occurs nowhere else in the file, so it cannot capture or be captured. The price: each
//     such string lives for good (a few JsVars each) instead of being made where it is evaluated.
//  4. a declarator of that first `var` statement (an alias of the post-pass, a string of 3) whose every
//     reference lies inside the function build/lazy.mjs runs at most once (`$C||($C=function(){...}())`)
//     moves to the start of that function, when its value is a literal or a global read (the same
//     whenever evaluated) and nothing writes it: a set-up board never runs that function, so it does
//     not hold them (measured: 11 declarators, -37 JsVars at rest, +4 bytes).
// The source map follows every edit (positions of removed text are dropped).
import { parseScript, analyze, children, usedNames } from './scope.mjs';
import { applyEdits, iifeBody, remap, shortNames } from './postpass.mjs';

const BLOCKS = new Set(['Program', 'BlockStatement', 'StaticBlock']);

/** Why a reference cannot become a literal ('' when it can). */
function refProblem(a, id) {
  const p = a.parents.get(id);
  if (!p) return 'no parent';
  if ((p.type === 'AssignmentExpression' && p.left === id) || p.type === 'UpdateExpression') return 'written';
  if ((p.type === 'ForInStatement' || p.type === 'ForOfStatement') && p.left === id) return 'written';
  if (p.type === 'ArrayPattern' || p.type === 'ObjectPattern' || p.type === 'RestElement' || (p.type === 'AssignmentPattern' && p.left === id)) return 'written';
  if (p.type === 'Property' && (p.shorthand || p.value !== id)) return 'shorthand';
  if (p.type === 'MemberExpression' && p.object === id) return 'member';
  if (p.type === 'UnaryExpression' && p.operator === 'delete') return 'delete';
  if (p.type === 'ExportSpecifier') return 'export';
  return '';
}

/** 1: number and string constants inlined. Returns the edits and the names inlined. */
function inlineEdits(code, ast) {
  const a = analyze(ast);
  const edits = [];
  const inlined = [];
  const removed = new Set();
  for (const b of a.bindings) {
    if (b.kind !== 'var' && b.kind !== 'let' && b.kind !== 'const') continue;
    if (b.ids.length !== 1 || b.decls.length !== 1) continue;
    const d = b.decl;
    if (!d || d.type !== 'VariableDeclarator' || d.id.type !== 'Identifier' || !d.init) continue;
    if (d.init.type !== 'Literal' || (typeof d.init.value !== 'number' && typeof d.init.value !== 'string')) continue;
    const decl = a.parents.get(d);
    const holder = decl && a.parents.get(decl);
    if (!holder || !BLOCKS.has(holder.type)) continue; // not a for-head declaration
    if (b.refs.some((r) => refProblem(a, r.id))) continue;
    const lit = code.slice(d.init.start, d.init.end);
    const grows = b.refs.reduce((n, r) => n + lit.length - r.id.name.length, 0);
    if (grows >= d.end - d.start + 1) continue;
    for (const r of b.refs) edits.push({ start: r.id.start, end: r.id.end, text: lit });
    removed.add(d);
    inlined.push(b.name);
  }
  // the declarators go: runs of removed ones, with their commas; a statement left empty goes whole
  const decls = new Set([...removed].map((d) => a.parents.get(d)));
  for (const decl of decls) dropDeclarators(decl, removed, edits);
  return { edits, inlined };
}

/** Edits that remove the declarators of `decl` that are in `gone` (the whole statement when all are). */
function dropDeclarators(decl, gone, edits) {
  const list = decl.declarations;
  if (list.every((d) => gone.has(d))) {
    edits.push({ start: decl.start, end: decl.end, text: '' });
    return;
  }
  for (let i = 0; i < list.length; ) {
    if (!gone.has(list[i])) {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < list.length && gone.has(list[j + 1])) j++;
    if (j + 1 < list.length) edits.push({ start: list[i].start, end: list[j + 1].start, text: '' });
    else edits.push({ start: list[i - 1].end, end: list[j].end, text: '' });
    i = j + 1;
  }
}

/** 2: adjacent declarations of one kind merged. */
function mergeEdits(code, ast) {
  const edits = [];
  (function visit(n) {
    if (BLOCKS.has(n.type)) {
      const body = n.body;
      for (let i = 1; i < body.length; i++) {
        const x = body[i - 1];
        const y = body[i];
        if (x.type !== 'VariableDeclaration' || y.type !== 'VariableDeclaration' || x.kind !== y.kind) continue;
        if (code[x.end - 1] !== ';' || code.slice(y.start, y.start + y.kind.length + 1) !== y.kind + ' ') continue;
        if (y.start !== x.end) continue; // nothing in between (minified output)
        edits.push({ start: x.end - 1, end: y.start + y.kind.length + 1, text: ',' });
      }
    }
    for (const c of children(n)) visit(c);
  })(ast);
  return edits;
}

const HOIST_MIN_SAVING = 10;

const RESERVED = new Set(('break case catch class const continue debugger default delete do else enum export extends false ' +
  'finally for function if import in instanceof new null return super switch this throw true try typeof var void while with ' +
  'yield let static implements interface package private protected public await async of undefined NaN Infinity arguments ' +
  'eval get set').split(' '));

/** 3: strings written often read from one variable. */
function hoistEdits(code, ast) {
  const body = iifeBody(ast);
  if (!body) return { edits: [], hoisted: [] };
  const a = analyze(ast);
  const sites = new Map();
  (function visit(n, parent) {
    if (n.type === 'Literal' && typeof n.value === 'string' && parent) {
      const p = parent;
      const refused =
        (p.type === 'Property' && p.key === n && !p.computed) ||
        (p.type === 'MethodDefinition' && p.key === n) ||
        p.type === 'ExpressionStatement' ||
        (p.type === 'MemberExpression' && p.property === n) ||
        ((p.type === 'CallExpression' || p.type === 'NewExpression') && p.arguments.includes(n) && calleeIsGlobal(a, p.callee));
      if (!refused) {
        const raw = code.slice(n.start, n.end);
        if (!sites.has(raw)) sites.set(raw, []);
        sites.get(raw).push(n);
      }
    }
    for (const c of children(n)) visit(c, n);
  })(ast, null);
  const used = usedNames(ast);
  const fresh = shortNames();
  const freshName = () => {
    for (;;) {
      const n = fresh.next().value;
      if (!used.has(n) && !RESERVED.has(n)) {
        used.add(n);
        return n;
      }
    }
  };
  const edits = [];
  const decls = [];
  const hoisted = [];
  for (const [raw, list] of [...sites].sort((x, y) => y[1].length * y[0].length - x[1].length * x[0].length)) {
    // `,xx="..."` once against every site shortened to the name (names of 2 characters)
    if (list.length * (raw.length - 2) - (raw.length + 4) < HOIST_MIN_SAVING) continue;
    const name = freshName();
    // a name needs a space where the literal touched a word: `return"done"`, `case"x":`, `"x"in o`
    const word = (ch) => ch !== undefined && /[A-Za-z0-9_$]/.test(ch);
    for (const n of list) edits.push({ start: n.start, end: n.end, text: (word(code[n.start - 1]) ? ' ' : '') + name + (word(code[n.end]) ? ' ' : '') });
    decls.push(name + '=' + raw);
    hoisted.push(raw);
  }
  // into the first statement when it declares `var`s (the post-pass's aliases), else a new one
  const first = body.body[0];
  if (decls.length && first && first.type === 'VariableDeclaration' && first.kind === 'var' && code.startsWith('var ', first.start)) {
    edits.push({ start: first.start, end: first.start + 4, text: 'var ' + decls.join(',') + ',' });
  } else if (decls.length) edits.push({ start: body.start, end: body.start + 1, text: '{var ' + decls.join(',') + ';' });
  return { edits, hoisted };
}

/**
 * The functions that run at most once, after the bundle loaded: `X||(X=function(){...}())` with X a
 * variable of the bundle's function (build/lazy.mjs's holder of the setup machinery).
 */
function onceRunFunctions(ast, body) {
  const out = [];
  (function visit(n) {
    if (n.type === 'LogicalExpression' && n.operator === '||' && n.left.type === 'Identifier' &&
        n.right.type === 'AssignmentExpression' && n.right.operator === '=' && n.right.left.type === 'Identifier' &&
        n.right.left.name === n.left.name && n.right.right.type === 'CallExpression' && !n.right.right.arguments.length &&
        n.right.right.callee.type === 'FunctionExpression' && !n.right.right.callee.params.length && !n.right.right.callee.id) {
      out.push({ fn: n.right.right.callee, holder: n.left.name });
    }
    for (const c of children(n)) visit(c);
  })(body);
  return out;
}

/** A value that reads the same whenever it is evaluated: a literal, or a global or a member of one (`Math.floor`). */
function stableInit(a, init) {
  if (init.type === 'Literal') return typeof init.value === 'string' || typeof init.value === 'number';
  let n = init;
  while (n.type === 'MemberExpression' && !n.computed) n = n.object;
  if (n.type !== 'Identifier') return false;
  const ref = a.refOf.get(n);
  return !!ref && !ref.binding;
}

/**
 * 4: a declarator of the bundle's first `var` statement (the post-pass's aliases, the strings of 3)
 * that only code inside a function run at most once reads (the lazy setup machinery) moves to the
 * start of that function: a set-up board, which never runs it, does not hold it. Only a literal or
 * a global read (the same value whenever read), never written, every reference inside that function
 * (none of its own bindings has the name, so nothing else is captured).
 */
function sinkEdits(code, ast) {
  const body = iifeBody(ast);
  const first = body && body.body[0];
  if (!first || first.type !== 'VariableDeclaration' || first.kind !== 'var') return { edits: [], sunk: [] };
  const a = analyze(ast);
  const once = onceRunFunctions(ast, body);
  const moved = new Map();
  for (const d of first.declarations) {
    if (d.id.type !== 'Identifier' || !d.init || !stableInit(a, d.init)) continue;
    const b = a.bindingOf.get(d.id);
    if (!b || b.decls.length !== 1 || !b.refs.length || b.refs.some((r) => r.write || refProblem(a, r.id) === 'written')) continue;
    const target = once.find((o) => b.refs.every((r) => r.id.start > o.fn.body.start && r.id.end < o.fn.body.end));
    if (!target || target.holder === b.name) continue;
    const own = a.scopeOf.get(target.fn);
    if (own && own.bindings.has(b.name)) continue;
    if (!moved.has(target.fn)) moved.set(target.fn, []);
    moved.get(target.fn).push(d);
  }
  const edits = [];
  const sunk = [];
  const gone = new Set();
  for (const [fn, list] of moved) {
    // (replacing the `{`: build/postpass.mjs's remap shifts positions by replacements, not by bare insertions)
    edits.push({ start: fn.body.start, end: fn.body.start + 1, text: '{var ' + list.map((d) => code.slice(d.start, d.end)).join(',') + ';' });
    for (const d of list) {
      gone.add(d);
      sunk.push(d.id.name);
    }
  }
  if (gone.size) dropDeclarators(first, gone, edits);
  return { edits, sunk };
}

/** True when a call's callee is a global (`require`, `RegExp`) or a member of one (`JSON.parse`). */
function calleeIsGlobal(a, callee) {
  let n = callee;
  while (n.type === 'MemberExpression') n = n.object;
  if (n.type !== 'Identifier') return false;
  const ref = a.refOf.get(n);
  return !!ref && !ref.binding;
}

function step(code, map, make) {
  const ast = parseScript(code);
  const r = make(code, ast);
  const edits = Array.isArray(r) ? r : r.edits;
  if (!edits.length) return { code, map, info: r };
  const out = applyEdits(code, edits);
  return { code: out.code, map: map ? remap(typeof map === 'string' ? JSON.parse(map) : map, code, out) : null, info: r };
}

/** The four rewrites; `{ code, map, inlined: names, merged: count, hoisted: strings, sunk: names }`. */
export function squeeze(code, map) {
  const one = step(code, map, inlineEdits);
  const two = step(one.code, one.map, mergeEdits);
  const three = step(two.code, two.map, hoistEdits);
  const four = step(three.code, three.map, sinkEdits);
  return { code: four.code, map: four.map, inlined: one.info.inlined, merged: two.info.length, hoisted: three.info.hoisted, sunk: four.info.sunk };
}
