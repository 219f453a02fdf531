// Lazy setup machinery: a post-pass that moves the top-level declarations of the setup-only modules
// (LAZY_SOURCES) of a bundle into one function that runs the first time any of them is used.
//
// Why: Espruino keeps a function's scope alive as long as any closure made in it lives, so every
// top-level declaration of the bundle's IIFE stays in memory for good once the device has a timer or
// a watch: measured on the real interpreter (ESP32 profile), the declarations alone held ~3,000 of
// the ~5,200 JsVars of a set-up board at rest. Moved into `function $L(){...}`, they cost nothing
// until setup actually runs (an unprovisioned board, a short hold, a factory reset).
//
// The transform, on the minified bundle (after build/postpass.mjs):
//  1. each top-level declaration (function, class, each `var`/`let`/`const` declarator) of the IIFE
//     is attributed to its source module through the source map;
//  2. those of LAZY_SOURCES are candidates; one goes back to the eager part when code outside the
//     candidates writes it, when eager code reads it and anything assigns it after its declaration
//     (eager code sees a copy taken when $L ran), or when code that runs while the bundle loads
//     before $L is declared may reach it (repeated until nothing changes);
//  3. the candidates move, in their original order, into `var $F=function($E){var k=3,t=$E[0],...;
//     ...;return[a,b,...]};` in the program scope (after the "use strict" prologue, before the
//     bundle's function), and `var $C;function $L(i){return($C||($C=$F([t,...])))[i]}` goes after
//     the last eager declaration they use; every eager reference `a` becomes `$L(i)` (a shorthand
//     property `{a}` becomes `{a:$L(i)}`). $F sees copies of the eager bindings it uses, so a
//     candidate using one that anything assigns after its declaration stays eager; once copied,
//     $F lets go of the array (`$E=0`), which its scope would keep as long as the moved code lives
//     (measured: ~35 JsVars while setup runs). Handing the bindings over as $F's parameters instead
//     saves ~220 bytes but costs one JsVar per parameter on every board at rest (1,535 -> 1,566):
//     not taken;
//  4. the source map follows every moved piece, so gate findings still name the TypeScript line.
// What runs is the same code in the same order; only when the lazy declarations are evaluated changes.
// FFS_LAZY_DEBUG=1 (build time): the bundle prints `LAZY i` when $L first runs (i: the name asked for;
// `LAZY g:i` for group g of LAZY_GROUPS),
// and the build lists the handed-out names with their modules, to find what makes a boot run it.
// Why $F is outside the bundle's function: a function made two or more scopes deep keeps its chain
// of scopes as an array of its own (1 + one JsVar per scope; measured: a small function 7 JsVars in
// the bundle's function, 11 inside a function of it), so the moved functions, and the closures they
// make, are one scope shallower there (lane, both flows: peak live 7,068 -> 6,189 during mesh).
// The price before that, measured on the interpreter: a function defined one scope deeper costs ~3 JsVars more
// (200 small functions: 1,414 JsVars in the IIFE, 2,029 inside a function it calls), so while setup
// runs the moved code holds ~450 JsVars more than it would eagerly (fresh board, both flows: 8,378
// against 7,922); a set-up board, which never runs it, holds ~1,700 fewer (3,714 against 5,428).
import sourceMapJs from 'source-map-js';
import { parseScript, analyze, patternIds, usedNames } from './scope.mjs';
import { iifeBody, lineStarts } from './postpass.mjs';

const { SourceMapConsumer, SourceMapGenerator } = sourceMapJs;

/**
 * Modules whose code only setup runs (a set-up board's boot never calls into them). The HAL's TLS
 * client, BLE and DRBG are among them: both entries (firmware/main.ts, the maker's ffs/index.ts) make
 * the HAL's services on first use (hal/espruino/index.ts), so a set-up board never makes them.
 */
export const LAZY_SOURCES = [
  /firmware\/wss\/(provisionee|dss-client|setup-network|scan-data|softap|retry|handoff)\.ts$/,
  // mesh/log.ts too: since startMesh hands the unprovisioned machinery to a function of its own, a
  // provisioned node never makes its mesh logger
  /firmware\/mesh\/(?!index\.ts$|state\.ts$)[a-z-]+\.ts$/,
  /firmware\/crypto\/(p256[a-z-]*|der|mesh-keys|ccm|cmac|aes|base85|drbg)\.ts$/,
  /hal\/espruino\/(http|ble|crypto)\.ts$/,
  /firmware\/selftest-vectors\.json$/,
];

/**
 * Setup-only declarations of modules a set-up board does use (by their TypeScript names): lazy too.
 * A name a set-up board's boot reaches would run $L at every boot: test/maker/boot.test.ts checks
 * that the firmware built with FFS_LAZY_DEBUG prints no `LAZY i` when a set-up board boots.
 */
export const LAZY_DECLARATIONS = [
  // the DSS messages: only discovery's deviceDetails (and json-out's jsonString/obj) run at rest
  [/firmware\/wss\/messages\.ts$/, ['requestBody', 'reportPairs', 'scanEntryJson', 'attemptJson', 'typeLetter', 'badFields', 'parseResponse', 'unquote', 'parseCredential']],
  [/firmware\/wss\/json-out\.ts$/, ['quotedSsid', 'normalizeBssid']],
  [/firmware\/wss\/wifi-join\.ts$/, ['checkConnectivity', 'wifiConfig']],
  // the WSS log helpers: setup's (the home path and discovery log with hal.log)
  [/firmware\/wss\/log\.ts$/, ['info', 'warn']],
  [/firmware\/wss\/config\.ts$/, ['configString', 'configPort', 'configFlag']],
  // the first-use services' keep (crypto, http, ble: setup's) and Wi-Fi's securityOf (the scan; the
  // connection's details after a join are the joined configuration's)
  [/hal\/espruino\/index\.ts$/, ['keep']],
  [/hal\/espruino\/wifi\.ts$/, ['securityOf']],
  // the guide's error codes: setup's reports (the home network's rejoin logs the HAL's code)
  [/firmware\/wss\/codes\.ts$/, ['TABLE', 'errorDetails']],
  // HMAC: the DRBG, the setup network's key and mesh; the records need SHA-256 alone
  [/firmware\/crypto\/sha256\.ts$/, ['keyBlock', 'hmacSha256']],
  // byte helpers of the setup protocols (the records use bytesToHex/utf8ToBytes, the seed check nothing)
  [/firmware\/crypto\/bytes\.ts$/, ['hexToBytes', 'u64BE', 'concatBytes', 'equalBytes', 'copyBytes', 'bytesToBinaryString', 'wordBE', 'wipe', 'HEX_DIGITS']],
  [/firmware\/crypto\/base64\.ts$/, ['base64Decode']],
  // the device key out of the certificate chain: the DSS setup only
  [/hal\/espruino\/config\.ts$/, ['findSpki', 'SPKI_PREFIX']],
  [/hal\/espruino\/crypto-native\.ts$/, ['nativeAes128']],
  // used by setup and by the rare events only (a save, the soft AP's HTTP server, BLE, wiping secrets)
  // (halError: the errors of setup's services and of Storage writes, which only setup and the rare events
  // make; Wi-Fi's join writes its errors out)
  [/hal\/espruino\/unavailable\.ts$/, ['unavailable', 'failLater', 'checkSeed', 'halError']],
  [/hal\/espruino\/net\.ts$/, ['drop']],
  [/firmware\/store\/record\.ts$/, ['slotText']],
  // WSS's setup path (a set-up board runs the home path only; the button's clear/reset evaluates it)
  [/firmware\/wss\/index\.ts$/, ['tell', 'save', 'stopFlow', 'stopAp', 'stopAll', 'softAp', 'ffsOff', 'runFfs', 'forget', 'setupBoot', 'clearSetup', 'factoryReset']],
  // the unprovisioned node's machinery and the mesh factory reset (bootMesh stays: it decides at boot)
  [/firmware\/mesh\/index\.ts$/, ['beaconUntilProvisioned', 'meshFactoryReset', 'meshConfig', 'stopNothing']],
  // the button's clear setup and factory reset (and the maker's ffs.clearSetup/factoryReset)
  [/firmware\/api\.ts$/, ['clearSetup', 'factoryReset']],
];

/**
 * Moved modules evaluated apart from the rest, on their own first use: what only the DSS exchange
 * runs (after the setup network is joined), so the mesh flow, which runs from boot, does not hold it.
 * A module of a group may use the others' declarations (through their $L); one the main group needs
 * while it is evaluated goes back to the main group.
 */
export const LAZY_GROUPS = [
  [/hal\/espruino\/http\.ts$/, /firmware\/wss\/(messages|retry|scan-data|handoff|softap|json-out)\.ts$/],
];

export const isLazyDeclaration = (source, name) => {
  if (!source || !name) return false;
  const s = source.replace(/\\/g, '/');
  return LAZY_DECLARATIONS.some(([re, names]) => re.test(s) && names.includes(name));
};

export const isLazySource = (source) => {
  if (!source) return false;
  const s = source.replace(/\\/g, '/');
  return LAZY_SOURCES.some((re) => re.test(s));
};

function lineOf(starts, off) {
  let lo = 0;
  let hi = starts.length - 1;
  let line = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (starts[mid] <= off) {
      line = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return line;
}

/** A name no identifier or string of the bundle uses. */
function freshNames(ast, count) {
  const used = usedNames(ast);
  const out = [];
  for (let i = 0; out.length < count; i++) {
    const name = '$' + i.toString(36);
    if (!used.has(name)) out.push(name);
  }
  return out;
}

/**
 * Returns { code, map, lazy: [names], eager: number } — or the input unchanged (lazy: []) when the
 * bundle is not an IIFE or has nothing to move.
 */
export function lazify(code, map, opts = {}) {
  const lazySource = opts.isLazySource || isLazySource;
  const ast = parseScript(code);
  const body = iifeBody(ast);
  const unchanged = { code, map, lazy: [], eager: 0, moved: 0, groups: [], sources: [] };
  if (!body || !map) return unchanged;
  const a = analyze(ast);
  const starts = lineStarts(code);
  const consumer = new SourceMapConsumer(typeof map === 'string' ? JSON.parse(map) : map);
  const positionAt = (off) => {
    const line = lineOf(starts, off);
    return consumer.originalPositionFor({ line: line + 1, column: off - starts[line], bias: SourceMapConsumer.LEAST_UPPER_BOUND });
  };
  const sourceAt = (off) => {
    const p = positionAt(off);
    return p && p.source;
  };
  // a declaration is lazy by its module, or (opts.isLazySource not given) by its own TypeScript name
  const lazyDecl = opts.isLazySource ? () => false : (id) => {
    const p = positionAt(id.start);
    return !!p && isLazyDeclaration(p.source, p.name || id.name);
  };

  // 1. units: one per top-level declaration (per declarator for variable declarations)
  const units = [];
  for (const st of body.body) {
    if ((st.type === 'FunctionDeclaration' || st.type === 'ClassDeclaration') && st.id) {
      const u = { stmt: st, node: st, kind: null, ids: [st.id], lazy: lazySource(sourceAt(st.start)) || lazyDecl(st.id) };
      units.push(u);
    } else if (st.type === 'VariableDeclaration') {
      for (const d of st.declarations) {
        const ids = patternIds(d.id);
        const u = { stmt: st, node: d, kind: st.kind, ids, lazy: d.id.type === 'Identifier' && (lazySource(sourceAt(d.id.start)) || lazyDecl(d.id)) };
        units.push(u);
      }
    } else {
      // a lazy module's own initialisation code (tables filled at load) moves with it
      units.push({ stmt: st, node: st, kind: null, ids: [], lazy: lazySource(sourceAt(st.start)) });
    }
  }
  // the group of a moved unit: 0 (the main group), or 1 + its index in LAZY_GROUPS
  const groupsOf = opts.groups || (opts.isLazySource ? [] : LAZY_GROUPS);
  for (const u of units) {
    // (the module the unit was made lazy by: the same position as above)
    const src = (sourceAt(u.node.type === 'VariableDeclarator' ? u.node.id.start : u.stmt.start) || '').replace(/\\/g, '/');
    const g = groupsOf.findIndex((res) => res.some((re) => re.test(src)));
    u.group = g < 0 ? 0 : g + 1;
  }
  const bindingOfId = new Map();
  // the outer binding of a declaration (a class also binds its name inside itself: not that one)
  for (const b of a.bindings) if (b.kind !== 'class-inner' && b.kind !== 'fname') for (const id of b.ids) bindingOfId.set(id, b);
  const topBindings = new Map();
  for (const u of units) topBindings.set(u, u.ids.map((id) => bindingOfId.get(id)).filter(Boolean));

  /** The top-level unit a node belongs to. */
  const unitOf = (node) => {
    let n = node;
    while (n && a.parents.get(n) !== body) n = a.parents.get(n);
    if (!n) return null;
    return units.find((u) => u.stmt === n && (u.stmt.type !== 'VariableDeclaration' || (u.node.start <= node.start && node.end <= u.node.end))) ||
      units.find((u) => u.stmt === n) || null;
  };
  /** True when the node runs while the bundle loads (not inside any function). */
  const atLoad = (node) => {
    for (let n = a.parents.get(node); n && n !== body; n = a.parents.get(n)) {
      if (n.type === 'FunctionDeclaration' || n.type === 'FunctionExpression' || n.type === 'ArrowFunctionExpression') return false;
      if (n.type === 'ClassBody') return false;
    }
    return true;
  };

  // 2. a fixpoint. A candidate goes back to the eager part when eager code writes it, or when code
  // that runs while the bundle loads before $L is declared may reach it: load-time statements and
  // initializers placed before the last eager declaration, and (conservatively: a reference may be a
  // call) everything their references reach.
  const unitOfBinding = new Map();
  for (const u of units) for (const b of topBindings.get(u)) unitOfBinding.set(b, u);
  const edges = new Map(units.map((u) => [u, []]));
  for (const [b, target] of unitOfBinding) {
    for (const r of b.refs) {
      const from = unitOf(r.id);
      if (from) edges.get(from).push({ target, load: atLoad(r.id), write: r.write });
    }
  }
  const isDecl = (st) => st.type === 'FunctionDeclaration' || st.type === 'ClassDeclaration' || st.type === 'VariableDeclaration';
  const stmtIndex = new Map(body.body.map((st, k) => [st, k]));
  /** $L's place: after the last statement holding an eager declaration the moved code uses. */
  const lastEagerDecl = () => {
    let last = -1;
    for (const u of units) {
      if (!u.lazy) continue;
      for (const e of edges.get(u)) {
        if (!e.target.lazy && isDecl(e.target.stmt)) last = Math.max(last, stmtIndex.get(e.target.stmt));
      }
    }
    return last;
  };
  for (let changed = true; changed; ) {
    changed = false;
    const pull = (u, why) => {
      if (u.lazy) {
        u.lazy = false;
        changed = true;
        if (opts.explain) opts.explain(u, why);
      }
    };
    for (const u of units) if (!u.lazy) for (const e of edges.get(u)) if (e.write) pull(e.target, { write: u });
    // a moved module's initialisation statement may only touch moved bindings (it may change the
    // contents of what it names: `ONE[0] = 256`, `toMont(B, B)`)
    for (const u of units) {
      if (u.lazy && !isDecl(u.stmt) && edges.get(u).some((e) => !e.target.lazy)) pull(u, { write: u });
    }
    // the moved code sees the eager bindings it uses through copies taken when $L first runs (they
    // are handed to $F, which sits outside the bundle's function): a moved declaration that uses an
    // eager binding anything assigns after its declaration stays eager
    for (const u of units) {
      if (!u.lazy) continue;
      for (const e of edges.get(u)) {
        if (!e.target.lazy && topBindings.get(e.target).some((b) => b.refs.some((r) => r.write))) pull(u, { outer: e.target });
      }
    }
    // eager code reads a moved binding through $L(i), a copy taken when $L ran: a binding that is
    // ever assigned after its declaration (a cache, a state) must stay where eager code sees it
    for (const u of units) {
      if (!u.lazy) continue;
      for (const b of topBindings.get(u)) {
        const reassigned = b.refs.some((r) => r.write);
        const readEagerly = b.refs.some((r) => {
          const from = unitOf(r.id);
          return !from || !from.lazy || from.group !== u.group;
        });
        if (reassigned && readEagerly) pull(u, { write: u });
      }
    }
    // a unit of another group that the main group's code needs while it is evaluated joins the main
    // group (groups other than the main one may use the main group while they are evaluated)
    for (const u of units) {
      if (!u.lazy || u.group !== 0) continue;
      for (const e of edges.get(u)) {
        if (e.load && e.target.lazy && e.target.group !== 0) {
          e.target.group = 0;
          changed = true;
        }
      }
    }
    const last = lastEagerDecl();
    const reached = new Set();
    const queue = [];
    body.body.forEach((st, k) => {
      if (k > last) return;
      for (const u of units) {
        if (u.stmt !== st || u.lazy) continue;
        for (const e of edges.get(u)) if (e.load && !reached.has(e.target)) {
          reached.add(e.target);
          e.target.via = u;
          queue.push(e.target);
        }
      }
    });
    while (queue.length) {
      const u = queue.pop();
      pull(u, { reached: u.via });
      for (const e of edges.get(u)) if (!reached.has(e.target)) {
        reached.add(e.target);
        e.target.via = u;
        queue.push(e.target);
      }
    }
  }
  const lazyUnits = units.filter((u) => u.lazy);
  if (!lazyUnits.length) return unchanged;
  // the groups that have moved units, each with its own $F, $C and $L
  const groupIds = [...new Set(lazyUnits.map((u) => u.group))].sort((x, y) => x - y);
  const fresh = freshNames(ast, 1 + 3 * groupIds.length);
  const E = fresh[0];
  const G = new Map(groupIds.map((g, k) => [g, { L: fresh[1 + 3 * k], C: fresh[2 + 3 * k], F: fresh[3 + 3 * k], units: lazyUnits.filter((u) => u.group === g), names: [], indexOf: new Map(), outer: [] }]));
  // only the names used outside their group are handed out (each array slot costs JsVars)
  for (const u of lazyUnits) for (const b of topBindings.get(u)) {
    const grp = G.get(u.group);
    const usedOutside = b.refs.some((r) => {
      const from = unitOf(r.id);
      return !from || !from.lazy || from.group !== u.group;
    });
    if (usedOutside && !grp.indexOf.has(b)) {
      grp.indexOf.set(b, grp.names.length);
      grp.names.push(b.name);
    }
  }
  const lazyNames = groupIds.flatMap((g) => G.get(g).names);
  // the eager bindings each group's code uses (and the other groups' $L), handed to its $F as one
  // array when its $L first runs
  const outerNames = [];
  for (const u of units) {
    if (u.lazy) continue;
    for (const b of topBindings.get(u)) {
      for (const r of b.refs) {
        const from = unitOf(r.id);
        if (!from || !from.lazy) continue;
        if (!outerNames.includes(b.name)) outerNames.push(b.name);
        const o = G.get(from.group).outer;
        if (!o.includes(b.name)) o.push(b.name);
      }
    }
  }
  for (const [g, grp] of G) {
    for (const u of grp.units) for (const e of edges.get(u)) {
      if (e.target.lazy && e.target.group !== g) {
        const other = G.get(e.target.group).L;
        if (!grp.outer.includes(other)) grp.outer.push(other);
      }
    }
  }
  // an eager constant whose value is a literal or a global (`aa=Uint8Array`, `la=Math.floor`) is
  // declared again in $F with the same text instead (the squeeze pass then inlines literals there too)
  const boundNames = new Set(a.bindings.map((b) => b.name));
  const isGlobalPath = (n) => n.type === 'Identifier' ? !boundNames.has(n.name)
    : n.type === 'MemberExpression' && !n.computed && isGlobalPath(n.object);
  const constText = new Map();
  for (const u of units) {
    if (u.lazy || !u.kind || u.node.type !== 'VariableDeclarator' || u.node.id.type !== 'Identifier' || !u.node.init) continue;
    const b = topBindings.get(u)[0];
    if (!b || !outerNames.includes(b.name) || b.refs.some((r) => r.write)) continue;
    const init = u.node.init;
    if ((init.type === 'Literal' && (typeof init.value === 'number' || typeof init.value === 'string')) || isGlobalPath(init)) {
      constText.set(b.name, code.slice(init.start, init.end));
    }
  }
  // such a constant that only the moved code uses is not kept in the bundle's function at all
  const onlyInF = new Set();
  for (const u of units) {
    if (u.lazy || !u.kind || u.ids.length !== 1 || !constText.has(u.ids[0].name)) continue;
    const b = topBindings.get(u)[0];
    if (b && b.refs.every((r) => {
      const from = unitOf(r.id);
      return from && from.lazy;
    })) onlyInF.add(u);
  }
  // a long string the bundle's function keeps too is handed over instead of written twice in the
  // file (`t=$E[i]` and `t,` cost about 12 bytes; the base64 alphabet is 66), and so is a global
  // path longer than its hand-over
  for (const u of units) {
    if (u.lazy || !u.kind || u.ids.length !== 1 || onlyInF.has(u) || !constText.has(u.ids[0].name)) continue;
    const init = u.node.init;
    if (init.type === 'Literal' && typeof init.value === 'string' && init.end - init.start > 12) constText.delete(u.ids[0].name);
    // likewise a long global path (`ma=JSON.stringify`): `ma=$E[i]` and `,ma` are shorter
    else if (init.type !== 'Literal' && init.end - init.start > u.ids[0].name.length + 7) constText.delete(u.ids[0].name);
  }

  // 3. the new text as pieces: copies of old ranges (for the map) and new text
  const pieces = [];
  const copy = (s, e) => {
    if (e > s) pieces.push({ s, e });
  };
  const text = (t) => pieces.push({ t });
  // eager references to lazy names, sorted, to splice into copied ranges
  const refEdits = [];
  for (const [g, grp] of G) for (const [b, i] of grp.indexOf) {
    for (const r of b.refs) {
      const from = unitOf(r.id);
      if (from && from.lazy && from.group === g) continue;
      const p = a.parents.get(r.id);
      const to = grp.L + '(' + i + ')';
      const shorthand = p && p.type === 'Property' && p.shorthand && p.value === r.id;
      // `new a(...)` must stay `new ($L(i))(...)`: `new $L(i)(...)` would construct $L
      const callee = p && p.type === 'NewExpression' && p.callee === r.id;
      refEdits.push({ start: r.id.start, end: r.id.end, text: shorthand ? p.key.name + ':' + to : callee ? '(' + to + ')' : to });
    }
  }
  refEdits.sort((x, y) => x.start - y.start);
  /** copy [s, e) with the reference edits that fall inside it */
  const copyEdited = (s, e) => {
    let pos = s;
    for (const ed of refEdits) {
      if (ed.start < s || ed.end > e) continue;
      copy(pos, ed.start);
      text(ed.text);
      pos = ed.end;
    }
    copy(pos, e);
  };

  // $L goes right after the last eager declaration: everything the moved code uses is declared by
  // then, and only the trailing statements (the entry call) run after it.
  const lastDecl = lastEagerDecl();
  // $F, the moved declarations, is a function of the program's own scope (not of the bundle's
  // function): measured on the interpreter, a function made inside another function keeps its chain
  // of scopes as an array of its own (one JsVar per scope, plus one), so every moved function, and
  // every closure they make, costs less where the chain is one scope shorter
  const passedOf = (grp) => grp.outer.filter((n) => !constText.has(n));
  const emitF = (grp) => {
    const passed = passedOf(grp);
    const decls = grp.outer.map((n) => n + '=' + (constText.has(n) ? constText.get(n) : E + '[' + passed.indexOf(n) + ']'));
    // (then the array is let go: $F's scope lives as long as any closure the moved code made)
    text('var ' + grp.F + '=function(' + E + '){' + (decls.length ? 'var ' + decls.join(',') + ';' : '') + (passed.length ? E + '=0;' : ''));
    for (const u of grp.units) {
      if (u.kind) text(u.kind + ' ');
      copyEdited(u.node.start, u.node.end);
      if (u.kind || !/[;}]$/.test(code.slice(u.node.start, u.node.end))) text(';');
    }
    text('return[' + grp.names.join(',') + ']};');
  };
  const emitL = () => {
    for (const [g, grp] of G) {
      const { L, C, F } = grp;
      text('var ' + C + ';function ' + L + '(i){' + ((opts.debug || process.env.FFS_LAZY_DEBUG) ? 'if(!' + C + ')print("LAZY ' + (g ? g + ':' : '') + '"+i);' : '') + 'return(' + C + '||(' + C + '=' + F + '([' + passedOf(grp).join(',') + '])))[i]}');
    }
  };
  // $F goes after the directive prologue ("use strict"), before the bundle's function
  const first = ast.body[0];
  const prologueEnd = first && first.directive !== undefined && first.end <= body.start ? first.end : 0;
  copy(0, prologueEnd);
  for (const grp of G.values()) emitF(grp);
  copy(prologueEnd, body.start + 1);
  if (lastDecl < 0) emitL();
  // the eager statements, in order, without the lazy units
  body.body.forEach((st, k) => {
    const mine = units.filter((u) => u.stmt === st);
    if (st.type === 'VariableDeclaration') {
      const keep = mine.filter((u) => !u.lazy && !onlyInF.has(u));
      if (keep.length === mine.length) copyEdited(st.start, st.end);
      else if (keep.length) {
        text(st.kind + ' ');
        keep.forEach((u, j) => {
          if (j) text(',');
          copyEdited(u.node.start, u.node.end);
        });
        text(';');
      }
    } else if (!(mine.length && mine[0].lazy)) copyEdited(st.start, st.end);
    if (k === lastDecl) emitL();
  });
  copy(body.end - 1, code.length);

  let out = '';
  const placed = [];
  for (const p of pieces) {
    if (p.t !== undefined) out += p.t;
    else {
      placed.push({ s: p.s, e: p.e, at: out.length });
      out += code.slice(p.s, p.e);
    }
  }

  // 4. the source map: every mapping inside a copied piece moves with it
  const newStarts = lineStarts(out);
  placed.sort((x, y) => x.s - y.s);
  const gen = new SourceMapGenerator({ file: consumer.file });
  const mapJson = typeof map === 'string' ? JSON.parse(map) : map;
  for (const s of consumer.sources) gen._sources.add(s);
  consumer.eachMapping((m) => {
    const old = starts[m.generatedLine - 1] + m.generatedColumn;
    let lo = 0;
    let hi = placed.length - 1;
    let hit = null;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (placed[mid].s <= old) {
        hit = placed[mid];
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (!hit || old >= hit.e) return;
    const off = hit.at + (old - hit.s);
    const line = lineOf(newStarts, off);
    const mapping = { generated: { line: line + 1, column: off - newStarts[line] } };
    if (m.source != null) {
      mapping.source = m.source;
      mapping.original = { line: m.originalLine, column: m.originalColumn };
      if (m.name) mapping.name = m.name;
    }
    gen.addMapping(mapping);
  });
  const json = gen.toJSON();
  json.sources = mapJson.sources.slice();
  if (mapJson.sourcesContent) json.sourcesContent = mapJson.sourcesContent.slice();
  const handed = groupIds.flatMap((g) => [...G.get(g).indexOf.keys()]);
  if (process.env.FFS_LAZY_DEBUG) console.error("lazy: moved " + lazyUnits.length + " eager " + (units.length - lazyUnits.length) + " groups " + groupIds.map((g) => g + ':' + G.get(g).units.length).join(',') + " NAMES " + lazyNames.map((n, i) => i + ":" + n + "@" + sourceAt(handed[i].id.start)).join(" "));
  return { code: out, map: json, lazy: lazyNames, eager: units.length - lazyUnits.length, moved: lazyUnits.length, groups: groupIds.map((g) => G.get(g).units.length), sources: handed.map((b) => sourceAt(b.id.start)) };
}
