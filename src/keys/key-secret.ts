import { createHash } from 'node:crypto';
import { newSecret } from '../ids.js';

/** API keys are random, so one fast hash is enough to make the stored value useless to a reader. */
export const hashKey = (key: string): string => createHash('sha256').update(key).digest('hex');

export const newKeySecret = (): string => newSecret('tsk');

/** What may be shown of a key after creation: enough to recognise it, too little to use it. */
export const keyPrefix = (key: string): string => key.slice(0, 10);
