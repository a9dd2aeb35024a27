// What the numbers were measured on: machine, runtime, commit, package versions.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { netdevMaxBacklog } from './host-load.mjs';
import { redisServerVersion } from './redis.mjs';

function git(root, args) {
  const result = spawnSync('git', args, { cwd: root, encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : null;
}

function versionOf(root, name) {
  try {
    const file = join(root, 'node_modules', name, 'package.json');
    return JSON.parse(readFileSync(file, 'utf8')).version;
  } catch {
    return null;
  }
}

export function machineInfo(root) {
  const cpus = os.cpus();
  const status = git(root, ['status', '--porcelain']);
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    availableParallelism: os.availableParallelism?.() ?? cpus.length,
    totalMemGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    node: process.version,
    commit: git(root, ['rev-parse', 'HEAD']),
    dirty: status === null ? null : status.length > 0,
    redisServer: redisServerVersion(),
    netdevMaxBacklog: netdevMaxBacklog(),
    packages: {
      'nestjs-realtime': JSON.parse(
        readFileSync(join(root, 'package.json'), 'utf8'),
      ).version,
      ws: versionOf(root, 'ws'),
      // Each server uses the ws its own stack resolves.
      'ws (used by @nestjs/platform-ws)':
        versionOf(root, '@nestjs/platform-ws/node_modules/ws') ??
        versionOf(root, 'ws'),
      'ws (used by engine.io)':
        versionOf(root, 'engine.io/node_modules/ws') ?? versionOf(root, 'ws'),
      'socket.io': versionOf(root, 'socket.io'),
      'socket.io-client': versionOf(root, 'socket.io-client'),
      '@socket.io/redis-adapter': versionOf(root, '@socket.io/redis-adapter'),
      ioredis: versionOf(root, 'ioredis'),
      '@nestjs/core': versionOf(root, '@nestjs/core'),
      '@nestjs/platform-express': versionOf(root, '@nestjs/platform-express'),
    },
  };
}
