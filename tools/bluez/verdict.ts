// What one run against bluetooth-meshd shows: its stages in time and, when it failed, which timer
// ended it. Pure (test/bluez/verdict.test.ts): the run feeds it the events it saw, each stamped with
// ms since AddNode on this machine's clock.
//   meshd  — a line of `bluetooth-meshd -d` (mesh/pb-adv.c, mesh/prov-initiator.c debug output)
//   prov   — an event of tools/bluez/provisioner.py (add-node, prompt-static, complete, failed …)
//   device — a firmware log line mirrored by the lane's probe ("<level> mesh: <message>")
//   air    — a PB-ADV transaction seen on the bridge (first copy of each transaction, each way)

export interface RunEvent {
  ms: number;
  src: 'meshd' | 'prov' | 'device' | 'air';
  text: string;
}

export interface Stage {
  ms: number;
  stage: string;
}

export interface Verdict {
  provisioned: boolean;
  /** null when provisioned */
  cause: string | null;
  stages: Stage[];
  /** device: 'rx Public Key' → 'ECDH done', ms */
  ecdhMs: number | null;
}

const STAGES: Array<[RunEvent['src'], RegExp, (m: RegExpExecArray) => string]> = [
  ['prov', /^add-node/, () => 'AddNode (meshd sends Link Open)'],
  ['meshd', /PB-ADV open confirmed/, () => 'meshd: link open confirmed'],
  ['air', /^(meshd|device) tx (\w[\w ]*) \(tn 0x([0-9a-f]+)\)/, (m) => `${m[1]} sends ${m[2]}`],
  ['device', /mesh: rx Public Key/, () => 'device: ECDH starts (provisioner key in)'],
  ['device', /mesh: ECDH done/, () => 'device: ECDH done'],
  ['prov', /^prompt-static/, () => 'meshd asks the agent for the static OOB'],
  ['device', /mesh: provisioned over/, () => 'device: provisioned (node stored, Complete sent)'],
  ['prov', /^complete/, () => 'meshd: AddNodeComplete'],
  ['prov', /^failed (.*)/, (m) => `meshd: AddNodeFailed (${m[1]})`],
  ['meshd', /TX timeout/, () => 'meshd: TX timeout fired'],
  ['meshd', /Link closed notification: ([0-9a-f]+)/i, (m) => `meshd: device closed the link (reason 0x${m[1]})`],
  ['device', /mesh: (protocol timeout awaiting .*|link too long|.*not acked in 30 s|provisioning failed: .*|link closed over .*)/, (m) => 'device: ' + m[1]],
];

export function stagesOf(events: RunEvent[]): Stage[] {
  const out: Stage[] = [];
  for (const e of [...events].sort((a, b) => a.ms - b.ms)) {
    for (const [src, re, name] of STAGES) {
      if (e.src !== src) continue;
      const m = re.exec(e.text);
      if (m) {
        out.push({ ms: e.ms, stage: name(m) });
        break;
      }
    }
  }
  return out;
}

/**
 * The run's verdict. A failure names the timer that ended it:
 *  - meshd's TX timeout before the link was open: its 60 s link-open timer (pb_adv_reg);
 *  - meshd's TX timeout after: the 30 s tx_timeout re-armed by each transaction it sends (pb_adv_tx),
 *    with how long after which of its transactions it fired;
 *  - the device closing the link (its 60 s protocol timer, its 120 s link life, its 30 s without an ack);
 *  - a provisioning error (AddNodeFailed with another reason, the device's Failed).
 */
export function verdict(events: RunEvent[]): Verdict {
  const stages = stagesOf(events);
  const has = (re: RegExp, src?: RunEvent['src']) => events.find((e) => (!src || e.src === src) && re.test(e.text));
  const provisioned = !!has(/^complete/, 'prov') && !!has(/mesh: provisioned over/, 'device');
  const rxKey = has(/mesh: rx Public Key/, 'device');
  const done = has(/mesh: ECDH done/, 'device');
  const ecdhMs = rxKey && done ? done.ms - rxKey.ms : null;
  if (provisioned) return { provisioned, cause: null, stages, ecdhMs };
  let cause: string;
  const txTimeout = has(/TX timeout/, 'meshd');
  const opened = has(/PB-ADV open confirmed/, 'meshd');
  const devClose = has(/mesh: (protocol timeout awaiting .*|link too long|.*not acked in 30 s)/, 'device');
  const failedPdu = has(/mesh: provisioning failed: .*/, 'device');
  const provFailed = has(/^failed/, 'prov');
  if (txTimeout && (!opened || txTimeout.ms < opened.ms)) {
    cause = `meshd's 60 s link-open timer (no Link Ack) fired at ${(txTimeout.ms / 1000).toFixed(1)} s`;
  } else if (txTimeout && (!devClose || txTimeout.ms <= devClose.ms)) {
    const sent = events.filter((e) => e.src === 'air' && /^meshd tx /.test(e.text) && e.ms <= txTimeout.ms).pop();
    const after = sent ? ` ${((txTimeout.ms - sent.ms) / 1000).toFixed(1)} s after it sent ${sent.text.replace(/^meshd tx /, '')}` : '';
    const waiting = events.filter((e) => e.src === 'device' && /mesh: (rx|tx) /.test(e.text) && e.ms <= txTimeout.ms).pop();
    cause = `meshd's 30 s tx_timeout fired at ${(txTimeout.ms / 1000).toFixed(1)} s,${after}` + (waiting ? ` (device's last: ${waiting.text.replace(/^\w+ mesh: /, '')})` : '');
  } else if (devClose) {
    cause = `the device's own timer: ${devClose.text.replace(/^\w+ mesh: /, '')} at ${(devClose.ms / 1000).toFixed(1)} s`;
  } else if (failedPdu) {
    cause = `the device failed the session: ${failedPdu.text.replace(/^\w+ mesh: /, '')}`;
  } else if (provFailed) {
    cause = `meshd reported ${provFailed.text}`;
  } else if (has(/^complete/, 'prov')) {
    cause = 'meshd completed but the device never logged provisioned';
  } else {
    cause = 'no outcome within the run time';
  }
  return { provisioned, cause, stages, ecdhMs };
}
