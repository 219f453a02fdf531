// Timeline: the simulator's event bus and its terminal renderer (see sim/ARCHITECTURE.md).
// Every actor emits short events; the CLI prints them, scenarios check them, the trace page draws them.

export interface SimEvent {
  /** virtual ms */
  t: number;
  /** device | storage | wifi | ble | echo | provisioner | dss | air | sim | ... */
  actor: string;
  /** short verb: log, write, scan, join, http, pdu, fault, state, boot, power, ... */
  kind: string;
  summary: string;
  fields?: Record<string, unknown>;
  /** hex */
  bytes?: string;
  /** board id when the event belongs to one board */
  board?: string;
}

export type EventInput = Omit<SimEvent, 't'>;

/** The text `expect.events` / `expect.forbid` / `--until` substrings are matched against. */
export function eventText(e: SimEvent): string {
  return (e.board ? e.board + ' ' : '') + e.actor + ' ' + e.kind + ' ' + e.summary;
}

export class Timeline {
  readonly events: SimEvent[] = [];
  private listeners: Array<(e: SimEvent) => void> = [];
  /** keep at most this many events in memory (oldest dropped); 0 = keep all */
  limit = 0;

  constructor(private readonly now: () => number) {}

  emit(e: EventInput): SimEvent {
    const ev: SimEvent = { t: this.now(), ...e };
    this.events.push(ev);
    if (this.limit > 0 && this.events.length > this.limit) this.events.splice(0, this.events.length - this.limit);
    for (const fn of this.listeners) fn(ev);
    return ev;
  }

  on(fn: (e: SimEvent) => void): () => void {
    this.listeners.push(fn);
    return () => {
      this.listeners = this.listeners.filter((f) => f !== fn);
    };
  }

  /** First event whose text contains the substring (see eventText). */
  find(substring: string): SimEvent | undefined {
    return this.events.find((e) => eventText(e).includes(substring));
  }
}

// ---- terminal rendering ----

const COLOURS: Record<string, string> = {
  device: '36', // cyan
  storage: '35', // magenta
  wifi: '34', // blue
  ble: '34',
  echo: '33', // yellow
  provisioner: '33',
  dss: '32', // green
  air: '90', // grey
  sim: '90',
};

const LEVEL_COLOURS: Record<string, string> = { error: '31;1', warn: '33', info: '', debug: '90' };

export interface RenderOptions {
  colour?: boolean;
  /** show the board id column (fleets, multi-board scenarios) */
  boards?: boolean;
}

function paint(on: boolean | undefined, code: string, text: string): string {
  return on && code ? `\x1b[${code}m${text}\x1b[0m` : text;
}

/** `  12.345s  device   info wss: connected to setup network` */
export function formatEvent(e: SimEvent, opts: RenderOptions = {}): string {
  const time = (e.t / 1000).toFixed(3).padStart(9) + 's';
  const who = opts.boards && e.board ? `${e.actor}[${e.board}]` : e.actor;
  const actor = paint(opts.colour, COLOURS[e.actor] ?? '', who.padEnd(opts.boards ? 18 : 11));
  let summary = e.summary;
  if (e.kind === 'uncaught' || e.kind === 'missing' || e.kind === 'fault') summary = paint(opts.colour, '31;1', summary);
  else if (e.fields && typeof e.fields.level === 'string') summary = paint(opts.colour, LEVEL_COLOURS[e.fields.level] ?? '', summary);
  else if (e.kind !== 'log') summary = paint(opts.colour, '1', e.kind) + ' ' + summary;
  return `${paint(opts.colour, '2', time)}  ${actor} ${summary}`;
}
