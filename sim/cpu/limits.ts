// The scenario table of docs/SIMULATOR.md ("Device time"), reproduced in one command:
//   node --import tsx sim/cpu/limits.ts [scenario ...]   (default: default, mesh-pb-adv-happy, mesh-pb-gatt-happy, wss-happy-simple-setup, wss-happy-encoded)
// For each scenario: the total setup time at --cpu esp32 (virtual time until the scenario's expectations
// hold), and the largest --cpu-factor at which it still succeeds (bisection over the factor, each run a
// full simulation; success is monotone in the factor for these flows, checked at both ends).
import { loadCalibration, type CpuSpec } from './model';
import { loadScenario, runScenario } from '../scenario';

const DEFAULT = ['default', 'mesh-pb-adv-happy', 'mesh-pb-gatt-happy', 'wss-happy-simple-setup', 'wss-happy-encoded'];

async function succeeds(name: string, factor: number): Promise<{ ok: boolean; ms: number; outcome: string }> {
  const cpu: CpuSpec = { name: 'factor', factor };
  const r = await runScenario(await loadScenario(name), { cpu, calibration: loadCalibration(), storageDir: null });
  return { ok: r.ok, ms: r.virtualMs, outcome: r.outcome };
}

async function main(): Promise<void> {
  const names = process.argv.slice(2).length ? process.argv.slice(2) : DEFAULT;
  console.log('| scenario | setup time at --cpu esp32 (30x) | largest --cpu-factor that succeeds | what fails beyond it |');
  console.log('|---|---|---|---|');
  for (const name of names) {
    const esp = await succeeds(name, 30);
    let lo = 0;
    let hi = 400;
    const top = await succeeds(name, hi);
    let failure = top.ok ? `still succeeds at ${hi}x` : `outcome ${top.outcome}`;
    if (top.ok) lo = hi;
    else {
      const one = await succeeds(name, 1);
      if (!one.ok) {
        console.log(`| ${name} | ${esp.ok ? (esp.ms / 1000).toFixed(1) + ' s' : 'fails (' + esp.outcome + ')'} | fails even at 1x (${one.outcome}) | |`);
        continue;
      }
      lo = 1;
      while (hi - lo > Math.max(1, lo * 0.02)) {
        const mid = Math.round(((lo + hi) / 2) * 10) / 10;
        const r = await succeeds(name, mid);
        if (r.ok) lo = mid;
        else {
          hi = mid;
          failure = `outcome ${r.outcome} at ${mid}x`;
        }
      }
    }
    console.log(`| ${name} | ${esp.ok ? (esp.ms / 1000).toFixed(1) + ' s' : 'fails (' + esp.outcome + ')'} | ${lo}x | ${failure} |`);
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(e instanceof Error ? e.message : String(e));
  process.exit(1);
});
