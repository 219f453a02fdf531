// NRF stand-in (test scaffolding, never part of dist/firmware.js): the ESP32 build's `NRF` global
// reduced to what the firmware's BLE HAL calls, over the project's UDP air bridge (sim/medium/radio.ts):
// one datagram per advertising event holding the raw AD structures, and every datagram that arrives
// is one received advertisement. Advertising repeats every `interval` ms (at least 20, default 375)
// like the link layer; setScan(cb) delivers {id, rssi, data: ArrayBuffer}. GATT is not bridged:
// setServices/updateServices accept and do nothing (the Echo provisions over PB-ADV).
(function (C) {
  var sock = null, adv = [], advTimer = null, scanCb = null, i = 0;
  function open() {
    if (sock) return sock;
    sock = require('dgram').createSocket('udp4');
    sock.on('message', function (m) {
      if (scanCb) scanCb({ id: 'ec:00:00:00:00:01', rssi: -50, data: E.toArrayBuffer(m) });
    });
    sock.bind(C.nrf);
    return sock;
  }
  function tx() {
    var a = adv[i++ % adv.length];
    if (a.length) open().send(a, 0, a.length, C.air, '127.0.0.1');
  }
  global.NRF = {
    setAdvertising: function (d, o) {
      o = o || {};
      if (advTimer) clearInterval(advTimer);
      advTimer = null;
      adv = d && d.length && typeof d[0] == 'object' ? d.map(function (x) { return E.toString(x); }) : [E.toString(d || [])];
      for (var k = 0; k < adv.length; k++) if (adv[k].length > 31) throw new Error('Too much data for advertising (31 bytes max)');
      i = 0;
      if (adv.length && adv[0].length) {
        tx();
        advTimer = setInterval(tx, Math.max(20, o.interval || 375));
      }
    },
    setScan: function (cb) {
      scanCb = typeof cb == 'function' ? cb : null;
      if (scanCb) open();
    },
    setServices: function () {},
    updateServices: function () {},
    setScanResponse: function () {},
    disconnect: function () {},
    getAddress: function () { return '24:0a:c4:00:00:01 public'; },
    setTxPower: function () {},
    sleep: function () { if (advTimer) clearInterval(advTimer); advTimer = null; },
    wake: function () {}
  };
})(LANE_CFG);
