// The maker's own setup, the fallback the guide asks for: a small access point and a web page to
// type the home network's SSID and passphrase. FFS stays disabled while it runs.
import type { Hal } from '../../hal/types';
import { escapeJson } from './json-out';

export const SOFTAP_HTTP_PORT = 80;

export interface SoftApOptions {
  /** the page's form was sent: join this network; `done(ok, why)` updates the status page */
  onCredentials: (ssid: string, passphrase: string, done: (ok: boolean, why: string) => void) => void;
}

export interface SoftAp {
  stop(): void;
}

function htmlEscape(s: string): string {
  return s.split('&').join('&amp;').split('<').join('&lt;').split('>').join('&gt;').split('"').join('&quot;');
}

/**
 * application/x-www-form-urlencoded → value of `name` ('' when absent or malformed). %XX become raw
 * bytes (a binary string, as Wifi.connect takes SSIDs and passphrases), '+' a space.
 */
export function formValue(body: string, name: string): string {
  const parts = body.split('&');
  for (let i = 0; i < parts.length; i++) {
    const eq = parts[i].indexOf('=');
    if (eq < 0 || parts[i].substring(0, eq) !== name) continue;
    const v = parts[i].substring(eq + 1);
    let out = '';
    for (let j = 0; j < v.length; j++) {
      const c = v.charAt(j);
      if (c === '+') out += ' ';
      else if (c === '%') {
        const b = parseInt(v.substr(j + 1, 2), 16);
        if (!(b >= 0) || v.length < j + 3) return '';
        out += String.fromCharCode(b);
        j += 2;
      } else out += c;
    }
    return out;
  }
  return '';
}

export function softApSsid(hal: Hal): string {
  const s = hal.config.getConfigurationValue('SoftAp.Ssid');
  if (typeof s === 'string' && s) return s;
  const serial = hal.config.getConfigurationValue('DeviceInformation.SerialNumber');
  const tail = typeof serial === 'string' ? serial.substring(serial.length - 4) : '';
  return 'FFS-Setup' + (tail ? '-' + tail : '');
}

function page(status: string): string {
  return (
    '<!DOCTYPE html><html><head><meta name="viewport" content="width=device-width"><title>Wi-Fi setup</title></head><body>' +
    '<h1>Wi-Fi setup</h1><p>' +
    htmlEscape(status) +
    '</p><form method="POST" action="/connect">' +
    '<p>Network name <input name="ssid" maxlength="32"></p>' +
    '<p>Password <input name="passphrase" type="password" maxlength="64"></p>' +
    '<p><button>Join</button></p></form></body></html>'
  );
}

export function startSoftAp(hal: Hal, opts: SoftApOptions): SoftAp {
  const ssid = softApSsid(hal);
  const pw = hal.config.getConfigurationValue('SoftAp.Passphrase');
  const password = typeof pw === 'string' && pw.length >= 8 ? pw : '';
  let status = 'Enter your home network.';
  let busy = false;
  let stopped = false;
  hal.wifi.startAccessPoint({
    ssid: ssid,
    password: password,
    onDone: (err) => {
      if (stopped) return;
      if (err) {
        hal.log.log('error', 'softap', 'cannot start the access point: ' + err.message);
        return;
      }
      hal.log.log('info', 'softap', 'soft AP ' + JSON.stringify(ssid) + ' up, setup page on port ' + SOFTAP_HTTP_PORT);
      hal.net.serveHttp({
        port: SOFTAP_HTTP_PORT,
        onRequest: (req, respond) => {
          if (req.method === 'GET' && (req.path === '/' || req.path === '/index.html')) {
            respond(200, 'text/html', page(status));
            return;
          }
          if (req.method === 'GET' && req.path === '/status') {
            respond(200, 'application/json', '{"status":"' + escapeJson(status) + '","busy":' + busy + '}');
            return;
          }
          if (req.method === 'POST' && req.path === '/connect') {
            const net = formValue(req.body, 'ssid');
            const pass = formValue(req.body, 'passphrase');
            if (!net || net.length > 32 || pass.length > 64 || (pass.length > 0 && pass.length < 8)) {
              respond(400, 'text/html', page('Check the network name and the password (8 to 64 characters).'));
              return;
            }
            if (busy) {
              respond(409, 'text/html', page('Already joining a network, please wait.'));
              return;
            }
            busy = true;
            status = 'Joining ' + net + '...';
            respond(202, 'text/html', page(status));
            hal.log.log('info', 'softap', 'credentials entered for ' + JSON.stringify(net));
            opts.onCredentials(net, pass, (ok, why) => {
              busy = false;
              status = ok ? 'Connected to ' + net + '.' : 'Could not join ' + net + ': ' + why;
            });
            return;
          }
          respond(404, 'text/plain', 'not found');
        },
        onDone: (e2) => {
          if (e2) hal.log.log('error', 'softap', 'cannot serve the setup page: ' + e2.message);
        },
      });
    },
  });
  return {
    stop(): void {
      if (stopped) return;
      stopped = true;
      hal.net.closeHttp(SOFTAP_HTTP_PORT);
      hal.wifi.stopAccessPoint({ onDone: () => undefined });
    },
  };
}
