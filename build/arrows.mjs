// Arrows: a pass over a bundle (after build/lazy.mjs, before build/squeeze.mjs) that writes a function as an
// arrow function where that means the same thing, because an arrow is shorter: `function(a){return a+1}`
// becomes `a=>a+1`, `function f(a,b){...}` becomes `var f=(a,b)=>{...};`.
//
// Why it costs no memory on the board: Espruino 2v29 keeps a `this` on an arrow function only when its body
// uses `this` (jsparse.c jspeArrowFunction: "while parsing the function's body we check if the 'this' keyword
// is used. If it isn't, we just don't include it"), and this pass never touches a function whose body
// uses `this`. Measured on the interpreter: a set-up board at rest, the fresh board and the lane's peak
// hold the same JsVars with and without the pass (docs/BUILD.md).
//
// A function becomes an arrow only when nothing can tell the difference:
//  - its body (nested arrows included, nested functions and classes not) uses no `this`, `arguments`,
//    `super` or `new.target`; it is neither a generator nor async;
//  - an expression: it is an argument of a call, a plain property value (not a method, getter or setter),
//    a variable's initial value, the right side of an assignment, an array element or a returned value
//    (never an operand, a callee or a test, where an arrow would need parentheses); a name it carries is
//    dropped only when its body does not use it; and every `new` of the bundle is followed back to a
//    variable, class or declaration (below), none of which has a function expression for its value;
//  - a declaration: in a function body or the program (not a nested block, so `var` scopes it the same),
//    declared once, never written nor the object of a member access (`f.prototype`), not one of the lazy
//    pass's own `$` names, and never reached by a `new`: each `new X` of the bundle is followed back through
//    the variables X was copied from (the DRBG's factory is `new`-ed through the lazy pass's copy of it);
//    when some `new` takes its constructor from a parameter or a property, only declarations whose every
//    use calls them (directly or through a copy) are converted, and no expression. Espruino hoists no
//    function, and the gate rejects any use before the declaration runs, so a `var` binding set where the
//    declaration stood behaves the same.
// `{return X}` becomes `X` (in parentheses when X is an object literal or a comma expression).
// The source map follows every edit (build/postpass.mjs remap).
import { parseScript, analyze, children, isFunction } from './scope.mjs';
import { applyEdits, remap } from './postpass.mjs';

/** Does `fn`'s own body (through nested arrows, not nested functions or classes) use this/arguments/super/new.target? */
function usesOwnThis(fn) {
  let found = false;
  const walk = (n) => {
    if (found || !n || typeof n.type !== 'string') return;
    if (n.type === 'ThisExpression' || n.type === 'Super' || n.type === 'MetaProperty' ||
        (n.type === 'Identifier' && n.name === 'arguments')) {
      found = true;
      return;
    }
    if (n !== fn && (n.type === 'FunctionExpression' || n.type === 'FunctionDeclaration' ||
        n.type === 'ClassExpression' || n.type === 'ClassDeclaration')) return;
    for (const c of children(n)) walk(c);
  };
  for (const p of fn.params) walk(p);
  walk(fn.body);
  return found;
}

/** Is `fn` (an expression) where an arrow stands without parentheses? */
function arrowFits(fn, p) {
  if (!p) return false;
  switch (p.type) {
    case 'CallExpression':
    case 'NewExpression': return p.callee !== fn && p.arguments.includes(fn);
    case 'Property': return p.value === fn && p.kind === 'init' && !p.method && !p.shorthand;
    case 'VariableDeclarator': return p.init === fn;
    case 'AssignmentExpression': return p.right === fn;
    case 'ArrayExpression': return p.elements.includes(fn);
    case 'ReturnStatement': return p.argument === fn;
    default: return false;
  }
}

/** A declaration no `new` can reach (`built`: constructedBindings), never written nor used as an object. */
function plainlyCalled(a, fn, built) {
  const binding = a.bindingOf.get(fn.id);
  if (!binding || binding.decls.length !== 1) return false;
  if (binding.refs.some((r) => {
    const p = a.parents.get(r.id);
    return r.write || (p && p.type === 'MemberExpression' && p.object === r.id);
  })) return false;
  return built.known ? !built.set.has(binding) : onlyCalled(a, binding, 0);
}

/**
 * `P[k]` where P is a parameter of a function that is only ever called with an array literal there (how
 * build/lazy.mjs hands the eager bindings to the moved code: `$F([a,b,...])`, then `var x=$0[k]`): the
 * identifiers at index k of those arrays, or null when the value can come from anywhere else.
 */
function handedOver(a, init) {
  if (init.type !== 'MemberExpression' || !init.computed || init.object.type !== 'Identifier' ||
      init.property.type !== 'Literal' || typeof init.property.value !== 'number') return null;
  const ref = a.refOf.get(init.object);
  const param = ref && ref.binding;
  if (!param || param.kind !== 'param') return null;
  const fn = param.decl;
  const index = fn.params.indexOf(param.id);
  const holder = a.parents.get(fn);
  const fnId = fn.type === 'FunctionDeclaration' ? fn.id
    : holder && holder.type === 'VariableDeclarator' && holder.init === fn && holder.id.type === 'Identifier' ? holder.id : null;
  const binding = fnId && a.bindingOf.get(fnId);
  if (index < 0 || !binding || binding.decls.length !== 1) return null;
  const out = [];
  for (const r of binding.refs) {
    const call = a.parents.get(r.id);
    if (!call || call.type !== 'CallExpression' || call.callee !== r.id) return null;
    const arr = call.arguments[index];
    const el = arr && arr.type === 'ArrayExpression' ? arr.elements[init.property.value] : null;
    if (!el || el.type !== 'Identifier') return null;
    out.push(el);
  }
  return out;
}

/**
 * The bindings the bundle's `new` expressions can reach: each `new X` whose X is a variable, followed back
 * through the variables it was copied from (`var F=f`, `F=f`). `known` is false when some `new` takes its
 * constructor from anywhere else (a parameter, a property): then no declaration is known safe this way.
 */
function constructedBindings(a) {
  const set = new Set();
  let known = true;
  const mark = (id, depth) => {
    const ref = a.refOf.get(id);
    if (!ref || !ref.binding) return; // a global: Uint8Array, Error...
    const b = ref.binding;
    if (set.has(b)) return;
    set.add(b);
    if (b.kind === 'class' || b.kind === 'function') return;
    if (b.kind !== 'var' && b.kind !== 'let' && b.kind !== 'const') { known = false; return; }
    if (depth > 8) { known = false; return; }
    for (const d of b.ids) {
      const p = a.parents.get(d);
      if (p && p.type === 'VariableDeclarator' && p.id === d && p.init) {
        if (p.init.type === 'Identifier') mark(p.init, depth + 1);
        else if (p.init.type === 'ClassExpression') continue;
        else {
          const from = handedOver(a, p.init);
          if (from) for (const id of from) mark(id, depth + 1);
          else known = false;
        }
      }
    }
    for (const r of b.refs) {
      if (!r.write) continue;
      const p = a.parents.get(r.id);
      if (p && p.type === 'AssignmentExpression' && p.left === r.id && p.right.type === 'Identifier') mark(p.right, depth + 1);
      else known = false;
    }
  };
  const walk = (n) => {
    if (!n || typeof n.type !== 'string') return;
    if (n.type === 'NewExpression') {
      if (n.callee.type === 'Identifier') mark(n.callee, 0);
      else known = false;
    }
    for (const c of children(n)) walk(c);
  };
  walk(a.ast);
  return { set, known };
}

/** Every reference of `binding` calls it, or is an alias (`var F=f`, the lazy pass's copies) whose own
 * references do: handed to a call, stored in a property or anything else, it could be `new`-ed where this
 * pass cannot see it (the DRBG's factory is `new`-ed through such an alias). */
function onlyCalled(a, binding, depth) {
  if (!binding || binding.decls.length !== 1 || depth > 4) return false;
  for (const r of binding.refs) {
    const p = a.parents.get(r.id);
    if (r.write || !p) return false;
    if (p.type === 'CallExpression' && p.callee === r.id) continue;
    if (p.type === 'VariableDeclarator' && p.init === r.id && p.id.type === 'Identifier' &&
        onlyCalled(a, a.bindingOf.get(p.id), depth + 1)) continue;
    return false;
  }
  return true;
}

/** Edits that turn the parameters and body of `fn` into `params=>body`; the edit that ends the body when the
 * body became an expression (a declaration's `;` joins it), else null. */
function arrowTail(code, fn, edits) {
  const open = code.indexOf('(', fn.id ? fn.id.end : fn.start);
  const close = code.lastIndexOf(')', fn.body.start);
  const single = fn.params.length === 1 && fn.params[0].type === 'Identifier';
  edits.push({ start: open, end: open + 1, text: single ? '' : '(' });
  edits.push({ start: close, end: close + 1, text: single ? '=>' : ')=>' });
  const body = fn.body.body;
  if (body.length === 1 && body[0].type === 'ReturnStatement' && body[0].argument) {
    const x = body[0].argument;
    const wrap = x.type === 'ObjectExpression' || x.type === 'SequenceExpression';
    edits.push({ start: fn.body.start, end: x.start, text: wrap ? '(' : '' });
    const end = { start: x.end, end: fn.body.end, text: wrap ? ')' : '' };
    edits.push(end);
    return end;
  }
  return null;
}

/** `{ code, map, arrows: count }` with every convertible function written as an arrow. */
export function arrowify(code, map) {
  const ast = parseScript(code);
  const a = analyze(ast);
  // a function expression can be `new`-ed only where some `new` is not followed back (built.known false)
  const built = constructedBindings(a);
  const edits = [];
  let arrows = 0;
  const visit = (n, parent) => {
    if (!n || typeof n.type !== 'string') return;
    const fn = n;
    if ((fn.type === 'FunctionExpression' || fn.type === 'FunctionDeclaration') && !fn.generator && !fn.async &&
        fn.body.type === 'BlockStatement' && !usesOwnThis(fn)) {
      if (fn.type === 'FunctionExpression' && built.known && arrowFits(fn, parent)) {
        const named = fn.id && a.bindingOf.get(fn.id);
        if (!named || !named.refs.length) {
          edits.push({ start: fn.start, end: fn.id ? fn.id.end : fn.start + 'function'.length, text: '' });
          arrowTail(code, fn, edits);
          arrows++;
        }
      } else if (fn.type === 'FunctionDeclaration' && fn.id && !/^\$([0-9]*|[A-Z])$/.test(fn.id.name) &&
          parent && (parent.type === 'Program' || (parent.type === 'BlockStatement' && isFunction(a.parents.get(parent) || {}))) &&
          plainlyCalled(a, fn, built)) {
        edits.push({ start: fn.start, end: fn.id.end, text: 'var ' + fn.id.name + '=' });
        const end = arrowTail(code, fn, edits);
        const next = code.slice(fn.end).match(/^\s*(.?)/)[1];
        if (next !== ';' && next !== '}' && next !== '') {
          if (end) end.text += ';';
          else edits.push({ start: fn.end - 1, end: fn.end, text: '};' });
        }
        arrows++;
      }
    }
    for (const c of children(n)) visit(c, n);
  };
  visit(ast, null);
  if (!edits.length) return { code, map, arrows };
  const out = applyEdits(code, edits);
  return { code: out.code, map: map ? remap(typeof map === 'string' ? JSON.parse(map) : map, code, out) : null, arrows };
}
