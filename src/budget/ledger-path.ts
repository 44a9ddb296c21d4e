/**
 * Where `peers up` keeps the auth sidecar's files on the host (mounted into the pod), apart from the
 * ledger's reader (ledger-spend.ts) so that a project without a ledger does not load its schemas.
 */
import { join } from 'node:path';

export const authSidecarDir = (stateDir: string) => join(stateDir, 'sidecars', 'auth');
export const hostUsageLedgerPath = (stateDir: string) => join(authSidecarDir(stateDir), 'usage.jsonl');
