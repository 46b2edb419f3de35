import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SERVER_ROOT } from '../config/paths.js';

export const VERSION: string = JSON.parse(readFileSync(path.join(SERVER_ROOT, 'package.json'), 'utf8')).version;
