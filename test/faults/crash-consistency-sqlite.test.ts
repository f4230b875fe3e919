/** Crash consistency on SQLite (the suites and what they check: crash-consistency.ts). */
import { crashConsistencySuites } from './crash-consistency.ts';

crashConsistencySuites('sqlite');
