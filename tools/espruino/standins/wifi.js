// Wifi stand-in (test scaffolding, never part of dist/firmware.js): the ESP32 (IDF5) build's `Wifi`
// module reduced to what the firmware's Wi-Fi HAL calls, answered by the lane's Wi-Fi bridge
// (tools/espruino/wifi-bridge.ts, over the Wi-Fi medium) through the probe's UDP socket. Quirks kept
// as on the ESP32 build (libs/network/esp32/jswrap_esp32_network.c, as sim/board/wifi.ts emulates
// them): scan(cb) calls back with ONE argument; connect's callback comes only once an IP is obtained,
// a failed join emits 'disconnected' {ssid, mac, reason, msg} and never calls back; disconnect(cb)
// calls back at once and again when the station has left. Sockets are the interpreter's own.
// Modules.addCached(name, fn) keeps the function's SOURCE and evaluates it as the module's code at
// require() time: the module cannot close over anything, so everything lives inside it (and `LANE`,
// the probe's global).
Modules.addCached('Wifi', function () {
  var W = exports, n = 0, pending = {};
  var st = { ip: '0.0.0.0', gw: '0.0.0.0', netmask: '0.0.0.0', ssid: '', status: 'off', auth: '', host: 'espressif' };
  function req(op, o, cb) {
    o.t = 'w';
    o.op = op;
    o.id = ++n;
    if (cb) pending[o.id] = cb;
    LANE.send(o);
  }
  LANE.sock.on('message', function (m) {
    var r;
    try { r = JSON.parse(m); } catch (e) { return; }
    if (r.t == 'r' && pending[r.id]) {
      var cb = pending[r.id];
      delete pending[r.id];
      cb(r);
    } else if (r.t == 'e') W.emit(r.ev, r.d);
  });
  function later(cb, a, b) {
    if (typeof cb == 'function') setTimeout(function () { cb(a, b); }, 0);
  }
  W.scan = function (cb) {
    req('scan', {}, function (r) { cb(r.list); });
  };
  W.connect = function (ssid, o, cb) {
    o = o || {};
    st.ssid = ssid;
    req('connect', { ssid: ssid, pw: o.password || '' }, function (r) {
      if (!r.ok) {
        st.status = r.msg;
        W.emit('disconnected', { ssid: ssid, mac: r.mac, reason: String(r.reason), msg: r.msg });
        return;
      }
      st.ip = r.ip; st.gw = r.gw; st.netmask = r.netmask; st.status = 'connected'; st.auth = r.auth;
      W.emit('associated', { ssid: ssid, mac: r.mac, channel: r.channel });
      if (typeof cb == 'function') cb(null);
      W.emit('connected', { ip: r.ip, netmask: r.netmask, gw: r.gw });
    });
  };
  W.disconnect = function (cb) {
    var was = st.status == 'connected';
    req('disconnect', {});
    later(cb);
    if (was) setTimeout(function () {
      st.status = 'ASSOC_LEAVE'; st.ip = '0.0.0.0';
      W.emit('disconnected', { ssid: st.ssid, mac: '00:00:00:00:00:00', reason: '8', msg: 'ASSOC_LEAVE' });
      if (typeof cb == 'function') cb();
    }, 10);
  };
  W.getIP = function (cb) {
    var i = { ip: st.ip, netmask: st.netmask, gw: st.gw, mac: '24:0a:c4:00:00:01' };
    later(cb, null, i);
    return i;
  };
  W.getDetails = function (cb) {
    var d = st.status == 'connected' ? { ssid: st.ssid, status: 'connected', authMode: st.auth } : { status: st.status };
    later(cb, d);
    return d;
  };
  W.getStatus = function () {
    return st.status == 'connected' ? { station: 'connected', ssid: st.ssid, mode: 'STA' } : { station: st.status, mode: 'STA' };
  };
  W.getHostByName = function (h, cb) {
    req('dns', { host: h }, function (r) { cb(r.ip); });
  };
  W.startAP = function (ssid, o, cb) {
    o = o || {};
    req('startAP', { ssid: ssid, pw: o.password || '' }, function () {
      if (typeof cb == 'function') cb(null);
      W.emit('ap_start');
    });
  };
  W.stopAP = function (cb) {
    req('stopAP', {}, function () { W.emit('ap_stop'); });
    later(cb);
  };
  W.getAPIP = function (cb) {
    var i = { ip: '192.168.4.1', netmask: '255.255.255.0', gw: '192.168.4.1', mac: '24:0a:c4:00:00:02' };
    later(cb, null, i);
    return i;
  };
  W.getHostname = function () { return st.host; };
  W.setHostname = function (h, cb) { st.host = String(h); later(cb); };
  W.setConfig = function () {};
  W.save = function () {};
  W.restore = function () {};
});
