// `npm ci` builds the project through `prepare` so that bin/appt works right after install.
import { execSync } from 'node:child_process';
execSync('npm run build --silent', { stdio: 'inherit' });
