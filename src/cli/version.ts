import pkg from '../../package.json' with { type: 'json' };

/** Baked in at bundle time, so the compiled binary never looks for a package.json on disk. */
export const PEERS_VERSION: string = pkg.version;
export const PEERS_NAME = 'peers';
export const PEERS_DESCRIPTION: string = pkg.description;
