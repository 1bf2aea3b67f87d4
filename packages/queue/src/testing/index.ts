export {
  findRedisServer,
  type RedisServer,
  redisServerForTests,
  startRedisServer,
} from './redis.js';
