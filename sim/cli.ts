// The simulator's command line:
//   npm run sim -- <scenario name or path> [--seed N] [--realtime] [--until <event substring>] [--quiet] [--fleet N]
//                  [--keep-storage]  (boot from the Storage the previous run left in .sim/<scenario>/)
//                  [--trace out.html] (the run as a sequence-diagram page, sim/trace.ts)
//                  [--fuzz N]         (N randomized fault schedules, sim/fuzz.ts; --seed picks the first)
//                  [--cpu esp32|host | --cpu-factor N]  (device time, sim/cpu/model.ts; default: the scenario's "cpu", else esp32)
//   npm run sim -- --repl PORT [--storage FILE]   (a fresh emulated board's REPL on tcp://127.0.0.1:PORT,
//                                                  for `npm run flash -- --port tcp://127.0.0.1:PORT`)
//   npm start   (no scenario: runs scenarios/default.json, both setup flows succeeding)
// Prints a readable timeline (virtual time, actor, event; colour on a TTY), then the verdict.
// Exit status: 0 when the scenario's expectations hold, 1 when they do not, 2 for bad input.

import { formatEvent, type SimEvent } from './timeline';
import { runScenario, loadScenario, fleetStats, ScenarioError, StorageFileError, cpuSpecOf } from './scenario';
import { CpuConfigError, describeCpu, loadCalibration, parseCpuSpec } from './cpu/model';

const USAGE =
  'usage: npm run sim -- <scenario name or path> [--seed N] [--realtime] [--until <event substring>] [--quiet] [--fleet N] [--keep-storage] [--trace out.html] [--fuzz N] [--cpu esp32|host | --cpu-factor N] | --repl PORT [--storage FILE]';

interface CliArgs {
  scenario: string;
  seed?: number;
  realtime: boolean;
  until?: string;
  quiet: boolean;
  fleet?: number;
  keepStorage: boolean;
  trace?: string;
  fuzz?: number;
  cpu?: string;
  cpuFactor?: string;
}

function parseArgs(argv: string[]): CliArgs {
  const args: CliArgs = { scenario: 'default', realtime: false, quiet: false, keepStorage: false };
  let named = false;
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new ScenarioError([`${flag} needs a value. ${USAGE}`]);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--seed') {
      const v = value(i++, a);
      if (!/^\d+$/.test(v)) throw new ScenarioError([`--seed: expected a non-negative integer, got ${JSON.stringify(v)}`]);
      args.seed = Number(v);
    } else if (a === '--fleet') {
      const v = value(i++, a);
      if (!/^[1-9]\d*$/.test(v)) throw new ScenarioError([`--fleet: expected a positive integer, got ${JSON.stringify(v)}`]);
      args.fleet = Number(v);
    } else if (a === '--fuzz') {
      const v = value(i++, a);
      if (!/^[1-9]\d*$/.test(v)) throw new ScenarioError([`--fuzz: expected a positive number of runs, got ${JSON.stringify(v)}`]);
      args.fuzz = Number(v);
    } else if (a === '--cpu') args.cpu = value(i++, a);
    else if (a === '--cpu-factor') {
      const v = argv[i + 1];
      if (v === undefined) throw new ScenarioError([`--cpu-factor needs a value. ${USAGE}`]);
      args.cpuFactor = v; // checked by parseCpuSpec (a negative number is a value here, not an option)
      i++;
    } else if (a === '--trace') args.trace = value(i++, a);
    else if (a === '--until') args.until = value(i++, a);
    else if (a === '--realtime') args.realtime = true;
    else if (a === '--quiet') args.quiet = true;
    else if (a === '--keep-storage') args.keepStorage = true;
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else if (a.startsWith('--')) throw new ScenarioError([`unknown option ${a}. ${USAGE}`]);
    else if (named) throw new ScenarioError([`one scenario at a time (got ${JSON.stringify(args.scenario)} and ${JSON.stringify(a)})`]);
    else {
      args.scenario = a;
      named = true;
    }
  }
  return args;
}

async function main(): Promise<number> {
  const argv = process.argv.slice(2);
  const repl = argv.indexOf('--repl');
  if (repl >= 0) {
    const port = argv[repl + 1];
    if (!port || !/^\d+$/.test(port)) throw new ScenarioError([`--repl needs a TCP port number. ${USAGE}`]);
    const rest = argv.filter((_, i) => i !== repl && i !== repl + 1);
    await (await import('./repl')).replMain(['--port', port].concat(rest));
    return new Promise<number>(() => undefined); // serves until Ctrl-C
  }
  const args = parseArgs(argv);
  const colour = !!process.stdout.isTTY && !process.env.NO_COLOR;
  // device time: a bad board name, factor or calibration table stops here, before anything runs
  let cpu = parseCpuSpec(args.cpu, args.cpuFactor);
  const calibration = loadCalibration();
  const scenario = await loadScenario(args.scenario);
  // no --cpu/--cpu-factor: the scenario's own "cpu" (what its expectations are written for), else esp32
  if (args.cpu === undefined && args.cpuFactor === undefined && scenario.cpu !== undefined) cpu = cpuSpecOf(scenario.cpu);
  if (args.fuzz !== undefined) return (await import('./fuzz')).fuzzCli(scenario, { runs: args.fuzz, seed: args.seed, quiet: args.quiet, trace: args.trace, colour, cpu, calibration });
  const many = (args.fleet ?? scenario.device.count ?? 1) > 1;
  const print = (e: SimEvent) => console.log(formatEvent(e, { colour, boards: many }));
  const onEvent = args.quiet ? undefined : print;
  if (!args.quiet) {
    console.log(`scenario ${scenario.name}${scenario.description ? ': ' + scenario.description : ''}`);
    console.log(`seed ${args.seed ?? scenario.seed}, up to ${(scenario.durationMs / 1000).toFixed(1)}s virtual${args.realtime ? ', real-time pacing' : ''}`);
    console.log(`${describeCpu(cpu)}\n`);
  }
  const report = await runScenario(scenario, {
    seed: args.seed, realtime: args.realtime, until: args.until, fleet: args.fleet, onEvent, keepStorage: args.keepStorage,
    cpu, calibration,
  });
  const mark = (ok: boolean, text: string) => (colour ? `\x1b[${ok ? '32' : '31'};1m${text}\x1b[0m` : text);
  console.log('');
  console.log(
    `${mark(report.ok, report.ok ? 'PASS' : 'FAIL')} ${scenario.name}: outcome ${report.outcome}, ` +
      `${(report.virtualMs / 1000).toFixed(3)}s virtual in ${report.realMs} ms real` +
      `${report.heldRealMs ? ` (${report.heldRealMs} ms of it waiting on real I/O)` : ''}, stopped: ${report.stop}, ` +
      `${report.boards.length} board${report.boards.length === 1 ? '' : 's'}, ${report.events.length} events`,
  );
  if (report.cpu) {
    const busy = Object.entries(report.cpu.boards).map(([b, s]) => `${report.boards.length > 1 ? b + ' ' : ''}${(s.total / 1000).toFixed(1)}s`).join(', ');
    if (busy) console.log(`  device time computing: ${busy} (${describeCpu(report.cpu.spec)})`);
    const mem = report.cpu.memory;
    if (mem && mem.stages.length) {
      console.log(`  memory per stage, measured on the interpreter: ${mem.stages.map((m) => `${m.stage} ${m.stage === 'boot' ? '' : '+'}${m.jsVars}`).join(', ')} JsVars of ${mem.total}`);
    }
    const lane = report.cpu.lane;
    if (lane) {
      console.log(`  flows on the interpreter (${lane.file}): ${lane.bootJsVars !== null ? `booted board ${lane.bootJsVars} JsVars, ` : ''}` +
        `${lane.flows.map((f) => `${f.flow} peak ${f.peakJsVars ?? '?'} JsVars`).join(', ')}`);
    }
  }
  if (report.boards.length > 1) {
    const st = fleetStats(report);
    const sec = (ms?: number) => (ms === undefined ? '-' : (ms / 1000).toFixed(3) + 's');
    console.log(
      `  fleet: ${st.reached}/${st.total} reached ${st.target} (${((100 * st.reached) / st.total).toFixed(1)}%); ` +
        `time to ${st.target}: p50 ${sec(st.p50)}, p90 ${sec(st.p90)}, p99 ${sec(st.p99)}, max ${sec(st.max)}`,
    );
  }
  if (args.trace) {
    const { writeTrace } = await import('./trace');
    const command = `npm run sim -- ${process.argv.slice(2).join(' ')}`;
    console.log(`  trace: ${writeTrace(args.trace, report, { seed: args.seed ?? scenario.seed, command })}`);
  }
  const shown = report.failures.slice(0, 20);
  for (const f of shown) console.log(`  - ${f}`);
  if (report.failures.length > shown.length) console.log(`  ... and ${report.failures.length - shown.length} more`);
  return report.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    if (e instanceof ScenarioError) for (const line of e.problems) console.error(line);
    else if (e instanceof CpuConfigError) console.error(e.message);
    else if (e instanceof StorageFileError) console.error(e.message);
    else console.error(`sim: ${e && e.message ? e.message.split('\n')[0] : String(e)}`);
    process.exit(2);
  },
);
