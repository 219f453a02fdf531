// The Wi-Fi Simple Setup provisionee: an explicit state machine driven by the cloud
// (wss-protocol.md 2 and 4.1). Local states CONNECTING_TO_SETUP_NETWORK and START_PROVISIONING, then
// each cloud state does its DSS call(s), always ends with a `report`, and goes where the report's
// `nextProvisioningState` says. canProceed:false, an unknown state, or a failed report stop the flow.
import type { ConfigValue, Hal, WifiConfiguration, WifiConnectionAttempt, WifiScanResult } from '../../hal/types';
import { base64Encode } from '../crypto/base64';
import { asciiToBytes } from '../crypto/bytes';
import { noConfiguredNetworks } from './codes';
import { createDssClient, type DssClient, type DssError } from './dss-client';
import {
  attemptJson,
  computeConfigurationDataBody,
  CONFIGURATION_FIELDS,
  CREDENTIALS_FIELDS,
  deviceDetailsMember,
  getWifiCredentialsBody,
  parseCredential,
  parseResponse,
  PIN_FIELDS,
  postWifiScanDataBody,
  REPORT_FIELDS,
  reportBody,
  SCAN_FIELDS,
  START_SESSION_FIELDS,
  startPinBasedSetupBody,
  startProvisioningSessionBody,
  type FieldSpec,
  type RequestCommon,
} from './messages';
import { batchEnd, renderScanEntries, usableScanResults } from './scan-data';
import { deriveEncodedSetupNetwork, FALLBACK_SETUP_SSID, SETUP_NONCE_BYTES, type SetupNetwork } from './setup-network';
import { checkConnectivity, DEFAULT_PROBE_HOST, DEFAULT_PROBE_PATH, joinNetwork } from './wifi-join';
import { info, warn } from './log';

/** Connect tries for a setup network (each Espruino connect makes 3 driver attempts, each with
 *  directed probes: about the ESP32 port's 8 directed scans) and their gap. */
export const SETUP_TRIES = 3;
export const SETUP_GAP_MS = 1000;
export const USER_TRIES = 2;
export const USER_GAP_MS = 1000;
/** Bytes of scan entries per postWifiScanData (the SDK's body buffer is 2-4 KB). */
export const SCAN_BATCH_BYTES = 1536;
export const MAX_LOOP_ROUNDS = 16;
export const DSS_NONCE_CHARS = 31;

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export interface ProvisioneeOptions {
  /** every state change (for the log, the LED and the persisted phase) */
  onState?: (state: string) => void;
  /** a user network was joined and verified: the place to save its credentials */
  onUserNetwork: (network: WifiConfiguration) => void;
  /** the end: ok only when the cloud said DONE */
  onDone: (ok: boolean, reason: string) => void;
}

export interface Provisionee {
  state(): string;
  stop(): void;
}

/** A request nonce: 31 characters of the base64 alphabet from random bytes (64 divides 256: no bias). */
export function requestNonce(randomBytes: (n: number) => Uint8Array): string {
  const r = randomBytes(DSS_NONCE_CHARS);
  let s = '';
  for (let i = 0; i < r.length; i++) s += B64.charAt(r[i] & 63);
  return s;
}

/** base64(SHA-256(PIN || salt)), both as ASCII strings (startPinBasedSetup). */
export function hashedPin(sha256: (b: Uint8Array) => Uint8Array, pin: string, salt: string): string {
  return base64Encode(sha256(asciiToBytes(pin + salt)));
}

function configString(hal: Hal, key: string): string {
  const v = hal.config.getConfigurationValue(key);
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '';
}

function configFlag(hal: Hal, key: string, dflt: boolean): boolean {
  const v = hal.config.getConfigurationValue(key);
  if (typeof v === 'boolean') return v;
  if (v === 'true') return true;
  if (v === 'false') return false;
  return dflt;
}

export function startProvisionee(hal: Hal, opts: ProvisioneeOptions): Provisionee {
  const dss: DssClient = createDssClient(hal);
  let state = 'NOT_PROVISIONED';
  let stopped = false;
  let finished = false;
  let sessionId = '';
  let salt = '';
  let setup: SetupNetwork | null = null;
  let setupAttempts: WifiConnectionAttempt[] = [];
  let scanList: WifiScanResult[] = [];
  let credentials: WifiConfiguration[] = [];
  let userAttempts: WifiConnectionAttempt[] = [];

  function isStopped(): boolean {
    return stopped || finished;
  }

  function setState(s: string): void {
    state = s;
    info(hal, 'state ' + s);
    if (opts.onState) opts.onState(s);
  }

  function end(ok: boolean, reason: string): void {
    if (finished || stopped) return;
    finished = true;
    dss.cancel();
    setState(ok ? 'DONE' : 'FAILURE');
    if (!ok) warn(hal, 'setup failed: ' + reason);
    opts.onDone(ok, reason);
  }

  function common(): RequestCommon {
    return {
      nonce: requestNonce(hal.crypto.randomBytes),
      sessionId: sessionId,
      deviceDetails: deviceDetailsMember((k: string): ConfigValue | undefined => hal.config.getConfigurationValue(k)),
    };
  }

  /**
   * A DSS call whose verified body is parsed against `spec`; canProceed:false stops the flow.
   * `build` makes the request body (again for each retry: a fresh nonce every time).
   */
  function dssCall(op: string, build: () => string, spec: FieldSpec, onOk: (v: any) => void, onFail: (why: string) => void): void {
    dss.call(op, build, (err: DssError | null, verified: string | null) => {
      if (isStopped()) return;
      if (err || verified === null) {
        onFail(err ? err.message : 'no response');
        return;
      }
      const parsed = parseResponse(verified, spec);
      if (parsed.error) {
        warn(hal, op + ': ' + parsed.error);
        onFail(parsed.error);
        return;
      }
      if (parsed.value.canProceed === false && op !== 'report') {
        end(false, 'cloud said canProceed:false in ' + op);
        return;
      }
      onOk(parsed.value);
    });
  }

  /** report(state, result) then go where the cloud says. */
  function report(success: boolean, attempts: WifiConnectionAttempt[]): void {
    const list: string[] = [];
    for (let i = 0; i < attempts.length; i++) list.push(attemptJson(attempts[i]));
    const seq = dss.beginReport();
    const reported = state;
    info(hal, 'report ' + state + ' ' + (success ? 'SUCCESS' : 'FAILURE') + ' seq ' + seq);
    dssCall(
      'report',
      () =>
        reportBody({
          common: common(),
          sequenceNumber: seq,
          state: reported,
          registrationState: hal.config.getRegistrationDetails().state,
          success: success,
          attempts: list,
        }),
      REPORT_FIELDS,
      (v) => {
        if (v.canProceed !== true) {
          end(false, 'cloud said canProceed:false after ' + state);
          return;
        }
        if (typeof v.nextProvisioningState !== 'string') {
          end(false, 'report response names no next state');
          return;
        }
        go(v.nextProvisioningState);
      },
      (why) => end(false, 'report of ' + state + ' failed: ' + why),
    );
  }

  // ---- CONNECTING_TO_SETUP_NETWORK ------------------------------------------------------------

  function setupCandidates(onReady: (list: SetupNetwork[]) => void): void {
    const makerSsid = configString(hal, 'WSS.SetupNetworkSsid');
    if (makerSsid) {
      // ffsGetSetupNetworkConfiguration: the maker's own setup network replaces both defaults
      hal.clock.defer(() => onReady([{ ssid: makerSsid, passphrase: configString(hal, 'WSS.SetupNetworkPassphrase'), encoded: false }]));
      return;
    }
    const fallback: SetupNetwork = { ssid: FALLBACK_SETUP_SSID, passphrase: '', encoded: false };
    const pub = hal.config.getConfigurationValue('DeviceInformation.PublicKey');
    const pid = configString(hal, 'DeviceInformation.ProductIndex');
    // configuration values are string | number | boolean | bytes: an object here is the key bytes
    if (typeof pub !== 'object' || pub === null || pid.length !== 4) {
      warn(hal, 'no device public key or product index: only the fallback setup network');
      hal.clock.defer(() => onReady([fallback]));
      return;
    }
    deriveEncodedSetupNetwork({
      crypto: hal.crypto,
      devicePublicKeyDer: pub as Uint8Array,
      productIndex: pid,
      nonce: hal.crypto.randomBytes(SETUP_NONCE_BYTES),
      defer: hal.clock.defer,
      onDone: (err, net) => {
        if (isStopped()) return;
        if (err || !net) {
          warn(hal, 'encoded setup network unavailable: ' + (err ? err.message : '?'));
          onReady([fallback]);
          return;
        }
        info(hal, 'encoded setup network ' + net.ssid);
        onReady([net, fallback]);
      },
    });
  }

  function setupConfig(n: SetupNetwork): WifiConfiguration {
    return { ssid: n.ssid, security: n.passphrase ? 'WPA_PSK' : 'OPEN', key: n.passphrase, hidden: true, priority: 0 };
  }

  function connectSetup(): void {
    setState('CONNECTING_TO_SETUP_NETWORK');
    setupCandidates((list) => {
      let i = 0;
      function next(): void {
        if (isStopped()) return;
        if (i >= list.length) {
          end(false, 'no setup network found');
          return;
        }
        const cand = list[i++];
        joinNetwork(hal, {
          config: setupConfig(cand),
          tries: SETUP_TRIES,
          gapMs: SETUP_GAP_MS,
          isStopped: isStopped,
          onDone: (a) => {
            setupAttempts.push(a);
            if (a.state !== 'ASSOCIATED') {
              hal.wifi.removeConfiguration({ ssid: cand.ssid, onDone: () => next() });
              return;
            }
            setup = cand;
            dss.setViaProvisioner(cand.encoded);
            info(hal, 'on setup network ' + JSON.stringify(cand.ssid) + ', DSS port ' + dss.port());
            startSession();
          },
        });
      }
      next();
    });
  }

  // ---- START_PROVISIONING ---------------------------------------------------------------------

  function startSession(): void {
    setState('START_PROVISIONING');
    dssCall(
      'startProvisioningSession',
      () => startProvisioningSessionBody(requestNonce(hal.crypto.randomBytes)),
      START_SESSION_FIELDS,
      (v) => {
        sessionId = v.sessionId;
        salt = typeof v.salt === 'string' ? v.salt : '';
        info(hal, 'session ' + sessionId);
        report(true, setupAttempts);
      },
      (why) => end(false, 'startProvisioningSession failed: ' + why),
    );
  }

  // ---- START_PIN_BASED_SETUP --------------------------------------------------------------------

  function pinSetup(): void {
    const pin = configString(hal, 'DeviceInformation.Pin');
    if (!pin) {
      warn(hal, 'PIN-based setup asked but the device has no PIN');
      hal.clock.defer(() => report(false, []));
      return;
    }
    dssCall(
      'startPinBasedSetup',
      () => startPinBasedSetupBody(common(), hashedPin(hal.crypto.sha256, pin, salt)),
      PIN_FIELDS,
      () => report(true, []),
      () => report(false, []),
    );
  }

  // ---- COMPUTE_CONFIGURATION --------------------------------------------------------------------

  function computeConfiguration(): void {
    dssCall(
      'computeConfigurationData',
      () => computeConfigurationDataBody(common()),
      CONFIGURATION_FIELDS,
      (v) => {
        const cfg = v.configuration || {};
        const keys = Object.keys(cfg);
        for (let i = 0; i < keys.length; i++) {
          const val = cfg[keys[i]];
          if (typeof val !== 'string' && typeof val !== 'boolean' && typeof val !== 'number') continue;
          const err = hal.config.setConfigurationValue(keys[i], val);
          if (err && err.code !== 'NOT_IMPLEMENTED') warn(hal, 'cannot store ' + keys[i] + ': ' + err.message);
        }
        const reg = v.registrationDetails;
        if (reg && typeof reg.registrationToken === 'string') {
          hal.config.setRegistrationToken(reg.registrationToken, typeof reg.expiresAt === 'number' ? reg.expiresAt : 0);
        }
        info(hal, 'stored ' + keys.length + ' configuration values');
        report(true, []);
      },
      () => report(false, []),
    );
  }

  // ---- POST_WIFI_SCAN_DATA ----------------------------------------------------------------------

  function postScanData(): void {
    hal.wifi.scan({
      onDone: (err, results) => {
        if (isStopped()) return;
        if (err || !results) {
          warn(hal, 'scan failed: ' + (err ? err.message : '?'));
          report(false, []);
          return;
        }
        if (hal.crypto.addEntropy) {
          // what the radio heard (BSSIDs, RSSI, channels) is fresh, unpredictable input for the DRBG
          let heard = '';
          for (let i = 0; i < results.length; i++) heard += results[i].bssid + results[i].rssi + ',' + results[i].channel;
          hal.crypto.addEntropy(asciiToBytes(heard));
        }
        const exclude = [FALLBACK_SETUP_SSID];
        if (setup) exclude.push(setup.ssid);
        scanList = usableScanResults(results, {
          allowOpen: configFlag(hal, 'WSS.AllowOpenNetworks', true),
          allowWep: configFlag(hal, 'WSS.AllowWepNetworks', true),
          exclude: exclude,
        });
        const entries = renderScanEntries(scanList);
        info(hal, 'scan: ' + results.length + ' results, ' + entries.length + ' to post');
        let start = 0;
        let seq = 1;
        let posted = 0;
        function post(): void {
          const stop = batchEnd(entries, start, SCAN_BATCH_BYTES);
          dssCall(
            'postWifiScanData',
            () => postWifiScanDataBody(common(), seq, entries.slice(start, stop)),
            SCAN_FIELDS,
            (v) => {
              posted++;
              start = stop;
              seq++;
              info(hal, 'posted scan batch ' + (seq - 1) + ', credentials found ' + v.totalCredentialsFound);
              if (start < entries.length && !v.allCredentialsFound && seq <= MAX_LOOP_ROUNDS) post();
              else report(true, []);
            },
            () => report(posted > 0, []),
          );
        }
        post();
      },
    });
  }

  // ---- GET_WIFI_LIST ----------------------------------------------------------------------------

  function getCredentials(): void {
    let seq = 1;
    let got = 0;
    credentials = [];
    function ask(): void {
      dssCall(
        'getWifiCredentials',
        () => getWifiCredentialsBody(common(), seq),
        CREDENTIALS_FIELDS,
        (v) => {
          got++;
          const list = v.wifiCredentialsList || [];
          let skipped = 0;
          for (let i = 0; i < list.length; i++) {
            const c = parseCredential(list[i], credentials.length);
            if (c) credentials.push(c);
            else skipped++;
          }
          info(hal, 'credentials batch ' + seq + ': ' + (list.length - skipped) + ' usable, ' + skipped + ' malformed skipped');
          seq++;
          if (!v.allCredentialsReturned && seq <= MAX_LOOP_ROUNDS) ask();
          else report(true, []);
        },
        () => report(got > 0, []),
      );
    }
    ask();
  }

  // ---- CONNECTING_TO_USER_NETWORK ---------------------------------------------------------------

  function backToSetup(onBack: () => void): void {
    if (!setup) {
      onBack();
      return;
    }
    const s = setup;
    joinNetwork(hal, {
      config: setupConfig(s),
      tries: SETUP_TRIES,
      gapMs: SETUP_GAP_MS,
      isStopped: isStopped,
      onDone: (a) => {
        if (a.state !== 'ASSOCIATED') {
          end(false, 'cannot return to the setup network to report');
          return;
        }
        dss.setViaProvisioner(s.encoded);
        onBack();
      },
    });
  }

  function connectUser(): void {
    userAttempts = [];
    const leaving = setup ? setup.ssid : '';
    // ffsRemoveWifiConfiguration also disconnects; DSS goes back to its normal port
    hal.wifi.removeConfiguration({
      ssid: leaving,
      onDone: () => {
        if (isStopped()) return;
        dss.setViaProvisioner(false);
        let i = 0;
        function failAll(): void {
          if (credentials.length === 0) userAttempts.push({ ssid: '', security: 'OTHER', state: 'FAILED', errorDetails: noConfiguredNetworks() });
          warn(hal, 'no user network worked; back to the setup network to report');
          backToSetup(() => report(false, userAttempts));
        }
        function next(): void {
          if (isStopped()) return;
          if (i >= credentials.length) {
            failAll();
            return;
          }
          const c = credentials[i++];
          joinNetwork(hal, {
            config: c,
            tries: USER_TRIES,
            gapMs: USER_GAP_MS,
            isStopped: isStopped,
            onDone: (a) => {
              if (a.state !== 'ASSOCIATED') {
                userAttempts.push(a);
                hal.wifi.removeConfiguration({ ssid: c.ssid, onDone: () => next() });
                return;
              }
              checkConnectivity(hal, {
                probeHost: configString(hal, 'Connectivity.ProbeHost') || DEFAULT_PROBE_HOST,
                probePath: configString(hal, 'Connectivity.ProbePath') || DEFAULT_PROBE_PATH,
                onDone: (problem) => {
                  if (isStopped()) return;
                  if (problem) {
                    userAttempts.push({ ssid: c.ssid, security: c.security, state: 'FAILED', errorDetails: problem });
                    hal.wifi.removeConfiguration({ ssid: c.ssid, onDone: () => next() });
                    return;
                  }
                  userAttempts.push(a);
                  info(hal, 'joined user network ' + JSON.stringify(c.ssid));
                  opts.onUserNetwork(c);
                  report(true, userAttempts);
                },
              });
            },
          });
        }
        next();
      },
    });
  }

  // ---- dispatch -----------------------------------------------------------------------------------

  function go(next: string): void {
    if (isStopped()) return;
    setState(next);
    switch (next) {
      case 'START_PIN_BASED_SETUP':
        pinSetup();
        return;
      case 'COMPUTE_CONFIGURATION':
        computeConfiguration();
        return;
      case 'POST_WIFI_SCAN_DATA':
        postScanData();
        return;
      case 'GET_WIFI_LIST':
        getCredentials();
        return;
      case 'CONNECTING_TO_USER_NETWORK':
        connectUser();
        return;
      case 'CONNECTED_TO_USER_NETWORK':
        report(true, []);
        return;
      case 'DONE':
        finished = true;
        dss.cancel();
        info(hal, 'Wi-Fi Simple Setup done');
        opts.onDone(true, 'DONE');
        return;
      default:
        end(false, 'cloud asked for state ' + next + ', which this device does not run');
    }
  }

  hal.clock.defer(connectSetup);

  return {
    state: () => state,
    stop(): void {
      if (stopped) return;
      stopped = true;
      dss.cancel();
      setState('TERMINATED');
    },
  };
}
