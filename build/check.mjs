// Placeholder until the gate lands: owned by the gate work (issue 2).
export function checkFile() { return []; }
