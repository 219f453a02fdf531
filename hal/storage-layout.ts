/**
 * Names of the Storage files on the board (Espruino Storage: names of at most 28 characters).
 * The flash tool writes them, hal/espruino/ reads them, firmware/store/ owns the records it writes.
 * Secrets are separate files, never inside the bundle.
 * A const enum: the build writes each name where it is used (no object kept on the board).
 */
export const enum FILES {
  /** JSON: product index, device details, DSS host/port, enabled flows, pins, mesh options */
  config = 'ffs.cfg',
  /** device P-256 private key: PKCS#8 or SEC1 DER (secret) */
  deviceKey = 'ffs.devkey',
  /** device certificate chain: concatenated DER certificates, leaf first */
  certChain = 'ffs.certs',
  /** device-type (DSS) public key: 91-byte SubjectPublicKeyInfo DER */
  deviceTypeKey = 'ffs.dtkey',
  /** precomputed fixed-base table for the device-type key (optional, speeds up verify/ECDH) */
  deviceTypeTable = 'ffs.dttab',
  /** precomputed fixed-base table for the P-256 generator (optional) */
  generatorTable = 'ffs.gtab',
  /** JSON: mesh Device UUID, static OOB (secret), OOB information bits */
  mesh = 'ffs.mesh',
  /** 32-byte per-device DRBG seed (secret) */
  seed = 'ffs.seed',
  /** DRBG boot counter / reseed state */
  bootCounter = 'ffs.boot',
  /** JSON: configuration values set at run time (ffsSetConfigurationValue, e.g. DSS.Host after a 308) */
  runtimeConfig = 'ffs.cfgv',
  /** the certificate chain as NUL-terminated PEM for mbedTLS, leaf first (the flash tool writes it beside certChain) */
  certPem = 'ffs.certpem',
  /** optional: the DSS server roots as NUL-terminated PEM, for a firmware whose TLS verifies the server */
  dssRoots = 'ffs.dssca',
  /** JSON: the signed session-token hand-off for the maker's cloud */
  handoff = 'ffs.handoff',
  /** power-safe record (two slots .a/.b): Wi-Fi setup state and the verified home network */
  wssState = 'wss.state',
}
