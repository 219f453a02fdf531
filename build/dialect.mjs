// Facts about the target dialect shared by the build and the gate: probe results on Espruino 2v29
// (github:espruino/Espruino, RELEASE_2V29) and the module list of its ESP32 IDF5 build. docs/BUILD.md
// lists them; build/espruino-api.json holds the API names read from the 2v29 sources.

/** Built-in modules of the ESP32 (IDF5) Espruino build: the only require() targets allowed. */
export const ESPRUINO_BUILTIN_MODULES = [
  'timer', 'Flash', 'Storage', 'heatshrink', 'fs', 'net', 'dgram', 'tls', 'http', 'NetworkJS',
  'Wifi', 'TelnetServer', 'crypto', 'neopixel',
];

/** The bundle budget in bytes (the flashed file, as written). */
export const BUDGET_BYTES = 65536;

/**
 * What esbuild may emit as is (true) or must lower (false).
 * - false where esbuild's lowering runs on the interpreter: `?.` (to `a==null?void 0:a.b`), `&&=` `||=`
 *   `??=`, class static fields (its __publicField helper, listed as working in espruino.md).
 * - false where esbuild cannot lower at all: it then refuses to build and names the source line
 *   (destructuring, default/rest parameters, array spread, async, generators, BigInt, some regex).
 * - true (kept as written, so the gate reports it at the source line) where esbuild's lowering would
 *   not run or would be wrong on the interpreter: `**` (lowered to Math.pow, and Math.pow(2,32) is
 *   4294967295.99999666 there), object spread/rest (helpers read Object.prototype.hasOwnProperty and
 *   Object.getOwnPropertySymbols), #private members (lowered with WeakMap/WeakSet).
 */
export const ESBUILD_SUPPORTED = {
  'arbitrary-module-namespace-names': false,
  'array-spread': false,
  'arrow': true,
  'async-await': false,
  'async-generator': false,
  'bigint': false,
  'class': true,
  'class-field': false, // lowered into the constructor: 2v29 parses only `k = v;` fields, evaluates v once and puts it on the prototype
  'class-private-accessor': true, // kept: lowering needs WeakMap/WeakSet
  'class-private-brand-check': true, // kept: lowering needs WeakMap/WeakSet
  'class-private-field': true, // kept: lowering needs WeakMap/WeakSet
  'class-private-method': true, // kept: lowering needs WeakMap/WeakSet
  'class-private-static-accessor': true, // kept: lowering needs WeakMap/WeakSet
  'class-private-static-field': true, // kept: lowering needs WeakMap/WeakSet
  'class-private-static-method': true, // kept: lowering needs WeakMap/WeakSet
  'class-static-blocks': false,
  'class-static-field': false,
  'const-and-let': true,
  'decorators': false,
  'default-argument': false,
  'destructuring': false,
  'dynamic-import': false,
  'exponent-operator': true, // kept: Math.pow is inexact on the interpreter
  'export-star-as': false,
  'for-await': false,
  'for-of': true,
  'function-name-configurable': false,
  'function-or-class-property-access': true,
  'generator': false,
  'hashbang': false,
  'import-assertions': false,
  'import-attributes': false,
  'import-meta': false,
  'inline-script': true,
  'logical-assignment': false,
  'nested-rest-binding': false,
  'new-target': false,
  'node-colon-prefix-import': false,
  'node-colon-prefix-require': false,
  'nullish-coalescing': true,
  'object-accessors': true,
  'object-extensions': true, // shorthand props and methods work; computed keys are left for the gate
  'object-rest-spread': true, // kept: lowering needs Object.prototype.hasOwnProperty
  'optional-catch-binding': true,
  'optional-chain': false,
  'regexp-dot-all-flag': false,
  'regexp-lookbehind-assertions': false,
  'regexp-match-indices': false,
  'regexp-named-capture-groups': false,
  'regexp-set-notation': false,
  'regexp-sticky-and-unicode-flags': false,
  'regexp-unicode-property-escapes': false,
  'rest-argument': false,
  'template-literal': true,
  'top-level-await': false,
  'typeof-exotic-object-is-object': true,
  'unicode-escapes': false,
};

/** Identifiers the interpreter parses as keywords (a parameter named `undefined` too). */
export const FORBIDDEN_IDENTIFIERS = ['of', 'static', 'let'];

/** Globals that do not exist on the interpreter (probe: "is not defined" / typeof undefined). */
export const MISSING_GLOBALS = {
  Map: 'Map is not defined', Set: 'Set is not defined', WeakMap: 'WeakMap is not defined',
  WeakSet: 'WeakSet is not defined', WeakRef: 'WeakRef is not defined',
  FinalizationRegistry: 'FinalizationRegistry is not defined', Symbol: 'Symbol is not defined',
  BigInt: 'BigInt is not defined', BigInt64Array: 'BigInt64Array is not defined',
  BigUint64Array: 'BigUint64Array is not defined', Reflect: 'Reflect is not defined',
  Proxy: 'Proxy is not defined', TextEncoder: 'TextEncoder is not defined',
  TextDecoder: 'TextDecoder is not defined', queueMicrotask: 'queueMicrotask is not defined',
  RangeError: 'RangeError is not defined', AggregateError: 'AggregateError is not defined',
  EvalError: 'EvalError is not defined', URIError: 'URIError is not defined',
  Intl: 'Intl is not defined', Atomics: 'Atomics is not defined',
  SharedArrayBuffer: 'SharedArrayBuffer is not defined', structuredClone: 'structuredClone is not defined',
};

const TYPED_ARRAYS = ['Uint8Array', 'Int8Array', 'Uint8ClampedArray', 'Uint16Array', 'Int16Array',
  'Uint32Array', 'Int32Array', 'Float32Array', 'Float64Array'];

/**
 * Static members of globals. `allow`: the complete list the interpreter has (anything else is
 * flagged); `deny`: members known to be missing (others pass).
 */
export const GLOBAL_MEMBERS = {
  Math: { allow: ['abs', 'acos', 'asin', 'atan', 'atan2', 'ceil', 'clip', 'cos', 'exp', 'floor', 'log', 'max',
    'min', 'pow', 'random', 'round', 'sin', 'sqrt', 'tan', 'wrap', 'E', 'LN10', 'LN2', 'LOG10E', 'LOG2E', 'PI',
    'SQRT1_2', 'SQRT2'] },
  Number: { allow: ['MAX_VALUE', 'MIN_VALUE', 'NaN', 'NEGATIVE_INFINITY', 'POSITIVE_INFINITY', 'prototype'] },
  Array: { allow: ['isArray', 'prototype'] },
  ArrayBuffer: { allow: ['prototype'] },
  Object: { deny: ['hasOwn', 'is', 'freeze', 'isFrozen', 'seal', 'isSealed', 'preventExtensions',
    'isExtensible', 'getOwnPropertySymbols', 'groupBy'] },
  Promise: { allow: ['all', 'resolve', 'reject', 'prototype'] },
  String: { allow: ['fromCharCode', 'prototype'] },
  Date: { allow: ['now', 'parse', 'prototype'] },
  JSON: { allow: ['stringify', 'parse'] },
  Error: { allow: ['prototype'] }, // no captureStackTrace / stackTraceLimit
};
for (const t of TYPED_ARRAYS) GLOBAL_MEMBERS[t] = { allow: ['BYTES_PER_ELEMENT', 'prototype'] };

/** Methods missing on instances (called on any receiver). */
export const MISSING_METHODS = {
  at: 'String/Array .at() is missing', codePointAt: 'codePointAt is missing',
  localeCompare: 'localeCompare is missing', normalize: 'String.normalize is missing',
  trimStart: 'trimStart is missing', trimEnd: 'trimEnd is missing', trimLeft: 'trimLeft is missing',
  trimRight: 'trimRight is missing', matchAll: 'matchAll is missing', copyWithin: 'copyWithin is missing',
  flat: 'Array.flat is missing', flatMap: 'Array.flatMap is missing', findLast: 'findLast is missing',
  findLastIndex: 'findLastIndex is missing', reduceRight: 'reduceRight is missing',
  toPrecision: 'toPrecision is missing', finally: 'Promise.prototype.finally is missing',
  toSorted: 'toSorted is missing', toReversed: 'toReversed is missing', toSpliced: 'toSpliced is missing',
  getBigInt64: 'DataView BigInt access is missing', getBigUint64: 'DataView BigInt access is missing',
  setBigInt64: 'DataView BigInt access is missing', setBigUint64: 'DataView BigInt access is missing',
};

/** Array/typed-array iterator methods: missing unless called on the global `Object` (Object.keys works). */
export const ITERATOR_METHODS = ['keys', 'values', 'entries'];

/** Globals whose `.prototype` members read as undefined on the interpreter (trap 2). */
export const PROTOTYPE_GLOBALS = ['Array', 'String', 'Function', 'Object', 'Number', 'Boolean', 'Date',
  'RegExp', 'Error', 'Promise', 'ArrayBuffer', 'DataView', 'JSON', 'Math', ...TYPED_ARRAYS,
  'TypeError', 'SyntaxError', 'ReferenceError', 'InternalError', 'Map', 'Set', 'Symbol'];

/** Built-in constructors a class may not extend (class extends Array / Error fail). */
export const BUILTIN_CLASSES = ['Array', 'Error', 'TypeError', 'SyntaxError', 'ReferenceError', 'RangeError',
  'Object', 'Function', 'String', 'Number', 'Boolean', 'Date', 'RegExp', 'Promise', 'ArrayBuffer', 'DataView',
  'Map', 'Set', 'WeakMap', 'WeakSet', ...TYPED_ARRAYS];
