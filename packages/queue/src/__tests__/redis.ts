// A throw-away redis-server for the queue tests, on a free port, with no persistence. Without
// the Debian package the tests skip with a message; IWLAB_REDIS_REQUIRED=1 (CI) makes that an
// error instead.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

const BINARY = process.env.IWLAB_REDIS_SERVER ?? 'redis-server';

export const redisAvailable = spawnSync(BINARY, ['--version']).status === 0;
if (!redisAvailable) {
  const message = `queue tests: ${BINARY} not found (apt-get install redis-server)`;
  if (process.env.IWLAB_REDIS_REQUIRED === '1')
    throw new Error(`${message}; IWLAB_REDIS_REQUIRED=1`);
  console.warn(`${message}: skipped`);
}

export interface RedisServer {
  readonly url: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        resolve(typeof address === 'object' && address !== null ? address.port : 0),
      );
    });
  });
}

export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    BINARY,
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output}`)));
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
