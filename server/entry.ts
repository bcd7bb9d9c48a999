/**
 * The one door from the CLI into server code. Only `appt serve`, `appt demo`, `appt migrate`
 * and the local admin commands (backup, restore) come in here, and only lazily from their
 * run modules; every other command talks HTTP through shared/client.ts. A test
 * (cli/server-entry.test.ts) keeps it that way.
 */
export { insertToken } from './auth/tokens.js';
export { ConfigError, loadConfig, maskedConfig } from './config.js';
export { createContext } from './context.js';
export { openDatabase } from './db/open.js';
export { startCluster } from './cluster.js';
export { dataDirSecrets, existingSecrets, startServer } from './main.js';
export { BackupError, backupDataDir, restoreDataDir } from './ops/backup.js';
export { makeLogger } from './ops/logger.js';
