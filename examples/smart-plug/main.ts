// A complete small product on FFS: a smart plug. A relay switches the socket, the button toggles it
// (a 3 s hold clears the Wi-Fi setup, 10 s is a factory reset: FFS handles both), the status LED
// blinks while the plug waits for setup and stays on with the relay once it is online, and after
// setup the plug reports its state once a minute (here: one console line; a real product would
// send it to its cloud). Built with `npm run build -- --app examples/smart-plug`.
//
// The maker's code may use the board's globals (digitalWrite, setInterval): it is product code, not
// firmware/ (whose rules still apply to what FFS itself does). Pins come from ffs-app.json, checked
// at build time (build/maker.mjs).
import { startFfs, type FfsState } from '../../ffs';
import app from './ffs-app.json';
import page from './page.html';

let relayOn = false;
let online = false;
let blink = -1;

function setRelay(on: boolean): void {
  relayOn = on;
  digitalWrite(app.pins.relay, on);
  ffs.setLed(on || !online);
  ffs.log('plug: relay ' + (on ? 'on' : 'off'));
}

function report(): void {
  ffs.log('plug: state report relay=' + (relayOn ? 'on' : 'off') + ' uptime=' + Math.floor(getTime()) + 's');
}

function showSetup(state: FfsState): void {
  const waiting = state.wifi === 'setup' || state.softAp;
  if (waiting && blink < 0) {
    let lit = false;
    blink = setInterval(() => {
      lit = !lit;
      ffs.setLed(lit);
    }, 500);
  } else if (!waiting && blink >= 0) {
    clearInterval(blink);
    blink = -1;
    ffs.setLed(relayOn);
  }
}

const ffs = startFfs({
  pins: { button: app.pins.button, buttonActiveLow: app.pins.buttonActiveLow, led: app.pins.led },
  softApPage: page,
  onStateChange: (state) => {
    ffs.log('plug: setup ' + state.wifi + (state.softAp ? ' (soft AP)' : '') + ', mesh ' + state.mesh);
    showSetup(state);
  },
  onWifiJoined: (network) => {
    online = true;
    ffs.log('plug: online on ' + JSON.stringify(network.ssid));
    report();
    setInterval(report, 60000);
  },
  onMeshProvisioned: (node) => ffs.log('plug: mesh node 0x' + node.address.toString(16)),
  onSetupFailed: (f) => ffs.log('plug: setup failed (' + f.flow + ' ' + f.code + '): ' + f.reason),
  onSoftApNeeded: () => ffs.log('plug: open the plug\'s own Wi-Fi to set it up'),
  onButtonPress: () => setRelay(!relayOn),
});

digitalWrite(app.pins.relay, false);
