// The last squeeze: terser over the finished bundle (after build/squeeze.mjs, before the log id is
// stamped). esbuild's minifier is fast and lowers the dialect; terser's compressor and mangler know more
// rewrites (if/return chains into conditionals, joined declarations, dropped unused parameters, names
// chosen per scope by frequency): about 1.3 KB of dist/firmware.js.
//
// The options keep to what the interpreter runs and what the other passes rely on:
//  - `ecma: 5` for both compress and output: terser never introduces syntax the input did not have
//    (no new arrows, shorthand properties, template literals); what esbuild and build/arrows.mjs wrote
//    is kept as it is;
//  - no `toplevel`: the program-scope names (`$F`, `$L`, the lazy groups of build/lazy.mjs) stay as
//    they are, and a program-scope name never becomes an Espruino global (`E`, `D0`, `LED1`);
//  - `pure_getters` stays off: the HAL's services are getters, and `hal.crypto;` as a statement is how
//    the boot makes one early (hal/espruino/index.ts);
//  - no hoisting of functions or vars (`hoist_funs`/`hoist_vars` are off by default): Espruino hoists
//    neither, so code must run in the order it is written;
//  - the mangler never picks `of`, `let` or `static` (keywords on the interpreter) nor a name of
//    Espruino's pins or objects a local could shadow (terser already keeps every global the scope reads);
//  - `keep_fargs: false`: unused trailing parameters go (nothing in the firmware reads `fn.length`);
//  - `inline: 1` (simple functions only): from level 2 terser inlines a function with parameters by
//    declaring them as `var`s after the body's `return` (`{return Z=e=!Z,...;var e}`), which only works
//    where `var` is hoisted; Espruino does not hoist it. The gate's hoisting rule caught it in the
//    smart plug's build (test/maker: the example builds through every gate). 16 bytes dearer;
//  - `reduce_funcs: false`: a function used once stays where it is declared. Substituted into its
//    caller, the closures it makes would keep the caller's scope too (Espruino keeps a closure's whole
//    scope chain): measured on the interpreter, a set-up board at rest held 828 JsVars with it against
//    768 without terser; 734 with it off;
//  - `sequences: false`, `join_vars: false`: fewer rewrites, and smaller here (esbuild and the squeeze
//    pass already joined what pays): 57,384 -> 57,240 bytes;
//  - `passes: 2`: a third pass saved nothing more.
// The gate (build/check.mjs) checks the result like any other output, and the source map follows.
import { minify } from 'terser';

export const TERSER_OPTIONS = Object.freeze({
  ecma: 5,
  toplevel: false,
  compress: { ecma: 5, passes: 2, keep_fargs: false, pure_getters: false, hoist_funs: false, hoist_vars: false, inline: 1, reduce_funcs: false, sequences: false, join_vars: false },
  mangle: { reserved: ['of', 'let', 'static'] },
  format: { ecma: 5, comments: false },
});

/** Run terser over `code` (with its source map `map`, string or object); returns { code, map }. */
export async function terse(code, map) {
  const input = typeof map === 'string' ? JSON.parse(map) : map;
  const out = await minify(code, {
    ...TERSER_OPTIONS,
    compress: { ...TERSER_OPTIONS.compress },
    mangle: { ...TERSER_OPTIONS.mangle },
    format: { ...TERSER_OPTIONS.format },
    sourceMap: input ? { content: input, asObject: true, includeSources: true } : false,
  });
  if (typeof out.code !== 'string') throw new Error('terser: no output');
  return { code: out.code, map: input ? out.map : null };
}
