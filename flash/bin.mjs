#!/usr/bin/env node
// Package bin entry (`ffs-flash flash ...`, `ffs-flash mkdevice ...`): load the TypeScript CLI through tsx.
import { register } from 'tsx/esm/api';

register();
await import('./cli.ts');
