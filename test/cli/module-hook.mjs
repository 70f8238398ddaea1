// Loaded with `node --import`: writes every module URL the process resolves to the file named
// by REKEY_MODULE_LOG, so tests can check what a command loads.
import { register } from 'node:module';

register(new URL('./module-hook-resolve.mjs', import.meta.url), { data: { log: process.env.REKEY_MODULE_LOG } });
