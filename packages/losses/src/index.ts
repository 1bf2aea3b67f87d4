export { weightedReduce } from './reduce.js';
