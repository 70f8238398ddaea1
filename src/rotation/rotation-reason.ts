/** The rotation engine's value-free reasons (see core/errors.ts). */
export { reasonOf } from '../core/errors.js';
