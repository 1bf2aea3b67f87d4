export {
  findRedisServer,
  freePort,
  type RedisServer,
  redisServerForTests,
  startRedisServer,
} from './redis.js';
