// What the smart plug uses of the board's globals and the build's loaders (esbuild `text` for .html).
declare module '*.html' {
  const text: string;
  export default text;
}
declare function digitalWrite(pin: string, value: boolean): void;
declare function getTime(): number;
declare function setInterval(fn: () => void, ms: number): number;
declare function clearInterval(id: number): void;
