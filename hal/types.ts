/**
 * The HAL contract: everything `firmware/` may ask of the chip.
 *
 * It mirrors the compatibility layer of Amazon's FFS provisionee C SDK (the `ffs*` functions a
 * device maker implements) plus what the BLE Mesh flow, timers, storage, button and LED need.
 * One `Hal` object is handed to `main(hal)`; `firmware/` never touches a global.
 *
 * Rules every implementation keeps (hal/espruino/ on the board, and so the simulator):
 *  - Services that wait for the world take ONE options object with callbacks (`onDone(err, result)`,
 *    `onPacket`, `onWrite`...). Callbacks are NEVER called synchronously from the call that
 *    registered them. Errors go to callbacks as `HalError`; throwing is only for programming misuse.
 *  - Pure computations that finish quickly (SHA-256, HMAC, random bytes, storage reads) return values.
 *  - Nothing here logs or returns a secret the caller did not supply (device private key, seed).
 *
 * The dialect: this file is types only; implementations must be Espruino-safe (see build/check.mjs).
 */

/** Byte strings are always Uint8Array. */
export type Bytes = Uint8Array;

/** An error handed to a callback. `code` is stable and machine-readable, `message` is for people. */
export interface HalError {
  code: string;
  message: string;
}

export type OnDone<T> = (err: HalError | null, result: T | null) => void;

// ---------------------------------------------------------------------------------------------
// Log (ffsLog)
// ---------------------------------------------------------------------------------------------

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogService {
  /** `ffsLog`: add a line to the log at a level. Never pass secrets. */
  log(level: LogLevel, tag: string, message: string): void;
}

// ---------------------------------------------------------------------------------------------
// Clock and timers
// ---------------------------------------------------------------------------------------------

export type TimerId = number;

export interface ClockService {
  /** Milliseconds since boot (monotonic, may be fractional). */
  now(): number;
  /** Run `fn` once after `ms` milliseconds. */
  setTimeout(fn: () => void, ms: number): TimerId;
  clearTimeout(id: TimerId): void;
  setInterval(fn: () => void, ms: number): TimerId;
  clearInterval(id: TimerId): void;
  /** Run `fn` on a later turn of the event loop (used to keep callbacks asynchronous). */
  defer(fn: () => void): void;
}

// ---------------------------------------------------------------------------------------------
// Key-value storage (Espruino's Storage, flash-backed)
// ---------------------------------------------------------------------------------------------

export interface StorageService {
  /** The whole file as bytes, or null when it does not exist. */
  read(name: string): Bytes | null;
  /**
   * A READ-ONLY view of the file straight from flash (memory-mapped on the board: no RAM copy), or
   * null. For large constant data such as fixed-base tables. Never write into it or wipe it.
   */
  readMapped(name: string): Bytes | null;
  /** The whole file as a (binary) string, or null when it does not exist. */
  readString(name: string): string | null;
  /** Parsed JSON, or null when missing; a corrupt file gives a HalError-coded throw-free null + log. */
  readJSON<T>(name: string): T | null;
  /** Replace the file. Returns null on success or an error (e.g. `STORAGE_FULL`). */
  write(name: string, data: Bytes | string): HalError | null;
  writeJSON(name: string, value: unknown): HalError | null;
  erase(name: string): void;
  /** File names starting with `prefix` ('' for all). */
  list(prefix: string): string[];
  /** Free bytes. */
  free(): number;
  /** Rewrite Storage without its trash, so erased secrets do not linger in flash (optional). */
  compact?(): void;
}

// ---------------------------------------------------------------------------------------------
// Crypto (ffsRandomBytes, ffsSha256, ffsComputeHMACSHA256, ffsComputeECDHKey, ffsVerifyCloudSignature)
// ---------------------------------------------------------------------------------------------

export interface CryptoService {
  /** `ffsRandomBytes`: cryptographic-quality random bytes (HMAC-DRBG, never the board's LCG). */
  randomBytes(length: number): Bytes;
  /** `ffsSha256`. */
  sha256(data: Bytes): Bytes;
  /** `ffsComputeHMACSHA256`. */
  hmacSha256(key: Bytes, data: Bytes): Bytes;
  /**
   * `ffsComputeECDHKey`: SHA-256 of the X coordinate of (device private key x cloud public key),
   * 32 bytes. The cloud key defaults to the device-type key (`DSS.PublicKey`). Runs in slices.
   */
  computeEcdhKey(opts: { peerPublicKeyDer?: Bytes; onDone: OnDone<Bytes> }): void;
  /**
   * `ffsVerifyCloudSignature`: ECDSA P-256 / SHA-256 over `payload` with the device-type public key;
   * `derSignature` is DER. Result true only for a valid signature. Runs in slices.
   */
  verifyCloudSignature(opts: { payload: Bytes; derSignature: Bytes; onDone: OnDone<boolean> }): void;
  /** Sign `data` (ECDSA P-256 / SHA-256, DER) with the device private key (post-setup hand-off). */
  signWithDeviceKey(opts: { data: Bytes; onDone: OnDone<Bytes> }): void;
  /** Native AES-128 block encryption when the firmware has it (else undefined: use firmware/crypto). */
  aes128EncryptBlock?: (key: Bytes, block: Bytes) => Bytes;
  /**
   * Mix extra entropy into the random-bytes generator at its next reseed (Wi-Fi RSSI and scan
   * results, radio timings). Optional for test doubles; the Espruino HAL has it.
   */
  addEntropy?: (data: Bytes) => void;
}

// ---------------------------------------------------------------------------------------------
// Configuration and registration (ffsSet/GetConfigurationValue, ffsSet/GetRegistrationToken,
// ffsGetRegistrationDetails)
// ---------------------------------------------------------------------------------------------

export type ConfigValue = string | number | boolean | Bytes;

export type RegistrationState = 'NOT_REGISTERED' | 'IN_PROGRESS' | 'COMPLETE' | 'FAILED';

export interface ErrorDetails {
  operation?: string;
  cause?: string;
  details?: string;
  /** e.g. "3:2:0:1" */
  code?: string;
}

export interface RegistrationDetails {
  state: RegistrationState;
  httpCode?: number;
  errorDetails?: ErrorDetails;
}

export interface ConfigService {
  /** `ffsSetConfigurationValue` (e.g. `DSS.Host`, `FFS.SessionToken`). Persisted. */
  setConfigurationValue(key: string, value: ConfigValue): HalError | null;
  /** `ffsGetConfigurationValue`; undefined stands for FFS_NOT_IMPLEMENTED (no such value). */
  getConfigurationValue(key: string): ConfigValue | undefined;
  /** `ffsSetRegistrationToken` (token and expiry in ms since the epoch). */
  setRegistrationToken(token: string, expiresAtMs: number): HalError | null;
  /** `ffsGetRegistrationToken`; null when none. */
  getRegistrationToken(): string | null;
  /** `ffsGetRegistrationDetails`. */
  getRegistrationDetails(): RegistrationDetails;
  /** Factory reset: forget every value set at run time (the flashed identity stays). No ffs* twin. */
  resetConfiguration(): void;
}

// ---------------------------------------------------------------------------------------------
// HTTP (ffsHttpExecute): one exchange; retry policy lives in firmware/wss.
// ---------------------------------------------------------------------------------------------

export interface HttpRequest {
  method: 'POST' | 'GET';
  host: string;
  port: number;
  path: string;
  headers: { [name: string]: string };
  body: string;
  /** Mutual TLS with the device certificate chain and key (true for DSS). */
  tls: boolean;
  timeoutMs: number;
}

export interface HttpResponse {
  statusCode: number;
  /** In arrival order, names as sent; duplicates kept so callers can reject them. */
  headers: Array<[string, string]>;
  /** The exact body bytes as a binary string. */
  body: string;
}

export interface HttpService {
  /**
   * `ffsHttpExecute`: one request/response, no retries. Network failures are `onDone(err)` with
   * err.code `NET_DNS`, `NET_CONNECT`, `NET_TLS`, `NET_TIMEOUT` (no complete answer in `timeoutMs`),
   * `NET_RESET` (closed before the response was complete), `NET_PROTOCOL` (not HTTP/1.x) or
   * `NET_TOO_LARGE` (body over `maxBodyBytes`, the connection is dropped at once); any HTTP status is
   * a response. TLS uses the device certificate chain and key from Storage (read only inside the HAL).
   */
  execute(opts: { request: HttpRequest; maxBodyBytes: number; onDone: OnDone<HttpResponse> }): void;
}

// ---------------------------------------------------------------------------------------------
// Wi-Fi (ffsGetWifiScanResult, ffsAddWifiConfiguration, ffsRemoveWifiConfiguration,
// ffsConnectToWifi, ffsGetWifiConnectionDetails, ffsGetWifiConnectionAttempt)
// ---------------------------------------------------------------------------------------------

export type WifiSecurity = 'OPEN' | 'WPA_PSK' | 'WEP' | 'OTHER' | 'UNKNOWN';

export type WifiConnectionState =
  | 'IDLE'
  | 'DISCONNECTED'
  | 'UNAUTHENTICATED'
  | 'AUTHENTICATED'
  | 'ASSOCIATED'
  | 'FAILED';

export interface WifiScanResult {
  ssid: string;
  /** "AA:BB:CC:DD:EE:FF", upper case; '' when unknown */
  bssid: string;
  security: WifiSecurity;
  channel: number;
  rssi: number;
  hidden: boolean;
}

export interface WifiConfiguration {
  ssid: string;
  security: WifiSecurity;
  /** Passphrase (WPA) or key (WEP); '' for open. */
  key: string;
  hidden: boolean;
  /** Lower is tried first. */
  priority: number;
}

export interface WifiConnectionAttempt {
  ssid: string;
  security: WifiSecurity;
  state: WifiConnectionState;
  errorDetails?: ErrorDetails;
}

export interface WifiConnectionDetails {
  ssid: string;
  security: WifiSecurity;
  state: WifiConnectionState;
  ip?: string;
}

export interface WifiService {
  /**
   * A full scan (Espruino `Wifi.scan`); its results back `getScanResult` (`ffsGetWifiScanResult`).
   * Espruino has no directed scan: a directed probe for a hidden SSID is a `connect({ ssid })`.
   */
  scan(opts: { onDone: OnDone<WifiScanResult[]> }): void;
  /**
   * `ffsGetWifiScanResult`: the next result of the last scan, or null (underrun). Optional: the C
   * SDK's pull interface for what `scan`'s onDone already hands over (the Espruino HAL omits it).
   */
  getScanResult?(): WifiScanResult | null;
  /** `ffsAddWifiConfiguration`. */
  addConfiguration(config: WifiConfiguration): HalError | null;
  /** `ffsRemoveWifiConfiguration`: forget networks with this SSID, disconnecting if connected. */
  removeConfiguration(opts: { ssid: string; onDone: OnDone<null> }): void;
  /**
   * `ffsConnectToWifi`: join the configured network named `ssid` (without `ssid`: the one with the
   * lowest priority; for a hidden network this sends the directed probe requests), handing the
   * attempt to `onAttempt` (none when nothing is configured under that name).
   * Done with the details once ASSOCIATED (the station has an IP). A failure is a HalError whose code
   * says why: `WIFI_WRONG_PASSWORD`, `WIFI_NO_AP_FOUND`, `WIFI_CONNECT_FAIL`, `WIFI_TIMEOUT`,
   * `WIFI_BAD_CONFIG` (the radio refused the configuration), `WIFI_NOT_CONFIGURED` (nothing to try).
   */
  connect(opts: {
    ssid?: string;
    onAttempt?: (attempt: WifiConnectionAttempt) => void;
    onDone: OnDone<WifiConnectionDetails>;
  }): void;
  /** `ffsGetWifiConnectionDetails`. */
  getConnectionDetails(opts: { onDone: OnDone<WifiConnectionDetails> }): void;
  /**
   * `ffsGetWifiConnectionAttempt`: the next recorded attempt, or null (underrun). Optional, like
   * getScanResult: `connect`'s onAttempt hands over each attempt (firmware/wss records its own).
   */
  getConnectionAttempt?(): WifiConnectionAttempt | null;
  /** Disconnect from the station network. */
  disconnect(opts: { onDone: OnDone<null> }): void;
  /** Soft-AP for the maker's own setup fallback (open when `password` is ''). No ffs* twin. */
  startAccessPoint(opts: { ssid: string; password: string; onDone: OnDone<null> }): void;
  stopAccessPoint(opts: { onDone: OnDone<null> }): void;
}

// ---------------------------------------------------------------------------------------------
// Local networking for soft-AP setup and local discovery
// ---------------------------------------------------------------------------------------------

export interface NetService {
  /** Answer UDP datagrams on `port` (local discovery). */
  listenUdp(opts: {
    port: number;
    onMessage: (message: string, from: { address: string; port: number }, reply: (answer: string) => void) => void;
    onDone: OnDone<null>;
  }): void;
  closeUdp(port: number): void;
  /** A tiny HTTP server (soft-AP setup page). */
  serveHttp(opts: {
    port: number;
    onRequest: (
      req: { method: string; path: string; body: string },
      respond: (status: number, contentType: string, body: string) => void,
    ) => void;
    onDone: OnDone<null>;
  }): void;
  closeHttp(port: number): void;
}

// ---------------------------------------------------------------------------------------------
// BLE (advertising, scanning, a GATT service with write and notify) for the mesh bearers
// ---------------------------------------------------------------------------------------------

export interface GattServiceSpec {
  /** 16-bit service UUID, e.g. 0x1827 */
  service: number;
  /** characteristic the peer writes (write without response), e.g. 0x2ADB */
  dataIn: number;
  /** characteristic we notify on, e.g. 0x2ADC */
  dataOut: number;
  /** longest value either characteristic holds */
  maxLength: number;
  /** one write from the connected central (never called synchronously) */
  onWrite: (data: Bytes) => void;
  /** a central connected; `mtu` is the ATT_MTU when the firmware reports it, else 23 (ESP32: always 23) */
  onConnect: (mtu: number) => void;
  /** the connection ended (either side) */
  onDisconnect: () => void;
}

export interface BleService {
  /**
   * What this firmware build can do. `pbGatt` turns false when `setGattService` finds that GATT
   * notifications do not work (older ESP32 builds: NRF.updateServices throws).
   */
  readonly supports: { pbGatt: boolean; pbAdv: boolean };
  /** Advertise raw AD structures (at most 31 bytes), replacing the current advertisement. */
  setAdvertising(opts: { data: Bytes; connectable: boolean; intervalMs: number }): HalError | null;
  stopAdvertising(): void;
  /** Receive the raw advertising data of every packet heard (garbage reports are dropped here). */
  startScan(opts: { onPacket: (data: Bytes, rssi: number) => void }): HalError | null;
  stopScan(): void;
  /**
   * Publish a GATT service (one at a time; the BLE UART console stays closed). Returns an error with
   * code `UNSUPPORTED` when this firmware cannot notify.
   */
  setGattService(spec: GattServiceSpec): HalError | null;
  /** Remove the GATT service (e.g. the Provisioning Service once provisioned); the console stays closed. */
  clearGattService(): void;
  /** Notify `data` (at most ATT_MTU - 3 bytes) on `dataOut` of the current service. */
  notify(data: Bytes): HalError | null;
  /** Drop the current connection, if any. */
  disconnect(): void;
}

// ---------------------------------------------------------------------------------------------
// Button, LED, system
// ---------------------------------------------------------------------------------------------

export interface ButtonService {
  /** Called on every press and release, debounced; `atMs` is clock time. */
  watch(opts: { onChange: (pressed: boolean, atMs: number) => void }): void;
}

export interface LedService {
  set(on: boolean): void;
}

export interface SystemService {
  /** e.g. "2v29" */
  readonly firmwareVersion: string;
  /** e.g. "ESP32" */
  readonly board: string;
  /** Close the interactive console on BLE UART and telnet (called at every boot). */
  hardenConsole(): void;
  /** Free and total interpreter variables. */
  memory(): { free: number; total: number };
  reboot(): void;
}

/** Everything the firmware can use. */
export interface Hal {
  log: LogService;
  clock: ClockService;
  storage: StorageService;
  crypto: CryptoService;
  config: ConfigService;
  http: HttpService;
  wifi: WifiService;
  net: NetService;
  ble: BleService;
  button: ButtonService;
  led: LedService;
  system: SystemService;
}
