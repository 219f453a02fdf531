// The maker's own setup, the fallback the guide asks for: a small access point and a web page to
// type the home network's SSID and passphrase. FFS stays disabled while it runs.
import type { Hal } from '../../hal/types';
import { configString } from './config';
import { escapeJson } from './json-out';
import { info, warn } from './log';

export const SOFTAP_HTTP_PORT = 80;

export interface SoftApOptions {
  /** the page's form was sent: join this network; `done(ok, why)` updates the status page */
  onCredentials: (ssid: string, passphrase: string, done: (ok: boolean, why: string) => void) => void;
}

export interface SoftAp {
  stop(): void;
}

/**
 * application/x-www-form-urlencoded → value of `name` ('' when absent or malformed). %XX become raw
 * bytes (a binary string, as Wifi.connect takes SSIDs and passphrases), '+' a space.
 */
export const formValue = (body: string, name: string): string => {
  const hex = /%[0-9a-fA-F][0-9a-fA-F]/g;
  // (`name` has no '=': the pair whose first '=' follows the name)
  for (const p of body.split('&')) {
    if (p.indexOf(name + '=')) continue;
    const v = p.slice(name.length + 1).replace(/\+/g, ' ');
    // a '%' without two hex digits after it: malformed
    return !v.replace(hex, '').includes('%') ? v.replace(hex, (c) => String.fromCharCode(parseInt(c.slice(1), 16))) : '';
  }
  return '';
};

export function startSoftAp(hal: Hal, opts: SoftApOptions): SoftAp {
  // SoftAp.Ssid, else FFS-Setup-<the last 4 characters of the serial number>
  const serial = configString(hal, 'DeviceInformation.SerialNumber');
  const ssid = configString(hal, 'SoftAp.Ssid') || 'FFS-Setup' + (serial ? '-' + serial.slice(-4) : '');
  const pw = configString(hal, 'SoftAp.Passphrase');
  const password = pw.length >= 8 ? pw : '';
  let status = 'Enter your home network.';
  let busy = false;
  let stopped = false;
  // a network joined from this page is saved: the page takes no other (a LAN host cannot replace it)
  let saved = false;
  hal.wifi.startAccessPoint({
    ssid: ssid,
    password: password,
    onDone: (err) => {
      if (stopped) return;
      if (err) warn(hal, 'no soft AP: ' + err.message);
      else {
        info(hal, 'soft AP ' + JSON.stringify(ssid) + ' up');
        hal.net.serveHttp({
          port: SOFTAP_HTTP_PORT,
          onRequest: (req, respond) => {
            // a request finished after stop() (the HAL ends held connections too) is dropped
            if (stopped) return;
            const route = req.method + ' ' + req.path;
            // the page with `text` (&, <, > and " as numeric character references) above the form
            const html = (code: number, text: string): void =>
              respond(
                code,
                'text/html',
                '<!DOCTYPE html><meta name=viewport content=width=device-width><title>Wi-Fi setup</title><h1>Wi-Fi setup</h1><p>' +
                  text.replace(/[&<>"]/g, (c) => '&#' + c.charCodeAt(0) + ';') +
                  '<form method=POST action=/connect><p>Network <input name=ssid maxlength=32><p>Password <input name=passphrase type=password maxlength=64><p><button>Join</button></form>',
              );
            if (route === 'GET /' || route === 'GET /index.html') html(200, status);
            else if (route === 'GET /status') respond(200, 'application/json', '{"status":"' + escapeJson(status) + '","busy":' + busy + '}');
            else if (route !== 'POST /connect') respond(404, 'text/plain', 'not found');
            else {
              const net = formValue(req.body, 'ssid');
              const pass = formValue(req.body, 'passphrase');
              if (!net || net.length > 32 || pass.length > 64 || (pass.length > 0 && pass.length < 8)) html(400, 'Check the name and password (8-64 characters).');
              else if (busy || saved) html(409, status);
              else {
                busy = true;
                status = 'Joining ' + net + '...';
                html(202, status);
                opts.onCredentials(net, pass, (ok, why) => {
                  busy = false;
                  saved = ok;
                  status = ok ? 'Connected to ' + net + '.' : 'Could not join ' + net + ': ' + why;
                });
              }
            }
          },
          onDone: (e2) => {
            if (e2) warn(hal, 'no setup page: ' + e2.message);
          },
        });
      }
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
