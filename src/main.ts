import { ConfigError } from './config.js';
import { runServer } from './server.js';

try {
  await runServer();
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`Tessera could not start: ${(error as Error).message}\n`);
  }
  process.exit(1);
}
