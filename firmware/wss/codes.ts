// Error details for failed Wi-Fi connection attempts (integration guide, "Error codes"), and the
// mapping from the HAL's Wi-Fi error codes to them. Every failed attempt carries one of these.
//   3:1:0:1   no matching networks were found based on the scan list (nothing to try)
//   3:2:0:1   bad or incorrect PSK
//   3:4:0:1   associated, but a captive portal answers instead of the internet
//   3:5:0:1   associated, but limited internet connectivity (the probe host does not answer)
//   3:6:0:3   any other Wi-Fi failure
//   3:16:0:1  the access point was not found
//   99:1:0:99 a client-side failure that is not the radio's (a credential the radio cannot use)
import type { ErrorDetails } from '../../hal/types';

/** Which error: the HAL's Wi-Fi error code without `WIFI_` (see hal/types.ts), or CAPTIVE / LIMITED ... */
const TABLE =
  'NOT_CONFIGURED 3:1:0:1 No configured networks|WRONG_PASSWORD 3:2:0:1 Authentication failed|CAPTIVE 3:4:0:1 Captive portal|' +
  'LIMITED 3:5:0:1 Limited connectivity|NO_AP_FOUND 3:16:0:1 AP not found|BAD_CONFIG 99:1:0:99 Generic client error';

/** The error details for `key` (see TABLE; anything else is 3:6:0:3 Unknown error). */
export function errorDetails(key: string): ErrorDetails {
  const at = TABLE.indexOf(key + ' ');
  // the code, then the cause up to the entry's end
  const e = /([^ ]+) ([^|]+)/.exec(at < 0 ? '3:6:0:3 Unknown error' : TABLE.slice(at + key.length + 1)) as string[];
  return { operation: e[1][0] === '9' ? 'UNKNOWN' : 'CONNECTING_TO_NETWORK', cause: e[2], details: e[2], code: e[1] };
}
