// Shared helpers for the WSS world tests: a plain Node HTTPS client with the device's certificate.
import https from 'node:https';
import { createHash, createPublicKey, verify } from 'node:crypto';
import { VirtualClock } from '../../sim/clock.ts';
import { Timeline } from '../../sim/timeline.ts';
import { DssServer, type DssOptions } from '../../sim/world/dss.ts';
import { makeWssPki, type WssPki } from '../../sim/world/test-pki.ts';

export function world(seed = 'test-device') {
  const clock = new VirtualClock();
  const timeline = new Timeline(() => clock.now());
  const pki = makeWssPki({ seed });
  return { clock, timeline, pki };
}

export async function startDss(o: Partial<DssOptions> & { pki: WssPki; clock: VirtualClock; timeline: Timeline }) {
  const dss = new DssServer(o as DssOptions);
  await dss.start();
  return dss;
}

export interface Answer {
  status: number;
  rawHeaders: string[];
  body: string;
  signatures: string[];
}

/** POST /api/v1/<op> with the device certificate, like the device would (mutual TLS, SNI as given). */
export function post(dss: DssServer, pki: WssPki, op: string, body: unknown,
  o: { port?: 443 | 8888; servername?: string; chainPem?: string[]; keyPem?: string; raw?: string } = {}): Promise<Answer> {
  const text = o.raw ?? JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port: dss.realPort(o.port ?? 443), path: '/api/v1/' + op, method: 'POST',
      servername: o.servername ?? 'dp-sps-na.amazon.com', rejectUnauthorized: false,
      cert: (o.chainPem ?? pki.deviceCertChainPem.slice(0, 1)).join(''), key: o.keyPem ?? pki.device.privateKeyPem,
      headers: { 'Content-type': 'application/json', 'Content-Length': Buffer.byteLength(text, 'latin1') },
      agent: false,
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const sigs: string[] = [];
        for (let i = 0; i < res.rawHeaders.length; i += 2) if (res.rawHeaders[i].toLowerCase() === 'x-amzn-dss-signature') sigs.push(res.rawHeaders[i + 1]);
        resolve({ status: res.statusCode || 0, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks).toString('latin1'), signatures: sigs });
      });
    });
    req.on('error', reject);
    req.end(text, 'latin1');
  });
}

export function verifies(pki: WssPki, body: string, sigB64: string): boolean {
  return verify('sha256', Buffer.from(body, 'latin1'), { key: createPublicKey(pki.deviceType.publicKeyPem), dsaEncoding: 'der' },
    Buffer.from(sigB64, 'base64'));
}

export function nonce(i = 0): string {
  return createHash('sha256').update('n' + i).digest('base64').slice(0, 31);
}
