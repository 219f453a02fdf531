// DSS request bodies (serialised in the documented field order) and response checks
// (wss-protocol.md 3.4-3.6). Responses are parsed only after their signature verified.
import type { ConfigValue, WifiConfiguration, WifiConnectionAttempt, WifiScanResult, WifiSecurity } from '../../hal/types';
import { jsonString, member, members, normalizeBssid, quotedSsid } from './json-out';

/** Provisioning state strings of the DSS protocol; anything else makes a report response invalid. */
export const DSS_STATES = [
  'NOT_PROVISIONED',
  'START_PROVISIONING',
  'START_PIN_BASED_SETUP',
  'COMPUTE_CONFIGURATION',
  'POST_WIFI_SCAN_DATA',
  'GET_WIFI_LIST',
  'CONNECTING_TO_USER_NETWORK',
  'CONNECTED_TO_USER_NETWORK',
  'DONE',
];

/** deviceDetails: JSON name and the DeviceInformation.* configuration key, in the serialised order. */
const DEVICE_DETAILS =
  'manufacturer ManufacturerName deviceModel ModelNumber deviceSerial SerialNumber productIndex ProductIndex ' +
  'softwareVersionIndex SoftwareVersionIndex deviceName BleDeviceName firmwareVersion FirmwareVersion hardwareVersion HardwareVersion';

/** The `"deviceDetails":{...}` member from configuration, or '' when no value is set. */
export function deviceDetailsMember(get: (key: string) => ConfigValue | undefined): string {
  const d = DEVICE_DETAILS.split(' ');
  const list: string[] = [];
  for (let i = 0; i < d.length; i += 2) {
    const v = get('DeviceInformation.' + d[i + 1]);
    if (v === undefined || v === null || typeof v === 'object') continue;
    list.push(member(d[i], jsonString(String(v))));
  }
  return list.length ? member('deviceDetails', '{' + members(list) + '}') : '';
}

/** What every request after startProvisioningSession starts with. */
export interface RequestCommon {
  nonce: string;
  sessionId: string;
  /** pre-rendered by deviceDetailsMember */
  deviceDetails: string;
}

function head(c: RequestCommon): string {
  return members([member('nonce', jsonString(c.nonce)), member('sessionId', jsonString(c.sessionId)), c.deviceDetails]);
}

export function startProvisioningSessionBody(nonce: string): string {
  return '{' + member('nonce', jsonString(nonce)) + '}';
}

export function startPinBasedSetupBody(c: RequestCommon, hashedPin: string): string {
  return '{' + members([head(c), member('hashedPin', jsonString(hashedPin))]) + '}';
}

export function computeConfigurationDataBody(c: RequestCommon): string {
  return '{' + head(c) + '}';
}

/** `entries` are pre-rendered with scanEntryJson (so a batch can be sized before it is sent). */
export function postWifiScanDataBody(c: RequestCommon, sequenceNumber: number, entries: string[]): string {
  return (
    '{' +
    members([head(c), member('sequenceNumber', String(sequenceNumber)), member('wifiScanDataList', '[' + entries.join(',') + ']')]) +
    '}'
  );
}

export function getWifiCredentialsBody(c: RequestCommon, sequenceNumber: number): string {
  return '{' + members([head(c), member('sequenceNumber', String(sequenceNumber))]) + '}';
}

export function reportBody(opts: {
  common: RequestCommon;
  sequenceNumber: number;
  state: string;
  registrationState: string;
  success: boolean;
  /** pre-rendered with attemptJson; the list is omitted when empty */
  attempts: string[];
}): string {
  return (
    '{' +
    members([
      head(opts.common),
      member('sequenceNumber', String(opts.sequenceNumber)),
      member('currentProvisioningState', jsonString(opts.state)),
      member('registrationState', jsonString(opts.registrationState)),
      member('stateTransitionResult', jsonString(opts.success ? 'SUCCESS' : 'FAILURE')),
      opts.attempts.length ? member('wifiNetworkInfoList', '[' + opts.attempts.join(',') + ']') : '',
    ]) +
    '}'
  );
}

/** One scan result: quoted SSID, upper-case BSSID, security, rssi and frequency (the channel, as the
 *  PIC32/Raspbian ports and the real log send it) omitted when unknown (0). */
export function scanEntryJson(r: WifiScanResult): string {
  const bssid = normalizeBssid(r.bssid || '');
  return (
    '{' +
    members([
      member('ssid', quotedSsid(r.ssid)),
      bssid ? member('bssid', jsonString(bssid)) : '',
      member('securityProtocol', jsonString(r.security)),
      r.rssi ? member('rssi', String(Math.round(r.rssi))) : '',
      r.channel ? member('frequency', String(Math.round(r.channel))) : '',
    ]) +
    '}'
  );
}

export function attemptJson(a: WifiConnectionAttempt): string {
  let err = '';
  const d: any = a.errorDetails;
  if (d) {
    const list: string[] = [];
    for (const k of ['operation', 'cause', 'details', 'code']) if (d[k] !== undefined) list.push(member(k, jsonString(d[k])));
    err = member('errorDetails', '{' + members(list) + '}');
  }
  return (
    '{' +
    members([
      member('ssid', quotedSsid(a.ssid)),
      member('securityProtocol', jsonString(a.security)),
      member('wifiConnectionState', jsonString(a.state)),
      err,
    ]) +
    '}'
  );
}

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

/**
 * Expected members, comma-separated `name:type` with type s string, b boolean, n number, o object,
 * a array; a trailing `!` marks a required member.
 */
export type FieldSpec = string;

export const START_SESSION_FIELDS = 'nonce:s!,sessionId:s!,canProceed:b!,salt:s';
export const PIN_FIELDS = 'nonce:s!,canProceed:b!';
export const CONFIGURATION_FIELDS = 'nonce:s!,configuration:o,registrationDetails:o,canProceed:b';
export const SCAN_FIELDS = 'nonce:s!,canProceed:b!,sequenceNumber:n!,totalCredentialsFound:n!,allCredentialsFound:b!,sessionId:s';
export const CREDENTIALS_FIELDS = 'nonce:s!,canProceed:b!,sequenceNumber:n!,allCredentialsReturned:b!,wifiCredentialsList:a';
export const REPORT_FIELDS = 'nonce:s!,canProceed:b,nextProvisioningState:s,waitTime:s,reason:s';

function typeLetter(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a';
  const t = typeof v;
  if (t === 'string') return 's';
  if (t === 'boolean') return 'b';
  if (t === 'number') return 'n';
  if (t === 'object') return 'o';
  return t;
}

/**
 * Parse a verified body and check its members: unknown members are ignored, a known one with the
 * wrong type or a missing required one rejects the whole response. Returns the object or an error line.
 */
export function parseResponse(body: string, spec: FieldSpec): { value: any; error: string } {
  let v: any;
  try {
    v = JSON.parse(body);
  } catch (e) {
    return { value: null, error: 'response is not JSON' };
  }
  if (typeLetter(v) !== 'o') return { value: null, error: 'response is not a JSON object' };
  const fields = spec.split(',');
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    const c = f.indexOf(':');
    const name = f.substring(0, c);
    if (v[name] === undefined) {
      if (f.charAt(f.length - 1) === '!') return { value: null, error: 'response lacks ' + name };
      continue;
    }
    if (typeLetter(v[name]) !== f.charAt(c + 1)) return { value: null, error: 'response member ' + name + ' has the wrong type' };
  }
  if (v.nextProvisioningState !== undefined && DSS_STATES.indexOf(v.nextProvisioningState) < 0) {
    return { value: null, error: 'unknown provisioning state ' + String(v.nextProvisioningState).substring(0, 40) };
  }
  return { value: v, error: '' };
}

/** OTHER is well formed but unusable: it is kept so its attempt reports 99:1:0:99. */
const SECURITIES = ['OPEN', 'WPA_PSK', 'WEP', 'OTHER'];

function unquote(s: string): string {
  return s.length >= 2 && s.charAt(0) === '"' && s.charAt(s.length - 1) === '"' ? s.substring(1, s.length - 1) : s;
}

function isHex(s: string): boolean {
  for (let i = 0; i < s.length; i++) if ('0123456789abcdefABCDEF'.indexOf(s.charAt(i)) < 0) return false;
  return true;
}

/**
 * One entry of wifiCredentialsList as a Wi-Fi configuration, or null when malformed (skipped, as the
 * SDK does). SSID and WPA key lose their outer quotes; a WEP key of 10 or 26 hex digits becomes binary.
 * `order` keeps the list order (the list comes in descending priority).
 */
export function parseCredential(e: any, order: number): WifiConfiguration | null {
  if (typeLetter(e) !== 'o') return null;
  if (typeof e.ssid !== 'string' || typeof e.securityProtocol !== 'string') return null;
  const ssid = unquote(e.ssid);
  if (ssid.length < 1 || ssid.length > 32) return null;
  const security = e.securityProtocol as WifiSecurity;
  if (SECURITIES.indexOf(security) < 0) return null;
  let key = '';
  if (security === 'OTHER') key = typeof e.key === 'string' ? e.key : '';
  else if (security !== 'OPEN') {
    if (typeof e.key !== 'string') return null;
    key = unquote(e.key);
    if (key.length < 1 || key.length > 64) return null;
    if (security === 'WEP' && (key.length === 10 || key.length === 26) && isHex(key)) {
      let bin = '';
      for (let i = 0; i < key.length; i += 2) bin += String.fromCharCode(parseInt(key.substr(i, 2), 16));
      key = bin;
    }
  }
  for (const name of ['keyIndex', 'priority', 'frequency']) {
    if (e[name] !== undefined && typeof e[name] !== 'number') return null;
  }
  return { ssid: ssid, security: security, key: key, hidden: false, priority: order };
}
