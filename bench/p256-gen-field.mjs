// Generates unrolled forms of feMul for firmware/crypto/p256-field.ts: the 11x11 product of 24-bit
// limbs unrolled over local variables, so the interpreter executes straight-line products instead of
// loops over typed arrays (Espruino's cost is per token executed). The committed feProd is NOT this
// output any more: to fit the 64 KB budget it is a row loop (-512 bytes, ECDH ~1.3x slower under
// --jitless; docs/CRYPTO.md). Use this generator to measure or restore the faster unrolled forms. Usage:
//   node bench/p256-gen-field.mjs          unrolled columns + reduction loop (the form committed before)
//   node bench/p256-gen-field.mjs --fused  reduction unrolled as well (product scanning): ~25% faster
//                                          under `node --jitless`, ~30% fewer tokens, +430 bytes minified
// Montgomery digits: p = -1 mod 2^24, so m_k = column_k mod 2^24, and m*p*2^(24k) adds
// (-1 @k, +1 @k+4, +1 @k+8, -2^8 @k+9, +2^16 @k+10).
const L = 11;
const fused = process.argv.includes('--fused');
const idx = [...Array(L).keys()];
const out = [];
const column = (col) => idx.filter((i) => col - i >= 0 && col - i < L).map((i) => `a${i} * b${col - i}`).join(' + ');
const loads = () => {
  out.push('  const ' + idx.map((i) => `a${i} = x[${i}]`).join(', ') + ';');
  out.push('  const ' + idx.map((i) => `b${i} = y[${i}]`).join(', ') + ';');
};
if (fused) {
  out.push('export function feMul(r: Fe, x: Fe, y: Fe): void {');
  loads();
  out.push('  let c, k, ' + idx.map((i) => `m${i}`).join(', ') + ';');
  for (let col = 0; col < 2 * L - 1; col++) {
    let e = column(col);
    if (col > 0) e += ' + k';
    if (col - 4 >= 0 && col - 4 < L) e += ` + m${col - 4}`;
    if (col - 8 >= 0 && col - 8 < L) e += ` + m${col - 8}`;
    if (col - 9 >= 0 && col - 9 < L) e += ` - m${col - 9} * 256`;
    if (col - 10 >= 0 && col - 10 < L) e += ` + m${col - 10} * 65536`;
    out.push(`  c = ${e};`, '  k = floor(c * IW);', col < L ? `  m${col} = c - k * W;` : `  r[${col - L}] = c - k * W;`);
  }
  out.push('  r[10] = k;', '}');
} else {
  out.push('/** The 21 columns of the product x * y into T[0..20] (T[21] = 0); shared with mod-n products. */');
  out.push('export function feProd(x: Fe, y: Fe): void {');
  loads();
  out.push('  const t = T;');
  for (let col = 0; col < 2 * L - 1; col++) out.push(`  t[${col}] = ${column(col)};`);
  out.push(`  t[21] = 0;
}

/** Montgomery multiplication r = x * y / R mod p: feProd, then the word-by-word reduction with the sparse p. */
export function feMul(r: Fe, x: Fe, y: Fe): void {
  const t = T;
  let i, c, q, m;
  feProd(x, y);
  for (i = 0; i < 11; i++) {
    c = t[i];
    q = floor(c * IW);
    m = c - q * W; // the digit; t_i - m = q * 2^24 is carried
    t[i + 1] += q;
    t[i + 4] += m;
    t[i + 8] += m;
    t[i + 9] -= m * 256;
    t[i + 10] += m * 65536;
  }
  r.set(t.subarray(11, 22));
  carry(r);
}`);
}
console.log(out.join('\n'));
