// DSS request bodies (serialised in the documented field order) and response checks
// (wss-protocol.md 3.4-3.6). Responses are parsed only after their signature verified.
import type { ConfigValue, WifiConfiguration, WifiConnectionAttempt, WifiScanResult, WifiSecurity } from '../../hal/types';
import { jsonString, normalizeBssid, obj, quotedSsid, type Members } from './json-out';

/**
 * deviceDetails in the serialised order: the DeviceInformation.* configuration key, and the JSON name
 * after '=' when it is not the key with a lower-case first letter.
 */
const DEVICE_DETAILS =
  'ManufacturerName=manufacturer ModelNumber=deviceModel SerialNumber=deviceSerial ProductIndex SoftwareVersionIndex ' +
  'BleDeviceName=deviceName FirmwareVersion HardwareVersion';

/** The deviceDetails object from configuration, or '' when no value is set. */
export function deviceDetails(config: { getConfigurationValue(key: string): ConfigValue | undefined }): string {
  const pairs: Members = [];
  DEVICE_DETAILS.split(' ').forEach((d) => {
    const kn = d.split('=');
    const v = config.getConfigurationValue('DeviceInformation.' + kn[0]);
    pairs.push(kn[1] || kn[0][0].toLowerCase() + kn[0].slice(1), v === undefined || v === null || typeof v === 'object' ? '' : jsonString(String(v)));
  });
  const o = obj(pairs);
  return o === '{}' ? '' : o;
}

/**
 * A request body: nonce, sessionId and deviceDetails (pre-rendered by deviceDetails()), then `more`
 * (name/raw-value pairs, see obj). Before startProvisioningSession answered (sessionId '') the body
 * starts with the nonce alone.
 */
export function requestBody(nonce: string, sessionId: string, details: string, more: Members): string {
  return obj((['nonce', jsonString(nonce)] as Members).concat(sessionId ? ['sessionId', jsonString(sessionId), 'deviceDetails', details] : [], more));
}

/** The report's members after the common ones; `attempts` are pre-rendered with attemptJson, the
 *  list is omitted when empty. */
export function reportPairs(seq: number, state: string, registrationState: string, success: boolean, attempts: string[]): Members {
  return [
    'sequenceNumber', seq,
    'currentProvisioningState', jsonString(state),
    'registrationState', jsonString(registrationState),
    'stateTransitionResult', success ? '"SUCCESS"' : '"FAILURE"',
    'wifiNetworkInfoList', attempts.length ? '[' + attempts.join() + ']' : '',
  ];
}

/** One scan result: quoted SSID, upper-case BSSID, security, rssi and frequency (the channel, as the
 *  PIC32/Raspbian ports and the real log send it) as integers, omitted when unknown (0 or absent). */
export function scanEntryJson(r: WifiScanResult): string {
  const bssid = normalizeBssid(r.bssid || '');
  return obj([
    'ssid', quotedSsid(r.ssid),
    'bssid', bssid && jsonString(bssid),
    'securityProtocol', jsonString(r.security),
    'rssi', Math.round(r.rssi),
    'frequency', Math.round(r.channel),
  ]);
}

/** One attempt of wifiNetworkInfoList; error details in operation, cause, details, code order. */
export function attemptJson(a: WifiConnectionAttempt): string {
  const d: any = a.errorDetails;
  const e: string[] = [];
  if (d) for (const k of ['operation', 'cause', 'details', 'code']) e.push(k, jsonString(d[k] || ''));
  return obj([
    'ssid', quotedSsid(a.ssid),
    'securityProtocol', jsonString(a.security),
    'wifiConnectionState', jsonString(a.state),
    'errorDetails', d ? obj(e) : '',
  ]);
}

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

/**
 * Expected members besides `nonce` (a required string) and `sessionId` (a string), space-separated: a type letter (s string,
 * b boolean, n number, o object, a array; upper case when the member is required), then the name.
 */
export type FieldSpec = string;

export const START_SESSION_FIELDS = 'SsessionId BcanProceed ssalt';
export const PIN_FIELDS = 'BcanProceed';
export const CONFIGURATION_FIELDS = 'oconfiguration oregistrationDetails bcanProceed';
/** A page's members (postWifiScanData, getWifiCredentials): PAGE_FIELDS, then that operation's. */
export const PAGE_FIELDS = 'BcanProceed NsequenceNumber ';
export const SCAN_FIELDS = 'NtotalCredentialsFound BallCredentialsFound';
export const CREDENTIALS_FIELDS = 'BallCredentialsReturned awifiCredentialsList';
export const REPORT_FIELDS = 'bcanProceed snextProvisioningState swaitTime sreason';

function typeLetter(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'a' : (typeof v)[0];
}

/**
 * What is wrong with `v` against `spec` (see FieldSpec), or '' when nothing: unknown members are
 * ignored, a known one with the wrong type or a missing required one is an error.
 */
function badFields(v: any, spec: string): string {
  if (typeLetter(v) !== 'o') return 'not a JSON object';
  for (const f of spec.split(' ')) {
    const t = f[0];
    const name = f.slice(1);
    const m = v[name];
    if (m === undefined ? t < 'a' : typeLetter(m) !== t.toLowerCase()) return 'bad or missing ' + name;
  }
  return '';
}

/**
 * Parse a verified body and check its members (badFields): the object, or (a string) the error line
 * that rejects the whole response.
 */
export function parseResponse(body: string, spec: FieldSpec): any {
  try {
    const v = JSON.parse(body);
    return badFields(v, 'Snonce ssessionId ' + spec) || v;
  } catch (e) {
    return 'not JSON';
  }
}

/** s without one pair of outer double quotes (when it has them). */
function unquote(s: string): string {
  return s.replace(/^"([\s\S]*)"$/, '$1');
}

/**
 * One entry of wifiCredentialsList as a Wi-Fi configuration, or null when malformed (skipped, as the
 * SDK does). SSID and WPA key lose their outer quotes; a WEP key of 10 or 26 hex digits becomes binary.
 * OTHER is well formed but unusable: it is kept so its attempt reports 99:1:0:99.
 * `order` keeps the list order (the list comes in descending priority).
 */
export function parseCredential(e: any, order: number): WifiConfiguration | null {
  if (badFields(e, 'Sssid SsecurityProtocol nkeyIndex npriority nfrequency')) return null;
  const ssid = unquote(e.ssid);
  const security = e.securityProtocol as WifiSecurity;
  if (!ssid || ssid.length > 32 || !['OPEN', 'WPA_PSK', 'WEP', 'OTHER'].includes(security)) return null;
  let key = typeof e.key === 'string' && security !== 'OPEN' ? e.key : '';
  if (security === 'WPA_PSK' || security === 'WEP') {
    // (a missing key is '' here: refused)
    key = unquote(key);
    if (!key || key.length > 64) return null;
    if (security === 'WEP' && (key.length === 10 || key.length === 26) && /^[0-9a-fA-F]*$/.test(key)) {
      key = key.replace(/../g, (h: string) => String.fromCharCode(parseInt(h, 16)));
    }
  }
  return { ssid: ssid, security: security, key: key, hidden: false, priority: order };
}
