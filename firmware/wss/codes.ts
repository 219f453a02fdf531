// Error details for failed Wi-Fi connection attempts (integration guide, "Error codes"), and the
// mapping from the HAL's Wi-Fi error codes to them. Every failed attempt carries one of these.
import type { ErrorDetails, HalError } from '../../hal/types';

function details(cause: string, code: string): ErrorDetails {
  return { operation: 'CONNECTING_TO_NETWORK', cause: cause, details: cause, code: code };
}

/** 3:1:0:1 no matching networks were found based on the scan list (nothing to try). */
export function noConfiguredNetworks(): ErrorDetails {
  return details('No configured networks', '3:1:0:1');
}
/** 3:2:0:1 bad or incorrect PSK. */
export function authenticationFailed(): ErrorDetails {
  return details('Authentication failed', '3:2:0:1');
}
/** 3:4:0:1 associated, but a captive portal answers instead of the internet. */
export function captivePortal(): ErrorDetails {
  return details('Captive portal', '3:4:0:1');
}
/** 3:5:0:1 associated, but limited internet connectivity (e.g. the DSS host does not resolve). */
export function limitedConnectivity(): ErrorDetails {
  return details('Limited connectivity', '3:5:0:1');
}
/** 3:6:0:3 any other Wi-Fi failure. */
export function unknownWifiError(): ErrorDetails {
  return details('Unknown error', '3:6:0:3');
}
/** 3:16:0:1 the access point was not found. */
export function apNotFound(): ErrorDetails {
  return details('AP not found', '3:16:0:1');
}
/** 99:1:0:99 a client-side failure that is not the radio's (e.g. a credential the radio cannot use). */
export function genericClientError(): ErrorDetails {
  const d = details('Generic client error', '99:1:0:99');
  d.operation = 'UNKNOWN';
  return d;
}

/** The error details for a HAL `wifi.connect` failure (see the codes in hal/types.ts). */
export function detailsForWifiError(err: HalError): ErrorDetails {
  switch (err.code) {
    case 'WIFI_WRONG_PASSWORD':
      return authenticationFailed();
    case 'WIFI_NO_AP_FOUND':
      return apNotFound();
    case 'WIFI_NOT_CONFIGURED':
      return noConfiguredNetworks();
    case 'WIFI_BAD_CONFIG':
      return genericClientError();
    default:
      return unknownWifiError();
  }
}
