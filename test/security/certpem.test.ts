// Issue 14 item 2: the PEM cache of the certificate chain (ffs.certpem, hal/espruino/http.ts chainPem)
// is used only when the WHOLE file checks out; a write torn by a power cut (its first line landed,
// erased 0xFF bytes after it) or any changed byte makes the device rebuild it from the DER chain, and a
// certificate mbedTLS refuses drops the cache so the next connection rebuilds it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { chainPem, derChainToPem, createHttp } from '../../hal/espruino/http';
import { createCrypto } from '../../hal/espruino/crypto';
import { FILES } from '../../hal/storage-layout';
import { trashStorage } from './fake-storage';

// Espruino's E.srand, for the HAL crypto run on the host
const g = globalThis as any;
g.E = { srand: () => undefined };

/** Espruino's Storage over the fake: read gives strings. */
function espruinoStorage(st = trashStorage()) {
  return {
    st,
    S: {
      read: (n: string) => (st.files.has(n) ? st.files.get(n) : undefined),
      write: (n: string, d: string) => st.write(n, d) === null,
      erase: (n: string) => st.erase(n),
    },
  };
}

// a DER "chain" of two SEQUENCEs (chainPem only frames them)
const der = '\x30\x82\x01\x00' + 'A'.repeat(256) + '\x30\x81\x80' + 'B'.repeat(128);
const goodPem = derChainToPem(der);

test('a fresh cache is built, written and then used as it is', () => {
  const { st, S } = espruinoStorage();
  const pem = chainPem(S, der);
  assert.ok(pem.endsWith(goodPem), 'the PEM chain, NUL-terminated');
  assert.is(st.files.get(FILES.certPem), pem);
  const writes = st.trash.length;
  assert.is(chainPem(S, der), pem);
  assert.is(st.trash.length, writes, 'not rewritten when it checks out');
});

test('a torn cache (first line landed, 0xFF after a prefix) is rebuilt, never handed to mbedTLS', () => {
  const { st, S } = espruinoStorage();
  const whole = chainPem(S, der);
  for (const landed of [whole.indexOf('\n') + 1, 79, 400, whole.length - 2]) {
    st.files.set(FILES.certPem, whole.substring(0, landed) + '\xff'.repeat(whole.length - landed));
    const pem = chainPem(S, der);
    assert.ok(pem.endsWith(goodPem), `rebuilt after ${landed} of ${whole.length} bytes landed`);
    assert.is(st.files.get(FILES.certPem), whole, 'the whole file written again');
  }
});

test('one changed byte anywhere in the body makes the cache unusable', () => {
  const { st, S } = espruinoStorage();
  const whole = chainPem(S, der);
  const at = whole.length - 40;
  st.files.set(FILES.certPem, whole.substring(0, at) + 'x' + whole.substring(at + 1));
  assert.is(chainPem(S, der), whole);
});

test('within one boot a cache that checked out whole is used after a first-line check alone; what chainPem writes is read back and checked whole', () => {
  const { st, S } = espruinoStorage();
  const seen = { line: '' };
  const whole = chainPem(S, der, seen);
  assert.is(seen.line, whole.substring(0, whole.indexOf('\n')), 'remembered once the written file was read back whole');
  // only a reflash (which resets the board) or a power cut (a new boot) changes the file behind chainPem:
  // here it changes inside the boot, to show that the second connection does not sum it again
  const at = whole.length - 40;
  const changed = whole.substring(0, at) + 'x' + whole.substring(at + 1);
  st.files.set(FILES.certPem, changed);
  assert.is(chainPem(S, der, seen), changed, 'not summed again in the same boot');
  assert.is(chainPem(S, der, { line: '' }), whole, 'the next boot sums it and rebuilds it');
  // a first line that differs from the remembered one gets the whole check again
  const seen2 = { line: seen.line };
  st.files.set(FILES.certPem, '#1:2 3\n' + goodPem);
  assert.is(chainPem(S, der, seen2), whole);
  // a torn rewrite (Storage.write throwing after a prefix with the whole first line landed) is never
  // taken as checked, even with that same first line remembered from earlier in the boot
  const torn = { line: seen.line };
  const S2 = { read: S.read, write: (n: string, d: string) => { st.files.set(n, d.substring(0, 60) + '\xff'.repeat(d.length - 60)); throw new Error('Storage full'); }, erase: S.erase };
  st.files.delete(FILES.certPem);
  const ram = chainPem(S2, der, torn);
  assert.is(ram, whole, 'the PEM built in RAM, not the torn file');
  assert.is(torn.line, '', 'the torn file is not taken as checked');
  assert.ok(chainPem(S, der, torn).endsWith(goodPem), 'and is rebuilt at the next connection');
  assert.is(st.files.get(FILES.certPem), whole);
});

test('a certificate mbedTLS refuses drops the cache, so the next connection rebuilds it', async () => {
  const { st, S } = espruinoStorage();
  st.files.set(FILES.seed, 's'.repeat(32));
  const log = { log: () => undefined };
  const clock = { now: () => Date.now(), setTimeout, clearTimeout, setInterval, clearInterval, defer: (f: () => void) => setTimeout(f, 0) } as any;
  const storage = { ...st, readString: st.readString, read: st.read } as any;
  createCrypto({ storage, clock, log });
  st.files.set(FILES.deviceKey, 'k');
  st.files.set(FILES.certChain, der);
  const saved = g.require;
  g.require = (m: string) => {
    if (m === 'Storage') return S;
    if (m === 'tls') return { connect: () => { throw new Error("HTTPS init failed! mbedtls_x509_crt_parse of 'cert': X509 - The CRT/CRL/CSR format is invalid"); } };
    throw new Error('no module ' + m);
  };
  try {
    const http = createHttp({ storage, log });
    const err = await new Promise<any>((resolve) => http.execute({
      request: { method: 'POST', host: 'dss', port: 443, path: '/', headers: {}, body: '', tls: true, timeoutMs: 1000 } as any,
      maxBodyBytes: 100,
      onDone: (e) => resolve(e),
    }));
    assert.is(err.code, 'NET_TLS');
    assert.not.ok(st.files.has(FILES.certPem), 'the cache is erased after the parse error');
  } finally {
    g.require = saved;
  }
});

test.run();
