// Writing the DSS request bodies by hand, so the field order and encodings are exactly the documented
// ones (wss-protocol.md 3.4-3.6). Strings are binary strings (one char per byte): bytes >= 0x80 are
// written raw (as the SDK does; Espruino's JSON.stringify would escape them), `"` and `\` escaped,
// control characters as \u00xx.

export function escapeJson(s: string): string {
  return s.replace(/["\\\x00-\x1f]/g, (c) => {
    const n = c.charCodeAt(0);
    return n < 0x20 ? '\\u00' + (n < 16 ? '0' : '') + n.toString(16) : '\\' + c;
  });
}

/** A JSON string literal. */
export function jsonString(s: string): string {
  return '"' + escapeJson(s) + '"';
}

/** An SSID as DSS wants it: wrapped in literal double quotes inside the JSON string ("\"ssid\""). */
export function quotedSsid(ssid: string): string {
  return jsonString('"' + ssid + '"');
}

/** Member names and their raw values (already encoded JSON text, or a number written as it is). */
export type Members = Array<string | number>;

/**
 * A JSON object from a flat list of member names and their raw values, in that order; a member whose
 * value is '', 0 or NaN (an unknown number) is left out.
 */
export function obj(pairs: Members): string {
  let out = '';
  for (let i = 0; i < pairs.length; i += 2) if (pairs[i + 1]) out += (out ? ',"' : '"') + pairs[i] + '":' + pairs[i + 1];
  return '{' + out + '}';
}

/** Upper-case "AA:BB:CC:DD:EE:FF" from any case and separator (':' or '-'); '' when not a MAC. */
export function normalizeBssid(mac: string): string {
  const hex = mac.toUpperCase().replace(/[:-]/g, '');
  if (hex.length !== 12 || !/^[0-9A-F]*$/.test(hex)) return '';
  return (hex.match(/../g) as string[]).join(':');
}
