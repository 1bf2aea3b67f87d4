export { findRedisServer, type RedisServer, startRedisServer } from './redis.js';
