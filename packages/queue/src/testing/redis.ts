// A throw-away redis-server for tests of queue tools: on a free loopback port, no persistence,
// stopped by the test. iwlab's own queue tests use it; so can tests of workers of your own.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  stop(): Promise<void>;
}

/** The redis-server binary (IWLAB_REDIS_SERVER, else `redis-server` on PATH) if it runs, else undefined. */
export function findRedisServer(
  binary: string = process.env.IWLAB_REDIS_SERVER ?? 'redis-server',
): string | undefined {
  return spawnSync(binary, ['--version']).status === 0 ? binary : undefined;
}

/**
 * `findRedisServer()` for a test file: without the binary, warns that `suite` is skipped (returns
 * undefined, for `describe.skipIf`), or throws when IWLAB_REDIS_REQUIRED=1 (CI, where a skipped
 * queue test would hide a broken set-up).
 */
export function redisServerForTests(suite: string): string | undefined {
  const binary = findRedisServer();
  if (binary !== undefined) return binary;
  const message = `${suite}: redis-server not found (apt-get install redis-server)`;
  if (process.env.IWLAB_REDIS_REQUIRED === '1') {
    throw new Error(`${message}; IWLAB_REDIS_REQUIRED=1`);
  }
  console.warn(`${message}: skipped`);
  return undefined;
}

/** A loopback port that was free a moment ago. */
export async function freePort(): Promise<number> {
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

/**
 * Starts redis-server and resolves once it accepts connections: on `port`, or a free one. (A
 * server started again on a stopped one's port is a Redis that restarted without its data.)
 */
export async function startRedisServer(
  binary = findRedisServer(),
  options: { readonly port?: number } = {},
): Promise<RedisServer> {
  if (binary === undefined) {
    throw new Error('redis-server not found (Debian: apt-get install redis-server)');
  }
  const port = options.port ?? (await freePort());
  const child: ChildProcess = spawn(
    binary,
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
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
