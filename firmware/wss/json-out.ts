// Writing the DSS request bodies by hand, so the field order and encodings are exactly the documented
// ones (wss-protocol.md 3.4-3.6). Strings are binary strings (one char per byte): bytes >= 0x80 are
// written raw (as the SDK does; Espruino's JSON.stringify would escape them), `"` and `\` escaped,
// control characters as \u00xx.

const HEX = '0123456789abcdef';

export function escapeJson(s: string): string {
  let out = '';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep = '';
    if (c === 0x22) rep = '\\"';
    else if (c === 0x5c) rep = '\\\\';
    else if (c < 0x20) rep = '\\u00' + HEX.charAt(c >> 4) + HEX.charAt(c & 15);
    if (rep) {
      out += s.substring(start, i) + rep;
      start = i + 1;
    }
  }
  return out + s.substring(start);
}

/** A JSON string literal. */
export function jsonString(s: string): string {
  return '"' + escapeJson(s) + '"';
}

/** An SSID as DSS wants it: wrapped in literal double quotes inside the JSON string ("\"ssid\""). */
export function quotedSsid(ssid: string): string {
  return jsonString('"' + ssid + '"');
}

/** `"name":value` members joined with commas, skipping empty ones. */
export function members(list: string[]): string {
  let out = '';
  for (let i = 0; i < list.length; i++) {
    if (!list[i]) continue;
    out += (out ? ',' : '') + list[i];
  }
  return out;
}

export function member(name: string, rawValue: string): string {
  return '"' + name + '":' + rawValue;
}

/** Upper-case "AA:BB:CC:DD:EE:FF" from any case and separator (':' or '-'); '' when not a MAC. */
export function normalizeBssid(mac: string): string {
  const hex = mac.toUpperCase().split(':').join('').split('-').join('');
  if (hex.length !== 12) return '';
  let out = '';
  for (let i = 0; i < 12; i += 2) {
    const a = hex.charAt(i);
    const b = hex.charAt(i + 1);
    if ('0123456789ABCDEF'.indexOf(a) < 0 || '0123456789ABCDEF'.indexOf(b) < 0) return '';
    out += (i ? ':' : '') + a + b;
  }
  return out;
}
