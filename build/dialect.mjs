// Facts about the target dialect shared by the build and the gate (see ../shared/docs/espruino.md).

/** Built-in modules of the ESP32 (IDF5) Espruino build: the only require() targets allowed. */
export const ESPRUINO_BUILTIN_MODULES = [
  'timer', 'Flash', 'Storage', 'heatshrink', 'fs', 'net', 'dgram', 'tls', 'http', 'NetworkJS',
  'Wifi', 'TelnetServer', 'crypto', 'neopixel',
];

/** Syntax esbuild must lower because the interpreter cannot run it. */
export const ESBUILD_SUPPORTED = {
  'async-await': false,
  'async-generator': false,
  'generator': false,
  'destructuring': false,
  'default-argument': false,
  'rest-argument': false,
  'object-rest-spread': false,
  'array-spread': false,
  'optional-chain': false,
  'logical-assignment': false,
  'exponent-operator': false,
  'template-literal': true,
  'class-private-field': false,
  'class-private-method': false,
  'class-private-accessor': false,
  'class-private-static-field': false,
  'class-private-static-method': false,
  'class-private-static-accessor': false,
  'class-private-brand-check': false,
  'class-static-field': false,
  'class-static-blocks': false,
  'for-of': true,
  'bigint': false,
  'nullish-coalescing': true,
  'regexp-named-capture-groups': false,
  'regexp-lookbehind-assertions': false,
  'regexp-unicode-property-escapes': false,
  'regexp-sticky-and-unicode-flags': false,
  'regexp-dot-all-flag': false,
  'regexp-match-indices': false,
  'regexp-set-notation': false,
};
