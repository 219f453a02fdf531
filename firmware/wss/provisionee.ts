// The Wi-Fi Simple Setup provisionee: an explicit state machine driven by the cloud
// (wss-protocol.md 2 and 4.1). Local states CONNECTING_TO_SETUP_NETWORK and START_PROVISIONING, then
// each cloud state does its DSS call(s), always ends with a `report`, and goes where the report's
// `nextProvisioningState` says. canProceed:false, an unknown state, or a failed report stop the flow.
import type { Hal, WifiConfiguration, WifiConnectionAttempt } from '../../hal/types';
import { base64Encode } from '../crypto/base64';
import { asciiToBytes } from '../crypto/bytes';
import { errorDetails } from './codes';
import { configFlag, configString } from './config';
import { createDssClient } from './dss-client';
import {
  attemptJson,
  CONFIGURATION_FIELDS,
  CREDENTIALS_FIELDS,
  deviceDetails,
  parseCredential,
  parseResponse,
  PAGE_FIELDS,
  PIN_FIELDS,
  REPORT_FIELDS,
  reportPairs,
  requestBody,
  SCAN_FIELDS,
  scanEntryJson,
  START_SESSION_FIELDS,
  type FieldSpec,
} from './messages';
import type { Members } from './json-out';
import { batchEnd, usableScanResults } from './scan-data';
import { deriveEncodedSetupNetwork, FALLBACK_SETUP_SSID, SETUP_NONCE_BYTES, type SetupNetwork } from './setup-network';
import { checkConnectivity, joinNetwork, wifiConfig } from './wifi-join';
import { info, warn } from './log';

/** Connect tries for a setup network (each Espruino connect makes 3 driver attempts, each with
 *  directed probes: about the ESP32 port's 8 directed scans), 1 s apart; 2 for a user network. */
export const SETUP_TRIES = 3;
export const USER_TRIES = 2;
/** Bytes of scan entries per postWifiScanData (the SDK's body buffer is 2-4 KB). */
export const SCAN_BATCH_BYTES = 1536;
export const MAX_LOOP_ROUNDS = 16;

/** The cloud states this device runs, in the order of their handlers in go(). */
const STATES = 'START_PIN_BASED_SETUP COMPUTE_CONFIGURATION POST_WIFI_SCAN_DATA GET_WIFI_LIST CONNECTING_TO_USER_NETWORK CONNECTED_TO_USER_NETWORK'.split(' ');

export interface ProvisioneeOptions {
  /** a user network was joined and verified: the place to save its credentials */
  onUserNetwork: (network: WifiConfiguration) => void;
  /** the end: ok only when the cloud said DONE; `code`: the guide's error code of the last failed
   *  Wi-Fi attempt ('' when none failed), for the maker's onSetupFailed */
  onDone: (ok: boolean, reason: string, code: string) => void;
}

export interface Provisionee {
  stop(): void;
}

/**
 * A request nonce: 31 characters of the base64 alphabet from random bytes (each character is 6
 * random bits: no bias).
 */
export function requestNonce(randomBytes: (n: number) => Uint8Array): string {
  return base64Encode(randomBytes(24)).slice(0, 31);
}

/** base64(SHA-256(PIN || salt)), both as ASCII strings (startPinBasedSetup). */
export const hashedPin = (sha256: (b: Uint8Array) => Uint8Array, pin: string, salt: string): string => base64Encode(sha256(asciiToBytes(pin + salt)));

/** The configuration keys the cloud may set; local settings (DSS.Host, WSS.*, SoftAp.*, pins...) stay the maker's. */
export const CLOUD_CONFIG_KEY = /^(FFS|LocaleConfiguration|SmartHome|Time)\.[A-Za-z]+$|^DSS\.ReportUrl$/;

export function startProvisionee(hal: Hal, opts: ProvisioneeOptions): Provisionee {
  const dss = createDssClient(hal);
  /** the state, set by start() before anything reads it */
  let state = '';
  /** set by stop() and by the end of the run: every later callback is dropped */
  let stopped = false;
  let sessionId = '';
  let salt = '';
  let setup: SetupNetwork | null = null;
  /** the attempts the next report lists (setup networks, then user networks) */
  let attempts: WifiConnectionAttempt[] = [];
  let credentials: WifiConfiguration[] = [];
  const isStopped = (): boolean => stopped;
  let failCode = '';
  function noteFailures(): void {
    for (const a of attempts) failCode = (a.errorDetails || {}).code || failCode;
  }

  function setState(s: string): void {
    state = s;
    info(hal, 'state ' + s);
  }

  /** The run ends in state `s` (once): every later callback is dropped. */
  function halt(s: string): boolean {
    if (stopped) return false;
    stopped = true;
    dss.cancel();
    setState(s);
    return true;
  }

  function end(ok: boolean, reason: string): void {
    if (!halt(ok ? 'DONE' : 'FAILURE')) return;
    if (ok) info(hal, 'Wi-Fi Simple Setup done');
    else warn(hal, 'setup failed: ' + reason);
    noteFailures();
    opts.onDone(ok, reason, failCode);
  }

  /**
   * A DSS call whose verified body is parsed against `spec`; canProceed:false stops the flow. The
   * body is built again for each send (a fresh nonce every time): the common members, then `more()`.
   * Once the run ended, the cancelled client sends nothing and answers nothing.
   */
  function dssCall(op: string, more: () => Members, spec: FieldSpec, onOk: (v: any) => void, onFail: (why: string) => void, seq?: number): void {
    dss.call(op, () => requestBody(requestNonce(hal.crypto.randomBytes), sessionId, deviceDetails(hal.config), more()), (err, verified) => {
      // the parsed answer, or (a string) why the call or the answer failed
      const v = err || parseResponse(verified, spec);
      // the device-type key signs for every unit of the type: once the session started, an answer
      // without this session's id (the real DSS puts it in every one), or with another page than the
      // one asked for, is a replay and refused like a malformed one
      const why = typeof v === 'string' ? v : (sessionId && v.sessionId !== sessionId) || (seq && v.sequenceNumber !== seq) ? 'replay' : '';
      if (why) {
        if (!err) warn(hal, op + ': ' + why);
        onFail(why);
      } else if (v.canProceed === false && op !== 'report') end(false, 'canProceed:false ' + op);
      else onOk(v);
    });
  }

  /** report(state, result, the attempts so far) then go where the cloud says. */
  function report(success: boolean): void {
    noteFailures();
    const list = attempts.map(attemptJson);
    const seq = dss.beginReport();
    const reported = state;
    attempts = [];
    info(hal, 'report ' + seq + (success ? ' ok' : ' failed'));
    dssCall(
      'report',
      () => reportPairs(seq, reported, hal.config.getRegistrationDetails().state, success, list),
      REPORT_FIELDS,
      (v) => {
        // (REPORT_FIELDS: nextProvisioningState, when there, is a string)
        if (v.canProceed === true && v.nextProvisioningState) go(v.nextProvisioningState);
        else end(false, 'no next state after ' + reported);
      },
      (why) => end(false, 'report ' + reported + ': ' + why),
    );
  }

  /**
   * postWifiScanData / getWifiCredentials (`spec`: the members after PAGE_FIELDS): pages with sequenceNumber 1, 2, ... while `onPage` asks
   * for more (at most MAX_LOOP_ROUNDS), then report; a failed page reports SUCCESS only when an
   * earlier page went through.
   */
  function pages(op: string, spec: FieldSpec, more: () => Members, onPage: (v: any) => boolean): void {
    let seq = 1;
    const ask = (): void => {
      dssCall(
        op,
        () => (['sequenceNumber', seq] as Members).concat(more()),
        PAGE_FIELDS + spec,
        (v) => {
          if (onPage(v) && ++seq <= MAX_LOOP_ROUNDS) ask();
          else report(true);
        },
        () => report(seq > 1),
        seq,
      );
    };
    ask();
  }

  // ---- CONNECTING_TO_SETUP_NETWORK: the candidates in order ---------------------------------

  /** Join setup network `n`, its attempt recorded (guide: every network tried has one, a re-join
   *  too); once on it, DSS is reached through it. */
  function joinSetup(n: SetupNetwork, then: (ok: boolean) => void): void {
    joinNetwork(hal, wifiConfig(n.ssid, n.passphrase, true), SETUP_TRIES, 1000, isStopped, (a) => {
      attempts.push(a);
      if (!a.errorDetails) dss.setViaProvisioner(n.encoded);
      then(!a.errorDetails);
    });
  }

  function connectSetup(list: SetupNetwork[]): void {
    const cand = list.shift();
    if (!cand) end(false, 'no setup network');
    else
      joinSetup(cand, (ok) => {
        if (!ok) hal.wifi.removeConfiguration({ ssid: cand.ssid, onDone: () => connectSetup(list) });
        else {
          setup = cand;
          info(hal, 'on ' + JSON.stringify(cand.ssid) + ', DSS port ' + dss.port());
          // START_PROVISIONING
          setState('START_PROVISIONING');
          dssCall(
            'startProvisioningSession',
            () => [],
            START_SESSION_FIELDS,
            (v) => {
              sessionId = v.sessionId;
              salt = v.salt || '';
              report(true);
            },
            (why) => end(false, 'startProvisioningSession: ' + why),
          );
        }
      });
  }

  function start(): void {
    setState('CONNECTING_TO_SETUP_NETWORK');
    // ffsGetSetupNetworkConfiguration: the maker's own setup network replaces the simple_setup
    // fallback only; the encoded network is always tried first
    const maker = configString(hal, 'WSS.SetupNetworkSsid');
    const fallback: SetupNetwork = { ssid: maker || FALLBACK_SETUP_SSID, passphrase: maker && configString(hal, 'WSS.SetupNetworkPassphrase'), encoded: false };
    const pub = hal.config.getConfigurationValue('DeviceInformation.PublicKey');
    // configuration values are string | number | boolean | bytes: an object here is the key bytes
    if (typeof pub !== 'object' || !pub) {
      warn(hal, 'no device key');
      connectSetup([fallback]);
    } else
      deriveEncodedSetupNetwork(hal.crypto, pub, configString(hal, 'DeviceInformation.ProductIndex'), hal.crypto.randomBytes(SETUP_NONCE_BYTES), hal.clock.defer, (err, net) => {
        if (stopped) return;
        if (net) info(hal, 'encoded setup network ' + net.ssid);
        else warn(hal, 'no encoded network: ' + (err ? err.message : '?'));
        // a maker name equal to the encoded one is tried once, as the encoded network
        connectSetup(net && net.ssid !== fallback.ssid ? [net, fallback] : [net || fallback]);
      });
  }

  // ---- START_PIN_BASED_SETUP --------------------------------------------------------------------

  function pinSetup(): void {
    const pin = configString(hal, 'DeviceInformation.Pin');
    if (!pin) {
      warn(hal, 'no PIN');
      report(false);
    } else dssCall('startPinBasedSetup', () => ['hashedPin', '"' + hashedPin(hal.crypto.sha256, pin, salt) + '"'], PIN_FIELDS, () => report(true), () => report(false));
  }

  // ---- COMPUTE_CONFIGURATION --------------------------------------------------------------------

  function computeConfiguration(): void {
    dssCall(
      'computeConfigurationData',
      () => [],
      CONFIGURATION_FIELDS,
      (v) => {
        const cfg = v.configuration || {};
        for (const k in cfg) {
          const val = cfg[k];
          // from JSON: a string, number or boolean, else an object, an array or null (skipped)
          if (typeof val === 'object') continue;
          if (!CLOUD_CONFIG_KEY.test(k)) {
            warn(hal, 'ignored ' + k);
            continue;
          }
          const err = hal.config.setConfigurationValue(k, val);
          if (err && err.code !== 'NOT_IMPLEMENTED') warn(hal, k + ': ' + err.message);
        }
        const reg = v.registrationDetails;
        if (reg && typeof reg.registrationToken === 'string') {
          hal.config.setRegistrationToken(reg.registrationToken, typeof reg.expiresAt === 'number' ? reg.expiresAt : 0);
        }
        report(true);
      },
      () => report(false),
    );
  }

  // ---- POST_WIFI_SCAN_DATA ----------------------------------------------------------------------

  function postScanData(): void {
    hal.wifi.scan({
      onDone: (err, results) => {
        if (stopped) return;
        if (!results) {
          warn(hal, 'scan failed: ' + (err ? err.message : '?'));
          report(false);
          return;
        }
        if (hal.crypto.addEntropy) {
          // what the radio heard (BSSIDs, RSSI, channels) is fresh, unpredictable input for the DRBG
          let heard = '';
          results.forEach((r) => (heard += r.bssid + r.rssi + ',' + r.channel));
          hal.crypto.addEntropy(asciiToBytes(heard));
        }
        const allowed = ['WPA_PSK'];
        if (configFlag(hal, 'WSS.AllowOpenNetworks')) allowed.push('OPEN');
        if (configFlag(hal, 'WSS.AllowWepNetworks')) allowed.push('WEP');
        const entries = usableScanResults(results, allowed, [FALLBACK_SETUP_SSID, setup ? setup.ssid : '']).map(scanEntryJson);
        info(hal, 'scan: post ' + entries.length + ' of ' + results.length);
        let start = 0;
        let stop = 0;
        pages(
          'postWifiScanData',
          SCAN_FIELDS,
          () => {
            stop = batchEnd(entries, start, SCAN_BATCH_BYTES);
            return ['wifiScanDataList', '[' + entries.slice(start, stop).join() + ']'];
          },
          (v) => {
            start = stop;
            return start < entries.length && !v.allCredentialsFound;
          },
        );
      },
    });
  }

  // ---- GET_WIFI_LIST ----------------------------------------------------------------------------

  function getCredentials(): void {
    credentials = [];
    pages('getWifiCredentials', CREDENTIALS_FIELDS, () => [], (v) => {
      const list = v.wifiCredentialsList || [];
      let skipped = 0;
      list.forEach((e: any) => {
        const c = parseCredential(e, credentials.length);
        if (c) credentials.push(c);
        else skipped++;
      });
      info(hal, 'credentials: ' + (list.length - skipped) + ' usable, ' + skipped + ' malformed skipped');
      return !v.allCredentialsReturned;
    });
  }

  // ---- CONNECTING_TO_USER_NETWORK ---------------------------------------------------------------

  /** Every credential failed: back to the setup network to report FAILURE with every attempt. */
  function userFailed(): void {
    if (!credentials.length) attempts.push({ ssid: '', security: 'OTHER', state: 'FAILED', errorDetails: errorDetails('NOT_CONFIGURED') });
    warn(hal, 'no user network worked');
    if (setup) joinSetup(setup, (ok) => (ok ? report(false) : end(false, 'setup network lost')));
    else report(false);
  }

  /** Try credentials[i], then the next ones in list (priority) order. */
  function tryUser(i: number): void {
    if (stopped) return;
    const c = credentials[i];
    if (!c) {
      userFailed();
      return;
    }
    const next = (a: WifiConnectionAttempt): void => {
      attempts.push(a);
      hal.wifi.removeConfiguration({ ssid: c.ssid, onDone: () => tryUser(i + 1) });
    };
    joinNetwork(hal, c, USER_TRIES, 1000, isStopped, (a) => {
      if (a.errorDetails) next(a);
      else
        checkConnectivity(hal, configString(hal, 'Connectivity.ProbeHost') || 'connectivitycheck.gstatic.com', configString(hal, 'Connectivity.ProbePath') || '/generate_204', (problem) => {
          if (stopped) return;
          if (problem) {
            // the association's attempt, failed by the probe
            a.state = 'FAILED';
            a.errorDetails = problem;
            next(a);
          } else {
            attempts.push(a);
            info(hal, 'joined user network ' + JSON.stringify(c.ssid));
            opts.onUserNetwork(c);
            report(true);
          }
        });
    });
  }

  function connectUser(): void {
    // ffsRemoveWifiConfiguration also disconnects; DSS goes back to its normal port
    hal.wifi.removeConfiguration({
      ssid: setup ? setup.ssid : '',
      onDone: () => {
        dss.setViaProvisioner(false);
        tryUser(0);
      },
    });
  }

  // ---- dispatch -----------------------------------------------------------------------------------

  function go(next: string): void {
    if (next === 'DONE') end(true, next);
    else {
      const handler = [pinSetup, computeConfiguration, postScanData, getCredentials, connectUser, () => report(true)][STATES.indexOf(next)];
      if (!handler) end(false, 'unknown state ' + next.slice(0, 40));
      else {
        setState(next);
        handler();
      }
    }
  }

  hal.clock.defer(start);

  return {
    stop(): void {
      halt('TERMINATED');
    },
  };
}
