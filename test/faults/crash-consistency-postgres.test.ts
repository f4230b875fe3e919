/** Crash consistency on PostgreSQL, when PG_URL is set (the suites and what they check: crash-consistency.ts). */
import { DIALECTS } from '../helpers/dialects.ts';
import { crashConsistencySuites } from './crash-consistency.ts';

if (DIALECTS.includes('postgres')) crashConsistencySuites('postgres');
