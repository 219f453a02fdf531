// The device certificate chain reaches mbedTLS as the NUL-terminated PEM the flash tool writes to
// ffs.certpem (issue 13 item 3: the firmware no longer converts, caches or checks it; the PEM is built
// once, on the host). mbedTLS parses every certificate of a PEM buffer but only the first of a DER
// one, and the DSS must see the whole chain to reach its root.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { X509Certificate } from 'node:crypto';
import { createHttp } from '../../hal/espruino/http';
import { createCrypto } from '../../hal/espruino/crypto';
import { FILES } from '../../hal/storage-layout';
import { buildStorageImage } from '../../flash/image';
import { makeIdentity } from '../../flash/identity';
import { trashStorage } from '../security/fake-storage';

const g = globalThis as any;
// Espruino's E.srand, for the HAL crypto run on the host
if (!g.E) g.E = { srand: () => undefined };

test('the flash image carries the whole chain as NUL-terminated PEM, leaf first, beside the DER chain', () => {
  const id = makeIdentity({ seed: 'cert-pem-test' });
  const files = buildStorageImage({ bundle: 'print(1)', identity: id });
  const file = files.find((f) => f.name === FILES.certPem);
  assert.ok(file, 'ffs.certpem is in the image');
  const pem = Buffer.from(file!.data).toString('latin1');
  assert.ok(pem.endsWith('-----END CERTIFICATE-----\n\0'), 'NUL-terminated, as mbedTLS wants a PEM buffer');
  assert.not.ok(pem.slice(0, -1).includes('\0'));
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----\n[A-Za-z0-9+/=\n]+-----END CERTIFICATE-----\n/g) || [];
  assert.is(blocks.join('') + '\0', pem, 'nothing but certificates');
  assert.is(blocks.length, id.certChain.length);
  blocks.forEach((b, i) => assert.ok(new X509Certificate(b).raw.equals(Buffer.from(id.certChain[i])), 'certificate ' + i));
  for (const line of pem.split('\n')) assert.ok(line.length <= 64, 'lines of at most 64 characters');
  // the PEM file comes before the app's marker, like every file the app reads
  assert.ok(files.indexOf(file!) < files.length - 1);
});

/** Espruino's Storage over the fake: read gives strings (memory-mapped on the ESP32). */
function tlsWorld(files: { [name: string]: string }, connect: (o: any) => any) {
  const st = trashStorage();
  st.files.set(FILES.seed, 's'.repeat(32));
  const log = { log: () => undefined };
  const clock = { now: () => Date.now(), setTimeout, clearTimeout, setInterval, clearInterval, defer: (f: () => void) => setTimeout(f, 0) } as any;
  createCrypto({ storage: st, clock, log });
  for (const n of Object.keys(files)) st.files.set(n, files[n]);
  const reads: string[] = [];
  const S = {
    read: (n: string) => (reads.push(n), st.files.has(n) ? st.files.get(n) : undefined),
    write: () => {
      throw new Error('the HTTP client writes nothing to Storage');
    },
    erase: () => {
      throw new Error('the HTTP client erases nothing in Storage');
    },
  };
  return { st, S, reads, http: createHttp({ storage: st, log }), require: (m: string) => (m === 'Storage' ? S : m === 'tls' ? { connect } : undefined) };
}

function execute(w: ReturnType<typeof tlsWorld>): Promise<any> {
  const saved = g.require;
  g.require = w.require;
  return new Promise<any>((resolve) => {
    w.http.execute({
      request: { method: 'POST', host: 'dss', port: 443, path: '/', headers: {}, body: '', tls: true, timeoutMs: 1000 } as any,
      maxBodyBytes: 100,
      onDone: (e) => resolve(e),
    });
  }).finally(() => {
    g.require = saved;
  });
}

test('TLS gets the device key (DER) and the chain exactly as ffs.certpem holds it; the DER chain is not read', async () => {
  const pem = '-----BEGIN CERTIFICATE-----\nMANhYmM=\n-----END CERTIFICATE-----\n\0';
  let opts: any = null;
  const w = tlsWorld({ [FILES.deviceKey]: 'k', [FILES.certChain]: '\x30\x03abc', [FILES.certPem]: pem, [FILES.dssRoots]: 'roots' }, (o) => {
    opts = o;
    throw new Error('Unable to create socket');
  });
  const err = await execute(w);
  assert.is(err.code, 'NET_CONNECT');
  assert.equal({ key: opts.key, cert: opts.cert, ca: opts.ca, host: opts.host, port: opts.port }, { key: 'k', cert: pem, ca: 'roots', host: 'dss', port: 443 });
  assert.not.ok(w.reads.includes(FILES.certChain), 'the DER chain is for the device key only (hal/espruino/config.ts)');
});

test('without ffs.certpem (or empty) no client certificate is offered; nothing is built or written', async () => {
  const cases: Array<{ [name: string]: string }> = [{ [FILES.deviceKey]: 'k', [FILES.certChain]: '\x30\x03abc' }, { [FILES.deviceKey]: 'k', [FILES.certPem]: '' }];
  for (const files of cases) {
    let opts: any = null;
    const w = tlsWorld(files, (o) => {
      opts = o;
      throw new Error('Unable to create socket');
    });
    await execute(w);
    assert.ok(opts && !('cert' in opts), 'no cert option');
    assert.is(opts.key, 'k');
  }
});

test('a certificate mbedTLS refuses is a TLS failure that leaves the flash-written files alone', async () => {
  const pem = '-----BEGIN CERTIFICATE-----\nbad\n-----END CERTIFICATE-----\n\0';
  const w = tlsWorld({ [FILES.deviceKey]: 'k', [FILES.certPem]: pem }, () => {
    throw new Error("HTTPS init failed! mbedtls_x509_crt_parse of 'cert': X509 - The CRT/CRL/CSR format is invalid");
  });
  const err = await execute(w);
  assert.is(err.code, 'NET_TLS');
  assert.is(w.st.files.get(FILES.certPem), pem);
});

test.run();
