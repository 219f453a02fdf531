// Parse a bundle with acorn and resolve every identifier to its binding (lexical scope analysis).
// Used by the dialect gate (hoisting, keyword names, shadowed built-ins) and by the post-pass renamer.
//
// Model: a scope per Program, function (params + body share it), block, for/for-in/for-of head,
// catch clause, class (its inner name) and named function expression (its own name). `var` and
// top-level function declarations bind in the nearest function scope; let/const/class and function
// declarations nested in blocks bind in the block (ES2015 strict semantics, what esbuild emits).
import * as acorn from 'acorn';

/** Parse as a classic script (what Espruino runs). Throws acorn's SyntaxError with .loc. */
export function parseScript(code, sourceType = 'script') {
  return acorn.parse(code, {
    ecmaVersion: 'latest',
    sourceType,
    allowHashBang: true,
    allowReturnOutsideFunction: false,
    locations: true,
  });
}

const SKIP_KEYS = new Set(['type', 'start', 'end', 'loc', 'range', 'raw', 'regex', 'bigint', 'value']);

/** Child nodes of any ESTree node, in source order. */
export function children(node) {
  const out = [];
  for (const key of Object.keys(node)) {
    if (SKIP_KEYS.has(key) && !(key === 'value' && node.type !== 'Literal')) continue;
    const v = node[key];
    if (Array.isArray(v)) {
      for (const c of v) if (c && typeof c.type === 'string') out.push(c);
    } else if (v && typeof v.type === 'string') out.push(v);
  }
  return out.sort((a, b) => a.start - b.start);
}

/** Every identifier name and string-literal value of the tree: a name outside it captures nothing. */
export function usedNames(ast) {
  const used = new Set();
  (function collect(n) {
    if (n.type === 'Identifier') used.add(n.name);
    if (n.type === 'Literal' && typeof n.value === 'string') used.add(n.value);
    for (const c of children(n)) collect(c);
  })(ast);
  return used;
}

export function isFunction(n) {
  return n.type === 'FunctionDeclaration' || n.type === 'FunctionExpression' || n.type === 'ArrowFunctionExpression';
}

class Scope {
  constructor(kind, node, parent) {
    this.kind = kind; // 'program' | 'function' | 'block' | 'catch' | 'class' | 'fname'
    this.node = node;
    this.parent = parent;
    this.bindings = new Map();
    this.fn = kind === 'program' || kind === 'function' ? this : parent ? parent.fn : this;
  }
  lookup(name) {
    for (let s = this; s; s = s.parent) {
      const b = s.bindings.get(name);
      if (b) return b;
    }
    return null;
  }
}

/** Names bound by a pattern (Identifier, ObjectPattern, ArrayPattern, RestElement, AssignmentPattern). */
export function patternIds(p, out = []) {
  if (!p) return out;
  switch (p.type) {
    case 'Identifier': out.push(p); break;
    case 'ObjectPattern': for (const q of p.properties) patternIds(q.type === 'RestElement' ? q : q.value, out); break;
    case 'ArrayPattern': for (const q of p.elements) patternIds(q, out); break;
    case 'RestElement': patternIds(p.argument, out); break;
    case 'AssignmentPattern': patternIds(p.left, out); break;
  }
  return out;
}

/**
 * Analyse a parsed Program. Returns {
 *   scopes, bindings: Binding[], refs: Ref[], declIds: Set<Identifier>,
 *   parents: Map<node, parent>, fnOf: Map<node, enclosing function node | Program>,
 *   scopeOf: Map<node, Scope> (scope owned by a node), globals: Map<name, Ref[]>,
 *   refOf: Map<Identifier, Ref> (a reference's record), bindingOf: Map<Identifier, Binding> (a declared name's)
 * }
 * Binding = { name, kind, id, decl, scope, refs: Ref[] }; Ref = { id, scope, binding|null, write }.
 */
export function analyze(ast) {
  const parents = new Map();
  const scopeOf = new Map();
  const bindings = [];
  const refs = [];
  const declIds = new Set();
  const nonRefIds = new Set(); // property keys, member names, labels: not variable references
  const globals = new Map();
  const refOf = new Map();
  const bindingOf = new Map();

  function declare(scope, id, kind, decl) {
    const existing = scope.bindings.get(id.name);
    declIds.add(id);
    if (existing) {
      bindingOf.set(id, existing);
      existing.ids.push(id);
      if (kind === 'function') existing.kind = existing.kind === 'param' ? existing.kind : kind;
      existing.decls.push(decl);
      return existing;
    }
    const b = { name: id.name, kind, id, ids: [id], decl, decls: [decl], scope, refs: [] };
    scope.bindings.set(id.name, b);
    bindingOf.set(id, b);
    bindings.push(b);
    return b;
  }

  // Pass 1: scopes and declarations.
  function enter(node, parent, scope) {
    parents.set(node, parent);
    let inner = scope;
    switch (node.type) {
      case 'Program':
        inner = new Scope('program', node, null);
        scopeOf.set(node, inner);
        break;
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression': {
        let outer = scope;
        if (node.type === 'FunctionDeclaration' && node.id) {
          const target = parent && (parent.type === 'Program' || isFunctionBody(parent)) ? scope.fn : scope;
          declare(target, node.id, 'function', node);
        }
        if (node.type === 'FunctionExpression' && node.id) {
          outer = new Scope('fname', node, scope);
          declare(outer, node.id, 'fname', node);
        }
        inner = new Scope('function', node, outer);
        scopeOf.set(node, inner);
        for (const p of node.params) for (const id of patternIds(p)) declare(inner, id, 'param', node);
        break;
      }
      case 'ClassDeclaration':
      case 'ClassExpression': {
        if (node.type === 'ClassDeclaration' && node.id) declare(scope, node.id, 'class', node);
        inner = new Scope('class', node, scope);
        if (node.id) declare(inner, node.id, 'class-inner', node);
        scopeOf.set(node, inner);
        break;
      }
      case 'BlockStatement':
        if (!(parent && isFunction(parent))) {
          inner = new Scope('block', node, scope);
          scopeOf.set(node, inner);
        }
        break;
      case 'ForStatement':
      case 'ForInStatement':
      case 'ForOfStatement':
      case 'SwitchStatement':
      case 'StaticBlock':
        inner = new Scope(node.type === 'StaticBlock' ? 'function' : 'block', node, scope);
        scopeOf.set(node, inner);
        break;
      case 'CatchClause':
        inner = new Scope('catch', node, scope);
        scopeOf.set(node, inner);
        if (node.param) for (const id of patternIds(node.param)) declare(inner, id, 'catch', node);
        break;
      case 'VariableDeclaration':
        for (const d of node.declarations) {
          const target = node.kind === 'var' ? scope.fn : scope;
          for (const id of patternIds(d.id)) declare(target, id, node.kind, d);
        }
        break;
      case 'MemberExpression':
        if (!node.computed) nonRefIds.add(node.property);
        break;
      case 'Property':
      case 'MethodDefinition':
      case 'PropertyDefinition':
        if (!node.computed && node.key.type === 'Identifier' && !(node.type === 'Property' && node.shorthand)) {
          nonRefIds.add(node.key);
        }
        if (node.type === 'Property' && node.shorthand && node.key !== node.value) nonRefIds.add(node.key);
        break;
      case 'LabeledStatement':
      case 'BreakStatement':
      case 'ContinueStatement':
        if (node.label) nonRefIds.add(node.label);
        break;
      case 'MetaProperty':
        nonRefIds.add(node.meta);
        nonRefIds.add(node.property);
        break;
      case 'ImportSpecifier':
      case 'ImportDefaultSpecifier':
      case 'ImportNamespaceSpecifier':
        if (node.imported && node.imported !== node.local) nonRefIds.add(node.imported);
        declare(scope.fn, node.local, 'import', node);
        break;
      case 'ExportSpecifier':
        if (node.exported && node.exported !== node.local) nonRefIds.add(node.exported);
        if (parent && parent.source) nonRefIds.add(node.local); // export { x } from '...'
        break;
      case 'ExportAllDeclaration':
        if (node.exported) nonRefIds.add(node.exported);
        break;
    }
    node.__scope = inner;
    for (const c of children(node)) enter(c, node, inner);
  }
  function isFunctionBody(n) {
    const p = parents.get(n);
    return n.type === 'BlockStatement' && p && isFunction(p);
  }
  enter(ast, null, null);

  // Pass 2: resolve references.
  function resolve(node) {
    if (node.type === 'Identifier' && !declIds.has(node) && !nonRefIds.has(node)) {
      const scope = parents.get(node).__scope;
      const binding = scope.lookup(node.name);
      const ref = { id: node, scope, binding, write: isWrite(node) };
      refs.push(ref);
      refOf.set(node, ref);
      if (binding) binding.refs.push(ref);
      else {
        if (!globals.has(node.name)) globals.set(node.name, []);
        globals.get(node.name).push(ref);
      }
    }
    for (const c of children(node)) resolve(c);
  }
  function isWrite(id) {
    const p = parents.get(id);
    return (p.type === 'AssignmentExpression' && p.left === id) || (p.type === 'UpdateExpression');
  }
  resolve(ast);

  // Enclosing function (or Program) of every node.
  const fnOf = new Map();
  (function mark(node, fn) {
    fnOf.set(node, fn);
    const next = isFunction(node) ? node : fn;
    for (const c of children(node)) mark(c, next);
  })(ast, ast);

  return { ast, parents, scopeOf, bindings, refs, declIds, nonRefIds, globals, fnOf, refOf, bindingOf };
}
