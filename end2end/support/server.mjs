// A private Parley server for one test file: a fresh database on the Postgres of DATABASE_URL,
// a free port on 127.0.0.1, a fresh data directory. `stop()` ends the server and drops the
// database. The server's output goes to a log file that the suite prints when a test fails.

import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const END2END_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_DIR = path.resolve(END2END_DIR, '..');
export const RESULTS_DIR = path.join(END2END_DIR, 'test-results');

const STARTUP_TIMEOUT_MS = 30_000;
const SHUTDOWN_TIMEOUT_MS = 10_000;

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set (scripts/test sets it; see end2end/README.md)`);
  }
  return value;
}

/** The psql client: $PG_BINDIR/psql, `psql` on PATH, or the newest /usr/lib/postgresql/<v>/bin/psql. */
function psqlPath() {
  if (process.env.PG_BINDIR) return path.join(process.env.PG_BINDIR, 'psql');
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    const candidate = path.join(dir, 'psql');
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  const root = '/usr/lib/postgresql';
  if (fs.existsSync(root)) {
    const versions = fs.readdirSync(root).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    for (const v of versions) {
      const candidate = path.join(root, v, 'bin', 'psql');
      if (fs.existsSync(candidate)) return candidate;
    }
  }
  throw new Error('psql not found: install the PostgreSQL client or set PG_BINDIR');
}

function psql(adminUrl, sql) {
  execFileSync(psqlPath(), ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', adminUrl, '-c', sql], {
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 30_000,
  });
}

/** Runs one SQL query against `url` and returns its rows as unaligned text (`|`-separated). */
export function query(url, sql) {
  return execFileSync(psqlPath(), ['-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql], {
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 30_000,
  }).toString().trim();
}

/** DATABASE_URL with its database name replaced. */
function databaseUrl(adminUrl, name) {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Servers and databases to take down if this process ends without stop() (a crash, Ctrl-C, the
// test runner's SIGTERM on a timeout).
const leftovers = new Set();
function cleanUpLeftovers() {
  for (const cleanUp of leftovers) cleanUp();
  leftovers.clear();
}
process.on('exit', cleanUpLeftovers);
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]]) {
  process.once(signal, () => {
    cleanUpLeftovers();
    process.exit(code);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function healthy(url) {
  try {
    const res = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2_000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

/**
 * Starts Parley for one test file.
 * @param {string} label a short name used for the log file (e.g. the test file's name)
 * @returns {Promise<{url: string, sandboxUrl: string, databaseUrl: string, logFile: string, logSize(): number, readLog(from?: number): string, stop(): Promise<void>}>}
 */
export async function startParley(label = 'parley') {
  const bin = required('PARLEY_BIN');
  const adminUrl = required('DATABASE_URL');
  if (!fs.existsSync(bin)) {
    throw new Error(`PARLEY_BIN=${bin} does not exist: build first (cargo leptos build)`);
  }
  const siteRoot = process.env.LEPTOS_SITE_ROOT || path.join(REPO_DIR, 'target', 'site');
  for (const asset of ['pkg/parley.js']) {
    if (!fs.existsSync(path.join(siteRoot, asset))) {
      throw new Error(`${path.join(siteRoot, asset)} is missing: build the site first (cargo leptos build)`);
    }
  }

  const dbName = `e2e_${randomBytes(6).toString('hex')}`;
  psql(adminUrl, `CREATE DATABASE ${dbName}`);
  let dropped = false;
  const dropDatabase = () => {
    if (dropped) return;
    dropped = true;
    try {
      psql(adminUrl, `DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    } catch (err) {
      process.stderr.write(`warning: could not drop test database ${dbName}: ${err.message}\n`);
    }
  };

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-e2e-'));
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const logFile = path.join(RESULTS_DIR, `${label}.server.log`);
  const logFd = fs.openSync(logFile, 'w');

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const sandboxPort = await freePort();
  const sandboxUrl = `http://127.0.0.1:${sandboxPort}`;
  const child = spawn(bin, ['run'], {
    cwd: REPO_DIR,
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl(adminUrl, dbName),
      PARLEY_ADDR: `127.0.0.1:${port}`,
      PARLEY_PUBLIC_URL: url,
      PARLEY_SANDBOX_ADDR: `127.0.0.1:${sandboxPort}`,
      PARLEY_DATA_DIR: dataDir,
      LEPTOS_SITE_ROOT: siteRoot,
      LEPTOS_ENV: 'PROD',
      PARLEY_SMTP_URL: '',
      PARLEY_LOG_FORMAT: '',
      NO_COLOR: '1',
    },
    stdio: ['ignore', logFd, logFd],
  });
  fs.closeSync(logFd);

  let exited = null;
  const exitPromise = new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      exited = { code, signal };
      resolve();
    });
  });

  // If this test process dies without running stop(), take the server and database with it.
  const onExit = () => {
    if (exited === null) child.kill('SIGKILL');
    dropDatabase();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  leftovers.add(onExit);

  const readLog = (from = 0) => {
    try {
      const buf = fs.readFileSync(logFile);
      return buf.subarray(from).toString('utf8');
    } catch {
      return '';
    }
  };
  const logSize = () => {
    try {
      return fs.statSync(logFile).size;
    } catch {
      return 0;
    }
  };

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (exited === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), SHUTDOWN_TIMEOUT_MS);
      await exitPromise;
      clearTimeout(timer);
    }
    leftovers.delete(onExit);
    dropDatabase();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (!(await healthy(url))) {
    if (exited !== null || Date.now() > deadline) {
      const why = exited !== null
        ? `exited (code ${exited.code}, signal ${exited.signal})`
        : `did not answer GET /healthz with 200 within ${STARTUP_TIMEOUT_MS / 1000} s`;
      const log = readLog();
      await stop();
      throw new Error(`Parley ${why}. Server log (${logFile}):\n${log}`);
    }
    await sleep(200);
  }

  return { url, sandboxUrl, databaseUrl: databaseUrl(adminUrl, dbName), logFile, logSize, readLog, stop };
}
