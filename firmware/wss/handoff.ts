// The post-setup hand-off (wss-protocol.md 6): the FFS.SessionToken from computeConfigurationData,
// signed with the device key (ECDSA P-256 / SHA-256, DER, base64), for the maker's cloud to send
// in its Alexa device-association report. Written to Storage for the maker's application.
import type { Hal } from '../../hal/types';
import { FILES } from '../../hal/storage-layout';
import { base64Encode } from '../crypto/base64';
import { asciiToBytes } from '../crypto/bytes';
import { jsonString, member } from './json-out';
import { info, warn } from './log';

export function handoffJson(token: string, signatureB64: string, id: string): string {
  return (
    '{' +
    member(
      'device',
      '{' + member('sessionToken', jsonString(token)) + ',' + member('signature', jsonString(signatureB64)) + ',' + member('id', jsonString(id)) + '}',
    ) +
    '}'
  );
}

export function prepareHandoff(hal: Hal, onDone: (ok: boolean) => void): void {
  const token = hal.config.getConfigurationValue('FFS.SessionToken');
  if (typeof token !== 'string' || !token) {
    warn(hal, 'no FFS.SessionToken: nothing to hand off');
    hal.clock.defer(() => onDone(false));
    return;
  }
  const serial = hal.config.getConfigurationValue('DeviceInformation.SerialNumber');
  hal.crypto.signWithDeviceKey({
    data: asciiToBytes(token),
    onDone: (err, sig) => {
      if (err || !sig) {
        warn(hal, 'cannot sign the session token: ' + (err ? err.message : '?'));
        onDone(false);
        return;
      }
      const werr = hal.storage.write(FILES.handoff, handoffJson(token, base64Encode(sig), typeof serial === 'string' ? serial : ''));
      if (werr) warn(hal, 'cannot store the hand-off: ' + werr.message);
      else info(hal, 'session token signed for the maker cloud hand-off');
      onDone(!werr);
    },
  });
}
