// The Espruino dialect rules. Each finding is { rule, message, node|start }.
// Facts: probes on the real interpreter (Espruino 2v29, github:espruino/Espruino) as recorded in
// docs/BUILD.md and build/espruino-api.json. Rule names are stable: tests and
// the README refer to them.
import { readFileSync } from 'node:fs';
import { analyze, children, isFunction } from './scope.mjs';
import {
  ESPRUINO_BUILTIN_MODULES, FORBIDDEN_IDENTIFIERS, MISSING_GLOBALS, GLOBAL_MEMBERS, MISSING_METHODS,
  ITERATOR_METHODS, PROTOTYPE_GLOBALS, BUILTIN_CLASSES,
} from './dialect.mjs';

/** Every rule with a one-line description (README, `check --rules`). */
export const RULES = {
  'parse-error': 'the file is not valid JavaScript',
  async: 'async functions / await / for await (no async on the interpreter)',
  generator: 'generator functions and yield',
  destructuring: 'object/array destructuring patterns',
  'spread-rest': 'spread (...x) in calls, arrays, objects; rest parameters and elements',
  'default-param': 'default values for parameters or destructured bindings',
  exponent: 'the ** and **= operators',
  'optional-chain': 'optional chaining a?.b, a?.[k], f?.()',
  'logical-assignment': '&&=, ||=, ??=',
  'tagged-template': 'tagged templates (including String.raw`...`)',
  'computed-key': 'computed keys in object literals and class bodies',
  'private-member': 'private #names in classes',
  'class-field': 'a class field without an initializer (`k;` does not parse), or an instance field initialized with anything but a number, string, boolean or null literal (evaluated once, on the prototype)',
  bigint: 'BigInt literals (1n)',
  'class-static-inherit': 'a static member reached through a subclass, or super in a static method',
  'class-static-block': 'static { } blocks in classes',
  'class-extends-builtin': 'class extends a built-in (Array, Error, Uint8Array ...)',
  'labeled-statement': 'labeled statements (labeled break/continue)',
  'new-target': 'new.target / import.meta',
  'quoted-accessor': 'get/set with a quoted key in an object literal',
  regex: 'regular-expression features the interpreter lacks',
  'unknown-global': 'a read of a global the interpreter does not define (not in Espruino 2v29\'s API list): a ReferenceError at run time',
  'regex-position': 'a regex literal where the interpreter\'s lexer reads `/` as division (after `)`, `]`, a name or a value)',
  'missing-builtin': 'a built-in global, static member or method the interpreter lacks',
  hoisting: 'a function declaration or var used before its statement has run',
  'keyword-identifier': 'an identifier named of / static / let, or a parameter named undefined',
  'prototype-builtin': 'a built-in reached through X.prototype (reads undefined on the interpreter)',
  'array-hole': 'an array literal with holes ([1,,2])',
  'comma-index': 'a comma expression as an index (a[b,c])',
  'array-length-assign': 'assigning to .length (arr.length = n)',
  require: 'require() of anything but a built-in module of the ESP32 build',
  'loop-closure': 'a closure capturing a let/const of a for-loop head (no per-iteration binding)',
  'arrow-arguments': '`arguments` inside an arrow function (not the outer function\'s there)',
  'non-ascii': 'non-ASCII source text, or a string with characters above U+00FF (no Unicode on the ESP32 build)',
  'asi-return': '`return` then a line break then an expression (the interpreter returns the expression)',
  'bundle-size': 'the bundle is over the 65,536-byte budget',
};

/** Regular-expression features the interpreter lacks, as messages (empty if fine). */
export function regexProblems(pattern, flags) {
  const out = [];
  const add = (m) => { if (!out.includes(m)) out.push(m); };
  for (const f of flags) if ('muvd'.includes(f)) add(`the ${f} flag`);
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const n = pattern[i + 1];
      if (!inClass && (n === 'b' || n === 'B')) add('\\' + n + ' word boundary');
      else if (!inClass && n >= '1' && n <= '9') add('back-reference \\' + n);
      else if (n === 'k' && pattern[i + 2] === '<') add('named back-reference \\k<...>');
      else if (n === 'u') add('\\u escape');
      else if (n === 'p' || n === 'P') add('\\' + n + '{...} property escape');
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') { inClass = true; continue; }
    if (c === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2);
      if (rest.startsWith(':')) add('non-capturing group (?:...)');
      else if (rest.startsWith('=') || rest.startsWith('!')) add('lookahead (?' + rest[0] + '...)');
      else if (rest.startsWith('<=') || rest.startsWith('<!')) add('lookbehind (?' + rest.slice(0, 2) + '...)');
      else if (rest.startsWith('<')) add('named group (?<name>...)');
      else add('group modifier (?' + rest[0] + '...)');
      i += 1;
      continue;
    }
    if (c === '{') {
      const m = /^\{(\d+)(,\d*)?\}/.exec(pattern.slice(i));
      if (m) {
        add('{n,m} quantifier');
        i += m[0].length - 1;
        if (pattern[i + 1] === '?') { add('lazy quantifier'); i++; }
      }
      continue;
    }
    if ((c === '*' || c === '+' || c === '?') && pattern[i + 1] === '?') {
      add('lazy quantifier ' + c + '?');
      i++;
    }
  }
  return out;
}

function propName(member) {
  if (!member.computed && member.property.type === 'Identifier') return member.property.name;
  if (member.computed && member.property.type === 'Literal' && typeof member.property.value === 'string') {
    return member.property.value;
  }
  return null;
}

// Espruino 2v29's lexer (src/jslex.c, JSLJT_FORWARDSLASH) reads `/` as the start of a regex only after
// the start of the text, a keyword or operator token (not true/false/null/undefined), or one of
// ! % & * + - / < = > ? [ { } ( , ; : -- after `)`, `]`, `|`, `^`, `~`, a name or a value it is a division.
const REGEX_AFTER_CHARS = '!%&*+-/<=>?[{}(,;:';
const VALUE_WORDS = new Set(['true', 'false', 'null', 'undefined', 'this', 'super']);

/** The token that ends just before `pos` (an operator's last char, or a word), or '' at the start. */
function tokenBefore(code, pos) {
  let i = pos - 1;
  while (i >= 0 && /\s/.test(code[i])) i--;
  if (i < 0) return '';
  if (/[A-Za-z0-9_$]/.test(code[i])) {
    let j = i;
    while (j > 0 && /[A-Za-z0-9_$]/.test(code[j - 1])) j--;
    return code.slice(j, i + 1);
  }
  if (code[i] === '|' && code[i - 1] === '|') return '||';
  return code[i];
}

function regexMayFollow(before) {
  if (before === '' || before === '||') return true;
  if (/^[A-Za-z_$]/.test(before)) return KEYWORDS.has(before) && !VALUE_WORDS.has(before);
  if (/^[0-9]/.test(before)) return false;
  return REGEX_AFTER_CHARS.includes(before);
}

const KEYWORDS = new Set(['break', 'case', 'catch', 'class', 'const', 'continue', 'debugger', 'default', 'delete', 'do',
  'else', 'export', 'extends', 'finally', 'for', 'function', 'if', 'import', 'in', 'instanceof', 'let', 'new', 'return',
  'switch', 'throw', 'try', 'typeof', 'var', 'void', 'while', 'with', 'yield', 'await', 'of']);

// Globals a bundle may read without declaring them: Espruino 2v29's API (build/espruino-api.json, from
// its sources: classes, global functions and objects) and the language's own value names.
const KNOWN_GLOBALS = new Set([
  ...Object.keys(JSON.parse(readFileSync(new URL('./espruino-api.json', import.meta.url), 'utf8')).api),
  'undefined', 'NaN', 'Infinity', 'arguments', 'this',
]);

/** Run every rule over a parsed Program. */
export function runRules(ast, code) {
  const a = analyze(ast);
  const findings = [];
  const add = (rule, node, message) => findings.push({ rule, start: node.start, loc: node.loc.start, message });
  const isGlobalRef = (id, name) => id && id.type === 'Identifier' && id.name === name && !a.declIds.has(id)
    && !a.nonRefIds.has(id) && !a.parents.get(id).__scope.lookup(name);
  const globalName = (id) => (id && id.type === 'Identifier' && !a.declIds.has(id) && !a.nonRefIds.has(id)
    && !a.parents.get(id).__scope.lookup(id.name) ? id.name : null);
  const underTypeof = (id) => {
    const p = a.parents.get(id);
    return p && p.type === 'UnaryExpression' && p.operator === 'typeof';
  };

  // ---- syntax, built-ins, misc (one walk) ----
  (function walk(node) {
    const p = a.parents.get(node);
    switch (node.type) {
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
        if (node.async) add('async', node, 'async function');
        if (node.generator) add('generator', node, 'generator function');
        for (const prm of node.params) {
          if (prm.type === 'Identifier' && prm.name === 'undefined') {
            add('keyword-identifier', prm, 'a parameter named undefined is a syntax error');
          }
        }
        break;
      case 'AwaitExpression': add('async', node, 'await'); break;
      case 'ReturnStatement':
        // `return` then a newline then an expression: standard JS returns undefined, Espruino the value
        if (!node.argument) {
          const rest = code.slice(node.end);
          const m = /^[ \t]*(\/\/[^\n]*)?\r?\n\s*([^\s;}])/.exec(rest);
          if (m && code[node.end - 1] !== ';') add('asi-return', node, '`return` followed by a line break and an expression: the interpreter returns the expression');
        }
        break;
      case 'ForOfStatement': if (node.await) add('async', node, 'for await'); break;
      case 'YieldExpression': add('generator', node, 'yield'); break;
      case 'ObjectPattern': case 'ArrayPattern': add('destructuring', node, 'destructuring pattern'); break;
      case 'SpreadElement': add('spread-rest', node, 'spread ...'); break;
      case 'RestElement': add('spread-rest', node, 'rest ...'); break;
      case 'AssignmentPattern': add('default-param', node, 'default value in a parameter or binding'); break;
      case 'BinaryExpression':
        if (node.operator === '**') add('exponent', node, '** operator (use an integer literal, or Math.pow where inexact results are fine: Math.pow(2,32) is 4294967295.99999666 there)');
        break;
      case 'AssignmentExpression':
        if (node.operator === '**=') add('exponent', node, '**= operator');
        if (['&&=', '||=', '??='].includes(node.operator)) add('logical-assignment', node, node.operator + ' operator');
        // `this.length = n` sets a field of a class instance (not an array: class extends Array is flagged)
        if (node.left.type === 'MemberExpression' && propName(node.left) === 'length' && node.left.object.type !== 'ThisExpression') {
          add('array-length-assign', node, 'assigning .length (arr.length = n fails: use splice)');
        }
        break;
      case 'UpdateExpression':
        if (node.argument.type === 'MemberExpression' && propName(node.argument) === 'length' && node.argument.object.type !== 'ThisExpression') {
          add('array-length-assign', node, 'changing .length with ' + node.operator);
        }
        break;
      case 'ChainExpression': add('optional-chain', node, 'optional chaining ?.'); break;
      case 'TaggedTemplateExpression': add('tagged-template', node, 'tagged template'); break;
      case 'Property':
        if (p.type === 'ObjectExpression') {
          if (node.computed) add('computed-key', node, 'computed key in an object literal');
          if ((node.kind === 'get' || node.kind === 'set') && !node.computed && node.key.type === 'Literal') {
            add('quoted-accessor', node, node.kind + ' with a quoted key ' + JSON.stringify(String(node.key.value)));
          }
        }
        break;
      case 'MethodDefinition':
      case 'PropertyDefinition':
        if (node.computed) add('computed-key', node, 'computed class member');
        // 2v29 (src/jsparse.c, jspeClassDefinition) parses a class field only as `name = value;`: a bare
        // `k;` stops the whole script at parse time ("Got ';' expected '='"). And it evaluates the value
        // once, when the class is defined, and stores it on the prototype (static: on the class), so an
        // object or array there is shared by every instance and `this` is not the instance.
        if (node.type === 'PropertyDefinition') {
          const name = (node.static ? 'static ' : '') + (node.key.type === 'Identifier' ? node.key.name : String(node.key.value));
          const v = node.value;
          if (v === null) add('class-field', node, 'class field ' + name + ' without an initializer (Espruino only parses `' + name + ' = value;`; assign it in the constructor)');
          else if (!node.static && !(v.type === 'Literal' && !v.regex && !v.bigint) && !(v.type === 'UnaryExpression' && v.operator === '-' && v.argument.type === 'Literal' && typeof v.argument.value === 'number')) {
            add('class-field', node, 'class field ' + name + ' initialized with an expression (Espruino evaluates it once and puts it on the prototype: assign it in the constructor)');
          }
        }
        break;
      case 'PrivateIdentifier': add('private-member', node, 'private #' + node.name); break;
      case 'StaticBlock': add('class-static-block', node, 'static { } block'); break;
      case 'TemplateElement':
        if (node.value.cooked && /[^\u0000-\u00ff]/.test(node.value.cooked)) add('non-ascii', node, 'template text with a character above U+00FF');
        break;
      case 'Literal':
        if (typeof node.value === 'string' && /[^\u0000-\u00ff]/.test(node.value)) {
          add('non-ascii', node, 'string with a character above U+00FF (strings are 8-bit on the ESP32 build)');
        }
        if (node.bigint !== undefined) add('bigint', node, 'BigInt literal ' + node.raw);
        if (node.regex) {
          for (const m of regexProblems(node.regex.pattern, node.regex.flags)) add('regex', node, m + ' in ' + node.raw);
          const before = tokenBefore(code, node.start);
          if (!regexMayFollow(before)) add('regex-position', node, node.raw + ' after `' + before + '` is lexed as a division by Espruino (src/jslex.c): keep the regex in a variable');
        }
        break;
      case 'LabeledStatement': add('labeled-statement', node, 'label ' + node.label.name + ':'); break;
      case 'MetaProperty': add('new-target', node, node.meta.name + '.' + node.property.name); break;
      case 'ClassDeclaration':
      case 'ClassExpression': {
        const sup = globalName(node.superClass);
        if (sup && BUILTIN_CLASSES.includes(sup)) add('class-extends-builtin', node.superClass, 'class extends ' + sup);
        break;
      }
      case 'ArrayExpression':
        if (node.elements.some((e) => e === null)) add('array-hole', node, 'array literal with holes');
        break;
      case 'MemberExpression': {
        if (node.computed && node.property.type === 'SequenceExpression') {
          add('comma-index', node.property, 'comma expression as an index a[b,c]');
        }
        const g = globalName(node.object);
        const name = propName(node);
        // G.prototype.x: built-in methods are not reachable there (reads undefined; writes replace natives)
        if (node.object.type === 'MemberExpression' && propName(node.object) === 'prototype') {
          const pg = globalName(node.object.object);
          if (pg && PROTOTYPE_GLOBALS.includes(pg)) {
            add('prototype-builtin', node, pg + '.prototype.' + (name || '[...]') + ': built-ins are not reachable through ' + pg + '.prototype on the interpreter (write [].slice, "".charCodeAt ...)');
          }
        }
        const writeTarget = p.type === 'AssignmentExpression' && p.left === node;
        if ((g === 'globalThis' || g === 'global') && name && Object.prototype.hasOwnProperty.call(MISSING_GLOBALS, name) && !writeTarget
          && !(p.type === 'UnaryExpression' && p.operator === 'typeof')) {
          add('missing-builtin', node, MISSING_GLOBALS[name]);
        }
        if (g && name !== null && GLOBAL_MEMBERS[g] && !writeTarget) {
          const spec = GLOBAL_MEMBERS[g];
          if ((spec.allow && !spec.allow.includes(name)) || (spec.deny && spec.deny.includes(name))) {
            add('missing-builtin', node, g + '.' + name + ' is missing');
          }
        }
        break;
      }
      case 'CallExpression':
      case 'NewExpression': {
        const callee = node.callee;
        if (callee.type === 'MemberExpression') {
          const name = propName(callee);
          const g = globalName(callee.object);
          if (name && Object.prototype.hasOwnProperty.call(MISSING_METHODS, name) && !(g && GLOBAL_MEMBERS[g])) {
            add('missing-builtin', callee.property, '.' + name + '(): ' + MISSING_METHODS[name]);
          }
          if (name && ITERATOR_METHODS.includes(name) && g !== 'Object' && node.arguments.length === 0) {
            add('missing-builtin', callee.property, '.' + name + '() iterator: Array/typed-array iterators are missing (use Object.' + name + ' or an index loop)');
          }
          if (g === 'JSON' && name === 'stringify' && node.arguments.length > 1) {
            add('missing-builtin', node, 'JSON.stringify ignores replacer and indent arguments');
          }
          if (g === 'JSON' && name === 'parse' && node.arguments.length > 1) {
            add('missing-builtin', node, 'JSON.parse ignores a reviver');
          }
        }
        if (callee.type === 'Identifier' && ['Error', 'TypeError', 'SyntaxError', 'ReferenceError'].includes(globalName(callee) || '')
          && node.arguments.length > 1) {
          add('missing-builtin', node, callee.name + '(message, options): the cause option is ignored');
        }
        if (isGlobalRef(callee, 'RegExp') && node.arguments.length > 0) {
          const pat = staticString(node.arguments[0]);
          const flags = node.arguments[1] ? staticString(node.arguments[1]) : '';
          if (pat !== null) {
            for (const m of regexProblems(pat, flags || '')) add('regex', node, m + ' in RegExp(' + JSON.stringify(pat) + ')');
          } else if (flags && /[muvd]/.test(flags)) {
            for (const m of regexProblems('', flags)) add('regex', node, m);
          }
        }
        if (node.type === 'CallExpression' && isGlobalRef(callee, 'require')) {
          const arg = node.arguments[0];
          const mod = arg ? staticString(arg) : null;
          if (mod === null) add('require', node, 'require() with a computed module name');
          else if (!ESPRUINO_BUILTIN_MODULES.includes(mod)) {
            add('require', node, 'require("' + mod + '"): not a built-in module of the ESP32 build (' + ESPRUINO_BUILTIN_MODULES.join(', ') + ')');
          }
        }
        break;
      }
      case 'Identifier': {
        const decl = a.declIds.has(node);
        const ref = !decl && !a.nonRefIds.has(node);
        if ((decl || ref) && FORBIDDEN_IDENTIFIERS.includes(node.name)) {
          add('keyword-identifier', node, 'identifier `' + node.name + '` is a keyword on the interpreter');
        }
        if (ref && !a.parents.get(node).__scope.lookup(node.name)) {
          if (Object.prototype.hasOwnProperty.call(MISSING_GLOBALS, node.name) && !underTypeof(node)) {
            add('missing-builtin', node, MISSING_GLOBALS[node.name]);
          }
          if (node.name === 'require' && !underTypeof(node) && !(p.type === 'CallExpression' && p.callee === node)) {
            add('require', node, 'require used as a value (only require("<built-in>") calls are allowed)');
          }
          const assigned = p.type === 'AssignmentExpression' && p.left === node;
          if (!underTypeof(node) && !assigned && !KNOWN_GLOBALS.has(node.name)) {
            add('unknown-global', node, '`' + node.name + '` is not declared and is not a global of Espruino 2v29');
          }
          if (node.name === 'arguments') {
            const fn = a.fnOf.get(node);
            if (fn.type === 'ArrowFunctionExpression') add('arrow-arguments', node, '`arguments` inside an arrow function');
          }
        }
        break;
      }
    }
    for (const c of children(node)) walk(c);
  })(ast);

  // raw non-ASCII text: the ESP32 build reads source as bytes (a UTF-8 "é" is two characters there)
  const lineRe = /[^\x00-\x7f]/g;
  let lastLine = -1;
  for (let m = lineRe.exec(code); m; m = lineRe.exec(code)) {
    const before = code.slice(0, m.index);
    const line = before.split('\n').length;
    if (line === lastLine) continue;
    lastLine = line;
    const column = m.index - before.lastIndexOf('\n') - 1;
    findings.push({ rule: 'non-ascii', start: m.index, loc: { line, column }, message: 'non-ASCII character U+' + m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0') + ' in the source (the ESP32 build has no Unicode: write \\x escapes)' });
  }

  staticInheritance(a, add);
  loopClosures(a, add);
  hoisting(a, add);
  findings.sort((x, y) => x.start - y.start);
  return findings;
}

function staticString(n) {
  if (n.type === 'Literal' && typeof n.value === 'string') return n.value;
  if (n.type === 'TemplateLiteral' && n.expressions.length === 0) return n.quasis[0].value.cooked;
  return null;
}

// ---- class static inheritance ----
function staticInheritance(a, add) {
  const classes = new Map(); // binding -> { node, parentBinding, statics:Set }
  for (const b of a.bindings) {
    let cls = null;
    if (b.kind === 'class' && b.decl.type === 'ClassDeclaration') cls = b.decl;
    else if (b.decl && b.decl.type === 'VariableDeclarator' && b.decl.init && b.decl.init.type === 'ClassExpression' && b.decls.length === 1) cls = b.decl.init;
    if (!cls) continue;
    const statics = new Set();
    for (const m of cls.body.body) {
      if (m.static && !m.computed && m.key && (m.key.type === 'Identifier' || m.key.type === 'Literal')) statics.add(String(m.key.name ?? m.key.value));
    }
    let parentBinding = null;
    if (cls.superClass && cls.superClass.type === 'Identifier') parentBinding = a.parents.get(cls.superClass).__scope.lookup(cls.superClass.name);
    classes.set(b, { node: cls, parentBinding, statics });
  }
  // Statics added after the class: C.x = ..., or esbuild's lowered __publicField(C, "x", v).
  for (const [b, info] of classes) {
    for (const r of b.refs) {
      const p = a.parents.get(r.id);
      if (p.type === 'MemberExpression' && p.object === r.id) {
        const gp = a.parents.get(p);
        const n = propName(p);
        if (n && gp.type === 'AssignmentExpression' && gp.left === p) info.statics.add(n);
      }
      if (p.type === 'CallExpression' && p.arguments[0] === r.id && p.arguments.length === 3 && staticString(p.arguments[1]) !== null) {
        info.statics.add(staticString(p.arguments[1]));
      }
    }
  }
  const inherited = (info) => {
    const out = new Set();
    let seen = 0;
    for (let q = info.parentBinding && classes.get(info.parentBinding); q && seen < 50; q = q.parentBinding && classes.get(q.parentBinding), seen++) {
      for (const s of q.statics) out.add(s);
    }
    return out;
  };
  for (const [b, info] of classes) {
    if (!info.parentBinding) continue;
    const inh = inherited(info);
    const reported = new Set();
    const check = (member, via) => {
      const n = propName(member);
      if (n && inh.has(n) && !info.statics.has(n) && !reported.has(member)) {
        reported.add(member);
        add('class-static-inherit', member, 'static `' + n + '` of a parent class reached through ' + via);
      }
    };
    for (const r of b.refs) {
      const p = a.parents.get(r.id);
      if (p.type === 'MemberExpression' && p.object === r.id) check(p, 'the subclass');
    }
    // super.x / this.x inside static methods of the subclass
    for (const m of info.node.body.body) {
      if (!m.static || !m.value) continue;
      (function scan(n, fnDepth) {
        if (n.type === 'MemberExpression' && n.object.type === 'Super') {
          add('class-static-inherit', n, 'super.' + (propName(n) || '[...]') + ' in a static method');
        } else if (n.type === 'MemberExpression' && n.object.type === 'ThisExpression' && fnDepth === 0) check(n, 'this in a static method');
        for (const c of children(n)) scan(c, fnDepth + (n !== m.value && (n.type === 'FunctionExpression' || n.type === 'FunctionDeclaration') ? 1 : 0));
      })(m.value, 0);
    }
  }
}

// ---- closures over let/const of a for-loop head ----
// The interpreter keeps one binding for the whole loop, so a closure that runs after its iteration
// sees the last value. A closure that provably runs during its own iteration is fine: called on the
// spot, handed to an array method that calls back synchronously, or passed to a function of this file
// that only calls that parameter directly (e.g. a test `group(name, fn)` helper).
const SYNC_ARRAY_METHODS = ['forEach', 'map', 'filter', 'some', 'every', 'find', 'findIndex', 'reduce', 'sort'];
function loopClosures(a, add) {
  function syncParam(fnNode, index) {
    const prm = fnNode.params[index];
    if (!prm || prm.type !== 'Identifier') return false;
    const b = a.scopeOf.get(fnNode).bindings.get(prm.name);
    if (!b || b.refs.length === 0) return false;
    return b.refs.every((r) => {
      const p = a.parents.get(r.id);
      return p.type === 'CallExpression' && p.callee === r.id && a.fnOf.get(r.id) === fnNode;
    });
  }
  function runsInIteration(c) {
    const p = a.parents.get(c);
    if ((p.type === 'CallExpression' || p.type === 'NewExpression') && p.callee === c) return true;
    if (p.type !== 'CallExpression') return false;
    const k = p.arguments.indexOf(c);
    if (k < 0) return false;
    if (p.callee.type === 'MemberExpression' && SYNC_ARRAY_METHODS.includes(propName(p.callee)) && k === 0) return true;
    if (p.callee.type !== 'Identifier') return false;
    const b = a.parents.get(p.callee).__scope.lookup(p.callee.name);
    if (!b) return false;
    let target = null;
    if (b.kind === 'function' && b.decls.length === 1) target = b.decl;
    else if (b.decls.length === 1 && b.decl.type === 'VariableDeclarator' && b.decl.init && (b.decl.init.type === 'FunctionExpression' || b.decl.init.type === 'ArrowFunctionExpression')) target = b.decl.init;
    return !!target && syncParam(target, k);
  }
  for (const b of a.bindings) {
    if (b.kind !== 'let' && b.kind !== 'const') continue;
    const declaration = a.parents.get(b.decl);
    const loop = declaration && a.parents.get(declaration);
    if (!loop) continue;
    const head = (loop.type === 'ForStatement' && loop.init === declaration)
      || ((loop.type === 'ForInStatement' || loop.type === 'ForOfStatement') && loop.left === declaration);
    if (!head) continue;
    const loopFn = a.fnOf.get(loop);
    for (const r of b.refs) {
      // the outermost closure between the reference and the loop's own function
      let c = a.fnOf.get(r.id);
      if (c === loopFn || !(c.start >= loop.start && c.end <= loop.end)) continue;
      while (a.fnOf.get(c) !== loopFn) c = a.fnOf.get(c);
      if (runsInIteration(c)) continue;
      add('loop-closure', r.id, 'closure captures `' + b.name + '` of a for-loop head and may run after its iteration: the interpreter shares one binding (every closure sees the last value)');
      break;
    }
  }
}

// ---- hoisting ----
// Espruino hoists neither function declarations nor `var`: a name exists once its statement has run.
// For a binding declared in function (or program) T, every reference must run after the declaration.
// A reference directly in T's code runs at its source position. A reference inside a nested function
// F runs no earlier than F can first be activated ("earliest(F)"), found by following F's value:
//   - called, passed as an argument, or reached by a member access (f.call, table[i]): at that point
//     (a callee may call a callback synchronously);
//   - declared by name (function declaration, `var/let/const f = ...`): at the earliest activation of
//     any reference to the name; stored in an array or object literal, or as a class method: at the
//     earliest activation of the literal or class (or of the name it is bound to);
//   - returned, assigned or anything else: where that happens.
// Activation points inside nested functions map recursively into T's timeline; the equations are
// solved as a fixpoint (recursion and mutual recursion do not make a function run earlier).
function hoisting(a, add) {
  const memo = new Map(); // T -> Map(F -> earliest)

  function pos(T, node) {
    const F = a.fnOf.get(node);
    if (F === T) return node.start;
    if (F === a.ast) return Infinity; // outside T: cannot happen for T's own bindings
    return earliest(T, F);
  }

  function bindingOf(id) {
    return a.parents.get(id).__scope.lookup(id.name);
  }

  function refsAct(T, b, inside, depth) {
    let best = Infinity;
    for (const r of b.refs) {
      if (inside && r.id.start >= inside.start && r.id.end <= inside.end) continue;
      best = Math.min(best, act(T, r.id, depth + 1));
    }
    return best;
  }

  /** When can the value of expression `u` (a function, or a literal/class holding one) first be called? */
  function act(T, u, depth = 0) {
    if (depth > 40) return pos(T, u);
    if (u.type === 'ClassDeclaration' && u.id) {
      const b = a.parents.get(u).__scope.lookup(u.id.name);
      return b ? refsAct(T, b, u, depth) : pos(T, u);
    }
    const p = a.parents.get(u);
    if (!p) return Infinity;
    switch (p.type) {
      case 'CallExpression':
      case 'NewExpression':
        return pos(T, p);
      case 'MemberExpression':
        return p.object === u ? pos(T, p) : pos(T, u);
      case 'UnaryExpression':
        return p.operator === 'typeof' ? Infinity : pos(T, p);
      case 'ConditionalExpression':
        return p.test === u ? pos(T, u) : act(T, p, depth + 1);
      case 'LogicalExpression':
      case 'ArrayExpression':
        return act(T, p, depth + 1);
      case 'SequenceExpression':
        return p.expressions[p.expressions.length - 1] === u ? act(T, p, depth + 1) : pos(T, u);
      case 'Property': {
        const obj = a.parents.get(p);
        if (p.value !== u || obj.type !== 'ObjectExpression') return pos(T, u);
        const ns = exportTarget(obj);
        if (ns) {
          // esbuild's __export(ns, { name: () => value }): the getter runs when ns is read
          let best = Infinity;
          for (const r of ns.refs) if (!isExportCallArg(r.id)) best = Math.min(best, act(T, r.id, depth + 1));
          return best;
        }
        return act(T, obj, depth + 1);
      }
      case 'MethodDefinition':
      case 'PropertyDefinition':
        return p.value === u ? act(T, a.parents.get(a.parents.get(p)), depth + 1) : pos(T, u);
      case 'VariableDeclarator':
        if (p.init === u && p.id.type === 'Identifier') {
          const b = bindingOf(p.id);
          return b ? refsAct(T, b, u.type === 'ClassExpression' || isFunction(u) ? u : null, depth) : pos(T, u);
        }
        return pos(T, u);
      default:
        return pos(T, u);
    }
  }

  // esbuild's __export helper: `(target, all) => { for (var name in all) defineProperty(target, name,
  // { get: all[name], enumerable: true }) }`. espruino.md: Object.defineProperty with get works.
  // terser (build/terser.mjs) inlines the helper where it is used once: `((target, all) => {...})(ns, {...})`.
  const exportHelpers = new Map();
  function isExportHelper(callee) {
    let key = callee;
    let f = callee;
    if (callee.type === 'Identifier') {
      const b = bindingOf(callee);
      if (!b || b.decls.length !== 1 || b.decl.type !== 'VariableDeclarator' || !b.decl.init) return false;
      key = b;
      f = b.decl.init;
    } else if (!isFunction(callee)) return false;
    if (exportHelpers.has(key)) return exportHelpers.get(key);
    let ok = false;
    if (isFunction(f) && f.params.length === 2 && f.params.every((q) => q.type === 'Identifier')) {
      const all = f.params[1].name;
      (function scan(n) {
        if (ok) return;
        if (n.type === 'ForInStatement' && n.right.type === 'Identifier' && n.right.name === all) {
          (function inner(m) {
            if (m.type === 'Property' && !m.computed && m.key.type === 'Identifier' && m.key.name === 'get'
              && m.value.type === 'MemberExpression' && m.value.computed && m.value.object.type === 'Identifier'
              && m.value.object.name === all) ok = true;
            for (const c of children(m)) inner(c);
          })(n.body);
        }
        for (const c of children(n)) scan(c);
      })(f.body);
    }
    exportHelpers.set(key, ok);
    return ok;
  }
  function exportTarget(obj) {
    const call = a.parents.get(obj);
    if (!call || call.type !== 'CallExpression' || call.arguments[1] !== obj) return null;
    const target = call.arguments[0];
    if (!target || target.type !== 'Identifier' || !isExportHelper(call.callee)) return null;
    return bindingOf(target);
  }
  function isExportCallArg(id) {
    const call = a.parents.get(id);
    return call.type === 'CallExpression' && call.arguments[0] === id && call.arguments[1]
      && call.arguments[1].type === 'ObjectExpression' && isExportHelper(call.callee);
  }

  function compute(T, F) {
    if (F.type === 'FunctionDeclaration' && F.id) {
      const b = a.parents.get(F).__scope.lookup(F.id.name);
      return b ? refsAct(T, b, F, 0) : Infinity;
    }
    return act(T, F);
  }

  function earliest(T, F) {
    let byT = memo.get(T);
    if (!byT) memo.set(T, (byT = new Map()));
    if (byT.has(F)) return byT.get(F);
    byT.set(F, Infinity); // provisional; refined by the fixpoint below
    const v = compute(T, F);
    byT.set(F, Math.min(byT.get(F), v));
    return byT.get(F);
  }

  function stabilise(T) {
    const byT = memo.get(T);
    if (!byT) return;
    for (let round = 0; round < 100; round++) {
      const size = byT.size;
      let changed = false;
      for (const F of [...byT.keys()]) {
        const v = compute(T, F);
        if (v < byT.get(F)) {
          byT.set(F, v);
          changed = true;
        }
      }
      if (!changed && byT.size === size) return;
    }
  }

  const checks = [];
  for (const b of a.bindings) {
    if (b.kind !== 'var' && b.kind !== 'function') continue;
    const T = b.scope.fn.node;
    // A `var` exists from the moment its name is parsed (so `var E = f(E || {})`, esbuild's enum
    // pattern, is fine); a function once its declaration statement has run.
    const declEnd = Math.min(...b.decls.map((d) => (b.kind === 'var' && d.type === 'VariableDeclarator' ? d.id.end : d.end)));
    for (const r of b.refs) {
      const p = a.parents.get(r.id);
      if (p.type === 'UnaryExpression' && p.operator === 'typeof') continue;
      pos(T, r.id);
      checks.push({ b, r, T, declEnd });
    }
  }
  const stable = new Set();
  for (const c of checks) {
    if (!stable.has(c.T)) {
      stabilise(c.T);
      stable.add(c.T);
    }
  }
  for (const { b, r, T, declEnd } of checks) {
    const at = pos(T, r.id);
    if (at < declEnd) {
      const direct = a.fnOf.get(r.id) === T;
      const what = b.kind === 'function' ? 'function ' + b.name : 'var ' + b.name;
      add('hoisting', r.id, what + (direct ? ' is used before its declaration has run'
        : ' is used in a function that can run before the declaration has run') + ' (declared at ' + b.decls[0].loc.start.line + ':' + (b.decls[0].loc.start.column + 1) + ')');
    }
  }
}
