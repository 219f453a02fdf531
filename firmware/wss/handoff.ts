// The post-setup hand-off (wss-protocol.md 6): the FFS.SessionToken from computeConfigurationData,
// signed with the device key (ECDSA P-256 / SHA-256, DER, base64), for the maker's cloud to send
// in its Alexa device-association report. Written to Storage for the maker's application.
import type { Hal } from '../../hal/types';
import { FILES } from '../../hal/storage-layout';
import { base64Encode } from '../crypto/base64';
import { asciiToBytes } from '../crypto/bytes';
import { configString } from './config';
import { jsonString, obj } from './json-out';
import { info, warn } from './log';

/** Sign and store the hand-off; `onDone` when it is over (stored, or logged why not). */
export function prepareHandoff(hal: Hal, onDone: () => void): void {
  const token = hal.config.getConfigurationValue('FFS.SessionToken');
  if (typeof token !== 'string' || !token) {
    warn(hal, 'no session token');
    hal.clock.defer(onDone);
  } else
    hal.crypto.signWithDeviceKey({
      data: asciiToBytes(token),
      onDone: (err, sig) => {
        if (err || !sig) warn(hal, 'token not signed: ' + (err ? err.message : '?'));
        else {
          const werr = hal.storage.write(
            FILES.handoff,
            obj(['device', obj(['sessionToken', jsonString(token), 'signature', jsonString(base64Encode(sig)), 'id', jsonString(configString(hal, 'DeviceInformation.SerialNumber'))])]),
          );
          if (werr) warn(hal, 'hand-off: ' + werr.message);
          else info(hal, 'hand-off stored');
        }
        onDone();
      },
    });
}
