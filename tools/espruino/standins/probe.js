// Lane probe (test scaffolding, never part of dist/firmware.js). Runs from .boot0 before the app, in
// the Espruino dialect. Every LANE_CFG.ms it samples process.memory(false).usage (no GC: cheap; it
// counts garbage not yet collected), every 5th tick process.memory().usage after a GC (live), and
// the lateness of its own timer (how long the event loop was blocked), and every 5th tick sends
// {t:"m", u, p, k, up} to the lane over UDP. Samples are taken between tasks, so a peak inside one
// long computation is seen only as far as it survives that task: the peak is a lower bound.
// Console lines are mirrored to the lane over the same socket ({t:"l", s}).
// When the firmware closes the telnet console (hal/espruino/system.ts hardenConsole) Espruino keeps
// its console on the dead telnet device (libs/network/telnet: telnetStop does not release it), so the
// probe closes it a little later (consoleMs) and moves the console to stdout, as a board's UART keeps it.
(function (C) {
  var s = require('dgram').createSocket('udp4');
  s.bind(C.me);
  function send(o) {
    var j = JSON.stringify(o);
    s.send(j, 0, j.length, C.ctl, '127.0.0.1');
  }
  global.LANE = { send: send, sock: s, peak: 0, block: 0 };
  var t = getTime(), n = 0;
  setInterval(function () {
    var now = getTime(), late = (now - t) * 1000 - C.ms, u = process.memory(false).usage;
    t = now;
    if (late > LANE.block) LANE.block = late;
    if (u > LANE.peak) LANE.peak = u;
    // every 5th tick also the live count: process.memory() collects garbage first (what the pool must hold)
    if (++n % 5 == 0) send({ t: 'm', u: u, l: process.memory().usage, p: LANE.peak, k: Math.round(LANE.block), up: Math.round(now * 1000) });
  }, C.ms);
  // Every console.log line (the firmware's log) also goes to the lane, stamped there on arrival: the
  // lines printed while the console is still on telnet (the boot) would otherwise be lost to it.
  var cl = console.log;
  console.log = function () {
    var a = [];
    for (var i = 0; i < arguments.length; i++) a.push(String(arguments[i]));
    send({ t: 'l', s: a.join(' ') });
    cl.apply(console, arguments);
  };
  var T = require('TelnetServer'), so = T.setOptions;
  // Closing telnet is deferred by consoleMs: the firmware prints its boot line and closes the console in
  // the same task, and the flash tool waits for that line over telnet (on a board it comes over the UART).
  T.setOptions = function (o) {
    if (!(o && o.mode == 'off')) return so.call(T, o);
    setTimeout(function () {
      so.call(T, o);
      E.setConsole('USB');
    }, C.consoleMs);
  };
})(LANE_CFG);
