// Request encodings and response checks (wss-protocol.md 3.4-3.6), cross-checked with Node's JSON.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { escapeJson, jsonString, normalizeBssid, quotedSsid } from '../../firmware/wss/json-out.ts';
import {
  attemptJson,
  deviceDetails,
  parseCredential,
  parseResponse,
  REPORT_FIELDS,
  reportPairs,
  requestBody,
  scanEntryJson,
  CREDENTIALS_FIELDS,
  PAGE_FIELDS,
  SCAN_FIELDS,
} from '../../firmware/wss/messages.ts';
import { batchEnd, usableScanResults } from '../../firmware/wss/scan-data.ts';
import { errorDetails } from '../../firmware/wss/codes.ts';
import { formValue } from '../../firmware/wss/softap.ts';

test('JSON strings: quotes, backslashes, control characters escaped; bytes >= 0x80 raw', () => {
  const s = 'a"b\\c\n\x01\x1f\x7f\xe9';
  assert.is(escapeJson(s), 'a\\"b\\\\c\\u000a\\u0001\\u001f\x7f\xe9');
  assert.is(JSON.parse(jsonString(s)), s, 'Node parses it back to the same characters');
  assert.is(JSON.parse(quotedSsid('my "net"')), '"my "net""');
  assert.is(quotedSsid('home'), '"\\"home\\""');
});

test('BSSID normalised to upper-case colon form; junk dropped', () => {
  assert.is(normalizeBssid('aa:bb:cc:0d:0e:0f'), 'AA:BB:CC:0D:0E:0F');
  assert.is(normalizeBssid('AA-BB-CC-DD-EE-FF'), 'AA:BB:CC:DD:EE:FF');
  assert.is(normalizeBssid('aabbccddeeff'), 'AA:BB:CC:DD:EE:FF');
  assert.is(normalizeBssid('zz:bb:cc:dd:ee:ff'), '');
  assert.is(normalizeBssid(''), '');
});

test('scan entries: documented order, rssi/frequency/bssid omitted when unknown', () => {
  assert.is(
    scanEntryJson({ ssid: 'x', bssid: 'a0:b1:c2:d3:e4:f5', security: 'WPA_PSK', channel: 11, rssi: -61, hidden: false }),
    '{"ssid":"\\"x\\"","bssid":"A0:B1:C2:D3:E4:F5","securityProtocol":"WPA_PSK","rssi":-61,"frequency":11}',
  );
  assert.is(scanEntryJson({ ssid: 'y', bssid: '', security: 'OPEN', channel: 0, rssi: 0, hidden: false }), '{"ssid":"\\"y\\"","securityProtocol":"OPEN"}');
});

test('deviceDetails: documented member order, absent values omitted, whole object omitted when empty', () => {
  const cfg: { [k: string]: string } = {
    'DeviceInformation.HardwareVersion': 'h1',
    'DeviceInformation.ManufacturerName': 'M',
    'DeviceInformation.ProductIndex': 'P1X2',
    'DeviceInformation.SerialNumber': 'S',
  };
  assert.is(deviceDetails({ getConfigurationValue: (k) => cfg[k] }), '{"manufacturer":"M","deviceSerial":"S","productIndex":"P1X2","hardwareVersion":"h1"}');
  assert.is(deviceDetails({ getConfigurationValue: () => undefined }), '');
  assert.is(requestBody('n', 's', '', []), '{"nonce":"n","sessionId":"s"}', 'omitted when empty');
  assert.is(requestBody('n', '', '{"a":"b"}', []), '{"nonce":"n"}', 'startProvisioningSession: the nonce alone');
});

test('report body with attempts; error details in operation, cause, details, code order', () => {
  const body = requestBody(
    'n'.repeat(31), 'sid', '',
    reportPairs(14, 'CONNECTING_TO_USER_NETWORK', 'COMPLETE', false, [attemptJson({ ssid: 'home', security: 'WPA_PSK', state: 'FAILED', errorDetails: errorDetails('WRONG_PASSWORD') })]),
  );
  assert.is(
    body,
    '{"nonce":"' + 'n'.repeat(31) + '","sessionId":"sid","sequenceNumber":14,"currentProvisioningState":"CONNECTING_TO_USER_NETWORK",' +
      '"registrationState":"COMPLETE","stateTransitionResult":"FAILURE","wifiNetworkInfoList":[{"ssid":"\\"home\\"","securityProtocol":"WPA_PSK",' +
      '"wifiConnectionState":"FAILED","errorDetails":{"operation":"CONNECTING_TO_NETWORK","cause":"Authentication failed","details":"Authentication failed","code":"3:2:0:1"}}]}',
  );
  assert.ok(JSON.parse(body));
  assert.not.match(requestBody('n', 's', '', reportPairs(3, 'X', 'COMPLETE', true, [])), 'wifiNetworkInfoList');
});

test('error codes: every HAL Wi-Fi failure and connectivity problem has its guide code', () => {
  const codes: { [k: string]: string } = {
    WIFI_NOT_CONFIGURED: '3:1:0:1', WIFI_WRONG_PASSWORD: '3:2:0:1', WIFI_NO_AP_FOUND: '3:16:0:1', WIFI_BAD_CONFIG: '99:1:0:99',
    WIFI_CONNECT_FAIL: '3:6:0:3', WIFI_TIMEOUT: '3:6:0:3',
  };
  for (const k of Object.keys(codes)) assert.is(errorDetails(k.substring(5)).code, codes[k], k);
  assert.equal(errorDetails('CAPTIVE'), { operation: 'CONNECTING_TO_NETWORK', cause: 'Captive portal', details: 'Captive portal', code: '3:4:0:1' });
  assert.is(errorDetails('LIMITED').code, '3:5:0:1');
  assert.is(errorDetails('BAD_CONFIG').operation, 'UNKNOWN');
  assert.is(errorDetails('NOT_CONFIGURED').cause, 'No configured networks');
});

test('responses: unknown members ignored, wrong types and missing required members rejected', () => {
  assert.equal(parseResponse('{"nonce":"x","canProceed":true,"extra":[1]}', REPORT_FIELDS), { nonce: 'x', canProceed: true, extra: [1] });
  assert.match(parseResponse('{"canProceed":true}', REPORT_FIELDS), 'missing nonce');
  assert.match(parseResponse('{"nonce":"x","canProceed":"yes"}', REPORT_FIELDS), 'bad or missing canProceed');
  assert.match(parseResponse('{"nonce":"x","nextProvisioningState":5}', REPORT_FIELDS), 'nextProvisioningState');
  assert.match(parseResponse('{"nonce":"x","nextProvisioningState":null}', REPORT_FIELDS), 'nextProvisioningState');
  assert.match(parseResponse('[1,2]', REPORT_FIELDS), 'not a JSON object');
  assert.match(parseResponse('{"nonce":', REPORT_FIELDS), 'not JSON');
  assert.match(parseResponse('{"nonce":"x","canProceed":true,"sequenceNumber":1,"totalCredentialsFound":0}', PAGE_FIELDS + SCAN_FIELDS), 'allCredentialsFound');
  assert.match(parseResponse('{"nonce":"x","canProceed":true,"allCredentialsReturned":true}', PAGE_FIELDS + CREDENTIALS_FIELDS), 'bad or missing sequenceNumber');
  assert.match(parseResponse('{"nonce":"x","canProceed":true,"sequenceNumber":1,"allCredentialsReturned":true,"wifiCredentialsList":{}}', PAGE_FIELDS + CREDENTIALS_FIELDS), 'wifiCredentialsList');
});

test('credentials: quotes stripped, WEP hex made binary, malformed entries rejected', () => {
  assert.equal(parseCredential({ ssid: '"home"', securityProtocol: 'WPA_PSK', key: '"pass word"', keyIndex: 0, priority: 0, frequency: 0 }, 3), {
    ssid: 'home', security: 'WPA_PSK', key: 'pass word', hidden: false, priority: 3,
  });
  assert.is(parseCredential({ ssid: '"w"', securityProtocol: 'WEP', key: '"0102030405"' }, 0)!.key, '\x01\x02\x03\x04\x05');
  assert.is(parseCredential({ ssid: '"o"', securityProtocol: 'OPEN', key: '' }, 0)!.key, '');
  assert.is(parseCredential({ ssid: '"c"', securityProtocol: 'OTHER' }, 0)!.security, 'OTHER');
  for (const bad of [null, 'x', { ssid: '""', securityProtocol: 'OPEN' }, { ssid: '"' + 'x'.repeat(33) + '"', securityProtocol: 'OPEN' },
    { ssid: '"a"', securityProtocol: 'SAE' }, { ssid: '"a"', securityProtocol: 'WPA_PSK' }, { ssid: '"a"', securityProtocol: 'WPA_PSK', key: '"k"', priority: '1' }]) {
    assert.is(parseCredential(bad, 0), null, JSON.stringify(bad));
  }
});

test('scan filtering and batching', () => {
  const r = (ssid: string, security: any, rssi: number, hidden = false) => ({ ssid, bssid: 'aa:aa:aa:aa:aa:' + (10 + rssi * -1).toString(16).slice(-2), security, channel: 1, rssi, hidden });
  const list = usableScanResults([r('a', 'WPA_PSK', -70), r('b', 'OPEN', -40), r('', 'WPA_PSK', -30, true), r('c', 'OTHER', -20), r('d', 'WEP', -50), r('setup', 'OPEN', -10), r('a', 'WPA_PSK', -70)],
    ['WPA_PSK', 'OPEN'], ['setup']);
  assert.equal(list.map((x) => x.ssid), ['b', 'a']);
  const entries = ['x'.repeat(100), 'y'.repeat(100), 'z'.repeat(100), 'w'.repeat(500)];
  assert.is(batchEnd(entries, 0, 250), 2);
  assert.is(batchEnd(entries, 2, 250), 3);
  assert.is(batchEnd(entries, 3, 250), 4, 'an entry bigger than a batch still goes, alone');
  assert.is(batchEnd(entries, 4, 250), 4);
});

test('soft-AP form values: + and %XX decoded to bytes, malformed escapes refused', () => {
  const body = 'ssid=My+Home%20Net&passphrase=p%26ss%3Dw%C3%B6rd&x=%zz';
  assert.is(formValue(body, 'ssid'), 'My Home Net');
  assert.is(formValue(body, 'passphrase'), 'p&ss=w\xc3\xb6rd', 'UTF-8 bytes stay bytes (a binary string)');
  assert.is(formValue(body, 'x'), '');
  assert.is(formValue(body, 'missing'), '');
  assert.is(formValue('a=%4', 'a'), '');
  assert.is(formValue('a=%1g', 'a'), '', 'both digits hex');
  assert.is(formValue('a=%25%25%2', 'a'), '', 'a decoded % is no escape, the trailing one is');
  assert.is(formValue('a=%2B%25+%41%42', 'a'), '+% AB', '+ is a space, %2B a plus, %25 a percent');
});

test.run();
