// Types for the Espruino globals hal/espruino/ uses (signatures from Espruino's sources, 2v29).
// Only hal/espruino/ may use them; firmware/ gets everything through the Hal.
declare function require(name: string): any;
declare function getTime(): number;
declare function print(...args: any[]): void;
declare function setWatch(fn: (e: { state: boolean; time: number; lastTime?: number }) => void, pin: any, opts: any): number;
declare function clearWatch(id?: number): void;
declare function digitalWrite(pin: any, value: boolean | number): void;
declare function digitalRead(pin: any): number;
declare function pinMode(pin: any, mode: string): void;
declare function load(file?: string): void;
declare function reset(clearFlash?: boolean): void;
declare const E: any;
declare const NRF: any;
declare const ESP32: any;
declare const process: { env: any; memory(gc?: boolean): any; version: string };
declare const console: { log(...args: any[]): void };
declare function setTimeout(fn: () => void, ms?: number): number;
declare function clearTimeout(id?: number): void;
declare function setInterval(fn: () => void, ms?: number): number;
declare function clearInterval(id?: number): void;
declare function atob(s: string): string;
declare function btoa(s: string): string;
declare const global: any;
